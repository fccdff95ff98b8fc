package chat

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/models"
)

// The log reader reads, once for all the streams of this instance, what
// the event logs of all chats gained since its last read: the events whose
// transactions its last snapshot did not see. One read costs the same few
// queries however many subscribers there are, and cannot miss an event, as
// reading by position or time could: a transaction that commits late is
// simply not yet visible, and is read the next time. The bus only wakes it.
type logReader struct {
	db  *gorm.DB
	bus events.Bus

	mu      sync.Mutex
	snap    snapshot      // every event visible in it has been handed out
	read    chan struct{} // closed after each read, for those who wait for one
	byUser  map[int64]map[*listener]struct{}
	running bool
	wake    chan struct{}
}

// Bounds of the log reader.
const (
	// maxPending is how many events a listener may hold unread before the
	// reader drops them; its stream then replays them from the database.
	maxPending = 1024
	// pollEvery reads the log even if no wake-up came, in case the bus
	// lost one without noticing.
	pollEvery = 5 * time.Second
)

func newLogReader(db *gorm.DB, bus events.Bus) *logReader {
	return &logReader{db: db, bus: bus, byUser: map[int64]map[*listener]struct{}{},
		read: make(chan struct{}), wake: make(chan struct{}, 1)}
}

// listener is one stream's place in the reader: the events of its user's
// chats that the user may see, in batches, until it is dropped.
type listener struct {
	userID int64
	chatID *int64 // the one chat its stream follows, or nil for all
	notify func() // tells the stream there is something to take

	mu      sync.Mutex
	pending []*userBatch
	queued  int
	// gap is set when pending overflowed: the batches up to it were
	// dropped, and the stream must replay from the database up to gap.
	gap *snapshot
}

// userBatch is what one read of the log holds for one user: the events
// they may see among those visible in hi but not in lo, in (chat,
// position) order.
type userBatch struct {
	lo, hi snapshot
	events []*Event
}

// push queues b, or drops everything queued if the listener is too far behind.
func (l *listener) push(b *userBatch) {
	l.mu.Lock()
	if l.queued+len(b.events) > maxPending {
		l.pending, l.queued, l.gap = nil, 0, &b.hi
	} else {
		l.pending = append(l.pending, b)
		l.queued += len(b.events)
	}
	l.mu.Unlock()
	l.notify()
}

// take returns what is queued and the gap to replay first, if any.
func (l *listener) take() ([]*userBatch, *snapshot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, gap := l.pending, l.gap
	l.pending, l.queued, l.gap = nil, 0, nil
	return b, gap
}

// register adds l and returns the snapshot after which it gets every
// event: those visible in it are for the caller to replay. It first waits
// until the reader has read at least what min shows (now, or a token made
// on another instance that is ahead of this one).
func (r *logReader) register(ctx context.Context, l *listener, min snapshot) (snapshot, error) {
	for {
		r.mu.Lock()
		if !r.running {
			if err := r.start(ctx); err != nil {
				r.mu.Unlock()
				return snapshot{}, err
			}
		}
		if r.snap.covers(min) {
			if r.byUser[l.userID] == nil {
				r.byUser[l.userID] = map[*listener]struct{}{}
			}
			r.byUser[l.userID][l] = struct{}{}
			snap := r.snap
			r.mu.Unlock()
			return snap, nil
		}
		read := r.read
		r.mu.Unlock()
		r.kick()
		select {
		case <-read:
		case <-ctx.Done():
			return snapshot{}, ctx.Err()
		}
	}
}

// unregister drops l; the reader stops once no listener is left.
func (r *logReader) unregister(l *listener) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ls := r.byUser[l.userID]; ls != nil {
		delete(ls, l)
		if len(ls) == 0 {
			delete(r.byUser, l.userID)
		}
	}
	if len(r.byUser) == 0 {
		r.kick() // to notice it has nobody left to read for
	}
}

// streams counts the listeners of users among userIDs that follow chatID
// (alone or with all their chats).
func (r *logReader) streams(chatID int64, userIDs []int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, u := range userIDs {
		for l := range r.byUser[u] {
			if l.chatID == nil || *l.chatID == chatID {
				n++
			}
		}
	}
	return n
}

