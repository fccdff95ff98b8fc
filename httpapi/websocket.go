package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/internal/requestid"
	"github.com/gqlchat/gqlchat/socket"
)

// WebSocketOptions configure the WebSocket transport and cap its use.
// A cap of zero or less caps nothing.
type WebSocketOptions struct {
	// KeepAlive is the interval of keep-alive pings.
	KeepAlive time.Duration
	// InitTimeout bounds the wait for connection_init.
	InitTimeout time.Duration
	// MaxConnections caps the open WebSockets of this instance,
	// MaxConnectionsPerUser those of one user.
	MaxConnections, MaxConnectionsPerUser int
	// MaxAnonymousConnectionsPerAddress caps the acknowledged WebSockets
	// without a viewer from one client address (clientIP's, as the rate
	// limits count it). Sockets still waiting for connection_init are not
	// counted: the init timeout ends them.
	MaxAnonymousConnectionsPerAddress int
	// MaxOperationsPerConnection caps the running operations of one
	// connection: subscriptions, and queries and mutations sent over it.
	MaxOperationsPerConnection int
	// MaxSubscriptions caps the running subscriptions of this instance,
	// MaxSubscriptionsPerUser those of one user.
	MaxSubscriptions, MaxSubscriptionsPerUser int
}

// DefaultWebSocketOptions are the WebSocket options of DefaultOptions.
var DefaultWebSocketOptions = WebSocketOptions{KeepAlive: 15 * time.Second, InitTimeout: 10 * time.Second,
	MaxConnections: 20000, MaxConnectionsPerUser: 20, MaxAnonymousConnectionsPerAddress: 50, MaxOperationsPerConnection: 50,
	MaxSubscriptions: 100000, MaxSubscriptionsPerUser: 200}

// newSockets configures the WebSocket transport of /query: the origins it
// accepts, connection_init's authentication, and the caps.
func newSockets(svc *chat.Service, opts Options) *socket.Transport {
	ws := opts.WebSocket
	users := newConnCounter[int64](ws.MaxConnectionsPerUser)
	anonymous := newConnCounter[string](ws.MaxAnonymousConnectionsPerAddress)
	return &socket.Transport{
		Accept:                     websocket.AcceptOptions{OriginPatterns: slices.Concat(opts.APIHosts, opts.OriginPatterns)},
		Init:                       initFunc(svc, users, anonymous),
		Closed:                     func(ctx context.Context) { released(ctx); svc.CloseConnection(ctx) },
		InitTimeout:                ws.InitTimeout,
		KeepAlive:                  ws.KeepAlive,
		ReadLimit:                  opts.Limits.MaxBodyBytes,
		MaxConnections:             ws.MaxConnections,
		MaxOperationsPerConnection: ws.MaxOperationsPerConnection,
	}
}

// initFunc authenticates a WebSocket connection from its connection_init
// payload: {"authorization": "Bearer <token>"}, the key in any case. A
// payload without the key stays anonymous (counted per client address);
// a key with anything but a valid bearer token closes the connection.
func initFunc(svc *chat.Service, users *connCounter[int64], anonymous *connCounter[string]) func(context.Context, map[string]any) (context.Context, error) {
	return func(ctx context.Context, payload map[string]any) (context.Context, error) {
		ctx = context.WithValue(ctx, websocketKey{}, true)
		token, present, err := initToken(payload)
		if err != nil {
			return nil, err
		}
		v := chat.ViewerFrom(ctx) // from an Authorization header on the upgrade, if any
		if present {
			if v, err = svc.Authenticate(ctx, token); err != nil {
				return nil, refuse(ctx, err)
			}
			ctx = context.WithValue(ctx, authErrorKey{}, nil) // the payload's token overrides the header's
		} else if err, _ := ctx.Value(authErrorKey{}).(error); err != nil {
			return nil, refuse(ctx, err)
		}
		if v == nil {
			release, ok := anonymous.open(clientIP(ctx))
			if !ok {
				return nil, tooMany("too many anonymous connections from this address")
			}
			return context.WithValue(ctx, releaseKey{}, release), nil
		}
		release, ok := users.open(v.UserID)
		if !ok {
			return nil, tooMany("too many connections for this user")
		}
		ctx = context.WithValue(ctx, releaseKey{}, release)
		// The user is online from here until Closed (presence, typing).
		return svc.OpenConnection(chat.WithViewer(ctx, v)), nil
	}
}

// initToken finds the bearer token of a connection_init payload; present
// is false when the payload has no authorization key. A key present with
// anything but "Bearer <token>" is refused (4403) rather than taken as
// anonymous: a client that sends a key means to log in, and an empty or
// mistyped token would otherwise leave it logged out without a word. The
// key given twice (in two cases) is a malformed payload (4400): which
// spelling wins would be arbitrary.
func initToken(payload map[string]any) (token string, present bool, err error) {
	var value any
	for k, v := range payload {
		if !strings.EqualFold(k, "authorization") {
			continue
		}
		if present {
			return "", false, &socket.Refusal{Code: socket.CloseBadMessage, Reason: "authorization given twice",
				Err: chat.Errorf(chat.CodeInvalid, "connection_init payload: authorization given twice")}
		}
		value, present = v, true
	}
	if !present {
		return "", false, nil
	}
	s, _ := value.(string)
	scheme, token, _ := strings.Cut(strings.TrimSpace(s), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "bearer") || token == "" {
		err := chat.Errorf(chat.CodeUnauthenticated, `authorization must be "Bearer <token>"`)
		return "", true, &socket.Refusal{Code: socket.CloseForbidden, Reason: "unauthenticated: " + err.Error(), Err: err}
	}
	return token, true, nil
}

func tooMany(reason string) error {
	return &socket.Refusal{Code: socket.CloseTryAgainLater, Reason: reason, Err: chat.Errorf(chat.CodeRateLimited, "%s", reason)}
}

// releaseKey holds the function that gives back the place a connection
// took under its cap (per user, or per address for anonymous ones).
type releaseKey struct{}

// released gives back the place of a connection that ended: the
// transport's Closed hook.
func released(ctx context.Context) {
	if release, ok := ctx.Value(releaseKey{}).(func()); ok {
		release()
	}
}

// connCounter counts the open connections of each user or address. A max
// of zero or less counts nothing and refuses nothing.
type connCounter[K comparable] struct {
	max int
	mu  sync.Mutex
	n   map[K]int
}

func newConnCounter[K comparable](max int) *connCounter[K] {
	return &connCounter[K]{max: max, n: map[K]int{}}
}

// open counts one more connection of key unless it has max already; the
// connection gives its place back with release, once.
func (c *connCounter[K]) open(key K) (release func(), ok bool) {
	if c.max <= 0 {
		return func() {}, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[key] >= c.max {
		return nil, false
	}
	c.n[key]++
	return sync.OnceFunc(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.n[key]--; c.n[key] <= 0 {
			delete(c.n, key)
		}
	}), true
}

// refuse closes the connection: 4403 for a bad token, 1011 for a failure
// of ours (logged, never described to the client).
func refuse(ctx context.Context, err error) error {
	if chat.ErrorCode(err) != chat.CodeUnauthenticated {
		slog.ErrorContext(ctx, "websocket init", "err", err, "request_id", requestid.FromContext(ctx))
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
	switch { // a cap of zero or less caps nothing, as the options say
	case c.perUser > 0 && c.n[userID] >= c.perUser:
		return chat.Errorf(chat.CodeRateLimited, "too many subscriptions for this user")
	case c.total > 0 && c.all >= c.total:
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
