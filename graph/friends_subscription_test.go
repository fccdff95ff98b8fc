package graph_test

import (
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

const (
	subReceived = `subscription { friendRequestReceived { id status from { id username } } }`
	subUpdated  = `subscription { friendRequestUpdated { id status } }`
)

type receivedEvent struct {
	FriendRequestReceived struct {
		ID, Status string
		From       struct{ ID, Username string }
	}
}

func TestSubscription_NewRequestReachesEveryConnectionOfTheRecipientOnly(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b, c := s.SignUp(t, "sa"), s.SignUp(t, "sb"), s.SignUp(t, "sc")
	phone, laptop, other := s.Connect(t, b), s.Connect(t, b), s.Connect(t, c)
	for _, ws := range []*apitest.WS{phone, laptop, other} {
		ws.Subscribe("r", subReceived, nil)
	}
	s.WaitSubscribed(t, b, 2)
	s.WaitSubscribed(t, c, 1)
	r := send(t, s, a, b)
	for _, ws := range []*apitest.WS{phone, laptop} {
		var ev receivedEvent
		ws.Next("r", &ev)
		if got := ev.FriendRequestReceived; got.ID != r.ID || got.From.Username != a.Username || got.Status != "UNREAD" {
			t.Fatalf("event %+v", got)
		}
	}
	other.Quiet(300 * time.Millisecond)
}

func TestSubscription_NeedsALoggedInConnection(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	ws := s.DialWS(t, apitest.TransportWS)
	if m, err := ws.Init(""); err != nil || m.Type != "connection_ack" {
		t.Fatalf("anonymous init: %+v %v", m, err)
	}
	ws.Subscribe("r", subReceived, nil)
	if code := ws.ErrorCode(ws.MustRead(5 * time.Second)); code != "UNAUTHENTICATED" {
		t.Fatalf("anonymous subscription: %s", code)
	}
}
