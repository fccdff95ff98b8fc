package chat

import (
	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/models"
)

// Event is one entry of a chat's event log as streams deliver it, with the
// rows it names loaded once for every subscriber that gets it: they share
// them and must not change them.
type Event struct {
	models.ChatEvent
	Chat    *models.Chat
	Message *models.Message // with its Sender, Chat and Reactions, and ReplyTo with its Sender
	User    *models.User    // the member who joined or left; whose marker moved
	Actor   *models.User    // who invited, removed or renamed

	// readSeqs are the read markers of the chat's members, by user, as of
	// the event's reading (see forReader).
	readSeqs map[int64]int64
	// shared is the event this is a reader's copy of (nil for the event
	// itself).
	shared *Event
	// live says that the log reader handed the event to every stream that
	// follows its chat: the streams share it.
	live bool
}

// Shared is the event as all its readers share it, e or the event e is a
// reader's copy of (a copy differs only in its Chat row: see forReader),
// and whether readers share it at all: a live event does, an event
// replayed to one stream or a typing note is that stream's own. Adapters
// key what they work out once per event on it.
func (e *Event) Shared() (*Event, bool) {
	s := e
	if e.shared != nil {
		s = e.shared
	}
	return s, s.live
}

// Cursor is the event's position in its chat: pass it as after with the
// chat's id to resume after it.
func (e *Event) Cursor() string { return encodeCursor(eventCursorTag, e.ChatID, e.Pos) }

// eventCursorTag tells an event's cursor from a message's, which has no tag.
const eventCursorTag = "e"

// eventColumns selects a chat_events row into models.ChatEvent; the
// transaction ids are read as text, which every driver scans.
const eventColumns = `e.chat_id, e.pos, e.kind, e.user_id, e.actor_id, e.message_id, e.name,
	e.xid::text::bigint AS xid, e.seen::text AS seen, e.at`

// decodeChatCursor reads the after argument of a one-chat stream: an
// event's cursor or a message's cursor from the history, both of chatID.
// It returns the log position to resume after.
func decodeChatCursor(db *gorm.DB, field string, cursor *string, chatID int64) (int64, bool, error) {
	if cursor == nil {
		return 0, false, nil
	}
	var tag string
	var chat, pos int64
	if ok, _ := decodeCursor(field, cursor, &tag, &chat, &pos); ok && tag == eventCursorTag {
		if chat != chatID || pos < 0 {
			return 0, false, Invalid(field, "%s is not a cursor of this chat", field)
		}
		return pos, true, nil
	}
	seq, _, err := decodeMessageCursor(field, cursor, chatID)
	if err != nil {
		return 0, false, err
	}
	// A message's cursor names its number; the log position of its posting
	// is on the row. A number past the last message resumes at the end.
	var m models.Message
	err = db.Select("pos").Where("chat_id = ? AND seq <= ?", chatID, seq).Order("seq DESC").Limit(1).Find(&m).Error
	return m.Pos, true, err
}

// loadEventRows loads what evs name, and with each chat what an inbox
// shows of it: its last message, its users, and the read markers of reader
// (of every member when 0), from which each subscriber's unread count
// follows without a query of its own. It reads each kind of row once for
// all the events: chats, messages (those named, the chats' last ones, and
// the messages they answer), users, markers, reactions. (The live reader
// reads the same rows in one round trip: see readLog.)
func loadEventRows(db *gorm.DB, evs []*Event, reader int64) error {
	if len(evs) == 0 {
		return nil
	}
	chatIDs, msgIDs := set[int64]{}, set[int64]{}
	for _, e := range evs {
		chatIDs.add(e.ChatID)
		if e.MessageID != nil {
			msgIDs.add(*e.MessageID)
		}
	}
	var rows eventRows
	if err := db.Find(&rows.chats, chatIDs.list()).Error; err != nil {
		return err
	}
	var err error
	if rows.msgs, err = loadMessages(db, msgIDs.list(), rows.chats); err != nil {
		return err
	}
	userIDs := set[int64]{}
	for _, e := range evs {
		addIDs(userIDs, e.UserID, e.ActorID)
	}
	for _, c := range rows.chats {
		addIDs(userIDs, c.OwnerID, c.UserAID, c.UserBID)
	}
	for _, m := range rows.msgs {
		userIDs.add(m.SenderID)
	}
	if err := db.Find(&rows.users, userIDs.list()).Error; err != nil {
		return err
	}
	q := db.Select("chat_id", "user_id", "last_read_seq").Where("chat_id IN ?", chatIDs.list())
	if reader != 0 {
		q = q.Where("user_id = ?", reader)
	}
	if err := q.Find(&rows.members).Error; err != nil {
		return err
	}
	if len(msgIDs) > 0 {
		err := db.Where("message_id IN ?", msgIDs.list()).Order("message_id, created_at, user_id").Find(&rows.reactions).Error
		if err != nil {
			return err
		}
	}
	rows.attach(evs)
	return nil
}

