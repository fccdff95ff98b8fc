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
// expiry. However often it is called, and with whatever values, it goes
// on the bus at most once per Throttle per user and chat.
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

// typingState is what a hub knows of one user typing in one chat. It
// outlives a stop until the throttle window that stop began has ended, so
// that flipping typing off and on again is throttled as renewing it is.
type typingState struct {
	on   bool // announced to the local streams
	said bool // the state last published here or heard
	// lastPub is when a start or stop was last published here or heard:
	// the throttle window runs from it.
	lastPub time.Time
	// want is what a call within the window asked for, if pending: it goes
	// on the bus when the window ends (a renewal if on, so that the
	// indicator lasts the expiry after the last call, not before).
	want, pending bool
	windowEnd     *time.Timer // set from each publication until the window has ended
	gen           int         // tells a stale expiry from the current one
	expiry        *time.Timer
	conn          *Connection // the local connection that last set it, if any
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

// set handles setTyping of user in chat, through conn (nil over HTTP). The
// first call after a quiet window publishes at once; a call within the
// window only says what to publish at its end, so that a client flipping
// typing on and off on every keystroke costs one publication per window,
// of the state it left last.
func (h *typingHub) set(user, chat int64, typing bool, conn *Connection) {
	k := typingKey{user, chat}
	if conn != nil {
		conn.setTyping(chat, typing)
	}
	h.mu.Lock()
	st := h.states[k]
	if st == nil {
		if !typing {
			h.mu.Unlock()
			return // nothing to stop
		}
		st = &typingState{}
		h.states[k] = st
	}
	if typing {
		st.conn = conn
	}
	if st.windowEnd != nil || time.Since(st.lastPub) < h.cfg.Throttle {
		st.want, st.pending = typing, true
		h.endWindow(k, st)
		h.mu.Unlock()
		return
	}
	send := typing || st.said
	if send {
		h.sent(k, st, typing)
	}
	h.mu.Unlock()
	if send {
		h.publish(k, typing)
	}
}

// windowEnded publishes what a call within the window asked for, if it
// differs from what was last said or renews a start; it forgets a state
// that is off. The window is shared by every instance, what was asked
// within it is not: calls spread over two instances within one window may
// each publish at its end, one per instance.
func (h *typingHub) windowEnded(k typingKey, st *typingState) {
	h.mu.Lock()
	if h.states[k] != st {
		h.mu.Unlock()
		return
	}
	st.windowEnd = nil
	if wait := st.lastPub.Add(h.cfg.Throttle).Sub(time.Now()); wait > 0 {
		h.endWindow(k, st) // a publication heard since moved the window
		h.mu.Unlock()
		return
	}
	send, on := st.pending && (st.want || st.said), st.want
	st.pending = false
	switch {
	case send:
		h.sent(k, st, on)
	case !st.said:
		h.forget(k, st)
	}
	h.mu.Unlock()
	if send {
		h.publish(k, on)
	}
}

// sent records that this hub publishes on for k; h.mu is held.
func (h *typingHub) sent(k typingKey, st *typingState, on bool) {
	st.said, st.lastPub = on, time.Now()
	if on {
		h.arm(k, st) // also here: should the bus lose it, the state still ends
	}
	h.endWindow(k, st)
}

// endWindow has windowEnded called when st's window ends, unless it will
// be already; h.mu is held.
func (h *typingHub) endWindow(k typingKey, st *typingState) {
	if st.windowEnd == nil {
		wait := st.lastPub.Add(h.cfg.Throttle).Sub(time.Now())
		st.windowEnd = time.AfterFunc(wait, func() { h.windowEnded(k, st) })
	}
}

// forget drops st, stopping its timers; h.mu is held.
func (h *typingHub) forget(k typingKey, st *typingState) {
	if st.expiry != nil {
		st.expiry.Stop()
	}
	if st.windowEnd != nil {
		st.windowEnd.Stop()
	}
	delete(h.states, k)
}

// clear stops user typing in chat, if they are: they posted there. Not
// throttled: the message arriving must not leave the indicator showing
// until the window ends, and posting has its own rate limit.
func (h *typingHub) clear(user, chat int64) {
	h.stopNow(typingKey{user, chat}, nil)
}

// connectionClosed stops c's user typing in chat if c set it last. Not
// throttled: a connection closes once.
func (h *typingHub) connectionClosed(c *Connection, chat int64) {
	h.stopNow(typingKey{c.userID, chat}, c)
}

// stopNow publishes a stop of k at once, if it was said to be on, and
// drops what a call within the window asked for; only if conn set it
// last, unless conn is nil.
func (h *typingHub) stopNow(k typingKey, conn *Connection) {
	h.mu.Lock()
	st := h.states[k]
	if st == nil || (conn != nil && st.conn != conn) {
		h.mu.Unlock()
		return
	}
	st.pending = false
	send := st.said
	if send {
		h.sent(k, st, false)
	}
	h.mu.Unlock()
	if send {
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
// A start or stop heard, whichever instance published it, begins a new
// throttle window here too: any instance throttles a user whose requests a
// load balancer spreads. An expiry is local to each hub and publishes
// nothing, so it ends the indicator at once.
func (h *typingHub) heard(n typingNews) {
	k := typingKey{n.user, n.chat}
	h.mu.Lock()
	st := h.states[k]
	if st == nil && !n.expired {
		st = &typingState{}
		h.states[k] = st
	}
	change := false
	switch {
	case st == nil:
	case n.on:
		change, st.on, st.said, st.lastPub = !st.on, true, true, time.Now()
		h.arm(k, st)
		h.endWindow(k, st)
	case n.expired:
		if st.gen != n.gen {
			h.mu.Unlock() // renewed after the timer fired
			return
		}
		change, st.on, st.said = st.on, false, false
		if st.pending && st.want {
			st.pending = false // nobody renewed it in time: stale
		}
		if st.windowEnd == nil {
			h.forget(k, st)
		}
	default:
		change, st.on, st.said, st.lastPub = st.on, false, false, time.Now()
		if st.expiry != nil {
			st.expiry.Stop()
		}
		// A stop drops a start waiting for the window's end: the typist
		// posted, or stopped, through another instance, and their next
		// call starts anew. (One that came between this hub publishing the
		// stop and hearing it is lost with it: the next keystroke makes
		// it good.)
		st.pending = false
		h.endWindow(k, st)
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
