package chat

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/internal/pump"
	"github.com/gqlchat/gqlchat/models"
)

// How many events a subscription may fall behind: a friend-request
// subscription is then ended; a message stream, which repairs a gap from
// the history, drops events and resyncs, so a small buffer serves it and
// saves memory on every idle connection.
const (
	subscriptionBuffer = 128
	streamBuffer       = 16
)

// subscribe opens a bus subscription on the viewer's topic, checked against
// a live session only once subscribed, so that a revocation in between is
// not missed.
func (s *Service) subscribe(ctx context.Context, buffer int) (*Viewer, *events.Subscription, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, nil, err
	}
	sub := s.bus.Subscribe(buffer, events.UserTopic(v.UserID))
	if err := s.CheckSession(ctx, v); err != nil {
		sub.Close()
		return nil, nil, err
	}
	return v, sub, nil
}

// run calls handle for each event of sub until ctx ends, the viewer's
// session ends (revoked, expired or the account deleted), handle returns
// false, or the bus drops the subscription. It then closes sub and calls
// done. It first calls start, if not nil, which may end it the same way,
// and after each round of events drain, if not nil, which may too: a
// stream with a second source of work kicks the returned function when
// there is some. Nothing waits on sub between events: the work runs on a
// pump, so an idle subscription holds no goroutine.
func (s *Service) run(ctx context.Context, v *Viewer, sub *events.Subscription, start func() bool, handle func(events.Event) bool, drain func() bool, done func()) (kick func()) {
	var expired atomic.Bool
	var p *pump.Pump
	var ended bool // only touched by the pump, one call at a time
	var expiry *time.Timer
	var stopCtx func() bool
	end := func() {
		ended = true
		expiry.Stop()
		stopCtx()
		sub.Close()
		done()
	}
	armed := make(chan struct{}) // the callbacks below may fire before all of them are set
	p = pump.New(func() {
		<-armed
		if ended {
			return
		}
		if start != nil {
			ok := start()
			start = nil
			if !ok {
				end()
				return
			}
		}
		for !ended {
			if ctx.Err() != nil || expired.Load() {
				end()
				return
			}
			select {
			case e, open := <-sub.C:
				if !open {
					if sub.Overflowed() {
						slog.WarnContext(ctx, "subscription dropped: the client fell behind", "user_id", v.UserID)
					}
					end()
				} else if !s.dispatch(ctx, v, sub, e, handle) {
					end()
				}
			default:
				if drain != nil && !drain() {
					end()
				}
				return
			}
		}
	})
	expiry = time.AfterFunc(time.Until(v.ExpiresAt), func() { expired.Store(true); p.Kick() })
	stopCtx = context.AfterFunc(ctx, p.Kick)
	sub.Notify(p.Kick)
	close(armed)
	p.Kick()
	return p.Kick
}

// dispatch handles one event for run; false ends the subscription.
func (s *Service) dispatch(ctx context.Context, v *Viewer, sub *events.Subscription, e events.Event, handle func(events.Event) bool) bool {
	switch e.Kind {
	case events.SessionsChanged:
		return s.CheckSession(ctx, v) == nil
	case events.Resync: // events may have been missed: a revocation among them
		if s.CheckSession(ctx, v) != nil {
			return false
		}
	}
	if !handle(e) {
		return false
	}
	return !sub.TakeMissed() || handle(events.Event{Kind: events.Resync})
}

// orNothing is ready, or a function that does nothing for a consumer that
// asked for no signal.
func orNothing(ready func()) func() {
	if ready == nil {
		return func() {}
	}
	return ready
}

// itself is the conversion of a stream whose consumer takes the models as
// they are.
func itself[T any](x T) T { return x }

// send delivers x unless ctx ends first, then calls ready.
func send[T any](ctx context.Context, out chan<- T, x T, ready func()) bool {
	select {
	case out <- x:
		ready()
		return true
	case <-ctx.Done():
		return false
	}
}

