package httpapi

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/socket"
)

// Schema is the GraphQL adapter that /query serves (graph.Schema, handed
// over by server.go, so that this package needs no import of graph): the
// executable schema, with what must run around it.
type Schema interface {
	graphql.ExecutableSchema
	// PresentError turns any error into what the client sees.
	PresentError(ctx context.Context, err error) *gqlerror.Error
	// Recover turns a resolver's panic into an error.
	Recover(ctx context.Context, p any) error
	// AroundResponses runs around each response (the request's dataloaders).
	AroundResponses(ctx context.Context, next graphql.ResponseHandler) *graphql.Response
}

// newGraphQL assembles the GraphQL server of /query from the schema: its
// transports (the WebSocket one, ours over HTTP), its extensions (in the
// order they must run) and the middleware around operations, responses
// and fields.
func newGraphQL(svc *chat.Service, schema Schema, sockets *socket.Transport, opts Options) *handler.Server {
	srv := handler.New(schema)
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
	srv.SetErrorPresenter(schema.PresentError)
	srv.SetRecoverFunc(schema.Recover)
	caps := newSubscriptionCaps(opts.WebSocket.MaxSubscriptionsPerUser, opts.WebSocket.MaxSubscriptions)
	srv.AroundOperations(refuseBadToken(svc, caps, schema.PresentError))
	srv.AroundResponses(schema.AroundResponses)
	if limit := rateLimiter(opts.RateLimits); limit != nil {
		srv.AroundFields(limit)
	}
	return srv
}
