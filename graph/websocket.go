package graph

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/socket"
)

// initFunc authenticates a WebSocket connection from its connection_init
// payload: {"authorization": "Bearer <token>"}, the key in any case. A
// connection without a token stays anonymous; a bad token closes it.
func initFunc(svc *chat.Service, users *userConns) func(context.Context, map[string]any) (context.Context, error) {
	return func(ctx context.Context, payload map[string]any) (context.Context, error) {
		ctx = context.WithValue(ctx, websocketKey{}, true)
		token := ""
		for k, v := range payload {
			if s, ok := v.(string); ok && strings.EqualFold(k, "authorization") {
				token = chat.BearerToken(s)
			}
		}
		v := chat.ViewerFrom(ctx) // from an Authorization header on the upgrade, if any
		if token != "" {
			var err error
			if v, err = svc.Authenticate(ctx, token); err != nil {
				return nil, refuse(ctx, err)
			}
			ctx = context.WithValue(ctx, authErrorKey{}, nil) // the payload's token overrides the header's
		} else if err, _ := ctx.Value(authErrorKey{}).(error); err != nil {
			return nil, refuse(ctx, err)
		}
		if v == nil {
			return ctx, nil
		}
		if !users.open(v.UserID) {
			return nil, &socket.Refusal{Code: socket.CloseTryAgainLater, Reason: "too many connections for this user",
				Err: chat.Errorf(chat.CodeRateLimited, "too many connections for this user")}
		}
		ctx = context.WithValue(ctx, countedKey{}, v.UserID)
		return chat.WithViewer(ctx, v), nil
	}
}

// countedKey marks a connection that userConns counted, with its user id.
type countedKey struct{}

// userConns counts each user's open connections.
type userConns struct {
	max int
	mu  sync.Mutex
	n   map[int64]int
}

func newUserConns(max int) *userConns { return &userConns{max: max, n: map[int64]int{}} }

// open counts one more connection of userID unless it has max already.
func (u *userConns) open(userID int64) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n[userID] >= u.max {
		return false
	}
	u.n[userID]++
	return true
}

// closed gives back the count of a connection that ended.
func (u *userConns) closed(ctx context.Context) {
	userID, ok := ctx.Value(countedKey{}).(int64)
	if !ok {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n[userID]--; u.n[userID] <= 0 {
		delete(u.n, userID)
	}
}

// refuse closes the connection: 4403 for a bad token, 1011 for a failure
// of ours (logged, never described to the client).
func refuse(ctx context.Context, err error) error {
	if chat.ErrorCode(err) != chat.CodeUnauthenticated {
		slog.ErrorContext(ctx, "websocket init", "err", err, "request_id", RequestID(ctx))
		return &socket.Refusal{Code: socket.CloseInternal, Reason: "internal server error", Err: errors.New("internal server error")}
	}
	return &socket.Refusal{Code: socket.CloseForbidden, Reason: "unauthenticated: " + err.Error(), Err: err}
}

// websocketKey marks the context of a WebSocket connection.
type websocketKey struct{}

func overWebSocket(ctx context.Context) bool { return ctx.Value(websocketKey{}) != nil }

// subscriptionCaps bounds the running subscriptions of each user and of the
// instance; a subscription gives its place back when its context ends.
type subscriptionCaps struct {
	perUser, total int
	mu             sync.Mutex
	n              map[int64]int
	all            int
}

func newSubscriptionCaps(perUser, total int) *subscriptionCaps {
	return &subscriptionCaps{perUser: perUser, total: total, n: map[int64]int{}}
}

// take counts a subscription of userID that lasts as long as ctx, or
// returns RATE_LIMITED.
func (c *subscriptionCaps) take(ctx context.Context, userID int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.n[userID] >= c.perUser:
		return chat.Errorf(chat.CodeRateLimited, "too many subscriptions for this user")
	case c.all >= c.total:
		return chat.Errorf(chat.CodeRateLimited, "too many subscriptions on this server")
	}
	c.n[userID]++
	c.all++
	context.AfterFunc(ctx, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.all--
		if c.n[userID]--; c.n[userID] <= 0 {
			delete(c.n, userID)
		}
	})
	return nil
}
