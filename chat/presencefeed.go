package chat

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/internal/pump"
	"github.com/gqlchat/gqlchat/models"
)

// presenceVisibility is who may see whose presence, as (viewer_id,
// user_id) pairs besides everyone seeing their own: friends, and members
// of a GROUP chat they share (a group's member list shows who is online,
// as Matrix does). A private chat alone grants nothing: it outlives the
// friendship, and an ex-friend has no more claim than a stranger. It is
// the one rule: the User fields and the presenceChanged subscription both
// select from it, each adding notBlockedEitherWay, so that a block either
// way hides presence as it hides everything else.
const presenceVisibility = `(SELECT f.user_id AS viewer_id, f.friend_id AS user_id FROM friendships f
	UNION ALL SELECT a.user_id, b.user_id FROM chat_members a
		JOIN chats c ON c.id = a.chat_id AND c.kind = 'GROUP'
		JOIN chat_members b ON b.chat_id = a.chat_id AND b.user_id <> a.user_id)`

// PresenceVisible reports, for each of userIDs, whether the viewer may see
// their presence (User.online and lastSeenAt): one query for a list.
// Anonymous viewers see nobody's.
func (s *Service) PresenceVisible(ctx context.Context, userIDs []int64) ([]bool, error) {
	out := make([]bool, len(userIDs))
	v := ViewerFrom(ctx)
	if v == nil {
		return out, nil
	}
	var visible []int64
	if err := s.db.WithContext(ctx).Table(presenceVisibility+` pv`).Distinct("pv.user_id").
		Where("pv.viewer_id = ? AND pv.user_id IN ?", v.UserID, userIDs).
		Where(notBlockedEitherWay("pv.user_id", v.UserID)).Scan(&visible).Error; err != nil {
		return nil, err
	}
	seen := set[int64]{v.UserID: {}}
	for _, id := range visible {
		seen.add(id)
	}
	for i, id := range userIDs {
		out[i] = seen.has(id)
	}
	return out, nil
}

// presenceAudience is who besides userID may see their presence.
func presenceAudience(db *gorm.DB, userID int64) ([]int64, error) {
	var ids []int64
	// notBlockedEitherWay is symmetric: here the fixed user is userID.
	err := db.Table(presenceVisibility+` pv`).Distinct("pv.viewer_id").Where("pv.user_id = ?", userID).
		Where(notBlockedEitherWay("pv.viewer_id", userID)).Scan(&ids).Error
	return ids, err
}

// presenceFeed hands the presence changes heard on the bus to this
// instance's presenceChanged subscriptions of those who may see them.
type presenceFeed struct {
	db *gorm.DB

	mu      sync.Mutex
	inboxes map[int64]map[*presenceInbox]struct{}
	sub     *events.Subscription
}

func newPresenceFeed(db *gorm.DB, bus events.Bus) *presenceFeed {
	f := &presenceFeed{db: db, inboxes: map[int64]map[*presenceInbox]struct{}{}}
	f.sub = bus.Subscribe(256, events.PresenceTopic).Lossy()
	p := pump.New(f.work)
	f.sub.Notify(p.Kick)
	return f
}

// presenceInbox is one subscription's queue of changed users: each user
// once, with their latest row, in the order they first changed since the
// last take. However far the subscriber falls behind, or however many
// users a resync sends again, it holds no more than the users the
// subscriber may see, so it never ends a subscription for falling behind.
type presenceInbox struct {
	userID int64
	kick   func()

	mu    sync.Mutex
	users []*models.User
	at    map[int64]int // index in users, by user id
}

func (in *presenceInbox) push(u *models.User) {
	in.mu.Lock()
	if i, ok := in.at[u.ID]; ok {
		in.users[i] = u
	} else {
		if in.at == nil {
			in.at = map[int64]int{}
		}
		in.at[u.ID] = len(in.users)
		in.users = append(in.users, u)
	}
	in.mu.Unlock()
	in.kick()
}

func (in *presenceInbox) take() []*models.User {
	in.mu.Lock()
	defer in.mu.Unlock()
	u := in.users
	in.users, in.at = nil, nil
	return u
}

func (f *presenceFeed) work() {
	lost := false
	for {
		select {
		case e := <-f.sub.C:
			switch e.Kind {
			case events.PresenceChanged:
				f.deliver(e.ID)
			case events.Resync:
				lost = true
			}
		default:
			if f.sub.TakeMissed() || lost {
				f.resync()
			}
			return
		}
	}
}

// deliver reads userID's presence and who may see it, once for all the
// subscriptions here, if any.
func (f *presenceFeed) deliver(userID int64) {
	f.mu.Lock()
	idle := len(f.inboxes) == 0
	f.mu.Unlock()
	if idle {
		return
	}
	db := f.db.WithContext(context.Background())
	var u models.User
	audience, err := presenceAudience(db, userID)
	if err == nil {
		err = db.Take(&u, userID).Error
	}
	if err != nil {
		slog.Error("presence: reading a change", "user_id", userID, "err", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range audience {
		for in := range f.inboxes[v] {
			in.push(&u)
		}
	}
}

// PresenceEventsAs streams the presence changes of the other users whose
// presence the viewer may see (a subscriber is online: their own changes
// would tell them nothing), each queued as as(user): the
// user's row, with Online and LastSeenAt as changed. The stream calls
// ready (if not nil) after each change it queues and once after closing
// the channel.
func PresenceEventsAs[T any](ctx context.Context, s *Service, as func(*models.User) T, ready func()) (<-chan T, error) {
	v, sub, err := s.subscribe(ctx, subscriptionBuffer)
	if err != nil {
		return nil, err
	}
	var kick atomic.Pointer[func()]
	in := &presenceInbox{userID: v.UserID, kick: func() {
		if f := kick.Load(); f != nil {
			(*f)()
		}
	}}
	f := s.presenceFeed
	f.mu.Lock()
	if f.inboxes[v.UserID] == nil {
		f.inboxes[v.UserID] = map[*presenceInbox]struct{}{}
	}
	f.inboxes[v.UserID][in] = struct{}{}
	f.mu.Unlock()
	out := make(chan T, 1)
	ready = orNothing(ready)
	drain := func() bool {
		for _, u := range in.take() {
			if !send(ctx, out, as(u), ready) {
				return false
			}
		}
		return true
	}
	k := s.run(ctx, v, sub, nil, func(events.Event) bool { return true }, drain, func() {
		f.mu.Lock()
		delete(f.inboxes[v.UserID], in)
		if len(f.inboxes[v.UserID]) == 0 {
			delete(f.inboxes, v.UserID)
		}
		f.mu.Unlock()
		close(out)
		ready()
	})
	kick.Store(&k)
	k()
	return out, nil
}

// PresenceSubscribers is how many presenceChanged subscriptions of userID
// this instance holds: what tests wait for, as the protocols do not
// acknowledge a subscription.
func (s *Service) PresenceSubscribers(userID int64) int {
	f := s.presenceFeed
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.inboxes[userID])
}
