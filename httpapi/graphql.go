package httpapi

import (
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph"
	"github.com/gqlchat/gqlchat/socket"
)

// newGraphQL assembles the GraphQL server of /query from graph's schema:
// its transports (the WebSocket one, ours over HTTP), its extensions (in
// the order they must run) and the middleware around operations,
// responses and fields.
func newGraphQL(svc *chat.Service, sockets *socket.Transport, opts Options) *handler.Server {
	srv := handler.New(graph.NewSchema(svc))
	if opts.Metrics != nil { // first, to count what the other extensions refuse
		srv.Use(opts.Metrics.Extension())
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
	srv.SetErrorPresenter(graph.PresentError)
	srv.SetRecoverFunc(graph.RecoverPanic)
	caps := newSubscriptionCaps(opts.WebSocket.MaxSubscriptionsPerUser, opts.WebSocket.MaxSubscriptions)
	srv.AroundOperations(refuseBadToken(svc, caps))
	srv.AroundResponses(graph.WithLoaders(svc, opts.BatchWait))
	srv.AroundFields(rateLimiter(opts.RateLimits))
	return srv
}
