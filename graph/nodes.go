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
		switch kind {
		case models.KindUser:
			users, err := r.Chat.UsersByIDs(ctx, ids)
			if err != nil {
				return nil, err
			}
			for _, u := range users {
				if u != nil {
					found[u.GlobalID()] = u
				}
			}
		}
	}
	out := make([]model.Node, len(gids))
	for i, gid := range gids {
		out[i] = found[gid]
	}
	return out, nil
}
