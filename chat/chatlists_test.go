package chat_test

import (
	"fmt"
	"testing"

	"github.com/gqlchat/gqlchat/chat"
)

func TestChats_ListsMostRecentActivityFirstAcrossPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	me := mustSignUp(t, h, "me")
	var created []int64
	for i := range 5 {
		created = append(created, mustGroup(t, h, me, fmt.Sprint("g", i)).ID)
	}
	mustPost(t, h, me, created[1], "bump")
	want := []int64{created[1], created[4], created[3], created[2], created[0]}
	if n, err := h.CountChats(me.Ctx); err != nil || n != 5 {
		t.Fatalf("count %d, %v", n, err)
	}
	var got []int64
	var after *string
	for {
		page, err := h.Chats(me.Ctx, chat.PageArgs{First: new(2), After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Items {
			got = append(got, c.ID)
		}
		if !page.HasNext {
			break
		}
		after = &page.Cursors[len(page.Cursors)-1]
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}