// FriendRequestEvents streams the friend requests the viewer is a party to
// as events of kind happen to them: FriendRequestCreated for new incoming
// requests, FriendRequestUpdated for status changes. The channel closes
// when the subscription ends. The stream calls ready (if not nil) after
// each request it queues and once after closing the channel.
func (s *Service) FriendRequestEvents(ctx context.Context, kind events.Kind, ready func()) (<-chan *models.FriendRequest, error) {
	return FriendRequestEventsAs(ctx, s, kind, itself, ready)
}

// FriendRequestEventsAs is FriendRequestEvents with each request queued as
// as(r), as MessageEventsAs does with messages.
func FriendRequestEventsAs[T any](ctx context.Context, s *Service, kind events.Kind, as func(*models.FriendRequest) T, ready func()) (<-chan T, error) {
	v, sub, err := s.subscribe(ctx, subscriptionBuffer)
	if err != nil {
		return nil, err
	}
	out := make(chan T, 1)
	ready = orNothing(ready)
	s.run(ctx, v, sub, nil, func(e events.Event) bool {
		var reqs []*models.FriendRequest
		var err error
		switch e.Kind {
		case kind:
			reqs, err = s.FriendRequestsByIDs(ctx, []int64{e.ID})
		case events.Resync:
			reqs, err = s.recentRequests(ctx, v.UserID, kind)
		default:
			return true
		}
		if err != nil {
			slog.ErrorContext(ctx, "friend request subscription: reading requests", "err", err)
			return false
		}
		for _, r := range reqs {
			if r != nil && !send(ctx, out, as(r), ready) {
				return false
			}
		}
		return true
	}, nil, func() { close(out); ready() })
	return out, nil
}

// FriendsChange is a friendship of the viewer that began or ended.
type FriendsChange struct {
	// User is the other user, as they are when the change is delivered
	// (a tombstone if they deleted their account).
	User *models.User
	// Friends is whether the two became friends (true) or stopped being
	// friends (false): what the event says, not what holds at delivery,
	// so that a friendship begun and ended at once arrives as both.
	Friends bool
}

// FriendsChangesAs streams, as as(change), the friendships of the viewer
// as they begin (a request accepted) and end (removeFriend, a block, an
// account deletion), on every connection of both users. The channel closes
// when the subscription ends; ready is called as by FriendRequestEvents.
func FriendsChangesAs[T any](ctx context.Context, s *Service, as func(FriendsChange) T, ready func()) (<-chan T, error) {
	v, sub, err := s.subscribe(ctx, subscriptionBuffer)
	if err != nil {
		return nil, err
	}
	out := make(chan T, 1)
	ready = orNothing(ready)
	var friends friendSet // read once subscribed, so that no change falls between
	tell := func(ids []int64, began bool) bool {
		if len(ids) == 0 {
			return true
		}
		users, err := s.UsersByIDs(ctx, ids)
		if err != nil {
			slog.ErrorContext(ctx, "friendsChanged subscription: reading users", "err", err)
			return false
		}
		for _, u := range users {
			if u != nil && !send(ctx, out, as(FriendsChange{User: u, Friends: began}), ready) {
				return false
			}
		}
		return true
	}
	start := func() bool {
		var err error
		friends, err = s.loadFriendSet(ctx, v.UserID)
		if err != nil {
			slog.ErrorContext(ctx, "friendsChanged subscription: reading friends", "err", err)
		}
		return err == nil
	}
	s.run(ctx, v, sub, start, func(e events.Event) bool {
		switch e.Kind {
		case events.FriendshipStarted, events.FriendshipEnded:
			began := e.Kind == events.FriendshipStarted
			friends.set(e.ID, began)
			return tell([]int64{e.ID}, began)
		case events.Resync: // tell what changed meanwhile, from what was told
			now, err := s.loadFriendSet(ctx, v.UserID)
			if err != nil {
				slog.ErrorContext(ctx, "friendsChanged subscription: reading friends", "err", err)
				return false
			}
			began, ended := friends.diff(now)
			friends = now
			return tell(began, true) && tell(ended, false)
		}
		return true
	}, nil, func() { close(out); ready() })
	return out, nil
}
