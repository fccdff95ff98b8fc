package socket_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gqlchat/gqlchat/socket"
)

// The close codes the package defines, as clients read them: a client
// library acts on the number (retry, re-authenticate, give up), so each
// is part of the protocol.
func TestCloseCodes_AreTheProtocols(t *testing.T) {
	for code, want := range map[int]int{
		socket.CloseNormal: 1000, socket.CloseGoingAway: 1001, socket.CloseInternal: 1011,
		socket.CloseTryAgainLater: 1013, socket.CloseBadMessage: 4400, socket.CloseUnauthorized: 4401,
		socket.CloseForbidden: 4403, socket.CloseInitTimeout: 4408, socket.CloseDuplicateID: 4409,
		socket.CloseTooManyInits: 4429, socket.ClosePongTimeout: 4504,
	} {
		if code != want {
			t.Errorf("close code %d, want %d", code, want)
		}
	}
}

func TestTransport_AMessageThatIsNotOneIs4400(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{})
	for _, proto := range protocols {
		w := wordsOf(proto)
		other := wordsOf(transportWS).subscribe // the other protocol's word
		if proto == transportWS {
			other = wordsOf(legacyWS).subscribe
		}
		for _, raw := range []string{
			`{not json`, `"connection_init"`, `{}`, `{"type":""}`, `{"id":"1"}`, `{"type":"unknown"}`,
			`{"type":"` + other + `","id":"1","payload":{"query":"{ hello }"}}`,
			`{"type":"` + w.subscribe + `","payload":{"query":"{ hello }"}}`, // no id
		} {
			c := s.connect(t, proto)
			c.sendRaw(raw)
			t.Run(proto+raw, func(t *testing.T) { c.closedWith(4400) })
		}
		c := s.dial(t, proto)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.ws.Write(ctx, websocket.MessageBinary, []byte(`{"type":"connection_init"}`)); err != nil {
			t.Fatal(err)
		}
		t.Run(proto+"/binary", func(t *testing.T) { c.closedWith(4400) })
	}
}

// Each protocol's own messages are invalid in the other one, and graphql-ws
// is told why (connection_error) before the close.
func TestTransport_TheOtherProtocolsMessagesAre4400(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{})
	for proto, types := range map[string][]string{
		transportWS: {"connection_terminate", "start", "stop"},
		legacyWS:    {"ping", "pong", "subscribe"},
	} {
		for _, typ := range types {
			c := s.connect(t, proto)
			c.send(typ, "1", nil)
			if proto == legacyWS {
				if m := c.expect("connection_error", ""); !strings.Contains(string(m.Payload), "unexpected message "+typ) {
					t.Fatalf("connection_error %s", m.Payload)
				}
			}
			if reason := c.closedWith(4400); reason != "invalid message type" {
				t.Fatalf("%s %s: reason %q", proto, typ, reason)
			}
		}
	}
}

func TestTransport_AnInvalidConnectionInitPayloadIs4400(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{})
	var many strings.Builder
	for i := range 65 {
		fmt.Fprintf(&many, `"k%d":1,`, i)
	}
	for _, proto := range protocols {
		for _, payload := range []string{
			`"token"`, `42`, `[]`, `{"a":1,"a":2}`, `{` + strings.TrimSuffix(many.String(), ",") + `}`,
		} {
			c := s.dial(t, proto)
			c.sendRaw(`{"type":"connection_init","payload":` + payload + `}`)
			t.Run(proto+payload[:min(len(payload), 12)], func(t *testing.T) { c.closedWith(4400) })
		}
	}
}

