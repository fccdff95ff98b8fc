package socket_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/gqlchat/gqlchat/socket"
)

// The two subprotocols, as clients name them.
const (
	transportWS = "graphql-transport-ws"
	legacyWS    = "graphql-ws"
)

var protocols = []string{transportWS, legacyWS}

// words are the message types that differ between the protocols.
type words struct{ subscribe, stop, next string }

func wordsOf(proto string) words {
	if proto == legacyWS {
		return words{subscribe: "start", stop: "stop", next: "data"}
	}
	return words{subscribe: "subscribe", stop: "complete", next: "next"}
}

// testSchema is the transport's own little API, so that its tests need
// nothing of the application's. It executes by hand what gqlgen's
// generated code would, subscriptions opening their streams through
// socket.Stream as the application's resolvers do.
type testSchema struct {
	schema *ast.Schema
	idle   atomic.Int64 // idle streams open
}

const testSDL = `
type Query { hello: String! }
type Subscription {
	"1, 2, ... up to to, then the stream ends"
	count(to: Int!): Int!
	"nothing, until the operation stops"
	idle: Int!
	"a stream that fails to open"
	broken: Int!
}`

// nameKey carries the name that the test's Init takes from the payload.
type nameKey struct{}

func (s *testSchema) exec(ctx context.Context) graphql.ResponseHandler {
	op := graphql.GetOperationContext(ctx)
	if op.Operation.Operation == ast.Subscription {
		return s.subscribe(ctx, op.Operation.SelectionSet[0].(*ast.Field), op.Variables)
	}
	data := map[string]any{}
	for _, sel := range op.Operation.SelectionSet {
		f := sel.(*ast.Field)
		switch f.Name {
		case "__typename":
			data[f.Alias] = "Query"
		case "hello":
			name, _ := ctx.Value(nameKey{}).(string)
			data[f.Alias] = "hello " + name
		}
	}
	b, _ := json.Marshal(data)
	return graphql.OneShot(&graphql.Response{Data: b})
}

func (s *testSchema) subscribe(ctx context.Context, f *ast.Field, vars map[string]any) graphql.ResponseHandler {
	var open func(ready func()) (<-chan int64, error)
	switch f.Name {
	case "count":
		to, _ := f.ArgumentMap(vars)["to"].(int64)
		open = func(ready func()) (<-chan int64, error) { return count(ctx, to, ready), nil }
	case "idle":
		open = s.openIdle(ctx)
	default:
		open = func(func()) (<-chan int64, error) { return nil, errors.New("the stream failed to open") }
	}
	ch, err := socket.Stream(ctx, open)
	if err != nil {
		return graphql.OneShot(graphql.ErrorResponse(ctx, "%s", err))
	}
	return func(ctx context.Context) *graphql.Response {
		select {
		case v, ok := <-ch:
			if !ok {
				return nil
			}
			return &graphql.Response{Data: fmt.Appendf(nil, `{%q:%d}`, f.Alias, v)}
		case <-ctx.Done():
			return nil
		}
	}
}

// count streams 1 to n, calling ready after each value and after closing.
func count(ctx context.Context, n int64, ready func()) <-chan int64 {
	ch := make(chan int64, 1)
	go func() {
		defer ready()
		defer close(ch)
		for i := int64(1); i <= n; i++ {
			select {
			case ch <- i:
				ready()
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// openIdle opens a stream that holds no goroutine and closes when ctx ends.
func (s *testSchema) openIdle(ctx context.Context) func(ready func()) (<-chan int64, error) {
	return func(ready func()) (<-chan int64, error) {
		ch := make(chan int64)
		s.idle.Add(1)
		context.AfterFunc(ctx, func() {
			close(ch)
			s.idle.Add(-1)
			ready()
		})
		return ch, nil
	}
}

// testServer is tr mounted in a gqlgen handler of the test schema.
type testServer struct {
	url    string
	tr     *socket.Transport
	schema *testSchema
}

func newServer(t *testing.T, tr *socket.Transport) *testServer {
	t.Helper()
	s := &testSchema{schema: gqlparser.MustLoadSchema(&ast.Source{Input: testSDL})}
	h := handler.New(&graphql.ExecutableSchemaMock{
		ExecFunc:   s.exec,
		SchemaFunc: func() *ast.Schema { return s.schema },
	})
	h.AddTransport(tr)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &testServer{url: "ws" + strings.TrimPrefix(srv.URL, "http"), tr: tr, schema: s}
}

// message is one protocol message as the client sees it.
type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// client is a raw protocol client. Its messages are read on a goroutine of
// its own, because coder/websocket closes a connection whose read is
// cancelled; keep-alives are delivered like any message.
type client struct {
	t     *testing.T
	ws    *websocket.Conn
	proto string
	in    chan message
	err   error // why in closed
}

func (s *testServer) dial(t *testing.T, proto string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, s.url, &websocket.DialOptions{Subprotocols: []string{proto}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	c := &client{t: t, ws: ws, proto: proto, in: make(chan message, 64)}
	go c.receive()
	return c
}

func (c *client) receive() {
	defer close(c.in)
	for {
		_, raw, err := c.ws.Read(context.Background())
		if err == nil {
			var m message
			if err = json.Unmarshal(raw, &m); err == nil {
				c.in <- m
				continue
			}
		}
		c.err = err
		return
	}
}

// sendRaw writes a text frame as it is.
func (c *client) sendRaw(text string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(text)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// send writes a message; a nil payload is left out.
func (c *client) send(typ, id string, payload any) {
	c.t.Helper()
	m := message{ID: id, Type: typ}
	if payload != nil {
		m.Payload, _ = json.Marshal(payload)
	}
	b, _ := json.Marshal(m)
	c.sendRaw(string(b))
}

// next returns the next message, or the error that closed the connection.
func (c *client) next() (message, error) {
	select {
	case m, open := <-c.in:
		if !open {
			return message{}, c.err
		}
		return m, nil
	case <-time.After(5 * time.Second):
		return message{}, errors.New("no message within 5s")
	}
}

// expect reads the next message and fails unless it has typ and id.
func (c *client) expect(typ, id string) message {
	c.t.Helper()
	m, err := c.next()
	if err != nil || m.Type != typ || m.ID != id {
		c.t.Fatalf("%s: got %+v (%s) %v, want %s %q", c.proto, m, m.Payload, err, typ, id)
	}
	return m
}

// init sends connection_init and expects connection_ack.
func (c *client) init(payload any) {
	c.t.Helper()
	c.send("connection_init", "", payload)
	c.expect("connection_ack", "")
}

// connect dials and initialises a connection without a payload.
func (s *testServer) connect(t *testing.T, proto string) *client {
	t.Helper()
	c := s.dial(t, proto)
	c.init(nil)
	return c
}

// start begins an operation with the protocol's word for it.
func (c *client) start(id, query string) {
	c.t.Helper()
	c.send(wordsOf(c.proto).subscribe, id, map[string]any{"query": query})
}

// closedWith reads until the server closes the connection, skipping what
// comes before (a graphql-ws connection_error, typically), and fails
// unless it closed with code; it returns the close frame's reason.
func (c *client) closedWith(code int) string {
	c.t.Helper()
	for {
		_, err := c.next()
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) || int(ce.Code) != code {
			c.t.Fatalf("%s: closed with %v, want %d", c.proto, err, code)
		}
		return ce.Reason
	}
}

// waitFor waits up to 5s for cond.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
