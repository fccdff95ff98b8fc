package chat_test

import (
	"testing"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/models"
)

func TestFriends_ListsTheViewersFriendsByDisplayNameAcrossPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	me := mustSignUp(t, h, "sue")
	names := []string{"delta", "Alpha", "charlie", "Bravo", "echo", "alpha"}
	for _, n := range names {
		f := mustSignUp(t, h, "f")
		_, err := h.UpdateProfile(f.Ctx, chat.UpdateProfileInput{DisplayName: &n})
		must(t, err)
		befriend(t, h, me, f)
	}
	mustSendRequest(t, h, me, mustSignUp(t, h, "pending")) // not a friend yet
	if n, err := h.CountFriends(me.Ctx, me.ID); err != nil || n != len(names) {
		t.Fatalf("count %d, %v", n, err)
	}
	var got []string
	var after *string
	for {
		page, err := h.Friends(me.Ctx, me.ID, chat.PageArgs{First: new(4), After: after})
		if err != nil {
			t.Fatal(err)
		}
		rels, err := h.FriendshipStatuses(me.Ctx, userIDs(page.Items))
		if err != nil {
			t.Fatal(err)
		}
		for i, u := range page.Items {
			if rels[i] != chat.FriendshipFriend {
				t.Errorf("%s: relation %s", u.DisplayName, rels[i])
			}
			got = append(got, u.DisplayName)
		}
		if !page.HasNext {
			break
		}
		after = &page.Cursors[len(page.Cursors)-1]
	}
	want := []string{"Alpha", "alpha", "Bravo", "charlie", "delta", "echo"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		// "Alpha" and "alpha" tie on the display name; the id breaks the tie.
		if got[i] != want[i] && !(i < 2 && (got[i] == "alpha" || got[i] == "Alpha")) {
			t.Fatalf("order: got %v, want %v", got, want)
		}
	}
}

func userIDs(users []*models.User) []int64 {
	out := make([]int64, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

func TestFriends_OfAnotherUserIsForbidden(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := mustSignUp(t, h, "tom"), mustSignUp(t, h, "uli")
	befriend(t, h, a, b)
	_, err := h.Friends(a.Ctx, b.ID, chat.PageArgs{})
	mustCode(t, err, chat.CodeForbidden, "")
}

func TestFriendRequests_ListsNewestFirstFilteredAndPaged(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	me := mustSignUp(t, h, "vera")
	var sent []*models.FriendRequest
	for range 7 {
		sent = append(sent, mustSendRequest(t, h, mustSignUp(t, h, "w"), me))
	}
	_, err := h.RejectFriendRequest(me.Ctx, sent[2].ID)
	must(t, err)
	out := mustSendRequest(t, h, me, mustSignUp(t, h, "x"))

	incoming := chat.RequestFilter{Incoming: true}
	if n, err := h.CountFriendRequests(me.Ctx, incoming); err != nil || n != 7 {
		t.Fatalf("count %d, %v", n, err)
	}
	var got []int64
	var after *string
	for {
		page, err := h.FriendRequests(me.Ctx, incoming, chat.PageArgs{First: new(3), After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Items {
			got = append(got, r.ID)
		}
		if !page.HasNext {
			break
		}
		after = &page.Cursors[len(page.Cursors)-1]
	}
	if len(got) != 7 {
		t.Fatalf("got %d requests", len(got))
	}
	for i := range got {
		if got[i] != sent[6-i].ID {
			t.Fatalf("not newest first: %v", got)
		}
	}
	pending := chat.RequestFilter{Incoming: true, Statuses: []models.FriendRequestStatus{models.RequestUnread, models.RequestRead}}
	if n, err := h.CountFriendRequests(me.Ctx, pending); err != nil || n != 6 {
		t.Fatalf("pending: %d, %v", n, err)
	}
	outgoing, err := h.FriendRequests(me.Ctx, chat.RequestFilter{}, chat.PageArgs{})
	if err != nil || len(outgoing.Items) != 1 || outgoing.Items[0].ID != out.ID {
		t.Fatalf("outgoing: %+v %v", outgoing, err)
	}
}