// Moved from graph (TestWebSocket_ASubscribeWithAnInvalidPayloadIs4400).
func TestTransport_ASubscribeWithAnInvalidPayloadIs4400(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{})
	for _, proto := range protocols {
		start := `{"type":"` + wordsOf(proto).subscribe + `","id":"1"`
		for _, payload := range []string{
			``, `,"payload":null`, `,"payload":"{ __typename }"`, `,"payload":42`, `,"payload":["{ __typename }"]`,
			`,"payload":{"query":null}`, `,"payload":{"query":7}`, `,"payload":{"query":{"text":"{ __typename }"}}`,
			`,"payload":{"query":"{ __typename }","variables":[1]}`,
			`,"payload":{"query":"{ __typename }","operationName":3}`,
		} {
			c := s.connect(t, proto)
			c.sendRaw(start + payload + `}`)
			t.Run(proto+payload, func(t *testing.T) { c.closedWith(4400) })
		}
		// What the protocol allows still runs: nulls for the optional fields.
		c := s.connect(t, proto)
		c.sendRaw(start + `,"payload":{"query":"{ __typename }","variables":null,"operationName":null,"extensions":null}}`)
		if m := c.expect(wordsOf(proto).next, "1"); !strings.Contains(string(m.Payload), "Query") {
			t.Fatalf("%s: a valid payload answered %s %s", proto, m.Type, m.Payload)
		}
	}
}

// Moved from graph (TestWebSocket_SubscribingBeforeInitIs4401AndAnUnknownTypeIs4400),
// and run on both protocols.
func TestTransport_SubscribingBeforeInitIs4401AndAnUnknownTypeIs4400(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{})
	for _, proto := range protocols {
		early := s.dial(t, proto)
		early.start("1", "subscription { idle }")
		early.closedWith(4401)
	}
	odd := s.connect(t, transportWS)
	odd.send("start", "1", map[string]any{"query": "subscription { idle }"}) // the legacy protocol's word
	odd.closedWith(4400)
}

// An Init error refuses the connection: 4403 with its message, or the code
// and reason of a *Refusal; graphql-ws clients get connection_error first.
func TestTransport_ARefusedInitClosesWithItsCode(t *testing.T) {
	t.Parallel()
	refusals := map[string]error{
		"plain":   errors.New("who are you?"),
		"later":   &socket.Refusal{Code: socket.CloseTryAgainLater, Reason: "too many", Err: errors.New("too many connections")},
		"ours":    &socket.Refusal{Code: socket.CloseInternal, Reason: "internal server error", Err: errors.New("internal server error")},
		"invalid": &socket.Refusal{Code: socket.CloseBadMessage, Reason: "token given twice", Err: errors.New("token given twice")},
	}
	s := newServer(t, &socket.Transport{Init: func(ctx context.Context, payload map[string]any) (context.Context, error) {
		return nil, refusals[payload["as"].(string)]
	}})
	for _, tc := range []struct {
		as, reason, told string
		code             int
	}{
		{"plain", "who are you?", "who are you?", 4403},
		{"later", "too many", "too many connections", 1013},
		{"ours", "internal server error", "internal server error", 1011},
		{"invalid", "token given twice", "token given twice", 4400},
	} {
		for _, proto := range protocols {
			c := s.dial(t, proto)
			c.send("connection_init", "", map[string]string{"as": tc.as})
			if proto == legacyWS {
				if m := c.expect("connection_error", ""); !strings.Contains(string(m.Payload), tc.told) {
					t.Fatalf("%s: connection_error %s, want %q", tc.as, m.Payload, tc.told)
				}
			}
			if reason := c.closedWith(tc.code); reason != tc.reason {
				t.Fatalf("%s %s: reason %q, want %q", proto, tc.as, reason, tc.reason)
			}
		}
	}
}

func TestTransport_ClosesWith4408WithoutConnectionInitInTime(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{InitTimeout: 100 * time.Millisecond})
	for _, proto := range protocols {
		on := s.connect(t, proto) // first, so that its deadline passes first
		late := s.dial(t, proto)  // never sends connection_init
		late.closedWith(4408)
		on.start("1", "{ hello }") // past the timeout, and still open
		on.expect(wordsOf(proto).next, "1")
	}
}

