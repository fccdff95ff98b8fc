package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/gqlchat/gqlchat/chat"
)

// Schema is the GraphQL adapter as a server takes it: the executable
// schema over the service, its lists priced by page size (complexity.go),
// and what the server must run around it. A server sets PresentError as its
// error presenter and Recover as its recover function, and runs every
// response inside AroundResponses, which gives the resolvers their
// dataloaders. The server needs no import of this package: server.go hands
// a Schema to it.
type Schema struct {
	graphql.ExecutableSchema
	loaders graphql.ResponseMiddleware
}

// NewSchema returns the schema over svc; its dataloaders gather keys for
// batchWait (DefaultBatchWait where nothing else is set).
func NewSchema(svc *chat.Service, batchWait time.Duration) *Schema {
	return &Schema{
		ExecutableSchema: NewExecutableSchema(Config{Resolvers: &Resolver{Chat: svc}, Complexity: complexity()}),
		loaders:          WithLoaders(svc, batchWait),
	}
}

// PresentError is the package's PresentError.
func (*Schema) PresentError(ctx context.Context, err error) *gqlerror.Error {
	return PresentError(ctx, err)
}

// Recover is RecoverPanic.
func (*Schema) Recover(ctx context.Context, p any) error { return RecoverPanic(ctx, p) }

// AroundResponses runs a response with the dataloaders of its request.
func (s *Schema) AroundResponses(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	return s.loaders(ctx, next)
}
