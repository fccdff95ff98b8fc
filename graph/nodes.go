package graph

import (
	"context"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/models"
)

// nodes resolves global ids of any kind, batching one query per kind.
// A malformed id is BAD_USER_INPUT; an unknown one gives nil.
func (r *Resolver) nodes(ctx context.Context, gids []string) ([]model.Node, error) {
	type key struct {
		kind model.Kind
		id   int64
	}
	keys := make([]key, len(gids))
	byKind := map[model.Kind][]int64{}
	for i, gid := range gids {
		kind, id, err := model.DecodeID(gid)
		if err != nil {
			return nil, chat.Invalid("id", "%q is not a valid id", gid)
		}
		keys[i] = key{kind, id}
		byKind[kind] = append(byKind[kind], id)
	}
	found := map[key]model.Node{}
	for kind, ids := range byKind {
		nodes, err := r.nodesOfKind(ctx, kind, ids)
		if err != nil {
			return nil, err
		}
		for i, n := range nodes {
			if n != nil {
				found[key{kind, ids[i]}] = n
			}
		}
	}
	out := make([]model.Node, len(gids))
	for i, k := range keys {
		out[i] = found[k]
	}
	return out, nil
}

// nodesOfKind loads the objects of one kind in the order of ids, with nil
// where the viewer can see none.
func (r *Resolver) nodesOfKind(ctx context.Context, kind model.Kind, ids []int64) ([]model.Node, error) {
	switch kind {
	case model.KindUser:
		return load(ctx, ids, r.Chat.UserNodes, func(u *models.User) model.Node { return (*model.User)(u) })
	case model.KindFriendRequest:
		return load(ctx, ids, r.Chat.FriendRequestsByIDs, func(fr *models.FriendRequest) model.Node { return (*model.FriendRequest)(fr) })
	case model.KindMessage:
		return load(ctx, ids, r.Chat.MessagesByIDs, func(m *models.Message) model.Node { return (*model.Message)(m) })
	case model.KindChat:
		return load(ctx, ids, r.Chat.ChatsByIDs, func(c *models.Chat) model.Node { return model.ChatOf(c) })
	}
	return nil, nil // model.DecodeID accepts no other kind
}

// load fetches rows by key in one query and gives them as nodes.
func load[M any](ctx context.Context, ids []int64, fetch func(context.Context, []int64) ([]*M, error), node func(*M) model.Node) ([]model.Node, error) {
	rows, err := fetch(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]model.Node, len(rows))
	for i, row := range rows {
		if row != nil {
			out[i] = node(row)
		}
	}
	return out, nil
}

// The resolvers hand chat's rows to gqlgen as graph/model's node types by
// a conversion, which costs nothing (see graph/model/nodes.go). These take
// a service call's two results as they come.

func asUser(u *models.User, err error) (*model.User, error) { return (*model.User)(u), err }

func asFriendRequest(r *models.FriendRequest, err error) (*model.FriendRequest, error) {
	return (*model.FriendRequest)(r), err
}

func asMessage(m *models.Message, err error) (*model.Message, error) { return (*model.Message)(m), err }

func asGroupChat(c *models.Chat, err error) (*model.GroupChat, error) {
	return (*model.GroupChat)(c), err
}

// asChat returns a chat as the GraphQL type of its kind.
func asChat(c *models.Chat, err error) (model.Chat, error) {
	if err != nil {
		return nil, err
	}
	return model.ChatOf(c), nil
}

func asAuthPayload(a *chat.AuthResult, err error) (*model.AuthPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.AuthPayload{Token: a.Token, User: (*model.User)(a.User)}, nil
}

// messageNode and friendRequestNode convert what subscriptions stream:
// chat queues each value through them (chat.MessageEventsAs), so that
// gqlgen gets a channel of graph's types straight from the stream.
func messageNode(m *models.Message) *model.Message { return (*model.Message)(m) }

func friendRequestNode(r *models.FriendRequest) *model.FriendRequest {
	return (*model.FriendRequest)(r)
}

// friendsChangedEvent converts what the friendsChanged stream queues.
func friendsChangedEvent(c chat.FriendsChange) *model.FriendsChangedEvent {
	return &model.FriendsChangedEvent{User: (*model.User)(c.User), Friends: c.Friends}
}
