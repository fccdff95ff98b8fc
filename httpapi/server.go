// Package httpapi serves the API over HTTP: the mux (the playground, the
// demo, GraphQL at /query, metrics, health and readiness), browser origins
// and API hosts, request limits, rate limits, client addresses, request
// ids, authentication of requests and the WebSocket transport's policy. It
// knows GraphQL only as the schema graph exports, which it serves through
// gqlgen's handler.Server, assembled here.
package httpapi

import (
	"net/http"
	"time"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/demo"
	"github.com/gqlchat/gqlchat/metrics"
	"github.com/gqlchat/gqlchat/playground"
	"github.com/gqlchat/gqlchat/socket"
)

// Options configures the HTTP API; each concern has its own struct.
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
	// TrustForwardedFor takes the client address from X-Forwarded-For, for
	// servers behind a proxy that sets it.
	TrustForwardedFor bool
	// Limits bound the size and shape of requests.
	Limits Limits
	// WebSocket configures the WebSocket transport and caps its use.
	WebSocket WebSocketOptions
	// RateLimits are the token buckets of mutations (per user, and per
	// client address for signUp, logIn and anonymous calls).
	RateLimits RateLimits
	// Metrics, if set, counts operations and serves GET /metrics.
	Metrics *metrics.Metrics
	// MetricsElsewhere leaves GET /metrics out of this handler: the server
	// serves Metrics on an address of its own.
	MetricsElsewhere bool
	// Ready, if set, serves GET /readyz.
	Ready http.Handler
}

// DefaultOptions are the options used where nothing else is set.
var DefaultOptions = Options{
	Introspection: true,
	Limits:        DefaultLimits,
	WebSocket:     DefaultWebSocketOptions,
	RateLimits:    DefaultRateLimits,
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

// New returns the API's handler over svc, serving schema at /query.
func New(svc *chat.Service, schema Schema, opts Options) *Handler {
	sockets := newSockets(svc, opts)
	if opts.Metrics != nil {
		opts.Metrics.WatchWebSockets(sockets.Open)
	}
	gql := newGraphQL(svc, schema, sockets, opts)

	mux := http.NewServeMux()
	play := playground.Handler("/query") // GraphiQL from the binary: works offline
	mux.Handle("GET /{$}", play)
	mux.Handle("GET /playground/", play)
	d := demo.Handler() // a small chat client: the first thing to try
	mux.Handle("GET /demo", d)
	mux.Handle("GET /demo/", d)
	mux.Handle("/query", origins{opts.OriginPatterns, opts.APIHosts}.cors(checkBody(opts.Limits.MaxBodyBytes, authenticate(svc, gql))))
	if opts.Metrics != nil && !opts.MetricsElsewhere {
		mux.Handle("GET /metrics", opts.Metrics.Handler())
	}
	if opts.Ready != nil {
		mux.Handle("GET /readyz", opts.Ready)
	}
	mux.Handle("GET /healthz", health(svc))
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
