package chat_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/internal/apitest"
	"github.com/gqlchat/gqlchat/models"
)

// viewerCtx is the context of a request authenticated as u.
func viewerCtx(t *testing.T, s *apitest.Server, u apitest.User) context.Context {
	t.Helper()
	v, err := s.Service.Authenticate(context.Background(), u.Token)
	if err != nil {
		t.Fatal(err)
	}
	return chat.WithViewer(context.Background(), v)
}

// befriend makes the viewer of ctx and u friends; ctxU is u's context.
func befriend(t *testing.T, s *apitest.Server, ctx, ctxU context.Context, u apitest.User) {
	t.Helper()
	req, err := s.Service.SendFriendRequest(ctx, key(t, u.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Service.AcceptFriendRequest(ctxU, req.ID); err != nil {
		t.Fatal(err)
	}
}

// mustGroup creates a group chat of the viewer of ctx with members.
func mustGroup(t *testing.T, s *apitest.Server, ctx context.Context, name string, members ...apitest.User) *models.Chat {
	t.Helper()
	ids := make([]int64, len(members))
	for i, m := range members {
		ids[i] = key(t, m.ID)
	}
	g, err := s.Service.CreateGroupChat(ctx, name, ids)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func key(t *testing.T, gid string) int64 {
	t.Helper()
	_, id, err := models.DecodeID(gid)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A stream that is behind when its viewer is removed must not deliver what
// was posted after the removal, however its events are queued.
func TestMessageEvents_ARemovedMemberGetsNothingPostedAfterTheRemoval(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner, member := s.SignUp(t, "own"), s.SignUp(t, "mem")
	ctxOwner, ctxMember := viewerCtx(t, s, owner), viewerCtx(t, s, member)
	befriend(t, s, ctxOwner, ctxMember, member)
	g := mustGroup(t, s, ctxOwner, "G", member)
	for _, only := range []*int64{&g.ID, nil} {
		ctx, cancel := context.WithCancel(ctxMember)
		defer cancel()
		stream, err := s.Service.MessageEvents(ctx, only, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 40 { // more than the stream's channel holds: it falls behind
			if _, err := s.Service.PostMessage(ctxOwner, chat.PostMessageInput{ChatID: g.ID, Body: fmt.Sprint("m", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Service.RemoveFromGroupChat(ctxOwner, g.ID, key(t, member.ID)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Service.PostMessage(ctxOwner, chat.PostMessageInput{ChatID: g.ID, Body: "SECRET"}); err != nil {
			t.Fatal(err)
		}
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
		if _, err := s.Service.InviteToGroupChat(ctxOwner, g.ID, []int64{key(t, member.ID)}); err != nil {
			t.Fatal(err)
		}
	}
}
