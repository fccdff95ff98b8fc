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
	direct  *direct // nil when off: every response through gqlgen
}

// NewSchema returns the schema over svc; its dataloaders gather keys for
// batchWait (DefaultBatchWait where nothing else is set).
// The queries it can serve directly it serves so (direct.go).
func NewSchema(svc *chat.Service, batchWait time.Duration) *Schema {
	r := &Resolver{Chat: svc}
	es := NewExecutableSchema(Config{Resolvers: r, Complexity: complexity()})
	return &Schema{
		ExecutableSchema: es,
		loaders:          WithLoaders(svc, batchWait),
		direct:           newDirect(es.(*executableSchema), r),
	}
}

// WithoutDirect sends every response through gqlgen: what the direct
// path's answers are compared with.
func (s *Schema) WithoutDirect() *Schema {
	s.direct = nil
	return s
}

// DirectResponses is how many responses the direct path served.
func (s *Schema) DirectResponses() int64 {
	if s.direct == nil {
		return 0
	}
	return s.direct.served.Load()
}

// EventTemplates is how many chat events the direct path wrote as
// templates for their subscribers (direct_stream.go).
func (s *Schema) EventTemplates() int64 {
	if s.direct == nil {
		return 0
	}
	return s.direct.written.Load()
}

// PresentError is the package's PresentError.
func (*Schema) PresentError(ctx context.Context, err error) *gqlerror.Error {
	return PresentError(ctx, err)
}

// Recover is RecoverPanic.
func (*Schema) Recover(ctx context.Context, p any) error { return RecoverPanic(ctx, p) }

// AroundResponses runs a response with the dataloaders of its request,
// directly where it can.
func (s *Schema) AroundResponses(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if s.direct == nil {
		return s.loaders(ctx, next)
	}
	// A fallback starts afresh: nothing the direct attempt loaded leaks
	// into gqlgen's answer.
	return s.loaders(ctx, func(ctx context.Context) *graphql.Response {
		return s.direct.around(ctx, func(ctx context.Context) *graphql.Response { return s.loaders(ctx, next) })
	})
}
