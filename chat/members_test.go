package chat_test

import (
	"testing"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// An inbox reads its chats, then their members in one batch: a chat left
// in between must leave its own page empty, not fail every chat's.
func TestFirstMembers_AChatLeftMeanwhileGetsAnEmptyPageAndTheOthersTheirs(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner, member := s.SignUp(t, "own"), s.SignUp(t, "mem")
	ctxOwner, ctxMember := viewerCtx(t, s, owner), viewerCtx(t, s, member)
	befriend(t, s, ctxOwner, ctxMember, member)
	kept := mustGroup(t, s, ctxOwner, "Kept", member)
	left := mustGroup(t, s, ctxOwner, "Left", member)
	if err := s.Service.LeaveGroupChat(ctxMember, left.ID); err != nil {
		t.Fatal(err)
	}
	pages, err := s.Service.FirstMembers(ctxMember, []int64{kept.ID, left.ID}, nil)
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
