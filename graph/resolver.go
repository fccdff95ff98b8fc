// Package graph is the GraphQL adapter: thin resolvers over the chat
// service, global ids and cursors, dataloaders, complexity and the error
// mapping. It serves nothing itself: httpapi serves the schema it exports.
package graph

//go:generate go run github.com/99designs/gqlgen generate

import "github.com/gqlchat/gqlchat/chat"

// Resolver is the root resolver; it holds the services.
type Resolver struct {
	Chat *chat.Service
}
