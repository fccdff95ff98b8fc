package socket_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gqlchat/gqlchat/socket"
)

// countOf decodes the value of a count subscription's result.
func countOf(t *testing.T, m message) int {
	t.Helper()
	var res struct {
		Data struct{ Count int }
	}
	if err := json.Unmarshal(m.Payload, &res); err != nil {
		t.Fatalf("%s: %v", m.Payload, err)
	}
	return res.Data.Count
}

// Two subscriptions of one connection, interleaved: each gets every value
// of its stream in order, then complete.
func TestSubscription_DeliversEveryValueInOrderThenCompletes(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{})
	const n = 200
	for _, proto := range protocols {
		c := s.connect(t, proto)
		c.start("a", fmt.Sprintf("subscription { count(to: %d) }", n))
		c.start("b", fmt.Sprintf("subscription { count(to: %d) }", n))
		last, completed := map[string]int{}, 0
		for completed < 2 {
			m, err := c.next()
			switch {
			case err != nil:
				t.Fatalf("%s: %v", proto, err)
			case m.Type == "complete":
				if last[m.ID] != n {
					t.Fatalf("%s: %s completed after %d of %d values", proto, m.ID, last[m.ID], n)
				}
				completed++
			case m.Type != wordsOf(proto).next:
				t.Fatalf("%s: got %s %s", proto, m.Type, m.Payload)
			default:
				if got := countOf(t, m); got != last[m.ID]+1 {
					t.Fatalf("%s: %s delivered %d after %d", proto, m.ID, got, last[m.ID])
				}
				last[m.ID]++
			}
		}
	}
}

// A query, or a subscription whose stream does not open, is answered at
// once and completed: the latter does not wait for a signal that will not
// come.
func TestOperation_AnsweredAtOnceIsThenCompleted(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{})
	for query, want := range map[string]string{
		"{ hello }":               `{"data":{"hello":"hello "}}`,
		"subscription { broken }": `{"errors":[{"message":"the stream failed to open"}],"data":null}`,
	} {
		for _, proto := range protocols {
			c := s.connect(t, proto)
			c.start("1", query)
			if m := c.expect(wordsOf(proto).next, "1"); string(m.Payload) != want {
				t.Fatalf("%s %s: %s, want %s", proto, query, m.Payload, want)
			}
			c.expect("complete", "1")
		}
	}
}

// The client's complete (graphql-transport-ws) or stop (graphql-ws) ends
// the operation and its stream; no complete answers it, and the id is free
// again. An unknown id is ignored.
func TestTransport_StoppingAnOperationEndsItsStream(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{})
	for _, proto := range protocols {
		w := wordsOf(proto)
		c := s.connect(t, proto)
		c.start("a", "subscription { idle }")
		waitFor(t, "the subscription", func() bool { return s.schema.idle.Load() == 1 })
		c.send(w.stop, "a", nil)
		c.send(w.stop, "unknown", nil)
		waitFor(t, "the stream to end", func() bool { return s.schema.idle.Load() == 0 })
		c.start("q", "{ hello }")
		c.expect(w.next, "q") // and nothing for a before it
		c.expect("complete", "q")
		c.start("a", "subscription { count(to: 1) }")
		c.expect(w.next, "a")
		c.expect("complete", "a")
	}
}

// Over MaxOperationsPerConnection an operation is refused with an error message
// (RATE_LIMITED) and the connection stays; a stopped one frees its place.
func TestTransport_OperationsOverTheCapAreRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{MaxOperationsPerConnection: 2})
	for _, proto := range protocols {
		w := wordsOf(proto)
		c := s.connect(t, proto)
		c.start("1", "subscription { idle }")
		c.start("2", "subscription { idle }")
		c.start("3", "{ hello }")
		m := c.expect("error", "3")
		var errs []struct {
			Message    string
			Extensions struct{ Code string }
		}
		if json.Unmarshal(m.Payload, &errs) != nil || len(errs) != 1 || errs[0].Extensions.Code != "RATE_LIMITED" ||
			errs[0].Message != "too many operations on this connection" {
			t.Fatalf("%s: %s", proto, m.Payload)
		}
		c.send(w.stop, "1", nil)
		c.start("3", "{ hello }")
		c.expect(w.next, "3")
		c.expect("complete", "3")
		c.ws.Close(websocket.StatusNormalClosure, "") //nolint:errcheck // ends subscription 2 too
		waitFor(t, "the streams to end", func() bool { return s.schema.idle.Load() == 0 })
	}
}

