package chat

import (
	"context"
	"sync"
	"time"
)

// Connection is one authenticated WebSocket of a user: while it is open
// the user is online (presence.go), and a typing indicator it set ends
// when it closes (typing.go). The transport opens it once the connection
// is authenticated and closes it when the socket ends; HTTP requests have
// none. It also ends, the socket staying open, when its session does
// (connSessions).
type Connection struct {
	userID, sessionID int64

	mu     sync.Mutex
	typing set[int64] // chats where this connection last set the user typing
	closed bool
	expiry *time.Timer // the session's end
}

type connectionKey struct{}

// connectionFrom returns the connection of ctx, or nil over HTTP.
func connectionFrom(ctx context.Context) *Connection {
	c, _ := ctx.Value(connectionKey{}).(*Connection)
	return c
}

// OpenConnection records a WebSocket of the viewer in ctx and returns the
// context of its operations; anonymous connections get none. It counts the
// user online (see presence.go); a failure to write that is logged and
// repaired by the heartbeat, never refused: presence must not cost a
// client its connection.
func (s *Service) OpenConnection(ctx context.Context) context.Context {
	v := ViewerFrom(ctx)
	if v == nil {
		return ctx
	}
	c := &Connection{userID: v.UserID, sessionID: v.SessionID, typing: set[int64]{}}
	ctx = context.WithValue(ctx, connectionKey{}, c)
	s.presence.opened(ctx, v.UserID)
	s.connSessions.add(c, v)
	return ctx
}

// CloseConnection ends the connection of ctx, opened by OpenConnection:
// the typing it set stops, and the user goes offline once they have no
// connection left anywhere (after the debounce).
func (s *Service) CloseConnection(ctx context.Context) {
	if c := connectionFrom(ctx); c != nil {
		s.endConnection(context.WithoutCancel(ctx), c)
	}
}

// endConnection ends c once, whether its socket closed or its session
// ended.
func (s *Service) endConnection(ctx context.Context, c *Connection) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	chats := c.typing.list()
	expiry := c.expiry
	c.mu.Unlock()
	s.connSessions.remove(c)
	if expiry != nil {
		expiry.Stop()
	}
	for _, chatID := range chats {
		s.typing.connectionClosed(c, chatID)
	}
	s.presence.closed(ctx, c.userID)
}

// setTyping records that c set its user typing in chatID (or stopped).
func (c *Connection) setTyping(chatID int64, typing bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if typing {
		c.typing.add(chatID)
	} else {
		delete(c.typing, chatID)
	}
}
