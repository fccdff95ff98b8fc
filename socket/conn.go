package socket

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// conn is one WebSocket connection.
type conn struct {
	t       *Transport
	ws      *websocket.Conn
	proto   *protocol
	exec    graphql.GraphExecutor
	headers http.Header
	base    context.Context // the connection's, ended when it is
	cancel  context.CancelFunc

	done     chan struct{} // closed when the connection has ended
	lastRead atomic.Int64  // unix nanoseconds of the last client message
	// writeMu makes one write at a time wait for the client, so that
	// writingSince (monotonic(), 0 when idle) times the one that does.
	writeMu      sync.Mutex
	writingSince atomic.Int64
	initTimer    *time.Timer
	keepAlive    *time.Timer

	mu       sync.Mutex
	accepted bool            // Init succeeded: Closed is owed
	ctx      context.Context // of the operations, from Init
	inits    int
	ops      map[string]*operation
	closed   bool
}

func newConn(t *Transport, ws *websocket.Conn, r *http.Request, exec graphql.GraphExecutor) *conn {
	// The request's context ends when Do returns; its values stay.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	return &conn{t: t, ws: ws, proto: protocolOf(ws.Subprotocol()), exec: exec, headers: r.Header,
		base: ctx, cancel: cancel, ops: map[string]*operation{}, done: make(chan struct{})}
}

// serve reads the client's messages until the connection ends. This is the
// connection's only goroutine while nothing happens.
func (c *conn) serve() {
	defer c.end()
	if c.t.InitTimeout > 0 {
		c.initTimer = time.AfterFunc(c.t.InitTimeout, func() {
			if c.initCount() == 0 {
				c.close(CloseInitTimeout, "connection initialisation timeout")
			}
		})
	}
	for {
		typ, data, err := c.ws.Read(c.base)
		if err != nil {
			return // closed by either side; the close frame carries why
		}
		c.lastRead.Store(time.Now().UnixNano())
		if !onFreshStack(func() bool { return c.receive(typ, data) }) {
			return
		}
	}
}

// onFreshStack runs f on a new goroutine and waits for it. The reading
// goroutine lives as long as the connection, and a stack grows but is not
// given back: decoding, authenticating and writing would keep it at 8 KiB
// where reading alone needs much less.
func onFreshStack(f func() bool) bool {
	done := make(chan bool, 1)
	go func() { done <- f() }()
	return <-done
}

// receive decodes and handles one client message; false ends the connection.
func (c *conn) receive(typ websocket.MessageType, data []byte) bool {
	var m message
	if typ != websocket.MessageText || json.Unmarshal(data, &m) != nil || m.Type == "" {
		c.close(CloseBadMessage, "invalid message")
		return false
	}
	return c.handle(m)
}

// handle acts on one client message; false ends the connection.
func (c *conn) handle(m message) bool {
	switch m.Type {
	case typeInit:
		return c.init(m.Payload)
	case c.proto.subscribe:
		if c.initCount() == 0 {
			c.close(CloseUnauthorized, "unauthorized")
			return false
		}
		return c.start(m)
	case c.proto.stop:
		c.stop(m.ID)
	case typePing:
		if c.proto.legacy {
			return c.unexpected(m.Type)
		}
		c.write(message{Type: typePong, Payload: m.Payload})
	case typePong:
		if c.proto.legacy {
			return c.unexpected(m.Type)
		}
	case typeTerm:
		if !c.proto.legacy {
			return c.unexpected(m.Type)
		}
		c.close(CloseNormal, "terminated")
		return false
	default:
		return c.unexpected(m.Type)
	}
	return true
}

func (c *conn) unexpected(typ string) bool {
	c.connectionError(errors.New("unexpected message " + typ))
	c.close(CloseBadMessage, "invalid message type")
	return false
}

func (c *conn) initCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inits
}

