package chat

import (
	"context"
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
	limit, err := pageSize(map[bool]string{false: "first", true: "last"}[backward], size)
	if err != nil {
		return nil, err
	}
	var from int64
	hasCursor, err := decodeCursor(field, cursor, &from)
	if err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	if _, err := memberChat(db, chatID, v.UserID, false); err != nil {
		return nil, err
	}
	q := db.Where("chat_id = ?", chatID)
	switch {
	case backward && hasCursor:
		q = q.Where("seq < ?", from)
	case hasCursor:
		q = q.Where("seq > ?", from)
	}
	order := "seq"
	if backward {
		order = "seq DESC"
	}
	var rows []*models.Message
	if err := q.Order(order).Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, err
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

func messageCursor(m *models.Message) []any { return []any{m.Seq} }

// MessageCursor is the cursor of a message in its chat's history; pass it
// as after (or before) to page, or to resume a subscription.
func MessageCursor(m *models.Message) string { return encodeCursor(messageCursor(m)...) }

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
	var rows []*models.Message
	err = s.db.WithContext(ctx).Raw(`SELECT m.* FROM chats c JOIN messages m ON m.chat_id = c.id AND m.seq = c.last_seq
		WHERE c.id IN ? AND c.id IN (SELECT chat_id FROM chat_members WHERE user_id = ?)`, chatIDs, v.UserID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	return inOrder(chatIDs, rows, func(m *models.Message) int64 { return m.ChatID }), nil
}

// messagesAfter returns up to limit messages of a chat after seq, in order.
func (s *Service) messagesAfter(ctx context.Context, chatID, seq int64, limit int) ([]*models.Message, error) {
	var rows []*models.Message
	err := s.db.WithContext(ctx).Where("chat_id = ? AND seq > ?", chatID, seq).Order("seq").Limit(limit).Find(&rows).Error
	return rows, err
}
