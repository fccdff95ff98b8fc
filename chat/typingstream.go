package chat

import (
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/models"
)

// EventTyping is the kind of the TypingEvents a chatEvents stream hands
// out among the log's events: not stored, so never a kind of the log.
const EventTyping models.ChatEventKind = "TYPING"

// Typing is the state a TypingEvent (Kind EventTyping) reports: whether
// its User is typing.
func (e *Event) Typing() bool { return e.Name != nil && *e.Name == typingOn }

// typingOn marks a TypingEvent that starts an indicator, in the Name an
// ephemeral event has no other use for.
const typingOn = "on"

// typingNote is one start or stop as the streams of this instance get it,
// with the rows it shows loaded once for all of them.
type typingNote struct {
	on   bool
	at   time.Time
	chat *models.Chat
	user *models.User
	// recent are the chat's last few events, newest first, from which each
	// stream finds the position it has covered without a query; before
	// them, floor is where the kept log begins.
	recent []models.ChatEvent
	floor  int64
}

// recentTypingEvents is how many of a chat's last events a note carries:
// a stream further behind than that in the chat asks the database.
const recentTypingEvents = 8

// loadRows reads the chat, the typing user and the chat's last events.
func (n *typingNote) loadRows(db *gorm.DB, chatID, userID int64) error {
	n.chat, n.user = &models.Chat{}, &models.User{}
	if err := db.Take(n.chat, chatID).Error; err != nil {
		return err
	}
	if err := db.Take(n.user, userID).Error; err != nil {
		return err
	}
	if err := db.Raw(`SELECT pruned_pos FROM chats WHERE id = ?`, chatID).Scan(&n.floor).Error; err != nil {
		return err
	}
	return db.Raw(`SELECT chat_id, pos, xid::text::bigint AS xid FROM chat_events WHERE chat_id = ? ORDER BY pos DESC LIMIT ?`,
		chatID, recentTypingEvents).Scan(&n.recent).Error
}

// typingInbox is one chatEvents stream's queue of typing notes.
type typingInbox struct {
	userID int64
	chatID *int64 // the one chat its stream follows, or nil for all
	kick   func()

	mu    sync.Mutex
	notes []*typingNote
}

// maxTypingNotes bounds an inbox: a stream that far behind loses the oldest
// notes, which later ones or the expiry make good.
const maxTypingNotes = 64

func (in *typingInbox) push(n *typingNote) {
	in.mu.Lock()
	if len(in.notes) >= maxTypingNotes {
		in.notes = in.notes[1:]
	}
	in.notes = append(in.notes, n)
	in.mu.Unlock()
	in.kick()
}

func (in *typingInbox) take() []*typingNote {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := in.notes
	in.notes = nil
	return n
}

// register adds the typing inbox of a chatEvents stream of userID.
func (h *typingHub) register(userID int64, chatID *int64, kick func()) *typingInbox {
	in := &typingInbox{userID: userID, chatID: chatID, kick: kick}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.inboxes[userID] == nil {
		h.inboxes[userID] = map[*typingInbox]struct{}{}
	}
	h.inboxes[userID][in] = struct{}{}
	return in
}

// unregister drops in; nil (a stream without typing) is nothing to drop.
func (h *typingHub) unregister(in *typingInbox) {
	if in == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.inboxes[in.userID], in)
	if len(h.inboxes[in.userID]) == 0 {
		delete(h.inboxes, in.userID)
	}
}

// drainTyping hands out the typing notes queued for the stream, each with
// the position the stream has delivered: resuming after a TypingEvent
// misses nothing. False ends the stream.
func (st *eventStream[T]) drainTyping(in *typingInbox) bool {
	for _, n := range in.take() {
		if st.only != nil && *st.only != n.chat.ID {
			continue
		}
		pos, token, ok := st.typingPosition(n)
		if !ok {
			continue // the database is away: the indicator will expire
		}
		e := &Event{ChatEvent: models.ChatEvent{ChatID: n.chat.ID, Pos: pos, Kind: EventTyping, UserID: &n.user.ID, At: n.at},
			Chat: n.chat, User: n.user}
		if n.on {
			on := typingOn
			e.Name = &on
		}
		if !send(st.ctx, st.out, st.as(e, token.String()), st.ready) {
			return false
		}
	}
	return true
}

// typingPosition is the chat's position and the sync token the stream has
// delivered: a one-chat stream's last event, or what the stream's snapshot
// (its start, or its all-chats position) shows of the chat.
func (st *eventStream[T]) typingPosition(n *typingNote) (int64, syncToken, bool) {
	if st.only != nil && st.lastPos >= 0 {
		return st.lastPos, st.at, true
	}
	token := st.at
	if st.only != nil {
		token = syncToken{lo: st.start}
	}
	seen := token.lo
	// Positions follow commit order, so the newest visible event is the
	// end of what the snapshot shows of the chat.
	for _, e := range n.recent {
		if seen.visible(e.XID) {
			return e.Pos, token, true
		}
	}
	if len(n.recent) < recentTypingEvents { // none kept is visible: the kept log begins after
		return n.floor, token, true
	}
	var pos []int64
	err := st.s.db.WithContext(st.ctx).Raw(`SELECT pos FROM chat_events WHERE chat_id = ? AND pos < ?
		AND pg_visible_in_snapshot(xid, CAST(? AS text)::pg_snapshot) ORDER BY pos DESC LIMIT 1`,
		n.chat.ID, n.recent[len(n.recent)-1].Pos, seen.String()).Scan(&pos).Error
	if err != nil {
		return 0, token, false
	}
	if len(pos) == 0 {
		return n.floor, token, true
	}
	return pos[0], token, true
}