// init answers connection_init once, as Init decides.
func (c *conn) init(raw json.RawMessage) bool {
	c.mu.Lock()
	c.inits++
	again := c.inits > 1
	c.mu.Unlock()
	if again {
		c.close(CloseTooManyInits, "too many initialisation requests")
		return false
	}
	if c.initTimer != nil {
		c.initTimer.Stop()
	}
	payload, ok := initPayload(raw)
	if !ok {
		c.close(CloseBadMessage, "invalid connection_init payload")
		return false
	}
	ctx := c.base
	if c.t.Init != nil {
		var err error
		if ctx, err = c.t.Init(c.base, payload); err != nil {
			c.refuse(err)
			return false
		}
	}
	c.mu.Lock()
	c.ctx, c.accepted = ctx, true // even if closed meanwhile: end must call Closed
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return false
	}
	c.lastRead.Store(time.Now().UnixNano()) // Init may have been slow: count from the ack
	c.write(message{Type: typeAck})
	if c.t.KeepAlive > 0 {
		if c.proto.legacy {
			c.write(message{Type: typeKA})
		}
		c.mu.Lock()
		c.keepAlive = time.AfterFunc(c.t.KeepAlive, c.ping)
		c.mu.Unlock()
	}
	return true
}

// refuse closes the connection after a failed Init.
func (c *conn) refuse(err error) {
	code, reason := CloseForbidden, err.Error()
	var r *Refusal
	if errors.As(err, &r) {
		code, reason = r.Code, r.Reason
	}
	c.connectionError(err)
	c.close(code, reason)
}

// connectionError tells a graphql-ws client why it is being closed.
func (c *conn) connectionError(err error) {
	if c.proto.legacy {
		b, _ := json.Marshal(&gqlerror.Error{Message: err.Error()})
		c.write(message{Type: typeConnErr, Payload: b})
	}
}

// ping keeps the connection alive through proxies and notices clients
// gone silent: a graphql-transport-ws client answers each ping with a pong.
func (c *conn) ping() {
	keepAlive := message{Type: typeKA}
	if !c.proto.legacy {
		if time.Since(time.Unix(0, c.lastRead.Load())) > 2*c.t.KeepAlive+time.Second {
			c.close(ClosePongTimeout, "no pong")
			return
		}
		keepAlive.Type = typePing
	}
	c.write(keepAlive)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.keepAlive.Reset(c.t.KeepAlive)
	}
}

// write sends one message; a client too slow to take it within the
// transport's WriteTimeout is closed.
func (c *conn) write(m message) { c.writeEncoded(m.encode()) }

// writeEncoded sends an encoded message. Its time is bounded by the
// transport's watchdog (watchWrites), not by a context of its own: a
// timer per message was a fifth of the allocations of a chat's fan-out.
func (c *conn) writeEncoded(b []byte) {
	c.writeMu.Lock()
	c.writingSince.Store(monotonic())
	err := c.ws.Write(context.Background(), websocket.MessageText, b)
	c.writingSince.Store(0)
	c.writeMu.Unlock()
	if err != nil {
		c.close(CloseGoingAway, "write failed")
	}
}

// close ends the connection with code, once, and stops its operations.
// The closing handshake runs on its own goroutine: it waits for the client.
func (c *conn) close(code int, reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	ops := c.ops
	c.ops = map[string]*operation{}
	c.mu.Unlock()
	for _, op := range ops {
		op.cancel()
	}
	go c.ws.Close(websocket.StatusCode(code), reason) //nolint:errcheck // closing anyway
}

// end releases what the connection held once it stops being read.
func (c *conn) end() {
	c.close(CloseNormal, "")
	if c.initTimer != nil {
		c.initTimer.Stop()
	}
	c.mu.Lock()
	if c.keepAlive != nil {
		c.keepAlive.Stop()
	}
	accepted, ctx := c.accepted, c.ctx
	c.mu.Unlock()
	c.cancel()
	if accepted && c.t.Closed != nil {
		c.t.Closed(ctx)
	}
}
