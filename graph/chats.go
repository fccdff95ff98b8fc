package graph

import (
	"context"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/models"
)

// The fields that PrivateChat and GroupChat share, resolved once here.

// chatMembers batches first pages (the common case: a few members of each
// chat in a list) and reads later pages one chat at a time.
func (r *Resolver) chatMembers(ctx context.Context, c *models.Chat, first *int, after *string) (*model.UserConnection, error) {
	var page *chat.Page[*models.User]
	var err error
	if after == nil {
		page, err = loadersFrom(ctx).firstMembersOf(ctx, c.ID, first)
	} else {
		page, err = r.Chat.Members(ctx, c.ID, chat.PageArgs{First: first, After: after})
	}
	if err != nil {
		return nil, err
	}
	return model.NewUserConnection(page, func(ctx context.Context) (int, error) { return loadersFrom(ctx).memberCounts.Load(ctx, c.ID) }), nil
}

func (r *Resolver) chatMessages(ctx context.Context, c *models.Chat, first *int, after *string, last *int, before *string) (*model.MessageConnection, error) {
	page, err := r.Chat.Messages(ctx, c.ID, chat.PageArgs{First: first, After: after, Last: last, Before: before})
	if err != nil {
		return nil, err
	}
	return model.NewMessageConnection(page), nil
}

func lastMessage(ctx context.Context, c *models.Chat) (*models.Message, error) {
	if c.LastSeq == 0 {
		return nil, nil
	}
	return loadersFrom(ctx).lastMessages.Load(ctx, c.ID)
}

func unreadCount(ctx context.Context, c *models.Chat) (int, error) {
	read, err := loadersFrom(ctx).readMarkers.Load(ctx, c.ID)
	return int(max(c.LastSeq-read, 0)), err
}

// typed returns a chat as the GraphQL type of its kind.
func typed(c *models.Chat, err error) (model.Chat, error) {
	if err != nil {
		return nil, err
	}
	return c.Typed().(model.Chat), nil
}

// group returns a chat result as a GroupChat.
func group(c *models.Chat, err error) (*models.GroupChat, error) {
	if err != nil {
		return nil, err
	}
	return &models.GroupChat{Chat: c}, nil
}

// decodeIDs decodes a list of global ids of one kind.
func decodeIDs(gids []string, kind models.Kind, field string) ([]int64, error) {
	ids := make([]int64, len(gids))
	for i, gid := range gids {
		id, err := decodeID(gid, kind, field)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}
