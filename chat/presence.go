package chat

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/events"
)

// Presence: a user is online while at least one of their authenticated
// WebSockets is open on any instance. Each instance writes a row per user
// it holds sockets of (presence), and keeps a heartbeat row of its own
// (presence_instances): an instance that dies without closing its sockets
// stops beating, and any live instance's sweeper closes its rows once the
// heartbeat expires. What subscribers are told is the users row's online
// flag, which flips at most once per Debounce: going offline waits until
// the user has had no socket for Debounce, so a connection that drops and
// comes back within it changes nothing, and coming back online within
// Debounce of going offline waits for the window to end.

// PresenceTimings set the heartbeat, its expiry and the debounce.
type PresenceTimings struct {
	// Heartbeat is how often an instance renews its row.
	Heartbeat time.Duration
	// Expiry is how long a row lives without renewal: an instance that
	// died leaves its users online for at most Expiry plus Sweep.
	Expiry time.Duration
	// Sweep is how often each instance looks for users to turn offline.
	Sweep time.Duration
	// Debounce is the least time between two changes of one user's
	// presence, and how long they must be without sockets to go offline.
	Debounce time.Duration
}

// DefaultPresenceTimings are the timings of DefaultConfig: a crashed
// instance's users go offline within 50 s.
var DefaultPresenceTimings = PresenceTimings{Heartbeat: 15 * time.Second, Expiry: 45 * time.Second,
	Sweep: 5 * time.Second, Debounce: 10 * time.Second}

// presence is this instance's part of presence.
type presence struct {
	db       *gorm.DB
	bus      events.Bus
	cfg      PresenceTimings
	instance string

	mu       sync.Mutex
	conns    map[int64]int       // open authenticated sockets here, by user
	written  map[int64]bool      // users whose row here is open in the database
	deferred map[int64]bool      // users online here whose announcement waits for the debounce
	locks    map[int64]*userLock // serialise each user's writes

	// sweepBatch and sweepBatches are the constants of the same names,
	// which tests lower.
	sweepBatch, sweepBatches int
}

// writeTimeout bounds the write of one connection's presence.
const writeTimeout = 3 * time.Second

type userLock struct {
	sync.Mutex
	refs int
}

func newPresence(db *gorm.DB, bus events.Bus, cfg PresenceTimings) *presence {
	return &presence{db: db, bus: bus, cfg: cfg, instance: rand.Text()[:16],
		conns: map[int64]int{}, written: map[int64]bool{}, deferred: map[int64]bool{}, locks: map[int64]*userLock{},
		sweepBatch: sweepBatch, sweepBatches: sweepBatches}
}

// opened counts a socket of userID and, for their first here, writes them
// online.
func (p *presence) opened(ctx context.Context, userID int64) {
	p.mu.Lock()
	p.conns[userID]++
	p.mu.Unlock()
	p.reconcile(ctx, userID)
}

// closed counts a socket of userID gone and, for their last here, closes
// their row: the sweeper turns them offline after the debounce.
func (p *presence) closed(ctx context.Context, userID int64) {
	p.mu.Lock()
	if p.conns[userID]--; p.conns[userID] <= 0 {
		delete(p.conns, userID)
	}
	p.mu.Unlock()
	p.reconcile(ctx, userID)
}

// reconcile makes userID's row here say what the sockets say: one write
// at a time per user, so that an open and a close racing end in the
// state of the last.
func (p *presence) reconcile(ctx context.Context, userID int64) {
	// Bounded: a connection's start waits for it, and a database that
	// hangs must not hold it; the heartbeat writes what failed.
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	l := p.lock(userID)
	defer p.unlock(userID, l)
	p.mu.Lock()
	want, have := p.conns[userID] > 0, p.written[userID]
	p.mu.Unlock()
	if want == have {
		return
	}
	var err error
	if want {
		err = p.open(ctx, userID)
	} else {
		err = p.db.WithContext(ctx).Exec(`UPDATE presence SET closed_at = now() WHERE user_id = ? AND instance_id = ? AND closed_at IS NULL`,
			userID, p.instance).Error
	}
	if err != nil {
		slog.WarnContext(ctx, "presence: writing a connection; the heartbeat retries", "user_id", userID, "err", err)
		return
	}
	p.mu.Lock()
	if want {
		p.written[userID] = true
	} else {
		delete(p.written, userID)
		delete(p.deferred, userID)
	}
	p.mu.Unlock()
}

func (p *presence) lock(userID int64) *userLock {
	p.mu.Lock()
	l := p.locks[userID]
	if l == nil {
		l = &userLock{}
		p.locks[userID] = l
	}
	l.refs++
	p.mu.Unlock()
	l.Lock()
	return l
}

func (p *presence) unlock(userID int64, l *userLock) {
	l.Unlock()
	p.mu.Lock()
	if l.refs--; l.refs == 0 {
		delete(p.locks, userID)
	}
	p.mu.Unlock()
}

