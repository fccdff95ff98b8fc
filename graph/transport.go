package graph

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/demo"
	"github.com/gqlchat/gqlchat/metrics"
	"github.com/gqlchat/gqlchat/playground"
	"github.com/gqlchat/gqlchat/socket"
)

// Options configures the HTTP handler.
type Options struct {
	// Introspection lets clients read the schema (the playground needs it).
	Introspection bool
	// OriginPatterns are the hosts of the browser origins besides the API's
	// own that may call it, over HTTP (CORS) and WebSocket alike, as in
	// coder/websocket's AcceptOptions: "app.example.com", "localhost:*".
	OriginPatterns []string
	// APIHosts are the hosts (with port, patterns as in OriginPatterns) by
	// which clients reach the API. When set, a request naming any other Host
	// is refused (so that DNS rebinding cannot reach the API), and the API's
	// own origins are these hosts rather than whatever Host a request names.
	APIHosts []string
	// MetricsElsewhere leaves GET /metrics out of this handler: the server
	// serves Metrics on an address of its own.
	MetricsElsewhere bool
	// KeepAlive is the interval of WebSocket keep-alive pings.
	KeepAlive time.Duration
	// InitTimeout bounds the wait for connection_init.
	InitTimeout time.Duration
	// Limits bound the size and shape of requests.
	Limits Limits
	// BatchWait is how long dataloaders gather keys.
	BatchWait time.Duration
	// MaxConnections caps the open WebSockets of this instance,
	// MaxConnectionsPerUser those of one user.
	MaxConnections, MaxConnectionsPerUser int
	// MaxOperationsPerConnection caps the running operations of one
	// connection: subscriptions, and queries and mutations sent over it.
	MaxOperationsPerConnection int
	// MaxAnonymousConnectionsPerAddress caps the acknowledged WebSockets
	// without a viewer from one client address (ClientIP's, as the rate
	// limits count it). Sockets still waiting for connection_init are not
	// counted: the init timeout ends them.
	MaxAnonymousConnectionsPerAddress int
	// MaxSubscriptions caps the running subscriptions of this instance,
	// MaxSubscriptionsPerUser those of one user.
	MaxSubscriptions, MaxSubscriptionsPerUser int
	// RateLimits are the token buckets of mutations (per user, and per
	// client address for signUp, logIn and anonymous calls).
	RateLimits RateLimits
	// TrustForwardedFor takes the client address from X-Forwarded-For, for
	// servers behind a proxy that sets it.
	TrustForwardedFor bool
	// Metrics, if set, counts operations and serves GET /metrics.
	Metrics *metrics.Metrics
	// Ready, if set, serves GET /readyz.
	Ready http.Handler
}

// DefaultOptions are the options used where nothing else is set.
var DefaultOptions = Options{Introspection: true, KeepAlive: 15 * time.Second, InitTimeout: 10 * time.Second, Limits: DefaultLimits, BatchWait: DefaultBatchWait,
	MaxConnections: 20000, MaxConnectionsPerUser: 20, MaxAnonymousConnectionsPerAddress: 50, MaxOperationsPerConnection: 50,
	MaxSubscriptions: 100000, MaxSubscriptionsPerUser: 200,
	RateLimits: DefaultRateLimits,
}

// Handler is the whole HTTP API: the playground at /, GraphQL over HTTP
// and WebSocket at /query, and /healthz.
type Handler struct {
	http.Handler
	sockets *socket.Transport
}

// GoAway closes every WebSocket with 1001 "going away", for shutdown:
// http.Server.Shutdown neither closes nor waits for hijacked connections.
// It waits up to wait for the clients to acknowledge.
func (h *Handler) GoAway(wait time.Duration) { h.sockets.GoAway(wait) }

// OpenConnections is the number of open WebSockets.
func (h *Handler) OpenConnections() int { return h.sockets.Open() }

