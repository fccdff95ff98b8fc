package graph_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

func closedWith(t *testing.T, ws *apitest.WS, code int) {
	t.Helper()
	for {
		m, err := ws.Read(5 * time.Second)
		if err == nil {
			continue // connection_error and the like before the close
		}
		if got := apitest.CloseStatus(err); got != code {
			t.Fatalf("closed with %d (%v), want %d", got, err, code)
		}
		_ = m
		return
	}
}

func TestWebSocket_ProtocolCloseCodes(t *testing.T) {
	t.Parallel()
	opts := apitest.Options()
	opts.InitTimeout = 200 * time.Millisecond
	s := apitest.NewServerWith(t, apitest.CheapConfig(), opts)
	u := s.SignUp(t, "proto")

	late := s.DialWS(t, apitest.TransportWS) // never sends connection_init
	closedWith(t, late, 4408)

	twice := s.Connect(t, u)
	twice.Send("connection_init", "", nil)
	closedWith(t, twice, 4429)

	dup := s.Connect(t, u)
	dup.Subscribe("same", subReceived, nil)
	dup.Subscribe("same", subReceived, nil)
	closedWith(t, dup, 4409)

	bad := s.Connect(t, u)
	if err := bad.WriteRaw("{not json"); err != nil {
		t.Fatal(err)
	}
	closedWith(t, bad, 4400)
}

func TestWebSocket_CapsSubscriptionsAndConnections(t *testing.T) {
	t.Parallel()
	opts := apitest.Options()
	opts.MaxSubscriptionsPerConnection, opts.MaxConnectionsPerUser, opts.MaxConnections = 2, 2, 3
	s := apitest.NewServerWith(t, apitest.CheapConfig(), opts)
	u, other := s.SignUp(t, "capa"), s.SignUp(t, "capb")

	ws := s.Connect(t, u)
	ws.Subscribe("1", subReceived, nil)
	ws.Subscribe("2", subUpdated, nil)
	ws.Subscribe("3", subUpdated, nil)
	if code := errorCode(t, ws.MustRead(5*time.Second)); code != "RATE_LIMITED" {
		t.Fatalf("third subscription: %s", code)
	}

	s.Connect(t, u)
	third := s.DialWS(t, apitest.TransportWS)
	if _, err := third.Init(u.Token); err == nil {
		closedWith(t, third, 4429)
	} else if apitest.CloseStatus(err) != 4429 {
		t.Fatalf("third connection of a user: %v", err)
	}
	s.WaitSubscribed(t, u, 2)
	for deadline := time.Now().Add(5 * time.Second); s.Handler.OpenConnections() != 2; {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open, want 2", s.Handler.OpenConnections())
		}
		time.Sleep(5 * time.Millisecond)
	}

	s.Connect(t, other) // the instance's third connection
	c, _, err := s.DialWSFrom(apitest.TransportWS, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != 4429 {
		t.Fatalf("fourth connection of the instance: %v", err)
	}
}

func TestWebSocket_GoAwayClosesWith1001(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "bye")
	ws := s.Connect(t, u)
	ws.Subscribe("r", subReceived, nil)
	s.WaitSubscribed(t, u, 1)
	s.Handler.GoAway()
	closedWith(t, ws, 1001)
}

func TestWebSocket_CapsSubscriptionsPerUser(t *testing.T) {
	t.Parallel()
	opts := apitest.Options()
	opts.MaxSubscriptionsPerUser = 2
	s := apitest.NewServerWith(t, apitest.CheapConfig(), opts)
	u := s.SignUp(t, "subcap")
	a, b := s.Connect(t, u), s.Connect(t, u)
	a.Subscribe("1", subReceived, nil)
	b.Subscribe("1", subReceived, nil)
	s.WaitSubscribed(t, u, 2)
	b.Subscribe("2", subUpdated, nil)
	if code := errorCode(t, b.MustRead(5*time.Second)); code != "RATE_LIMITED" {
		t.Fatalf("third subscription of the user: %s", code)
	}
	a.Send("complete", "1", nil) // gives a place back
	s.WaitSubscribed(t, u, 1)
	b.Subscribe("3", subUpdated, nil)
	s.WaitSubscribed(t, u, 2)
}

func TestWebSocket_RefusesMessagesOverTheSizeLimit(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "big")
	ws := s.Connect(t, u)
	if err := ws.WriteRaw(`{"type":"subscribe","id":"1","payload":{"query":"` + strings.Repeat(" ", 1<<20) + `{ viewer { id } }"}}`); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Read(5 * time.Second); err == nil || apitest.CloseStatus(err) == -1 {
		t.Fatalf("an oversized message did not close the connection: %v", err)
	}
}
