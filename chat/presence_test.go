package chat_test

import (
	"testing"

	"github.com/gqlchat/gqlchat/chat"
)

// Presence is visible to the user, their friends and the members of a
// chat they share, in one query for a list; leaving the last shared chat
// or the friendship ends it, and anonymous callers see nobody's.
func TestPresenceVisible_FriendsAndChatMatesOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := mustSignUp(t, h, "u")
	friend := mustFriends(t, h, u, 1)[0]
	mate := mustFriends(t, h, friend, 1)[0]
	g := mustGroup(t, h, friend, "G", u, mate)
	stranger := mustSignUp(t, h, "stranger")
	check := func(viewer user, want []bool) {
		t.Helper()
		got, err := h.PresenceVisible(viewer.Ctx, ids(u, friend, mate, stranger))
		must(t, err)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s sees %v of u, friend, mate, stranger; want %v", viewer.Username, got, want)
			}
		}
	}
	check(u, []bool{true, true, true, false})
	check(mate, []bool{true, true, true, false})
	check(stranger, []bool{false, false, false, true})
	if err := h.LeaveGroupChat(mate.Ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	check(mate, []bool{false, true, true, false}) // still friend's friend
	got, err := h.PresenceVisible(chat.WithViewer(t.Context(), nil), ids(u))
	must(t, err)
	if got[0] {
		t.Fatal("an anonymous caller sees presence")
	}
}
