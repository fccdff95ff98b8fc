package chat

import (
	"context"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/models"
)

// The hot reads (a page of history, the chat list and what it shows)
// select these columns and scan them by position: every column GORM maps,
// but a user's password hash, which nothing shown needs. Tests hold each
// read to GORM's load of the same rows (history_test.go).
const (
	messageColumns = `m.id, m.chat_id, m.seq, m.sender_id, m.body, m.client_message_id, m.created_at,
		m.pos, m.reply_to_id, m.edited_at, m.deleted_at`
	userColumns = `u.id, u.username, u.display_name, u.created_at, u.deleted_at, u.online, u.last_seen_at`
	chatColumns = `c.id, c.kind, c.name, c.owner_id, c.user_a_id, c.user_b_id, c.created_at,
		c.last_seq, c.last_pos, c.activity_at`
)

func messageFields(m *models.Message) []any {
	return []any{&m.ID, &m.ChatID, &m.Seq, &m.SenderID, &m.Body, &m.ClientMessageID, &m.CreatedAt,
		&m.Pos, &m.ReplyToID, &m.EditedAt, &m.DeletedAt}
}

func userFields(u *models.User) []any {
	return []any{&u.ID, &u.Username, &u.DisplayName, &u.CreatedAt, &u.DeletedAt, &u.Online, &u.LastSeenAt}
}

func chatFields(c *models.Chat) []any {
	return []any{&c.ID, &c.Kind, &c.Name, &c.OwnerID, &c.UserAID, &c.UserBID, &c.CreatedAt,
		&c.LastSeq, &c.LastPos, &c.ActivityAt}
}

// queryRows runs sql on a pooled connection through pgx and scans each row
// into a new T, through the fields fields returns.
func queryRows[T any](ctx context.Context, db *gorm.DB, sql string, args []any, fields func(*T) []any) ([]*T, error) {
	var out []*T
	err := withPgx(ctx, db, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v := new(T)
			if err := rows.Scan(fields(v)...); err != nil {
				return err
			}
			out = append(out, v)
		}
		return rows.Err()
	})
	return out, err
}
