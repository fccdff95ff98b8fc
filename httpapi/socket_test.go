package httpapi_test

import (
	"context"
	"runtime"
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

// startMessage is the word for subscribe in each protocol.
func startMessage(proto string) string {
	if proto == apitest.LegacyWS {
		return "start"
	}
	return "subscribe"
}

// waitOpenConnections waits until the server has n WebSockets open. A
// connection leaves the count after the transport's Closed hook has run,
// so whatever it held (its place under a cap) has been given back.
func waitOpenConnections(t *testing.T, s *apitest.Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); s.Handler.OpenConnections() != n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open, want %d", s.Handler.OpenConnections(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWebSocket_ProtocolCloseCodes(t *testing.T) {
	t.Parallel()
	opts := apitest.Options()
	opts.WebSocket.InitTimeout = 200 * time.Millisecond
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
	opts.WebSocket.MaxOperationsPerConnection, opts.WebSocket.MaxConnectionsPerUser, opts.WebSocket.MaxConnections = 2, 2, 3
	s := apitest.NewServerWith(t, apitest.CheapConfig(), opts)
	u, other := s.SignUp(t, "capa"), s.SignUp(t, "capb")

	ws := s.Connect(t, u)
	ws.Subscribe("1", subReceived, nil)
	ws.Subscribe("2", subUpdated, nil)
	ws.Subscribe("3", subUpdated, nil)
	if code := ws.ErrorCode(ws.MustRead(5 * time.Second)); code != "RATE_LIMITED" {
		t.Fatalf("third subscription: %s", code)
	}

	s.Connect(t, u)
	third := s.DialWS(t, apitest.TransportWS)
	if _, err := third.Init(u.Token); err == nil {
		closedWith(t, third, 1013)
	} else if apitest.CloseStatus(err) != 1013 {
		t.Fatalf("third connection of a user: %v", err)
	}
	s.WaitSubscribed(t, u, 2)
	waitOpenConnections(t, s, 2)

	s.Connect(t, other) // the instance's third connection
	c, _, err := s.DialWSFrom(apitest.TransportWS, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != 1013 {
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
	s.Handler.GoAway(5 * time.Second)
	if n := s.Handler.OpenConnections(); n != 0 {
		t.Fatalf("GoAway returned with %d connections still open: it must wait for the closing handshakes", n)
	}
	closedWith(t, ws, 1001)
}

func TestWebSocket_CapsSubscriptionsPerUser(t *testing.T) {
	t.Parallel()
	opts := apitest.Options()
	opts.WebSocket.MaxSubscriptionsPerUser = 2
	s := apitest.NewServerWith(t, apitest.CheapConfig(), opts)
	u := s.SignUp(t, "subcap")
	a, b := s.Connect(t, u), s.Connect(t, u)
	a.Subscribe("1", subReceived, nil)
	b.Subscribe("1", subReceived, nil)
	s.WaitSubscribed(t, u, 2)
	b.Subscribe("2", subUpdated, nil)
	if code := b.ErrorCode(b.MustRead(5 * time.Second)); code != "RATE_LIMITED" {
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

func TestWebSocket_AClientThatStopsAnsweringPingsIsClosed(t *testing.T) {
	t.Parallel()
	opts := apitest.Options()
	opts.WebSocket.KeepAlive = 100 * time.Millisecond
	s := apitest.NewServerWith(t, apitest.CheapConfig(), opts)
	u := s.SignUp(t, "silent")
	// A raw connection that reads (so that it sees the close) but never answers.
	c, _, err := s.DialWSFrom(apitest.TransportWS, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	init := `{"type":"connection_init","payload":{"authorization":"Bearer ` + u.Token + `"}}`
	if err := c.Write(ctx, websocket.MessageText, []byte(init)); err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, err = c.Read(ctx); err != nil {
			break
		}
	}
	if got := apitest.CloseStatus(err); got != 4504 {
		t.Fatalf("closed with %d (%v), want 4504 after the missed pongs", got, err)
	}
}

// An idle connection with subscriptions must hold one goroutine on the
// server, the one reading it: that is what keeps thousands of them cheap.
// The transport adds one for all of them (its write watchdog). Not
// parallel, so that no other test's server is counted.
func TestWebSocket_AnIdleSubscribedConnectionHoldsOneGoroutine(t *testing.T) {
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "idleowner")
	f := s.FriendsOf(t, owner, 1)
	g := s.CreateGroup(t, owner, "Idle", f[0])
	const n = 20
	before := serverGoroutines()
	conns := make([]*apitest.WS, n)
	for i := range conns {
		conns[i] = s.Connect(t, f[0])
		conns[i].Subscribe("chat", subMessages, map[string]any{"chat": g.ID})
		conns[i].Subscribe("all", subMessages, nil)
		conns[i].Subscribe("requests", subReceived, nil)
	}
	s.WaitFollowed(t, g.ID, 2*n)
	var held int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if held = serverGoroutines() - before; held <= n+1 {
			break
		}
	}
	t.Logf("%d idle connections hold %d server goroutines", n, held)
	if held > n+1 {
		t.Fatalf("%d idle connections with 3 subscriptions each hold %d server goroutines, want at most %d", n, held, n+1)
	}
	want := s.Post(t, owner, g.ID, "still live")
	for _, ws := range conns {
		got := map[string]bool{}
		for range 2 { // one per message subscription, in either order
			m := ws.MustRead(5 * time.Second)
			if m.Type != "next" || !strings.Contains(string(m.Payload), want) {
				t.Fatalf("got %s %s %s, want the message %s", m.Type, m.ID, m.Payload, want)
			}
			got[m.ID] = true
		}
		if !got["chat"] || !got["all"] {
			t.Fatalf("deliveries went to %v, want chat and all", got)
		}
	}
}

// serverGoroutines counts the goroutines running the API's code.
func serverGoroutines() int {
	buf := make([]byte, 1<<24)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "internal/apitest") || strings.Contains(g, "testing.tRunner") {
			continue // the test's own clients
		}
		if strings.Contains(g, "chat.(*logReader).loop") {
			continue // one per instance while it has streams, not one per connection
		}
		for _, pkg := range []string{"gqlchat/graph", "gqlchat/httpapi", "gqlchat/socket", "gqlchat/chat", "gqlchat/internal/pump", "99designs/gqlgen"} {
			if strings.Contains(g, pkg) {
				n++
				break
			}
		}
	}
	return n
}
