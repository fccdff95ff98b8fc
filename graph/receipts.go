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
		if seq, err = l.readMarkers.Load(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	if seq == 0 {
		return nil, nil
	}
	return asMessage(l.lastRead.Load(ctx, chat.ChatSeq{ChatID: c.ID, Seq: seq}))
}

// seenBy pages through the members who have seen m: the markers of its
// chat are read once for every message of the response, and the users of
// every page in one batch, so a history page costs the same few
// statements however many messages it shows.
func seenBy(ctx context.Context, m *models.Message, first *int, after *string) (*model.UserConnection, error) {
	r, err := loadersFrom(ctx).receipts.Load(ctx, m.ChatID)
	if err != nil {
		return nil, err
	}
	page, total, err := r.SeenBy(m, chat.PageArgs{First: first, After: after})
	if err != nil {
		return nil, err
	}
	return usersOfPage(ctx, page, total)
}
