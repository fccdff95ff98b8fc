package chat

import (
	"context"
	"time"

	"github.com/gqlchat/gqlchat/models"
)

// memberRow is a member with the time they joined, which orders members.
type memberRow struct {
	models.User
	ChatID   int64
	JoinedAt time.Time
}

// memberPage makes a page of members, longest-standing first.
func memberPage(rows []*memberRow, limit int, hadCursor bool) *Page[*models.User] {
	users := make([]*models.User, len(rows))
	joined := make(map[int64]time.Time, len(rows))
	for i, r := range rows {
		users[i], joined[r.ID] = &r.User, r.JoinedAt
	}
	return newPage(users, limit, hadCursor, func(u *models.User) []any {
		return []any{joined[u.ID].UnixMicro(), u.ID}
	})
}

// Members lists the members of a chat the viewer is in, longest-standing first.
func (s *Service) Members(ctx context.Context, chatID int64, page PageArgs) (*Page[*models.User], error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var afterMicros, afterID int64
	limit, hasCursor, err := page.forward(&afterMicros, &afterID)
	if err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	if _, err := memberChat(db, chatID, v.UserID, false); err != nil {
		return nil, err
	}
	q := db.Table("chat_members m").Select("u.*, m.chat_id, m.joined_at").Joins("JOIN users u ON u.id = m.user_id").Where("m.chat_id = ?", chatID)
	if hasCursor {
		q = q.Where("(m.joined_at, m.user_id) > (?, ?)", time.UnixMicro(afterMicros), afterID)
	}
	var rows []*memberRow
	if err := q.Order("m.joined_at, m.user_id").Limit(limit + 1).Scan(&rows).Error; err != nil {
		return nil, err
	}
	return memberPage(rows, limit, hasCursor), nil
}

// FirstMembers returns the first page of members of each chat, in order,
// in one query whatever the number of chats: a list of chats showing a
// few members each needs no query per chat. A chat the viewer is not in
// (left since the list was read) gets an empty page: one such chat must
// not fail the whole list.
func (s *Service) FirstMembers(ctx context.Context, chatIDs []int64, first *int) ([]*Page[*models.User], error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	limit, err := pageSize("first", first)
	if err != nil {
		return nil, err
	}
	rows, err := queryRows(ctx, s.db, `SELECT `+userColumns+`, l.chat_id, l.joined_at
		FROM chat_members mine
		CROSS JOIN LATERAL (SELECT chat_id, user_id, joined_at FROM chat_members
			WHERE chat_id = mine.chat_id ORDER BY joined_at, user_id LIMIT $1) l
		JOIN users u ON u.id = l.user_id
		WHERE mine.user_id = $2 AND mine.chat_id = ANY($3)
		ORDER BY l.chat_id, l.joined_at, l.user_id`, []any{limit + 1, v.UserID, chatIDs}, func(r *memberRow) []any {
		return append(userFields(&r.User), &r.ChatID, &r.JoinedAt)
	})
	if err != nil {
		return nil, err
	}
	byChat := map[int64][]*memberRow{}
	for _, r := range rows {
		byChat[r.ChatID] = append(byChat[r.ChatID], r)
	}
	pages := make([]*Page[*models.User], len(chatIDs))
	for i, id := range chatIDs {
		pages[i] = memberPage(byChat[id], limit, false)
	}
	return pages, nil
}

// MemberCounts returns the number of members of each chat the viewer is
// in, in order (0 for the others).
func (s *Service) MemberCounts(ctx context.Context, chatIDs []int64) ([]int, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ChatID int64
		N      int
	}
	err = s.db.WithContext(ctx).Model(&models.ChatMember{}).Select("chat_id, count(*) AS n").
		Where("chat_id IN ? AND chat_id IN (SELECT chat_id FROM chat_members WHERE user_id = ?)", chatIDs, v.UserID).
		Group("chat_id").Scan(&rows).Error
	counts := map[int64]int{}
	for _, r := range rows {
		counts[r.ChatID] = r.N
	}
	out := make([]int, len(chatIDs))
	for i, id := range chatIDs {
		out[i] = counts[id]
	}
	return out, err
}
