package chat

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/internal/pump"
)

// Typing indicators are ephemeral: never stored, never replayed, never
// ordered with a chat's log. setTyping publishes on the bus's typing topic,
// and every instance's hub keeps who is typing where from what it hears
// there: it tells its own chatEvents streams of the chat's other members
// when someone starts or stops, and ends an indicator nobody renewed in
// time by itself. Knowing what every instance published also lets any
// instance throttle a user whose requests a load balancer spreads, and
// clear the indicator when that user posts.

// TypingTimings set how often a typing indicator goes on the bus and how
// long it lasts without renewal.
type TypingTimings struct {
	// Throttle is the least time between two publications of one user
	// typing in one chat: setTyping(true) on every keystroke costs one
	// event per Throttle at most.
	Throttle time.Duration
	// Expiry ends an indicator that was not renewed for this long.
	Expiry time.Duration
}

// DefaultTypingTimings are the timings of DefaultConfig.
var DefaultTypingTimings = TypingTimings{Throttle: 2 * time.Second, Expiry: 6 * time.Second}

// SetTyping says whether the viewer is typing in chatID, a chat they are
// in (NOT_FOUND otherwise, as for every chat they are not in); in a
// private chat the two must be friends, refused as posting is (so a
// blocked user learns nothing more than from posting). The other
// members' chatEvents streams get a TypingEvent when the viewer starts and
// when they stop: by calling it with false, by posting in the chat, when
// the connection that set it closes, or when nobody renewed it for the
// expiry.
func (s *Service) SetTyping(ctx context.Context, chatID int64, typing bool) error {
	v, err := requireViewer(ctx)
	if err != nil {
		return err
	}
	db := s.db.WithContext(ctx)
	c, err := memberChat(db, chatID, v.UserID, false)
	if err != nil {
		return err
	}
	// No lock: an indicator racing the friendship's end is harmless, and
	// this runs on keystrokes.
	if err := friendsInPrivate(db, c, v.UserID, false); err != nil {
		return err
	}
	s.typing.set(v.UserID, chatID, typing, connectionFrom(ctx))
	return nil
}

type typingKey struct{ user, chat int64 }

// typingState is what a hub knows of one user typing in one chat.
type typingState struct {
	on       bool      // announced to the local streams
	lastTrue time.Time // when typing was last published or heard
	gen      int       // tells a stale expiry from the current one
	expiry   *time.Timer
	trailing *time.Timer // a throttled renewal, published at the end of the window
	conn     *Connection // the local connection that last set it, if any
}

// typingNews is a start or stop heard on the bus, or a local expiry of
// the state's generation gen.
type typingNews struct {
	user, chat int64
	on         bool
	expired    bool
	gen        int
}

// typingHub is one instance's view of who is typing where.
type typingHub struct {
	db  *gorm.DB
	bus events.Bus
	cfg TypingTimings

	mu      sync.Mutex
	states  map[typingKey]*typingState
	inboxes map[int64]map[*typingInbox]struct{} // the local chatEvents streams, by user
	expired []typingNews                        // queued by timers for the pump
	sub     *events.Subscription
	pump    *pump.Pump
}

func newTypingHub(db *gorm.DB, bus events.Bus, cfg TypingTimings) *typingHub {
	h := &typingHub{db: db, bus: bus, cfg: cfg, states: map[typingKey]*typingState{},
		inboxes: map[int64]map[*typingInbox]struct{}{}}
	// Lossy: a hub that falls behind loses indicators, which expire anyway,
	// rather than its subscription.
	h.sub = bus.Subscribe(256, events.TypingTopic).Lossy()
	h.pump = pump.New(h.work)
	h.sub.Notify(h.pump.Kick)
	return h
}

// set handles setTyping of user in chat, through conn (nil over HTTP).
func (h *typingHub) set(user, chat int64, typing bool, conn *Connection) {
	k := typingKey{user, chat}
	if conn != nil {
		conn.setTyping(chat, typing)
	}
	h.mu.Lock()
	st := h.states[k]
	if !typing {
		h.mu.Unlock()
		if st != nil {
			h.publish(k, false)
		}
		return
	}
	if st == nil {
		st = &typingState{}
		h.states[k] = st
	}
	st.conn = conn
	now := time.Now()
	if wait := st.lastTrue.Add(h.cfg.Throttle).Sub(now); wait > 0 {
		// Within the window: the renewal goes out when it ends, so that
		// the indicator lasts the expiry after the last call, not before.
		if st.trailing == nil {
			st.trailing = time.AfterFunc(wait, func() { h.renew(k, st) })
		}
		h.mu.Unlock()
		return
	}
	st.lastTrue = now
	h.arm(k, st) // also here: should the bus lose it, the state still ends
	h.mu.Unlock()
	h.publish(k, true)
}

// renew publishes a throttled renewal, unless the indicator ended meanwhile.
func (h *typingHub) renew(k typingKey, st *typingState) {
	h.mu.Lock()
	st.trailing = nil
	if h.states[k] != st {
		h.mu.Unlock()
		return
	}
	st.lastTrue = time.Now()
	h.arm(k, st)
	h.mu.Unlock()
	h.publish(k, true)
}