func (r *logReader) kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// start takes the first snapshot and starts reading; r.mu is held.
func (r *logReader) start(ctx context.Context) error {
	// Listening before the first snapshot: a commit the snapshot does not
	// show is noted after it, so no event waits for the poll.
	sub := r.bus.Subscribe(16, events.LogTopic).Lossy()
	sub.Notify(r.kick)
	var text string
	if err := r.db.WithContext(ctx).Raw(`SELECT pg_current_snapshot()::text`).Scan(&text).Error; err != nil {
		sub.Close()
		return err
	}
	snap, err := parseSnapshot(text)
	if err != nil {
		sub.Close()
		return err
	}
	r.snap, r.running = snap, true
	go r.loop(sub)
	return nil
}

// loop reads the log whenever woken, until nobody listens.
func (r *logReader) loop(sub *events.Subscription) {
	defer sub.Close()
	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	wait := 100 * time.Millisecond
	for {
		select {
		case <-r.wake:
		case <-poll.C:
		}
		for drained := false; !drained; { // what woke us is about to be read
			select {
			case <-sub.C:
			default:
				drained = true
			}
		}
		sub.TakeMissed()
		r.mu.Lock()
		if len(r.byUser) == 0 {
			r.running = false
			close(r.read) // whoever waits for a read starts the reader again
			r.read = make(chan struct{})
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		if err := r.readOnce(context.Background()); err != nil {
			slog.Warn("event log reader: reading failed; retrying", "err", err, "retry_in", wait)
			time.Sleep(wait)
			wait = min(2*wait, 5*time.Second)
			r.kick()
			continue
		}
		wait = 100 * time.Millisecond
	}
}

// readOnce reads the events committed since the last read and hands each
// to the listeners of the members who may see it.
func (r *logReader) readOnce(ctx context.Context) error {
	r.mu.Lock()
	prev := r.snap
	r.mu.Unlock()
	read, err := readLog(ctx, r.db, prev)
	if err != nil {
		return err
	}
	read.attach(read.evs)
	r.dispatch(prev, read.next, read.evs, membersBefore(read.evs, read.members))
	return nil
}

// membersBefore returns the members of each chat of evs as of the last
// read: those read with evs (after them), taken back through them.
func membersBefore(evs []*Event, after []*models.ChatMember) map[int64]set[int64] {
	out := map[int64]set[int64]{}
	for _, e := range evs {
		out[e.ChatID] = set[int64]{}
	}
	for _, m := range after {
		out[m.ChatID].add(m.UserID)
	}
	for i := len(evs) - 1; i >= 0; i-- { // undo the batch's joins and departures
		e := evs[i]
		switch e.Kind {
		case models.EventMemberJoined:
			delete(out[e.ChatID], *e.UserID)
		case models.EventMemberLeft:
			out[e.ChatID].add(*e.UserID)
		}
	}
	return out
}

// dispatch hands each event to the listeners of the members who may see
// it, and moves the reader on to next.
func (r *logReader) dispatch(prev, next snapshot, evs []*Event, members map[int64]set[int64]) {
	r.mu.Lock()
	defer r.mu.Unlock()
	byUser := map[int64][]*Event{}
	for _, e := range evs {
		e.live = true // before any stream sees it
		m := members[e.ChatID]
		if m == nil {
			m = set[int64]{}
			members[e.ChatID] = m
		}
		if e.Kind == models.EventMemberJoined {
			m.add(*e.UserID)
		}
		for u := range recipients(e, m) {
			if r.byUser[u] != nil {
				byUser[u] = append(byUser[u], e)
			}
		}
		if e.Kind == models.EventMemberLeft {
			delete(m, *e.UserID)
		}
	}
	for u, evs := range byUser {
		b := &userBatch{lo: prev, hi: next, events: evs}
		for l := range r.byUser[u] {
			l.push(b)
		}
	}
	r.snap = next
	close(r.read)
	r.read = make(chan struct{})
}

// recipients returns who may see e among members, the chat's members at
// the time of e: all of them. A read marker too goes to every member, not
// only its owner's other devices: the others draw "seen by" from it (read
// receipts), and replay (visibleTo) agrees.
func recipients(_ *Event, members set[int64]) set[int64] {
	return members
}
