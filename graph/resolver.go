// Package graph is the GraphQL adapter: thin resolvers over the chat
// service, global ids and cursors, dataloaders, complexity and the error
// mapping. It serves nothing itself: httpapi serves the schema it exports.
package graph

//go:generate go run ../cmd/schemaexport -o ../schema.graphql ../schema
//go:generate go run github.com/99designs/gqlgen generate

import (
	"context"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/models"
)

// Resolver is the root resolver; it holds the services.
type Resolver struct {
	Chat *chat.Service
}

// ok turns an error-only service call into a Boolean! mutation result.
func ok(err error) (bool, error) { return err == nil, err }

// respond decodes a friend request id and applies a decision to it.
func respond(ctx context.Context, input model.FriendRequestInput, decide func(context.Context, int64) (*models.FriendRequest, error)) (*model.FriendRequest, error) {
	id, err := decodeID(input.RequestID, model.KindFriendRequest, "requestId")
	if err != nil {
		return nil, err
	}
	return asFriendRequest(decide(ctx, id))
}
