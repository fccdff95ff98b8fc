package graph

import (
	"context"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/models"
)

// ok turns an error-only service call into a Boolean! mutation result.
func ok(err error) (bool, error) { return err == nil, err }

// nodes resolves global ids of any kind, batching one query per kind.
// A malformed id is BAD_USER_INPUT; an unknown one gives nil.
func (r *Resolver) nodes(ctx context.Context, gids []string) ([]model.Node, error) {
	byKind := map[models.Kind][]int64{}
	for _, gid := range gids {
		kind, id, err := models.DecodeID(gid)
		if err != nil {
			return nil, chat.Invalid("id", "%q is not a valid id", gid)
		}
		byKind[kind] = append(byKind[kind], id)
	}
	found := map[string]model.Node{}
	for kind, ids := range byKind {
		var err error
		switch kind {
		case models.KindUser:
			err = collect(ctx, ids, r.Chat.UsersByIDs, found)
		case models.KindFriendRequest:
			err = collect(ctx, ids, r.Chat.FriendRequestsByIDs, found)
		case models.KindMessage:
			err = collect(ctx, ids, r.Chat.MessagesByIDs, found)
		case models.KindChat:
			var chats []*models.Chat
			chats, err = r.Chat.ChatsByIDs(ctx, ids)
			for _, c := range chats {
				if c != nil {
					found[c.GlobalID()] = c.Typed().(model.Node)
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	out := make([]model.Node, len(gids))
	for i, gid := range gids {
		out[i] = found[gid]
	}
	return out, nil
}

// collect loads nodes of one kind into found, keyed by global id.
func collect[T any, P interface {
	*T
	model.Node
	GetID() string
}](ctx context.Context, ids []int64, load func(context.Context, []int64) ([]P, error), found map[string]model.Node) error {
	nodes, err := load(ctx, ids)
	for _, n := range nodes {
		if n != nil {
			found[n.GetID()] = n
		}
	}
	return err
}

// respond decodes a friend request id and applies a decision to it.
func respond(ctx context.Context, input model.FriendRequestInput, decide func(context.Context, int64) (*models.FriendRequest, error)) (*models.FriendRequest, error) {
	id, err := decodeID(input.RequestID, models.KindFriendRequest, "requestId")
	if err != nil {
		return nil, err
	}
	return decide(ctx, id)
}