// attach links the rows to each other and to evs: messages to their
// senders, chats and originals, chats to their last messages and users,
// events to all they name, with the reactions of the messages they name
// and their chat's read markers. With every member's markers (the live
// read), each chat also gets them in member order and the users of its
// messages' first readers, from which every subscriber's receipts
// (Message.seenBy) follow without a query of their own.
func (rows *eventRows) attach(evs []*Event) {
	msgIDs := set[int64]{}
	for _, e := range evs {
		if e.MessageID != nil {
			msgIDs.add(*e.MessageID)
		}
	}
	groups := groupReactions(rows.reactions, msgIDs.list())
	markers, lists := map[int64]map[int64]int64{}, map[int64][]models.ReadMarker{}
	for _, m := range rows.members {
		if markers[m.ChatID] == nil {
			markers[m.ChatID] = map[int64]int64{}
		}
		markers[m.ChatID][m.UserID] = m.LastReadSeq
		if rows.everyMember {
			lists[m.ChatID] = append(lists[m.ChatID], models.ReadMarker{UserID: m.UserID, LastReadSeq: m.LastReadSeq, JoinedMicros: m.JoinedAt.UnixMicro()})
		}
	}
	indexed := make(map[int64]*models.ReadMarkers, len(lists))
	for id, ms := range lists {
		indexed[id] = newReadMarkers(ms)
	}
	readers := firstReaders(rows.msgs, indexed)
	chatByID, userByID := byID(rows.chats, func(c *models.Chat) int64 { return c.ID }), byID(rows.users, func(u *models.User) int64 { return u.ID })
	msgByID := byID(rows.msgs, func(m *models.Message) int64 { return m.ID })
	lastOf := map[int64]*models.Message{}
	for _, m := range rows.msgs {
		m.Sender, m.Chat = userByID[m.SenderID], chatByID[m.ChatID]
		if m.ReplyToID != nil {
			m.ReplyTo = msgByID[*m.ReplyToID]
		}
		if m.Chat != nil && m.Seq == m.Chat.LastSeq {
			lastOf[m.ChatID] = m
		}
		if msgIDs.has(m.ID) {
			m.Reactions = groups[m.ID]
		}
	}
	for _, c := range rows.chats {
		c.LastMessage, c.Users, c.Markers = lastOf[c.ID], map[int64]*models.User{}, indexed[c.ID]
		for _, id := range []*int64{c.OwnerID, c.UserAID, c.UserBID} {
			if id != nil {
				c.Users[*id] = userByID[*id]
			}
		}
		for id := range readers[c.ID] {
			if u := userByID[id]; u != nil { // loaded for the messages events name
				c.Users[id] = u
			}
		}
	}
	for _, e := range evs {
		e.Chat, e.readSeqs = chatByID[e.ChatID], markers[e.ChatID]
		if e.MessageID != nil {
			e.Message = msgByID[*e.MessageID]
		}
		if e.UserID != nil {
			e.User = userByID[*e.UserID]
		}
		if e.ActorID != nil {
			e.Actor = userByID[*e.ActorID]
		}
	}
}

// loadMessages reads the messages ids, then the last message of each of
// chats that is not among them (a post's own message usually is), then
// those they answer that were not read yet: a query each, when needed.
func loadMessages(db *gorm.DB, ids []int64, chats []*models.Chat) ([]*models.Message, error) {
	var msgs []*models.Message
	if len(ids) > 0 {
		if err := db.Find(&msgs, ids).Error; err != nil {
			return nil, err
		}
	}
	have := set[int64]{}
	last := map[[2]int64]bool{}
	for _, m := range msgs {
		have.add(m.ID)
		last[[2]int64{m.ChatID, m.Seq}] = true
	}
	var lasts [][]any
	for _, c := range chats {
		if c.LastSeq > 0 && !last[[2]int64{c.ID, c.LastSeq}] {
			lasts = append(lasts, []any{c.ID, c.LastSeq})
		}
	}
	if len(lasts) > 0 {
		var more []*models.Message
		if err := db.Where("(chat_id, seq) IN ?", lasts).Find(&more).Error; err != nil {
			return nil, err
		}
		for _, m := range more {
			have.add(m.ID)
		}
		msgs = append(msgs, more...)
	}
	answered := set[int64]{}
	for _, m := range msgs {
		if m.ReplyToID != nil && !have.has(*m.ReplyToID) {
			answered.add(*m.ReplyToID)
		}
	}
	if len(answered) > 0 {
		var originals []*models.Message
		if err := db.Find(&originals, answered.list()).Error; err != nil {
			return nil, err
		}
		msgs = append(msgs, originals...)
	}
	return msgs, nil
}

// addIDs adds the ids that are set.
func addIDs(s set[int64], ids ...*int64) {
	for _, id := range ids {
		if id != nil {
			s.add(*id)
		}
	}
}

// forReader is e as userID gets it: with their read marker on a copy of
// the chat's row, if it was loaded, so that their unread count needs no
// query. The shared rows stay untouched.
func (e *Event) forReader(userID int64) *Event {
	seq, ok := e.readSeqs[userID]
	if !ok || e.Chat == nil {
		return e
	}
	c := *e.Chat
	c.ViewerReadSeq = &seq
	own := *e
	own.Chat = &c
	own.shared, _ = e.Shared()
	return &own
}

// set is a set of keys.
type set[K comparable] map[K]struct{}

func (s set[K]) add(k K) { s[k] = struct{}{} }

func (s set[K]) has(k K) bool {
	_, ok := s[k]
	return ok
}

func (s set[K]) list() []K {
	out := make([]K, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	return out
}

func byID[T any](rows []T, id func(T) int64) map[int64]T {
	m := make(map[int64]T, len(rows))
	for _, r := range rows {
		m[id(r)] = r
	}
	return m
}
