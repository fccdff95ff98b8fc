package graph

import (
	"context"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/models"
)

// viewerLastRead is the message at the viewer's read marker in c: the
// marker loaded with an event for this subscriber (so that it agrees with
// the event's unreadCount), or else read through the loader; then the
// message, batched with every other chat's of the response.
func viewerLastRead(ctx context.Context, c *models.Chat) (*model.Message, error) {
	l := loadersFrom(ctx)
	var seq int64
	if c.ViewerReadSeq != nil {
		seq = *c.ViewerReadSeq
	} else {
		var err error
		if seq, err = l.readMarkers().Load(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	if seq == 0 {
		return nil, nil
	}
	return asMessage(l.lastRead().Load(ctx, chat.ChatSeq{ChatID: c.ID, Seq: seq}))
}

// seenBy pages through the members who have seen m: from the markers
// loaded once for all the live subscribers of an event, or else read
// through the loader once per chat for every message of the response; the
// users of every page in one batch. A history page costs the same few
// statements however many messages it shows, and an event the same
// however many members get it.
func seenBy(ctx context.Context, m *models.Message, first *int, after *string) (*model.UserConnection, error) {
	r, err := receiptsOf(ctx, m)
	if err != nil {
		return nil, err
	}
	page, total, err := r.SeenBy(m, chat.PageArgs{First: first, After: after})
	if err != nil {
		return nil, err
	}
	if m.Chat != nil { // an event's: its first readers came with it
		users := make([]*models.User, len(page.Items))
		for i, id := range page.Items {
			if users[i] = m.Chat.Users[id]; users[i] == nil {
				return usersOfPage(ctx, page, total)
			}
		}
		p := &chat.Page[*models.User]{Items: users, Cursors: page.Cursors, HasNext: page.HasNext, HasPrevious: page.HasPrevious}
		return model.NewUserConnection(p, func(context.Context) (int, error) { return total, nil }), nil
	}
	return usersOfPage(ctx, page, total)
}

// receiptsOf returns the receipts of m's chat for the viewer: those loaded
// with an event, or else through the loader.
func receiptsOf(ctx context.Context, m *models.Message) (*chat.Receipts, error) {
	var viewer int64
	if v := chat.ViewerFrom(ctx); v != nil {
		viewer = v.UserID
	}
	if r := chat.ReceiptsOf(m.Chat, viewer); r != nil {
		return r, nil
	}
	return loadersFrom(ctx).receipts().Load(ctx, m.ChatID)
}
