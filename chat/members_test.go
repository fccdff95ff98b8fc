package chat_test

import "testing"

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
