package chat

import (
	"context"
	"math"
	"time"

	"github.com/gqlchat/gqlchat/models"
)

// Chats lists the viewer's chats, most recent activity first.
func (s *Service) Chats(ctx context.Context, page PageArgs) (*Page[*models.Chat], error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var afterMicros, afterID int64
	limit, hasCursor, err := page.forward(&afterMicros, &afterID)
	if err != nil {
		return nil, err
	}
	// Through the viewer's memberships, newest activity first; without a
	// cursor the bound is past every chat, so that one statement serves.
	at, id := time.Unix(1<<40, 0), int64(math.MaxInt64)
	if hasCursor {
		at, id = time.UnixMicro(afterMicros), afterID
	}
	rows, err := queryRows(ctx, s.db, `SELECT `+chatColumns+` FROM chats c
		WHERE c.id IN (SELECT chat_id FROM chat_members WHERE user_id = $1) AND (c.activity_at, c.id) < ($2, $3)
		ORDER BY c.activity_at DESC, c.id DESC LIMIT $4`, []any{v.UserID, at, id, limit + 1}, chatFields)
	if err != nil {
		return nil, err
	}
	return newPage(rows, limit, hasCursor, func(c *models.Chat) []any {
		return []any{c.ActivityAt.UnixMicro(), c.ID}
	}), nil
}

// CountChats is the number of the viewer's chats.
func (s *Service) CountChats(ctx context.Context) (int, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.db.WithContext(ctx).Model(&models.ChatMember{}).Where("user_id = ?", v.UserID).Count(&n).Error
	return int(n), err
}

// ChatsByIDs returns the chats with ids that the viewer is in, in order,
// nil for the others.
func (s *Service) ChatsByIDs(ctx context.Context, ids []int64) ([]*models.Chat, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	// Every history page starts here (the chat's node): scanned by pgx.
	rows, err := queryRows(ctx, s.db, chatsByIDs, []any{ids, v.UserID}, chatFields)
	if err != nil {
		return nil, err
	}
	return inOrder(ids, rows, func(c *models.Chat) int64 { return c.ID }), nil
}

// chatsByIDs selects the chats among $1 that user $2 is in.
const chatsByIDs = `SELECT ` + chatColumns + ` FROM chats c WHERE c.id = ANY($1) AND c.id IN (SELECT chat_id FROM chat_members WHERE user_id = $2)`

// ReadMarkers returns the viewer's read marker in each chat, in order.
func (s *Service) ReadMarkers(ctx context.Context, chatIDs []int64) ([]int64, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := queryRows(ctx, s.db, `SELECT chat_id, last_read_seq FROM chat_members WHERE user_id = $1 AND chat_id = ANY($2)`,
		[]any{v.UserID, chatIDs}, func(m *models.ChatMember) []any { return []any{&m.ChatID, &m.LastReadSeq} })
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(chatIDs))
	for i, m := range inOrder(chatIDs, rows, func(m *models.ChatMember) int64 { return m.ChatID }) {
		if m != nil {
			out[i] = m.LastReadSeq
		}
	}
	return out, nil
}
