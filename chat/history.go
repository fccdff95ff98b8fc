package chat

import (
	"context"
	"math"
	"slices"

	"github.com/gqlchat/gqlchat/models"
)

// Messages pages through the history of a chat the viewer is in, in
// chronological order: first/after forward from the oldest, last/before
// backward from the newest. The keyset is the chat's sequence number.
func (s *Service) Messages(ctx context.Context, chatID int64, page PageArgs) (*Page[*models.Message], error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	backward := page.Last != nil || page.Before != nil
	if backward && (page.First != nil || page.After != nil) {
		return nil, Invalid("first", "page with first/after or with last/before, not both")
	}
	size, cursor, field := page.First, page.After, "after"
	if backward {
		size, cursor, field = page.Last, page.Before, "before"
	}
	sizeField := "first"
	if backward {
		sizeField = "last"
	}
	limit, err := pageSize(sizeField, size)
	if err != nil {
		return nil, err
	}
	from, hasCursor, err := decodeMessageCursor(field, cursor, chatID)
	if err != nil {
		return nil, err
	}
	// Senders come in the same query: a page almost always shows them,
	// and a join on the primary key costs less than a second round trip.
	// Membership is checked in it too: a page is one statement, and only
	// an empty one asks again whether the chat is empty or not the
	// viewer's (NOT_FOUND, as for a chat that does not exist).
	lo, hi, stmt := int64(0), int64(math.MaxInt64), pageForward
	switch {
	case backward && hasCursor:
		hi, stmt = from, pageBackward
	case backward:
		stmt = pageBackward
	case hasCursor:
		lo = from
	}
	rows, err := queryRows(ctx, s.db, stmt, []any{chatID, v.UserID, lo, hi, limit + 1}, func(m *models.Message) []any {
		m.Sender = &models.User{}
		return append(messageFields(m), userFields(m.Sender)...)
	})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		if _, err := memberChat(s.db.WithContext(ctx), chatID, v.UserID, false); err != nil {
			return nil, err
		}
	}
	p := newPage(rows, limit, hasCursor, messageCursor)
	if backward {
		// Fetched newest first; the connection is chronological.
		slices.Reverse(p.Items)
		slices.Reverse(p.Cursors)
		p.HasNext, p.HasPrevious = hasCursor, p.HasNext
	}
	return p, nil
}

// The statements of a page of history: the messages with seq in (lo, hi)
// of a chat the viewer ($2) is in, with their senders, oldest or newest
// first.
const (
	pageColumns = `SELECT ` + messageColumns + `, ` + userColumns + `
		FROM messages m JOIN users u ON u.id = m.sender_id
		WHERE m.chat_id = $1 AND EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = $1 AND cm.user_id = $2)
		AND m.seq > $3 AND m.seq < $4 `
	pageForward  = pageColumns + `ORDER BY m.seq LIMIT $5`
	pageBackward = pageColumns + `ORDER BY m.seq DESC LIMIT $5`
)

// A message cursor names the chat and the sequence number, so that a
// cursor of one chat is refused in another.
func messageCursor(m *models.Message) []any { return []any{m.ChatID, m.Seq} }

// MessageCursor is the cursor of a message in its chat's history; pass it
// as after (or before) to page, or to resume a subscription.
func MessageCursor(m *models.Message) string { return encodeCursor(messageCursor(m)...) }

// decodeMessageCursor returns the sequence number in a cursor of chatID.
func decodeMessageCursor(field string, cursor *string, chatID int64) (int64, bool, error) {
	var chat, seq int64
	ok, err := decodeCursor(field, cursor, &chat, &seq)
	if err == nil && ok && chat != chatID {
		err = Invalid(field, "%s is a cursor of another chat", field)
	}
	return seq, ok, err
}

// MessagesByIDs returns the messages with ids in chats the viewer is in, in
// order, nil for the others.
func (s *Service) MessagesByIDs(ctx context.Context, ids []int64) ([]*models.Message, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var rows []*models.Message
	err = s.db.WithContext(ctx).
		Where("id IN ? AND chat_id IN (SELECT chat_id FROM chat_members WHERE user_id = ?)", ids, v.UserID).
		Find(&rows).Error
	if err != nil {
		return nil, err
	}
	return inOrder(ids, rows, func(m *models.Message) int64 { return m.ID }), nil
}

// LastMessages returns the newest message of each chat, in order, nil for
// chats without messages or that the viewer is not in.
func (s *Service) LastMessages(ctx context.Context, chatIDs []int64) ([]*models.Message, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	// The newest message of each chat through the (chat_id, seq) index.
	rows, err := queryRows(ctx, s.db, `SELECT `+messageColumns+` FROM chat_members cm
		CROSS JOIN LATERAL (SELECT * FROM messages WHERE chat_id = cm.chat_id ORDER BY seq DESC LIMIT 1) m
		WHERE cm.user_id = $1 AND cm.chat_id = ANY($2)`, []any{v.UserID, chatIDs}, messageFields)
	if err != nil {
		return nil, err
	}
	return inOrder(chatIDs, rows, func(m *models.Message) int64 { return m.ChatID }), nil
}
