package graph

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/gqlchat/gqlchat/chat"
)

// NewSchema is the executable schema over svc, its lists priced by page
// size (complexity.go). Whoever serves it sets PresentError as its error
// presenter and RecoverPanic as its recover function, and runs each
// response under WithLoaders, which the resolvers need.
func NewSchema(svc *chat.Service) graphql.ExecutableSchema {
	return NewExecutableSchema(Config{Resolvers: &Resolver{Chat: svc}, Complexity: complexity()})
}