// The context Init returns is the one operations run in and Closed gets;
// Closed runs once per accepted connection, never for a refused one.
func TestTransport_InitsContextReachesTheOperationsAndClosed(t *testing.T) {
	t.Parallel()
	closed := make(chan string, 8)
	s := newServer(t, &socket.Transport{
		Init: func(ctx context.Context, payload map[string]any) (context.Context, error) {
			name, _ := payload["name"].(string)
			if name == "" {
				return nil, errors.New("no name")
			}
			return context.WithValue(ctx, nameKey{}, name), nil
		},
		Closed: func(ctx context.Context) { closed <- ctx.Value(nameKey{}).(string) },
	})
	for _, proto := range protocols {
		c := s.dial(t, proto)
		c.init(map[string]string{"name": proto})
		c.start("q", "{ hello }")
		if m := c.expect(wordsOf(proto).next, "q"); !strings.Contains(string(m.Payload), "hello "+proto) {
			t.Fatalf("%s: %s", proto, m.Payload)
		}
		c.ws.Close(websocket.StatusNormalClosure, "") //nolint:errcheck // the test reads Closed
		select {
		case got := <-closed:
			if got != proto {
				t.Fatalf("Closed got %q, want %q", got, proto)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Closed did not run")
		}
		refused := s.dial(t, proto)
		refused.send("connection_init", "", nil)
		refused.closedWith(4403)
	}
	waitFor(t, "the connections to end", func() bool { return s.tr.Open() == 0 })
	if len(closed) != 0 {
		t.Fatalf("Closed ran for a refused connection: %q", <-closed)
	}
}

// Keep-alives: graphql-transport-ws pings, and a client that answers them
// stays past the pong deadline (two intervals and a second); graphql-ws
// gets "ka" right after the ack and then at every interval.
func TestTransport_KeepAlivesOnBothProtocols(t *testing.T) {
	t.Parallel()
	const every = 100 * time.Millisecond
	s := newServer(t, &socket.Transport{KeepAlive: every})

	legacy := s.connect(t, legacyWS)
	for range 3 {
		legacy.expect("ka", "")
	}

	c := s.connect(t, transportWS)
	for start := time.Now(); time.Since(start) < 2*every+1500*time.Millisecond; {
		c.expect("ping", "")
		c.send("pong", "", nil)
	}
	c.start("q", "{ hello }")
	for { // the pings sent meanwhile come first
		m, err := c.next()
		if err != nil {
			t.Fatalf("closed although it answered every ping: %v", err)
		}
		if m.Type == "next" {
			break
		}
	}
}

// A graphql-transport-ws client may ping too: the pong carries its payload.
func TestTransport_AnswersAPingWithAPong(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{})
	c := s.connect(t, transportWS)
	c.send("ping", "", map[string]int{"seq": 7})
	if m := c.expect("pong", ""); string(m.Payload) != `{"seq":7}` {
		t.Fatalf("pong %s", m.Payload)
	}
}

// An idle connection with subscriptions holds one goroutine, the one
// reading it: no goroutine waits on a subscription between its values.
// Not parallel, so that no other test's connections are counted.
func TestTransport_AnIdleSubscribedConnectionHoldsOneGoroutine(t *testing.T) {
	s := newServer(t, &socket.Transport{})
	const n = 10
	before := transportGoroutines()
	conns := make([]*client, n)
	for i := range conns {
		conns[i] = s.connect(t, protocols[i%2])
		conns[i].start("a", "subscription { idle }")
		conns[i].start("b", "subscription { idle }")
	}
	waitFor(t, "the subscriptions", func() bool { return s.schema.idle.Load() == 2*n })
	var held int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if held = transportGoroutines() - before; held <= n {
			break
		}
	}
	if held > n {
		t.Fatalf("%d idle connections with 2 subscriptions each hold %d goroutines, want at most %d", n, held, n)
	}
	for _, c := range conns { // and they still work
		c.start("c", "subscription { count(to: 2) }")
		c.expect(wordsOf(c.proto).next, "c")
		c.expect(wordsOf(c.proto).next, "c")
		c.expect("complete", "c")
	}
}

// transportGoroutines counts the goroutines running the transport's code
// or gqlgen's on its behalf (the test's clients are in socket_test).
func transportGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "testing.tRunner") {
			continue
		}
		for _, pkg := range []string{"gqlchat/socket.", "gqlchat/internal/pump", "99designs/gqlgen"} {
			if strings.Contains(g, pkg) {
				n++
				break
			}
		}
	}
	return n
}
