package chat_test

import (
	"fmt"
	"testing"

	"github.com/gqlchat/gqlchat/chat"
)

func TestMembers_PagesLongestStandingFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 6)
	g := mustGroup(t, h, owner, "G", f[3], f[1], f[5], f[0], f[2], f[4])
	want := ids(owner, f[3], f[1], f[5], f[0], f[2], f[4])
	var got []int64
	var after *string
	for {
		page, err := h.Members(f[0].Ctx, g.ID, chat.PageArgs{First: new(3), After: after})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, userIDs(page.Items)...)
		if !page.HasNext {
			break
		}
		after = &page.Cursors[len(page.Cursors)-1]
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("members %v, want %v", got, want)
	}
}

// An inbox reads its chats, then their members in one batch: a chat left
// in between must leave its own page empty, not fail every chat's.
func TestFirstMembers_AChatLeftMeanwhileGetsAnEmptyPageAndTheOthersTheirs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner, member := mustSignUp(t, h, "own"), mustSignUp(t, h, "mem")
	befriend(t, h, owner, member)
	kept := mustGroup(t, h, owner, "Kept", member)
	left := mustGroup(t, h, owner, "Left", member)
	if err := h.LeaveGroupChat(member.Ctx, left.ID); err != nil {
		t.Fatal(err)
	}
	pages, err := h.FirstMembers(member.Ctx, []int64{kept.ID, left.ID}, nil)
	if err != nil {
		t.Fatalf("one chat left failed the batch: %v", err)
	}
	if n := len(pages[0].Items); n != 2 {
		t.Fatalf("the chat still joined has %d members, want 2", n)
	}
	if n := len(pages[1].Items); n != 0 {
		t.Fatalf("the chat left shows %d members, want none", n)
	}
}
