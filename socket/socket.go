// Package socket serves GraphQL over WebSocket in both protocols clients
// speak: graphql-transport-ws (graphql-ws's createClient, Apollo's
// GraphQLWsLink) and the legacy graphql-ws (subscriptions-transport-ws).
//
// It takes the place of gqlgen's WebSocket transport, which keeps four
// goroutines per connection and one per subscription. Here an idle
// connection holds one goroutine, the one reading it: keep-alives run on
// timers, operations on short-lived goroutines, and a subscription's next
// result is read only when its stream says one is ready: resolvers open
// their streams through Stream, which hands each stream that signal as a
// plain function. That is what keeps an idle subscribed connection small.
//
// The package knows GraphQL only through gqlgen's executor and nothing of
// the application: who may connect is its Init hook's answer, what a
// subscription streams is its resolver's.
package socket

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
)

// Close codes, from the graphql-transport-ws protocol where it has one.
const (
	CloseNormal       = 1000
	CloseGoingAway    = 1001
	CloseInternal     = 1011
	CloseBadMessage   = 4400
	CloseUnauthorized = 4401
	CloseForbidden    = 4403
	CloseInitTimeout  = 4408
	CloseDuplicateID  = 4409
	CloseTooManyInits = 4429
	// CloseTryAgainLater refuses a connection over a cap: graphql-ws
	// clients retry it with backoff, where they give up on 4429.
	CloseTryAgainLater  = 1013
	ClosePongTimeout    = 4504
	defaultWriteTimeout = 10 * time.Second
	initPayloadMaxKeys  = 64
)

// Transport is a gqlgen transport for WebSocket upgrades.
type Transport struct {
	// Accept is passed to coder/websocket (its OriginPatterns in particular).
	Accept websocket.AcceptOptions
	// Init checks connection_init's payload and returns the context of the
	// connection's operations. An error refuses the connection: with the
	// code and reason of a *Refusal, or 4403 and its message.
	Init func(ctx context.Context, payload map[string]any) (context.Context, error)
	// Closed is called when a connection that Init accepted ends.
	Closed func(ctx context.Context)
	// InitTimeout bounds the wait for connection_init (4408 after it).
	InitTimeout time.Duration
	// KeepAlive is the interval of pings (graphql-transport-ws; a client
	// silent for two of them is closed with 4504) and of "ka" messages
	// (graphql-ws). Zero disables both.
	KeepAlive time.Duration
	// ReadLimit bounds the size of a client message.
	ReadLimit int64
	// MaxConnections caps the open connections; zero means no cap.
	MaxConnections int
	// MaxOperationsPerConnection caps the running operations (queries and
	// mutations as well as subscriptions) of one connection; zero means no
	// cap.
	MaxOperationsPerConnection int
	// WriteTimeout is how long a client may take to accept a message
	// before its connection is closed: 10 s when zero. It is checked
	// every half of it, so a stuck write ends within 1.5 times it.
	WriteTimeout time.Duration

	mu       sync.Mutex
	conns    map[*conn]struct{}
	watching bool // watchWrites runs
}

// Refusal is an Init error that says how to close the connection.
type Refusal struct {
	Code   int
	Reason string // sent in the close frame
	Err    error  // what the client is told (graphql-ws connection_error)
}

func (r *Refusal) Error() string { return r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

var _ graphql.Transport = (*Transport)(nil)

// Supports implements graphql.Transport.
func (t *Transport) Supports(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }

// Do implements graphql.Transport: it upgrades the request and leaves the
// connection to a goroutine of its own.
func (t *Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	opts := t.Accept
	opts.Subprotocols = []string{transportWS.name, legacyWS.name}
	ws, err := websocket.Accept(smallBuffers{w}, r, &opts)
	if err != nil {
		return // Accept has answered the request
	}
	if t.ReadLimit > 0 {
		ws.SetReadLimit(t.ReadLimit)
	}
	c := newConn(t, ws, r, exec)
	if !t.add(c) {
		go ws.Close(CloseTryAgainLater, "too many connections to this server") //nolint:errcheck // closing anyway
		return
	}
	// A fresh goroutine reads the connection: this one's stack has grown
	// through the middleware and the upgrade, and it would keep that size
	// for as long as the connection is open.
	go func() {
		defer close(c.done)
		defer t.remove(c)
		c.serve()
	}()
}

func (t *Transport) add(c *conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conns == nil {
		t.conns = map[*conn]struct{}{}
	}
	if t.MaxConnections > 0 && len(t.conns) >= t.MaxConnections {
		return false
	}
	t.conns[c] = struct{}{}
	if !t.watching {
		t.watching = true
		go t.watchWrites()
	}
	return true
}

// epoch is where monotonic counts from.
var epoch = time.Now()

// monotonic is the time since epoch on the monotonic clock, never 0.
func monotonic() int64 { return int64(time.Since(epoch)) + 1 }

func (t *Transport) writeTimeout() time.Duration {
	if t.WriteTimeout > 0 {
		return t.WriteTimeout
	}
	return defaultWriteTimeout
}

// watchWrites closes, at once and without a closing handshake, the
// connections whose write has waited for the client longer than the write
// timeout: their blocked write then fails. One goroutine for all
// connections, which ends when there are none.
func (t *Transport) watchWrites() {
	limit := t.writeTimeout()
	tick := time.NewTicker(limit / 2)
	defer tick.Stop()
	var stuck []*conn
	for range tick.C {
		now := monotonic()
		t.mu.Lock()
		if len(t.conns) == 0 {
			t.watching = false
			t.mu.Unlock()
			return
		}
		for c := range t.conns {
			if since := c.writingSince.Load(); since != 0 && time.Duration(now-since) > limit {
				stuck = append(stuck, c)
			}
		}
		t.mu.Unlock()
		for _, c := range stuck {
			c.ws.CloseNow() //nolint:errcheck // closing anyway
		}
		stuck = stuck[:0]
	}
}

func (t *Transport) remove(c *conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.conns, c)
}

// Open is the number of open connections.
func (t *Transport) Open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}

// GoAway closes every connection with 1001 so that clients reconnect
// elsewhere, and waits up to wait for the closing handshakes: a process
// that exits sooner leaves its clients with 1006 instead.
func (t *Transport) GoAway(wait time.Duration) {
	t.mu.Lock()
	conns := make([]*conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.close(CloseGoingAway, "server shutting down")
	}
	deadline := time.After(wait)
	for _, c := range conns {
		select {
		case <-c.done:
		case <-deadline:
			return
		}
	}
}
