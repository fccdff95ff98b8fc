package chat

import (
	"context"
	"errors"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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
	// ReplyToID is the message of the same chat this one answers, if any.
	ReplyToID *int64
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
	m := &models.Message{ChatID: in.ChatID, SenderID: v.UserID, Body: in.Body, ClientMessageID: in.ClientMessageID, ReplyToID: in.ReplyToID}
	if in.ClientMessageID == nil && in.ReplyToID == nil {
		posted, err := s.postToGroup(ctx, m)
		if err != nil {
			return nil, err
		}
		if posted {
			s.bus.Publish(logMoved(m.ChatID, m.Pos))
			s.typing.clear(v.UserID, in.ChatID)
			return m, nil
		}
	}
	// Three statements, since a post is the hottest write: take the next
	// number (checking membership), insert (moving the sender's read
	// marker), and only for retries, private chats or replies one more
	// check each.
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
		if in.ReplyToID != nil {
			if err := replyable(tx, in.ChatID, *in.ReplyToID); err != nil {
				return err
			}
		}
		m.Seq, m.Pos = c.LastSeq, c.LastPos
		var member int
		// The message, its event in the log and the sender's read marker
		// in one statement.
		err := tx.Raw(`WITH m AS (INSERT INTO messages (chat_id, seq, pos, sender_id, body, client_message_id, reply_to_id)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id, created_at),
			e AS (INSERT INTO chat_events (chat_id, pos, kind, message_id, at) SELECT ?, ?, ?, id, created_at FROM m),
			read AS (UPDATE chat_members SET last_read_seq = ? WHERE chat_id = ? AND user_id = ? RETURNING 1)
			SELECT id, created_at, (SELECT count(*) FROM read) FROM m`,
			m.ChatID, m.Seq, m.Pos, m.SenderID, m.Body, m.ClientMessageID, m.ReplyToID,
			m.ChatID, m.Pos, models.EventMessagePosted,
			m.Seq, m.ChatID, m.SenderID).Row().Scan(&m.ID, &m.CreatedAt, &member)
		if err != nil {
			return err
		}
		if member == 0 { // see postToGroup: left while this post waited for the chat
			return errChatNotFound
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
	s.typing.clear(v.UserID, in.ChatID) // the message ends the typing
	return m, nil
}

// postToGroup posts m, a plain message (no clientMessageId to check, no
// reply), with one statement if its chat is a group the sender is in: the
// most common post. The statement does what the general path's two do, in
// the same order: the chat's row is locked first (numbering), then the
// message, its event and the sender's read marker. It is its own
// transaction: no BEGIN and COMMIT round trips, and the chat's row is
// locked for the statement alone, not across a round trip to the server
// (in one A/B run, 2,187 posts/s against 1,592 with BEGIN and COMMIT).
//
// The membership the first part checks is read in the statement's
// snapshot, taken before it waited for the chat's row: a member who left
// (or was removed) meanwhile, which takes the same lock, would pass it.
// Updating their read marker, a row deleted since, then updates nothing,
// and the statement fails itself (gqlchat_refuse, migration 0008), which
// undoes all of it. The general path checks the same way.
//
// It reports false, having changed nothing, for anything else (a private
// chat, which needs the friendship; no such chat; not a member; one who
// just left), which the general path then posts or refuses.
func (s *Service) postToGroup(ctx context.Context, m *models.Message) (bool, error) {
	var posted bool
	err := withPgx(ctx, s.db, func(c *pgx.Conn) error {
		err := c.QueryRow(ctx, postToGroup, m.ChatID, m.SenderID, m.Body, models.EventMessagePosted).Scan(&m.ID, &m.CreatedAt, &m.Seq, &m.Pos)
		var pgErr *pgconn.PgError
		switch {
		case err == nil:
			posted = true
		case errors.Is(err, pgx.ErrNoRows), errors.As(err, &pgErr) && pgErr.Code == refused:
			err = nil
		}
		return err
	})
	return posted, err
}

// refused is the SQLSTATE of gqlchat_refuse.
const refused = "GQ001"

// postToGroup is PostMessage's two statements as one, for a group.
const postToGroup = `WITH c AS (UPDATE chats SET last_seq = last_seq + 1, last_pos = last_pos + 1, activity_at = clock_timestamp()
		WHERE id = $1 AND kind = 'GROUP' AND EXISTS (SELECT 1 FROM chat_members WHERE chat_id = chats.id AND user_id = $2)
		RETURNING id, last_seq, last_pos),
	m AS (INSERT INTO messages (chat_id, seq, pos, sender_id, body) SELECT id, last_seq, last_pos, $2, $3 FROM c
		RETURNING id, created_at, seq, pos),
	e AS (INSERT INTO chat_events (chat_id, pos, kind, message_id, at) SELECT $1, pos, $4, id, created_at FROM m),
	read AS (UPDATE chat_members SET last_read_seq = m.seq FROM m WHERE chat_id = $1 AND user_id = $2 RETURNING 1)
	SELECT id, created_at, seq, pos FROM m
	WHERE CASE WHEN (SELECT count(*) FROM read) = 1 THEN true
		ELSE gqlchat_refuse('the sender left the chat while the post waited') = 1 END`

// replyable checks that message id, which a new message answers, is one of
// chat chatID and not deleted: an answer to a tombstone would answer
// nothing anyone can read. One deleted later keeps its replies, which then
// show its tombstone. Both refusals are BAD_USER_INPUT on replyToId, the
// field to change, and do not tell whether the message exists elsewhere.
// The caller holds the chat's row lock, which deleting takes too.
func replyable(tx *gorm.DB, chatID, id int64) error {
	var deleted []bool
	if err := tx.Raw(`SELECT deleted_at IS NOT NULL FROM messages WHERE id = ? AND chat_id = ?`, id, chatID).Scan(&deleted).Error; err != nil {
		return err
	}
	switch {
	case len(deleted) == 0:
		return Invalid("replyToId", "no such message in this chat")
	case deleted[0]:
		return Invalid("replyToId", "that message was deleted")
	}
	return nil
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
	return friendsInPrivate(tx, c, userID, true)
}

// errNotFriendsInPrivate refuses what needs the friendship in a private
// chat (posting, typing): the same answer whether it ended or a block
// ended it, so nothing tells the blocked user why.
var errNotFriendsInPrivate = Errorf(CodeForbidden, "you can only post in a private chat with a friend")

// friendsInPrivate refuses userID in private chat c unless the two are
// friends; groups pass. With lock, the friendship row is key-share locked
// until the transaction ends.
func friendsInPrivate(tx *gorm.DB, c *models.Chat, userID int64, lock bool) error {
	if c.Kind != models.ChatPrivate {
		return nil
	}
	other := *c.UserAID
	if other == userID {
		other = *c.UserBID
	}
	// Key-share locking the friendship makes a concurrent removeFriend wait
	// for this post, so no post commits after the friendship ended.
	forKeyShare := ""
	if lock {
		forKeyShare = " FOR KEY SHARE"
	}
	var n int64
	err := tx.Raw(`SELECT count(*) FROM (SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?`+forKeyShare+`) f`, userID, other).Scan(&n).Error
	if err == nil && n == 0 {
		err = errNotFriendsInPrivate
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

var (
	errMessageNotFound = Errorf(CodeNotFound, "no such message")
	// errDeleted refuses to change a deleted message. CONFLICT rather than
	// BAD_USER_INPUT: the request was right when the client made it, the
	// message changed since (someone deleted it), and the client should
	// refetch it.
	errDeleted = Errorf(CodeConflict, "that message was deleted")
)

// lockedMessage returns message id and its chat if userID is a member of
// the chat (NOT_FOUND otherwise, as for a message that does not exist),
// with the chat's row locked for update. Every change to a message takes
// that lock first, as posting does, so the changes of a message
// serialise, each reads the last one's result, and their events are
// logged in the order they commit.
func lockedMessage(tx *gorm.DB, id, userID int64) (*models.Message, *models.Chat, error) {
	var chatID int64 // a message never moves: it is safe to read before the lock
	if err := tx.Raw(`SELECT chat_id FROM messages WHERE id = ?`, id).Scan(&chatID).Error; err != nil {
		return nil, nil, err
	}
	if chatID == 0 {
		return nil, nil, errMessageNotFound
	}
	c, err := memberChat(tx, chatID, userID, true)
	if errors.Is(err, errChatNotFound) {
		err = errMessageNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	var m models.Message
	if err := tx.Take(&m, id).Error; err != nil {
		return nil, nil, err
	}
	return &m, c, nil
}

// messageChange changes message m of chat c for viewer v in tx, and
// reports whether it changed anything.
type messageChange func(tx *gorm.DB, v *Viewer, m *models.Message, c *models.Chat) (bool, error)

// changeMessage applies change to message id for the viewer in one
// transaction, with the chat's row locked (see lockedMessage), and logs an
// event of kind by the viewer if it changed anything: a change that
// changes nothing tells nobody. invalid is the input's validation error,
// returned after the viewer's check and before any query. It returns the
// message as change left it.
func (s *Service) changeMessage(ctx context.Context, id int64, kind models.ChatEventKind, invalid error, change messageChange) (*models.Message, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	if invalid != nil {
		return nil, invalid
	}
	var m *models.Message
	err = s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		var c *models.Chat
		var err error
		if m, c, err = lockedMessage(tx, id, v.UserID); err != nil {
			return err
		}
		changed, err := change(tx, v, m, c)
		if err != nil || !changed {
			return err
		}
		return appendEvents(tx, emit, c.ID, &models.ChatEvent{Kind: kind, MessageID: &m.ID, ActorID: &v.UserID})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// EditMessage replaces the body of a message the viewer sent, while they
// may post in its chat (in a private chat, while the two are friends). An
// edit to the same body changes nothing and tells nobody.
func (s *Service) EditMessage(ctx context.Context, id int64, body string) (*models.Message, error) {
	return s.changeMessage(ctx, id, models.EventMessageEdited, validBody(body), func(tx *gorm.DB, v *Viewer, m *models.Message, c *models.Chat) (bool, error) {
		switch {
		case m.SenderID != v.UserID:
			return false, Errorf(CodeForbidden, "only its sender can edit a message")
		case m.Deleted():
			return false, errDeleted
		}
		if err := s.mayPost(tx, c, v.UserID); err != nil {
			return false, err
		}
		if m.Body == body {
			return false, nil
		}
		m.Body = body
		return true, tx.Raw(`UPDATE messages SET body = ?, edited_at = clock_timestamp() WHERE id = ? RETURNING edited_at`, body, m.ID).
			Row().Scan(&m.EditedAt)
	})
}

// DeleteMessage leaves a tombstone of a message in its place in history:
// no body, no reactions. Its sender may delete it, and so may the owner
// of a group. Unlike editing, deleting one's own message stays allowed in
// a private chat after the friendship ended: it takes words back rather
// than adding any. Deleting a deleted message returns its tombstone.
func (s *Service) DeleteMessage(ctx context.Context, id int64) (*models.Message, error) {
	return s.changeMessage(ctx, id, models.EventMessageDeleted, nil, func(tx *gorm.DB, v *Viewer, m *models.Message, c *models.Chat) (bool, error) {
		owner := c.Kind == models.ChatGroup && *c.OwnerID == v.UserID
		switch {
		case m.SenderID != v.UserID && !owner:
			return false, Errorf(CodeForbidden, "only its sender or the group's owner can delete a message")
		case m.Deleted():
			return false, nil
		}
		m.Body, m.Reactions = "", nil
		err := tx.Raw(`UPDATE messages SET body = '', deleted_at = clock_timestamp() WHERE id = ? RETURNING deleted_at`, m.ID).
			Row().Scan(&m.DeletedAt)
		if err != nil {
			return false, err
		}
		return true, tx.Where("message_id = ?", m.ID).Delete(&models.MessageReaction{}).Error
	})
}
