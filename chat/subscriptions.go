package chat

import (
	"context"
	"log/slog"
	"time"

	"github.com/gqlchat/gqlchat/events"
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
	if err := shallow(func() error { return s.CheckSession(ctx, v) }); err != nil {
		sub.Close()
		return nil, nil, err
	}
	return v, sub, nil
}

// loop calls handle for each event of sub until ctx ends, the viewer's
// session ends (revoked, expired or the account deleted), handle returns
// false, or the bus drops the subscription. It closes sub, then calls done.
func (s *Service) loop(ctx context.Context, v *Viewer, sub *events.Subscription, handle func(events.Event) bool, done func()) {
	defer done()
	defer sub.Close()
	expiry := time.NewTimer(time.Until(v.ExpiresAt))
	defer expiry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-expiry.C:
			return
		case e, open := <-sub.C:
			if !open {
				slog.WarnContext(ctx, "subscription dropped: the client fell behind", "user_id", v.UserID)
				return
			}
			switch e.Kind {
			case events.SessionsChanged:
				if s.CheckSession(ctx, v) != nil {
					return
				}
				continue
			case events.Resync: // events may have been missed: a revocation among them
				if s.CheckSession(ctx, v) != nil {
					return
				}
			}
			if !handle(e) {
				return
			}
			if sub.TakeMissed() && !handle(events.Event{Kind: events.Resync}) {
				return
			}
		}
	}
}

// send delivers x unless ctx ends first.
func send[T any](ctx context.Context, out chan<- T, x T) bool {
	select {
	case out <- x:
		return true
	case <-ctx.Done():
		return false
	}
}

// FriendRequestEvents streams the friend requests the viewer is a party to
// as events of kind happen to them: FriendRequestCreated for new incoming
// requests, FriendRequestUpdated for status changes. The channel closes
// when the subscription ends.
func (s *Service) FriendRequestEvents(ctx context.Context, kind events.Kind) (<-chan *models.FriendRequest, error) {
	v, sub, err := s.subscribe(ctx, subscriptionBuffer)
	if err != nil {
		return nil, err
	}
	out := make(chan *models.FriendRequest, 1)
	go s.loop(ctx, v, sub, func(e events.Event) bool {
		if e.Kind != kind {
			return true
		}
		reqs, err := s.FriendRequestsByIDs(ctx, []int64{e.ID})
		if err != nil {
			slog.ErrorContext(ctx, "friend request subscription: reading the request", "err", err)
			return false
		}
		if reqs[0] == nil {
			return true
		}
		return send(ctx, out, reqs[0])
	}, func() { close(out) })
	return out, nil
}

// shallow runs f on a goroutine of its own and waits for it. Subscriptions
// keep a goroutine each for as long as they are open; database calls grow a
// goroutine's stack, which stays grown, so the calls made when subscribing
// run on a goroutine that ends with them. This keeps idle connections small.
func shallow(f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	return <-done
}
