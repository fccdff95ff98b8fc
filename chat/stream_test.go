package chat_test

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// A stream that is behind when its viewer is removed must not deliver what
// was posted after the removal, however its events are queued.
func TestMessageEvents_ARemovedMemberGetsNothingPostedAfterTheRemoval(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner, member := mustSignUp(t, h, "own"), mustSignUp(t, h, "mem")
	befriend(t, h, owner, member)
	g := mustGroup(t, h, owner, "G", member)
	for _, only := range []*int64{&g.ID, nil} {
		ctx, cancel := context.WithCancel(member.Ctx)
		defer cancel()
		stream, err := h.MessageEvents(ctx, only, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 40 { // more than the stream's channel holds: it falls behind
			mustPost(t, h, owner, g.ID, fmt.Sprint("m", i))
		}
		if _, err := h.RemoveFromGroupChat(owner.Ctx, g.ID, member.ID); err != nil {
			t.Fatal(err)
		}
		mustPost(t, h, owner, g.ID, "SECRET")
		timeout := time.After(3 * time.Second)
	drain:
		for {
			select {
			case m, open := <-stream:
				if !open {
					break drain
				}
				if m.Body == "SECRET" {
					t.Fatal("a removed member received a message posted after the removal")
				}
			case <-timeout:
				break drain
			}
		}
		cancel()
		if _, err := h.InviteToGroupChat(owner.Ctx, g.ID, []int64{member.ID}); err != nil {
			t.Fatal(err)
		}
	}
}