// clear stops user typing in chat, if they are: they posted there.
func (h *typingHub) clear(user, chat int64) {
	h.mu.Lock()
	st := h.states[typingKey{user, chat}]
	h.mu.Unlock()
	if st != nil {
		h.publish(typingKey{user, chat}, false)
	}
}

// connectionClosed stops c's user typing in chat if c set it last.
func (h *typingHub) connectionClosed(c *Connection, chat int64) {
	k := typingKey{c.userID, chat}
	h.mu.Lock()
	st := h.states[k]
	mine := st != nil && st.conn == c
	h.mu.Unlock()
	if mine {
		h.publish(k, false)
	}
}

func (h *typingHub) publish(k typingKey, on bool) {
	kind := events.TypingStopped
	if on {
		kind = events.TypingStarted
	}
	h.bus.Publish(events.Event{Topic: events.TypingTopic, Kind: kind, ID: k.user, Chat: k.chat})
}

// arm (re)starts st's expiry; h.mu is held.
func (h *typingHub) arm(k typingKey, st *typingState) {
	st.gen++
	gen := st.gen
	if st.expiry != nil {
		st.expiry.Stop()
	}
	st.expiry = time.AfterFunc(h.cfg.Expiry, func() {
		h.mu.Lock()
		if h.states[k] != st || st.gen != gen {
			h.mu.Unlock()
			return
		}
		h.expired = append(h.expired, typingNews{user: k.user, chat: k.chat, expired: true, gen: gen})
		h.mu.Unlock()
		h.pump.Kick()
	})
}

// work handles what the bus and the timers queued, one at a time.
func (h *typingHub) work() {
	for {
		var n typingNews
		select {
		case e := <-h.sub.C:
			if e.Kind != events.TypingStarted && e.Kind != events.TypingStopped {
				continue // a Resync: indicators expire by themselves
			}
			n = typingNews{user: e.ID, chat: e.Chat, on: e.Kind == events.TypingStarted}
		default:
			h.mu.Lock()
			if len(h.expired) == 0 {
				h.mu.Unlock()
				h.sub.TakeMissed()
				return
			}
			n = h.expired[0]
			h.expired = h.expired[1:]
			h.mu.Unlock()
		}
		h.heard(n)
	}
}

// heard updates the state with n and tells the local streams of a change.
func (h *typingHub) heard(n typingNews) {
	k := typingKey{n.user, n.chat}
	h.mu.Lock()
	st := h.states[k]
	change := false
	switch {
	case n.on:
		if st == nil {
			st = &typingState{}
			h.states[k] = st
		}
		st.lastTrue = time.Now()
		change, st.on = !st.on, true
		h.arm(k, st)
	case st != nil:
		if n.expired && st.gen != n.gen {
			h.mu.Unlock() // renewed after the timer fired
			return
		}
		change = st.on
		if st.expiry != nil {
			st.expiry.Stop()
		}
		if st.trailing != nil {
			st.trailing.Stop()
		}
		delete(h.states, k)
	}
	h.mu.Unlock()
	if change {
		h.announce(n)
	}
}

// announce hands n to the local streams of the chat's other members.
func (h *typingHub) announce(n typingNews) {
	h.mu.Lock()
	listening := len(h.inboxes) > 1 || (len(h.inboxes) == 1 && h.inboxes[n.user] == nil)
	h.mu.Unlock()
	if !listening {
		return
	}
	note, recipients, err := h.load(n)
	if err != nil {
		slog.Error("typing: reading the chat's members", "chat_id", n.chat, "err", err)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, u := range recipients {
		for in := range h.inboxes[u] {
			if in.chatID == nil || *in.chatID == n.chat {
				in.push(note)
			}
		}
	}
}

// load reads the chat's members that have a stream here, and the rows a
// TypingEvent shows, once for all of them. Members who blocked the typist
// are left out (in a group; a private chat's typist must be a friend),
// starts and stops alike: an indicator shown before the block stays on
// the blocker's client, which hides the blocked user by viewerBlocked.
func (h *typingHub) load(n typingNews) (*typingNote, []int64, error) {
	var members []int64
	db := h.db.WithContext(context.Background())
	if err := db.Table("chat_members m").Where("m.chat_id = ?", n.chat).Where(notBlockedBy("m.user_id", n.user)).
		Pluck("m.user_id", &members).Error; err != nil {
		return nil, nil, err
	}
	h.mu.Lock()
	recipients := members[:0]
	for _, u := range members {
		if u != n.user && h.inboxes[u] != nil {
			recipients = append(recipients, u)
		}
	}
	h.mu.Unlock()
	if len(recipients) == 0 {
		return nil, nil, nil
	}
	note := &typingNote{on: n.on, at: time.Now()}
	if err := note.loadRows(db, n.chat, n.user); err != nil {
		return nil, nil, err
	}
	return note, recipients, nil
}
