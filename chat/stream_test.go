package chat_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/models"
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

func TestMessageEvents_ToAChatOfOthersIsNotFound(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner, outsider := mustSignUp(t, h, "own"), mustSignUp(t, h, "out")
	g := mustGroup(t, h, owner, "G")
	_, err := h.MessageEvents(outsider.Ctx, &g.ID, nil, nil)
	mustCode(t, err, chat.CodeNotFound, "")
}

func TestMessageEvents_ARemovedMemberStopsReceiving(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 1)
	g := mustGroup(t, h, owner, "G", f[0])
	one, all := mustMessageEvents(t, h, f[0], &g.ID, nil), mustMessageEvents(t, h, f[0], nil, nil)
	first := mustPost(t, h, owner, g.ID, "still in")
	if a, b := next(t, one), next(t, all); a.ID != first.ID || b.ID != first.ID {
		t.Fatalf("got %d and %d, want %d", a.ID, b.ID, first.ID)
	}
	_, err := h.RemoveFromGroupChat(owner.Ctx, g.ID, f[0].ID)
	must(t, err)
	mustEnd(t, one)
	mustPost(t, h, owner, g.ID, "you are out")
	quiet(t, all, 300*time.Millisecond)
}

func TestMessageEvents_WithoutChatFollowsChatsJoinedLater(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 1)
	all := mustMessageEvents(t, h, f[0], nil, nil)
	g := mustGroup(t, h, owner, "Later", f[0])
	m := mustPost(t, h, owner, g.ID, "welcome")
	if got := next(t, all); got.ID != m.ID {
		t.Fatalf("got %+v", got)
	}
}

func TestMessageEvents_ResumesAfterACursorWithNoGapOrDuplicate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 1)
	g := mustGroup(t, h, owner, "G", f[0])
	var want []int64
	var seen *models.Message
	for i := range 150 { // more than one replay batch
		m := mustPost(t, h, owner, g.ID, fmt.Sprint("before ", i))
		want = append(want, m.ID)
		if i == 9 {
			seen = m
		}
	}
	want = want[10:]
	// Keep posting while the subscriber replays, and after.
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 40 {
			m, err := h.PostMessage(f[0].Ctx, chat.PostMessageInput{ChatID: g.ID, Body: fmt.Sprint("during ", i)})
			if err != nil {
				t.Errorf("post: %v", err)
				return
			}
			mu.Lock()
			want = append(want, m.ID)
			mu.Unlock()
		}
	})
	stream := mustMessageEvents(t, h, owner, &g.ID, new(chat.MessageCursor(seen)))
	var got []int64
	for len(got) < 140+40 {
		got = append(got, next(t, stream).ID)
	}
	wg.Wait()
	// And live after the replay.
	last := mustPost(t, h, f[0], g.ID, "after")
	got, want = append(got, next(t, stream).ID), append(want, last.ID)
	quiet(t, stream, 200*time.Millisecond)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("resumed stream differs:\n got %v\nwant %v", got, want)
	}
}

func TestMessageEvents_ARetriedPostIsDeliveredOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	g := mustGroup(t, h, owner, "G")
	stream := mustMessageEvents(t, h, owner, &g.ID, nil)
	in := chat.PostMessageInput{ChatID: g.ID, Body: "once", ClientMessageID: new("retry-me")}
	for range 2 {
		_, err := h.PostMessage(owner.Ctx, in)
		must(t, err)
	}
	next(t, stream)
	quiet(t, stream, 300*time.Millisecond)
}

func TestMessageEvents_EndsWhenTheViewerLeavesOrLogsOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 1)
	g := mustGroup(t, h, owner, "G", f[0])
	one := mustMessageEvents(t, h, f[0], &g.ID, nil)
	must(t, h.LeaveGroupChat(f[0].Ctx, g.ID))
	mustEnd(t, one)
	all := mustMessageEvents(t, h, owner, nil, nil)
	must(t, h.LogOut(owner.Ctx))
	mustEnd(t, all)
}
