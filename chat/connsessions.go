package chat

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/internal/pump"
	"github.com/gqlchat/gqlchat/models"
)

// connSessions ends this instance's connections whose session ends:
// revoked (logOut, changePassword, deleteAccount) or expired. The
// connection's subscriptions end with the session by themselves, and each
// of its operations is checked, but the transport keeps the socket open:
// without this its user would stay online, and its typing on, for as long
// as the client keeps it. It listens on SessionsTopic, once per instance,
// and on news of a user re-checks the sessions of that user's connections
// here in one query; lost news (a Resync, a full buffer) re-checks all.
// Only a session found dead ends a connection: a check that failed is
// retried.
type connSessions struct {
	s *Service

	mu     sync.Mutex
	byUser map[int64]map[*Connection]struct{}
	due    set[int64] // users whose connections need a check
	all    bool       // every connection needs one
	sub    *events.Subscription
	pump   *pump.Pump
}

// sessionRecheck bounds a check of sessions, and is how soon one that
// failed (the database, not the sessions) is tried again.
const sessionRecheck = 5 * time.Second

func newConnSessions(s *Service) *connSessions {
	w := &connSessions{s: s, byUser: map[int64]map[*Connection]struct{}{}, due: set[int64]{}}
	w.sub = s.bus.Subscribe(256, events.SessionsTopic).Lossy()
	w.pump = pump.New(w.work)
	w.sub.Notify(w.pump.Kick)
	return w
}

// add follows c, whose session is v's, and checks it once: a revocation
// since the connection authenticated is then not missed.
func (w *connSessions) add(c *Connection, v *Viewer) {
	w.mu.Lock()
	if w.byUser[c.userID] == nil {
		w.byUser[c.userID] = map[*Connection]struct{}{}
	}
	w.byUser[c.userID][c] = struct{}{}
	w.due.add(c.userID)
	w.mu.Unlock()
	c.mu.Lock() // after registering: an end from here on unregisters it
	if !c.closed && !v.ExpiresAt.IsZero() {
		c.expiry = time.AfterFunc(time.Until(v.ExpiresAt), func() { w.s.endConnection(context.Background(), c) })
	}
	c.mu.Unlock()
	w.pump.Kick()
}

// remove stops following c.
func (w *connSessions) remove(c *Connection) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.byUser[c.userID], c)
	if len(w.byUser[c.userID]) == 0 {
		delete(w.byUser, c.userID)
	}
}

func (w *connSessions) work() {
	w.mu.Lock()
	for drained := false; !drained; {
		select {
		case e := <-w.sub.C:
			if e.Kind == events.Resync {
				w.all = true
			} else if w.byUser[e.ID] != nil {
				w.due.add(e.ID)
			}
		default:
			drained = true
		}
	}
	if w.sub.TakeMissed() || w.all {
		w.all = false
		for u := range w.byUser {
			w.due.add(u)
		}
	}
	var conns []*Connection
	for u := range w.due {
		for c := range w.byUser[u] {
			conns = append(conns, c)
		}
	}
	clear(w.due)
	w.mu.Unlock()
	if len(conns) > 0 {
		w.check(conns)
	}
}

// check ends those of conns whose session is no longer live.
func (w *connSessions) check(conns []*Connection) {
	ids := make([]int64, len(conns))
	for i, c := range conns {
		ids[i] = c.sessionID
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionRecheck)
	defer cancel()
	var live []int64
	err := w.s.db.WithContext(ctx).Model(&models.Session{}).
		Where("id IN ? AND revoked_at IS NULL AND expires_at > now()", ids).Pluck("id", &live).Error
	if err != nil {
		slog.Warn("connections: checking their sessions; retrying", "err", err)
		time.AfterFunc(sessionRecheck, func() {
			w.mu.Lock()
			for _, c := range conns {
				w.due.add(c.userID)
			}
			w.mu.Unlock()
			w.pump.Kick()
		})
		return
	}
	alive := set[int64]{}
	for _, id := range live {
		alive.add(id)
	}
	for _, c := range conns {
		if !alive.has(c.sessionID) {
			w.s.endConnection(context.Background(), c)
		}
	}
}