// Each of these, after the ack, closes the connection with its code.
func TestTransport_MisusesOfTheProtocolCloseWithTheirCode(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{})
	for _, tc := range []struct {
		name, reason string
		code         int
		protos       []string
		send         func(c *client)
	}{
		{"a second init", "too many initialisation requests", 4429, protocols, func(c *client) {
			c.send("connection_init", "", nil)
		}},
		{"a running operation's id again", "subscriber for same already exists", 4409, protocols, func(c *client) {
			c.start("same", "subscription { idle }")
			c.start("same", "subscription { idle }")
		}},
		{"connection_terminate", "terminated", 1000, []string{legacyWS}, func(c *client) {
			c.send("connection_terminate", "", nil)
		}},
	} {
		for _, proto := range tc.protos {
			c := s.connect(t, proto)
			tc.send(c)
			if reason := c.closedWith(tc.code); reason != tc.reason {
				t.Fatalf("%s, %s: reason %q, want %q", tc.name, proto, reason, tc.reason)
			}
		}
	}
	waitFor(t, "the streams to end with their connections", func() bool { return s.schema.idle.Load() == 0 })
}

// Over MaxConnections a connection is closed at once with 1013, which
// graphql-ws clients retry with backoff; a closed one frees its place.
func TestTransport_ConnectionsOverTheCapAre1013(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{MaxConnections: 2})
	first := s.connect(t, transportWS)
	s.connect(t, legacyWS)
	s.dial(t, transportWS).closedWith(1013)
	if n := s.tr.Open(); n != 2 {
		t.Fatalf("%d connections open, want 2", n)
	}
	first.ws.Close(websocket.StatusNormalClosure, "") //nolint:errcheck // the test reads the count
	waitFor(t, "the first connection to end", func() bool { return s.tr.Open() == 1 })
	s.connect(t, transportWS)
}

func TestTransport_ATransportWSClientThatDoesNotAnswerPingsIs4504(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{KeepAlive: 100 * time.Millisecond})
	c := s.connect(t, transportWS)
	c.closedWith(4504) // reads the pings, never answers them
}

// GoAway closes every connection with 1001, ends their operations, and
// returns once the closing handshakes are done.
func TestTransport_GoAwayClosesEveryConnectionWith1001(t *testing.T) {
	t.Parallel()
	var closed atomic.Int32
	s := newServer(t, &socket.Transport{Closed: func(context.Context) { closed.Add(1) }})
	var clients []*client
	for _, proto := range protocols {
		c := s.connect(t, proto)
		c.start("1", "subscription { idle }")
		clients = append(clients, c)
	}
	waitFor(t, "the subscriptions", func() bool { return s.schema.idle.Load() == 2 })
	s.tr.GoAway(5 * time.Second)
	if n := s.tr.Open(); n != 0 {
		t.Fatalf("GoAway returned with %d connections open", n)
	}
	for _, c := range clients {
		c.closedWith(1001)
	}
	if n := closed.Load(); n != 2 {
		t.Fatalf("Closed ran %d times, want once per connection", n)
	}
	waitFor(t, "the streams to end", func() bool { return s.schema.idle.Load() == 0 })
}

func TestTransport_AMessageOverTheReadLimitIs1009(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{ReadLimit: 1 << 10})
	c := s.connect(t, transportWS)
	c.send("subscribe", "1", map[string]any{"query": strings.Repeat(" ", 1<<10) + "{ hello }"})
	c.closedWith(int(websocket.StatusMessageTooBig))
}

// A client that stops reading while the server has results for it is
// closed once a write has waited for it longer than WriteTimeout; one
// that reads stays.
func TestTransport_AClientThatDoesNotReadIsClosedAfterTheWriteTimeout(t *testing.T) {
	t.Parallel()
	s := newServer(t, &socket.Transport{WriteTimeout: 300 * time.Millisecond})
	reader := s.connect(t, "graphql-transport-ws")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stuck, _, err := websocket.Dial(ctx, s.url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stuck.CloseNow() })
	for _, m := range []string{`{"type":"connection_init"}`, `{"id":"1","type":"subscribe","payload":{"query":"subscription { count(to: 100000000) }"}}`} {
		if err := stuck.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	// The results fill the socket buffers, then a write waits: the
	// watchdog closes the connection.
	deadline := time.Now().Add(20 * time.Second)
	for s.tr.Open() > 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := s.tr.Open(); n != 1 {
		t.Fatalf("%d connections open, want only the reader's", n)
	}
	reader.start("2", "{ hello }") // the reader's connection still answers
	reader.expect("next", "2")
}
