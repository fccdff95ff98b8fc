package chat

import (
	"context"
	"log/slog"
	"time"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/models"
)

// subscriptionBuffer is how many events a subscription may fall behind
// before the bus drops it.
const subscriptionBuffer = 256

// watchUser subscribes to the viewer's topic and calls handle for each
// event until ctx ends, the viewer's session ends (revoked, expired or the
// account deleted), handle returns false, or the bus drops the
// subscription. It returns once subscribed; the loop runs in a goroutine
// that calls done when it stops.
func (s *Service) watchUser(ctx context.Context, handle func(events.Event) bool, done func()) error {
	v, err := requireViewer(ctx)
	if err != nil {
		return err
	}
	sub := s.bus.Subscribe(events.UserTopic(v.UserID), subscriptionBuffer)
	// Checked after subscribing, so that a revocation in between is not missed.
	if err := s.CheckSession(ctx, v); err != nil {
		sub.Close()
		return err
	}
	go func() {
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
				if e.Kind == events.SessionsChanged {
					if s.CheckSession(ctx, v) != nil {
						return
					}
					continue
				}
				if !handle(e) {
					return
				}
			}
		}
	}()
	return nil
}

// FriendRequestEvents streams the friend requests the viewer is a party to
// as events of kind happen to them: FriendRequestCreated for new incoming
// requests, FriendRequestUpdated for status changes. The channel closes
// when the subscription ends.
func (s *Service) FriendRequestEvents(ctx context.Context, kind events.Kind) (<-chan *models.FriendRequest, error) {
	out := make(chan *models.FriendRequest, 1)
	err := s.watchUser(ctx, func(e events.Event) bool {
		if e.Kind != kind {
			return true
		}
		reqs, err := s.FriendRequestsByIDs(ctx, []int64{e.ID})
		if err != nil || reqs[0] == nil {
			return err == nil
		}
		select {
		case out <- reqs[0]:
			return true
		case <-ctx.Done():
			return false
		}
	}, func() { close(out) })
	if err != nil {
		return nil, err
	}
	return out, nil
}
