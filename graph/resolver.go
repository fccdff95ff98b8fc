// Package graph is the GraphQL adapter: thin resolvers over the chat
// service, the error mapping, and the HTTP and WebSocket transports.
package graph

//go:generate go run github.com/99designs/gqlgen generate

import "github.com/gqlchat/gqlchat/chat"

// Resolver is the root resolver; it holds the services.
type Resolver struct {
	Chat *chat.Service
}
