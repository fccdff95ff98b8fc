package graph

import (
	"context"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/models"
)

// The fields that PrivateChat and GroupChat share, resolved once here.

// chatUser returns user id of chat c, from those loaded with it for the
// subscribers of an event, or through the loader.
func chatUser(ctx context.Context, c *models.Chat, id int64) (*model.User, error) {
	if u := c.Users[id]; u != nil {
		return (*model.User)(u), nil
	}
	return user(ctx, id)
}

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
	return model.NewUserConnection(page, func(ctx context.Context) (int, error) { return loadersFrom(ctx).memberCounts().Load(ctx, c.ID) }), nil
}

func (r *Resolver) chatMessages(ctx context.Context, c *models.Chat, first *int, after *string, last *int, before *string) (*model.MessageConnection, error) {
	page, err := r.Chat.Messages(ctx, c.ID, chat.PageArgs{First: first, After: after, Last: last, Before: before})
	if err != nil {
		return nil, err
	}
	return model.NewMessageConnection(page), nil
}

func lastMessage(ctx context.Context, c *models.Chat) (*model.Message, error) {
	if c.LastSeq == 0 {
		return nil, nil
	}
	if c.LastMessage != nil { // loaded once for all the subscribers of an event
		return (*model.Message)(c.LastMessage), nil
	}
	return asMessage(loadersFrom(ctx).lastMessages().Load(ctx, c.ID))
}

func unreadCount(ctx context.Context, c *models.Chat) (int, error) {
	if c.ViewerReadSeq != nil { // loaded with the event for this subscriber
		return int(max(c.LastSeq-*c.ViewerReadSeq, 0)), nil
	}
	read, err := loadersFrom(ctx).readMarkers().Load(ctx, c.ID)
	return int(max(c.LastSeq-read, 0)), err
}
