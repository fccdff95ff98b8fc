package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// Close codes of the graphql-ws protocols that gqlgen's transport does not
// send itself (it closes with 1000 or 1002 instead).
const (
	closeGoingAway        = 1001
	closeBadMessage       = 4400
	closeInitTimeout      = 4408
	closeDuplicateID      = 4409
	closeTooManyInits     = 4429
	closeTooManyConns     = 4429
	wsConnectionInit      = "connection_init"
	wsSubscribe, wsStart  = "subscribe", "start"
	wsComplete, wsStop    = "complete", "stop"
	wsError               = "error"
	wsInitTimeoutFallback = time.Second // gqlgen's own timeout fires this much later than ours
)

// sockets wraps gqlgen's WebSocket implementation to enforce what its
// transport does not: the protocol's close codes for a late, repeated or
// malformed message, a cap on subscriptions per connection and on
// connections per instance, and a "going away" close on shutdown.
type sockets struct {
	inner       transport.WebsocketImplementation
	initTimeout time.Duration
	maxConns    int
	maxSubs     int

	mu    sync.Mutex
	conns map[*socket]struct{}
}

func newSockets(inner transport.WebsocketImplementation, initTimeout time.Duration, maxConns, maxSubs int) *sockets {
	return &sockets{inner: inner, initTimeout: initTimeout, maxConns: maxConns, maxSubs: maxSubs, conns: map[*socket]struct{}{}}
}

// Accept implements transport.WebsocketImplementation.
func (s *sockets) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := s.inner.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	c := &socket{WebsocketConn: conn, owner: s, active: map[string]bool{}}
	s.mu.Lock()
	full := len(s.conns) >= s.maxConns
	if !full {
		s.conns[c] = struct{}{}
	}
	s.mu.Unlock()
	if full {
		conn.WriteClose(closeTooManyConns, "too many connections to this server") //nolint:errcheck // closing anyway
		conn.Close()
		return nil, errors.New("websocket: connection limit reached")
	}
	c.initTimer = time.AfterFunc(s.initTimeout, func() { c.abort(closeInitTimeout, "connection initialisation timeout") })
	return c, nil
}

// Open is the number of open WebSocket connections.
func (s *sockets) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// GoAway closes every connection with 1001 so that clients reconnect elsewhere.
func (s *sockets) GoAway() {
	s.mu.Lock()
	conns := make([]*socket, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.abort(closeGoingAway, "server shutting down")
	}
}

// socket is one connection, watched message by message.
type socket struct {
	transport.WebsocketConn
	owner     *sockets
	initTimer *time.Timer

	mu     sync.Mutex
	inits  int
	active map[string]bool // client operation ids not yet complete
	closed bool
}

// NextReader reads each client message whole to check it before gqlgen does.
func (c *socket) NextReader() (int, io.Reader, error) {
	for {
		typ, r, err := c.WebsocketConn.NextReader()
		if err != nil {
			return typ, r, err
		}
		raw, err := io.ReadAll(r)
		if err != nil {
			return typ, nil, err
		}
		var m struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if json.Unmarshal(raw, &m) != nil || m.Type == "" {
			return typ, nil, c.abort(closeBadMessage, "invalid message")
		}
		if err, skip := c.check(m.Type, m.ID); err != nil || skip {
			if err != nil {
				return typ, nil, err
			}
			continue
		}
		return typ, bytes.NewReader(raw), nil
	}
}

// check applies the protocol's rules to one client message; skip drops it.
func (c *socket) check(typ, id string) (err error, skip bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch typ {
	case wsConnectionInit:
		c.inits++
		c.initTimer.Stop()
		if c.inits > 1 {
			return c.abortLocked(closeTooManyInits, "too many initialisation requests"), false
		}
	case wsSubscribe, wsStart:
		if c.active[id] {
			return c.abortLocked(closeDuplicateID, "subscriber for "+id+" already exists"), false
		}
		if len(c.active) >= c.owner.maxSubs {
			c.WebsocketConn.WriteJSON(map[string]any{"id": id, "type": wsError, "payload": []map[string]any{{ //nolint:errcheck // a dead peer shows on the next read
				"message": "too many subscriptions on this connection", "extensions": map[string]any{"code": "RATE_LIMITED"},
			}}})
			return nil, true
		}
		c.active[id] = true
	case wsComplete, wsStop:
		delete(c.active, id)
	}
	return nil, false
}

// WriteJSON notes the operations the server completes.
func (c *socket) WriteJSON(v any) error {
	if raw, err := json.Marshal(v); err == nil {
		var m struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if json.Unmarshal(raw, &m) == nil && (m.Type == wsComplete || m.Type == wsError) {
			c.mu.Lock()
			delete(c.active, m.ID)
			c.mu.Unlock()
		}
	}
	return c.WebsocketConn.WriteJSON(v)
}

// Close forgets the connection.
func (c *socket) Close() error {
	c.initTimer.Stop()
	c.owner.mu.Lock()
	delete(c.owner.conns, c)
	c.owner.mu.Unlock()
	return c.WebsocketConn.Close()
}

func (c *socket) abort(code int, reason string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.abortLocked(code, reason)
}

func (c *socket) abortLocked(code int, reason string) error {
	if !c.closed {
		c.closed = true
		c.WebsocketConn.WriteClose(code, reason) //nolint:errcheck // closing anyway
		c.WebsocketConn.Close()
	}
	return transport.ErrWebsocketClosed
}

// SetReadLimit passes gqlgen's message size limit on.
func (c *socket) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

// SetReadDeadline passes gqlgen's pong deadline on.
func (c *socket) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
