package chat

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

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
	db := s.db.WithContext(ctx).Scopes(memberOf(v.UserID))
	if hasCursor {
		db = db.Where("(activity_at, id) < (?, ?)", time.UnixMicro(afterMicros), afterID)
	}
	var rows []*models.Chat
	if err := db.Order("activity_at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
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
	rows := make([]*models.Chat, 0, len(ids))
	err = withPgx(ctx, s.db, func(c *pgx.Conn) error {
		r, err := c.Query(ctx, chatsByIDs, ids, v.UserID)
		if err != nil {
			return err
		}
		defer r.Close()
		for r.Next() {
			ch := &models.Chat{}
			if err := r.Scan(&ch.ID, &ch.Kind, &ch.Name, &ch.OwnerID, &ch.UserAID, &ch.UserBID, &ch.CreatedAt,
				&ch.LastSeq, &ch.LastPos, &ch.ActivityAt); err != nil {
				return err
			}
			rows = append(rows, ch)
		}
		return r.Err()
	})
	if err != nil {
		return nil, err
	}
	return inOrder(ids, rows, func(c *models.Chat) int64 { return c.ID }), nil
}

// chatsByIDs selects the chats among $1 that user $2 is in, with every
// column GORM maps (a test holds the scan to GORM's load).
const chatsByIDs = `SELECT c.id, c.kind, c.name, c.owner_id, c.user_a_id, c.user_b_id, c.created_at,
	c.last_seq, c.last_pos, c.activity_at
	FROM chats c WHERE c.id = ANY($1) AND c.id IN (SELECT chat_id FROM chat_members WHERE user_id = $2)`

// ReadMarkers returns the viewer's read marker in each chat, in order.
func (s *Service) ReadMarkers(ctx context.Context, chatIDs []int64) ([]int64, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var rows []*models.ChatMember
	if err := s.db.WithContext(ctx).Where("user_id = ? AND chat_id IN ?", v.UserID, chatIDs).Find(&rows).Error; err != nil {
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
