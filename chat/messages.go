package chat

import (
	"context"
	"errors"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/models"
)

// Limits of a message.
const (
	MaxMessageLength  = 4000
	MaxClientIDLength = 64
)

// PostMessageInput is a new message.
type PostMessageInput struct {
	ChatID          int64
	Body            string
	ClientMessageID *string
}

// validBody checks a message is at most MaxMessageLength characters with
// one that shows. Bidirectional controls are allowed: a body is shown as
// a paragraph of its own, where writers of right-to-left languages may
// need them, so they cannot reorder anything around it.
func validBody(body string) error {
	if utf8.RuneCountInString(body) > MaxMessageLength {
		return Invalid("body", "a message must be 1 to %d characters", MaxMessageLength)
	}
	if !hasVisible(body) {
		return Invalid("body", "a message must contain a visible character")
	}
	return nil
}

// errRetried rolls back a post whose clientMessageId was already used.
var errRetried = errors.New("message already posted")

// PostMessage adds a message to a chat the viewer is in. A retry with the
// same clientMessageId returns the original message and publishes nothing.
func (s *Service) PostMessage(ctx context.Context, in PostMessageInput) (*models.Message, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	if err := validBody(in.Body); err != nil {
		return nil, err
	}
	if in.ClientMessageID != nil && (*in.ClientMessageID == "" || utf8.RuneCountInString(*in.ClientMessageID) > MaxClientIDLength) {
		return nil, Invalid("clientMessageId", "clientMessageId must be 1 to %d characters", MaxClientIDLength)
	}
	m := &models.Message{ChatID: in.ChatID, SenderID: v.UserID, Body: in.Body, ClientMessageID: in.ClientMessageID}
	// Three statements, since a post is the hottest write: take the next
	// number (checking membership), insert (moving the sender's read
	// marker), and only for retries or private chats one more check.
	err = s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		// Taking the next number locks the chat's row until commit, so
		// numbers are assigned in commit order and a retry with the same
		// clientMessageId, waiting here, sees the original once it commits.
		var c models.Chat
		res := tx.Raw(`UPDATE chats SET last_seq = last_seq + 1, last_pos = last_pos + 1, activity_at = clock_timestamp()
			WHERE id = ? AND EXISTS (SELECT 1 FROM chat_members WHERE chat_id = chats.id AND user_id = ?)
			RETURNING id, kind, user_a_id, user_b_id, last_seq, last_pos`, in.ChatID, v.UserID).Scan(&c)
		if res.Error != nil || res.RowsAffected == 0 {
			return cmpErr(res.Error, errChatNotFound)
		}
		if in.ClientMessageID != nil { // a retry returns the original even if posting is no longer allowed
			if err := findRetried(tx, m); err != nil {
				return err
			}
		}
		if err := s.mayPost(tx, &c, v.UserID); err != nil {
			return err
		}
		m.Seq, m.Pos = c.LastSeq, c.LastPos
		// The message, its event in the log and the sender's read marker
		// in one statement.
		err := tx.Raw(`WITH m AS (INSERT INTO messages (chat_id, seq, pos, sender_id, body, client_message_id, reply_to_id)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id, created_at),
			e AS (INSERT INTO chat_events (chat_id, pos, kind, message_id, at) SELECT ?, ?, ?, id, created_at FROM m),
			read AS (UPDATE chat_members SET last_read_seq = ? WHERE chat_id = ? AND user_id = ?)
			SELECT id, created_at FROM m`,
			m.ChatID, m.Seq, m.Pos, m.SenderID, m.Body, m.ClientMessageID, m.ReplyToID,
			m.ChatID, m.Pos, models.EventMessagePosted,
			m.Seq, m.ChatID, m.SenderID).Row().Scan(&m.ID, &m.CreatedAt)
		if err != nil {
			return err
		}
		emit(logMoved(c.ID, m.Pos))
		return nil
	})
	if errors.Is(err, errRetried) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// findRetried loads into m the message its sender already posted with the
// same clientMessageId and returns errRetried, or returns nil if none.
func findRetried(tx *gorm.DB, m *models.Message) error {
	err := tx.Where("chat_id = ? AND sender_id = ? AND client_message_id = ?", m.ChatID, m.SenderID, *m.ClientMessageID).Take(m).Error
	switch {
	case err == nil:
		return errRetried
	case errors.Is(err, gorm.ErrRecordNotFound):
		return nil
	default:
		return err
	}
}

// mayPost checks the rules beyond membership: in a private chat, the two
// must still be friends (which also rules out a deleted account).
func (s *Service) mayPost(tx *gorm.DB, c *models.Chat, userID int64) error {
	if c.Kind != models.ChatPrivate {
		return nil
	}
	other := *c.UserAID
	if other == userID {
		other = *c.UserBID
	}
	// Key-share locking the friendship makes a concurrent removeFriend wait
	// for this post, so no post commits after the friendship ended.
	var n int64
	err := tx.Raw(`SELECT count(*) FROM (SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ? FOR KEY SHARE) f`, userID, other).Scan(&n).Error
	if err == nil && n == 0 {
		err = Errorf(CodeForbidden, "you can only post in a private chat with a friend")
	}
	return err
}

// MarkChatRead moves the viewer's read marker forward to messageID (never back).
func (s *Service) MarkChatRead(ctx context.Context, chatID, messageID int64) (*models.Chat, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var c *models.Chat
	err = s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		// The chat's row first, as posting takes it, then the marker's:
		// the other order could deadlock with the viewer's own post.
		if c, err = memberChat(tx, chatID, v.UserID, true); err != nil {
			return err
		}
		var seq int64
		if err := tx.Raw(`SELECT seq FROM messages WHERE id = ? AND chat_id = ?`, messageID, chatID).Scan(&seq).Error; err != nil {
			return err
		}
		if seq == 0 {
			return Errorf(CodeNotFound, "no such message in this chat")
		}
		res := tx.Exec(`UPDATE chat_members SET last_read_seq = ? WHERE chat_id = ? AND user_id = ? AND last_read_seq < ?`,
			seq, chatID, v.UserID, seq)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error // an error, or the marker was already there
		}
		return appendEvents(tx, emit, chatID, &models.ChatEvent{Kind: models.EventReadMarkerMoved, UserID: &v.UserID, MessageID: &messageID})
	})
	return c, err
}
