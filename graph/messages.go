package graph

import (
	"context"
	"slices"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/models"
)

// postMessageInput decodes the ids of a new message.
func postMessageInput(input model.PostMessageInput) (chat.PostMessageInput, error) {
	in := chat.PostMessageInput{Body: input.Body, ClientMessageID: input.ClientMessageID}
	var err error
	if in.ChatID, err = decodeID(input.ChatID, model.KindChat, "chatId"); err != nil {
		return in, err
	}
	if input.ReplyToID != nil {
		id, err := decodeID(*input.ReplyToID, model.KindMessage, "replyToId")
		if err != nil {
			return in, err
		}
		in.ReplyToID = &id
	}
	return in, nil
}

// reactions gives the reactions to m as the viewer sees them, all or the
// one with emoji: those loaded with m for all the subscribers of an event,
// or else through the loader, which reads a whole page's at once.
func reactions(ctx context.Context, m *models.Message, emoji *string) ([]*model.Reaction, error) {
	var only string
	if emoji != nil {
		var err error
		if only, err = chat.NormalizeEmoji(*emoji); err != nil {
			return nil, err
		}
	}
	if m.Deleted() {
		return []*model.Reaction{}, nil
	}
	groups := m.Reactions
	if groups == nil {
		var err error
		if groups, err = loadersFrom(ctx).reactions().Load(ctx, m.ID); err != nil {
			return nil, err
		}
	}
	var viewer int64
	if v := chat.ViewerFrom(ctx); v != nil {
		viewer = v.UserID
	}
	out := make([]*model.Reaction, 0, len(groups))
	for _, g := range groups {
		if only == "" || g.Emoji == only {
			out = append(out, &model.Reaction{MessageID: m.ID, ReactionGroup: g, ViewerReacted: slices.Contains(g.UserIDs, viewer)})
		}
	}
	return out, nil
}

// usersOfPage loads the users of a page of user ids, batched with every
// other user of the response, as a connection over a list of total users.
func usersOfPage(ctx context.Context, ids *chat.Page[int64], total int) (*model.UserConnection, error) {
	users, err := loadersFrom(ctx).users().LoadAll(ctx, ids.Items)
	if err != nil {
		return nil, err
	}
	if slices.Contains(users, nil) { // a reaction's user row cannot go (accounts leave tombstones)
		return nil, chat.Errorf(chat.CodeNotFound, "no such user")
	}
	page := &chat.Page[*models.User]{Items: users, Cursors: ids.Cursors, HasNext: ids.HasNext, HasPrevious: ids.HasPrevious}
	return model.NewUserConnection(page, func(context.Context) (int, error) { return total, nil }), nil
}