// NewHandler returns the API's handler.
func NewHandler(svc *chat.Service, opts Options) *Handler {
	srv := handler.New(NewExecutableSchema(Config{Resolvers: &Resolver{Chat: svc}, Complexity: complexity()}))
	if opts.Metrics != nil { // first, to count what the other extensions refuse
		srv.Use(opts.Metrics.Extension())
	}
	users := newConnCounter[int64](opts.MaxConnectionsPerUser)
	anonymous := newConnCounter[string](opts.MaxAnonymousConnectionsPerAddress)
	sockets := &socket.Transport{
		Accept:                     websocket.AcceptOptions{OriginPatterns: slices.Concat(opts.APIHosts, opts.OriginPatterns)},
		Init:                       initFunc(svc, users, anonymous),
		Closed:                     released,
		InitTimeout:                opts.InitTimeout,
		KeepAlive:                  opts.KeepAlive,
		ReadLimit:                  opts.Limits.MaxBodyBytes,
		MaxConnections:             opts.MaxConnections,
		MaxOperationsPerConnection: opts.MaxOperationsPerConnection,
	}
	if opts.Metrics != nil {
		opts.Metrics.WatchWebSockets(sockets.Open)
	}
	srv.AddTransport(sockets)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(httpTransport{})
	srv.AddTransport(otherRequests{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(surrogateEscapes{}) // after APQ, which fills in the query of a request by hash
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.SetDisableSuggestion(!opts.Introspection) // suggestions would reveal the schema
	srv.SetParserTokenLimit(opts.Limits.MaxTokens)
	srv.Use(shapeLimit{opts.Limits})
	srv.Use(extension.FixedComplexityLimit(opts.Limits.MaxComplexity))
	srv.SetErrorPresenter(presentError)
	srv.SetRecoverFunc(recoverPanic)
	srv.AroundOperations(refuseBadToken(svc, newSubscriptionCaps(opts.MaxSubscriptionsPerUser, opts.MaxSubscriptions)))
	srv.AroundResponses(withLoaders(svc, opts.BatchWait))
	srv.AroundFields(rateLimiter(opts.RateLimits))

	mux := http.NewServeMux()
	play := playground.Handler("/query") // GraphiQL from the binary: works offline
	mux.Handle("GET /{$}", play)
	mux.Handle("GET /playground/", play)
	d := demo.Handler() // a small chat client: the first thing to try
	mux.Handle("GET /demo", d)
	mux.Handle("GET /demo/", d)
	mux.Handle("/query", origins{opts.OriginPatterns, opts.APIHosts}.cors(checkBody(opts.Limits.MaxBodyBytes, authenticate(svc, srv))))
	if opts.Metrics != nil && !opts.MetricsElsewhere {
		mux.Handle("GET /metrics", opts.Metrics.Handler())
	}
	if opts.Ready != nil {
		mux.Handle("GET /readyz", opts.Ready)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := svc.Ping(r.Context()); err != nil {
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n")) //nolint:errcheck // nothing to do if the client left
	})
	return &Handler{Handler: withRequestID(withClientIP(opts.TrustForwardedFor, noSniff(checkHost(opts.APIHosts, mux)))), sockets: sockets}
}

// noSniff tells browsers to trust each answer's Content-Type instead of
// guessing one: an error that quotes a request must never run as HTML.
func noSniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

type authErrorKey struct{}

// authenticate puts the viewer of the Authorization header in the context.
// A bad token is remembered and refused by refuseBadToken, so that the
// client gets a GraphQL error rather than being treated as anonymous.
func authenticate(svc *chat.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if token := chat.BearerToken(r.Header.Get("Authorization")); token != "" {
			v, err := svc.Authenticate(ctx, token)
			if err != nil {
				ctx = context.WithValue(ctx, authErrorKey{}, err)
			} else {
				ctx = chat.WithViewer(ctx, v)
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// refuseBadToken answers every operation of a request that carried an
// invalid token with that token's error. A WebSocket authenticates once, at
// connection_init, so each of its operations re-checks that the session
// was not revoked since. Subscriptions need a WebSocket. Each operation
// gets its own viewer slot, so a logIn changes only its own response.
func refuseBadToken(svc *chat.Service, caps *subscriptionCaps) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		err, _ := ctx.Value(authErrorKey{}).(error)
		overWS := overWebSocket(ctx)
		op := graphql.GetOperationContext(ctx).Operation
		subscription := op != nil && op.Operation == ast.Subscription
		// A subscription checks the session itself, once subscribed to the
		// bus, so that a revocation in between is not missed.
		if v := chat.ViewerFrom(ctx); err == nil && v != nil && overWS && !subscription {
			err = svc.CheckSession(ctx, v)
		}
		if err == nil && !overWS && subscription {
			err = &chat.Error{Code: chat.CodeInvalid, Message: "subscriptions need a WebSocket connection",
				Extensions: map[string]any{"reason": "SUBSCRIPTION_NEEDS_WEBSOCKET"}}
		}
		if err != nil {
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{presentError(ctx, err)}})
		}
		ctx = chat.WithViewer(ctx, chat.ViewerFrom(ctx))
		if subscription {
			if v := chat.ViewerFrom(ctx); v != nil {
				if err := caps.take(ctx, v.UserID); err != nil {
					return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{presentError(ctx, err)}})
				}
			}
			return next(ctx)
		}
		ctx, cancel := context.WithTimeout(ctx, operationTimeout)
		handle := next(ctx)
		return func(ctx context.Context) *graphql.Response {
			defer cancel()
			return handle(ctx)
		}
	}
}

// operationTimeout bounds a query or mutation (subscriptions run until
// they end).
const operationTimeout = 15 * time.Second