// open writes userID's row here open and turns them online if the
// debounce allows, else leaves that to the sweeps. The user's row is
// locked first, as the sweeper locks it before it decides they are
// offline: it then sees this row, or this sees its decision. NO KEY
// UPDATE, as the two only need to exclude each other: FOR UPDATE would
// also wait for (and deadlock with) the key-share locks that inserts
// referencing the user take, such as a post or addMembers.
func (p *presence) open(ctx context.Context, userID int64) error {
	var flipped bool
	err := p.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SELECT 1 FROM users WHERE id = ? FOR NO KEY UPDATE`, userID).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO presence (user_id, instance_id) VALUES (?, ?)
			ON CONFLICT (user_id, instance_id) DO UPDATE SET closed_at = NULL, opened_at = now()`, userID, p.instance).Error; err != nil {
			return err
		}
		var err error
		flipped, err = p.goOnline(tx, userID)
		return err
	})
	if err == nil {
		p.announce(flipped, userID)
	}
	return err
}

// goOnline turns userID online unless they are or the debounce forbids it
// yet; deferred users are retried by the sweeps.
func (p *presence) goOnline(tx *gorm.DB, userID int64) (bool, error) {
	var state []struct{ Online, Flipped bool }
	err := tx.Raw(`WITH f AS (UPDATE users SET online = true, presence_changed_at = now()
			WHERE id = ? AND NOT online AND (presence_changed_at IS NULL OR presence_changed_at <= now() - make_interval(secs => ?))
			RETURNING id)
		SELECT u.online OR EXISTS (SELECT 1 FROM f) AS online, EXISTS (SELECT 1 FROM f) AS flipped FROM users u WHERE u.id = ?`,
		userID, p.cfg.Debounce.Seconds(), userID).Scan(&state).Error
	if err != nil || len(state) == 0 {
		return false, err
	}
	p.mu.Lock()
	if state[0].Online {
		delete(p.deferred, userID)
	} else {
		p.deferred[userID] = true
	}
	p.mu.Unlock()
	return state[0].Flipped, nil
}

// announce publishes a change of userID's presence, after its commit.
func (p *presence) announce(changed bool, userIDs ...int64) {
	if !changed {
		return
	}
	out := make([]events.Event, len(userIDs))
	for i, id := range userIDs {
		out[i] = events.Event{Topic: events.PresenceTopic, Kind: events.PresenceChanged, ID: id}
	}
	p.bus.Publish(out...)
}

// RunPresence beats this instance's heartbeat and sweeps for users to turn
// offline (or deferred ones online) until ctx ends. Ending it writes
// nothing: a graceful stop closes the sockets first, which closes their
// rows; a crash leaves the heartbeat to expire.
func (s *Service) RunPresence(ctx context.Context) {
	p := s.presence
	p.beat(ctx)
	beat, sweep := time.NewTicker(p.cfg.Heartbeat), time.NewTicker(p.cfg.Sweep)
	defer beat.Stop()
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			p.beat(ctx)
		case <-sweep.C:
			if err := p.sweep(ctx); err != nil && ctx.Err() == nil {
				slog.WarnContext(ctx, "presence: sweeping failed; retrying", "err", err)
			}
		}
	}
}

// beat renews the heartbeat. A heartbeat found expired (the database was
// away too long, or the process stalled) was swept as dead: the instance
// writes itself and its users back.
func (p *presence) beat(ctx context.Context) {
	res := p.db.WithContext(ctx).Exec(`UPDATE presence_instances SET heartbeat_at = now(), expires_at = now() + make_interval(secs => ?)
		WHERE id = ?`, p.cfg.Expiry.Seconds(), p.instance)
	if res.Error != nil {
		slog.WarnContext(ctx, "presence: heartbeat failed", "err", res.Error)
		return
	}
	if res.RowsAffected == 0 {
		if err := p.db.WithContext(ctx).Exec(`INSERT INTO presence_instances (id, expires_at) VALUES (?, now() + make_interval(secs => ?))
			ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), expires_at = EXCLUDED.expires_at`, p.instance, p.cfg.Expiry.Seconds()).Error; err != nil {
			slog.WarnContext(ctx, "presence: heartbeat failed", "err", err)
			return
		}
		p.mu.Lock()
		for u := range p.written { // the sweeper may have closed them: reopen
			if p.conns[u] > 0 {
				delete(p.written, u)
			}
		}
		p.mu.Unlock()
	}
	// Rewrite what failed to be written, or was swept: opens, and closes
	// too, since a row left open would keep its user online for good.
	p.mu.Lock()
	var stale []int64
	for u := range p.conns {
		if !p.written[u] {
			stale = append(stale, u)
		}
	}
	for u := range p.written {
		if p.conns[u] == 0 {
			stale = append(stale, u)
		}
	}
	p.mu.Unlock()
	for _, u := range stale {
		p.reconcile(ctx, u)
	}
}

// withDefaults is t with its zero durations taken from the defaults.
func (t PresenceTimings) withDefaults() PresenceTimings {
	d := DefaultPresenceTimings
	return PresenceTimings{Heartbeat: or(t.Heartbeat, d.Heartbeat), Expiry: or(t.Expiry, d.Expiry),
		Sweep: or(t.Sweep, d.Sweep), Debounce: or(t.Debounce, d.Debounce)}
}

// withDefaults is t with its zero durations taken from the defaults.
func (t TypingTimings) withDefaults() TypingTimings {
	d := DefaultTypingTimings
	return TypingTimings{Throttle: or(t.Throttle, d.Throttle), Expiry: or(t.Expiry, d.Expiry)}
}

// or is d, or def when d is not set.
func or(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
