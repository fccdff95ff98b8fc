package chat

import (
	"context"
	"slices"
	"time"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/models"
)

// What a subscription outside the event log re-reads when the bus says it
// may have missed events (a Resync, see events.Resync): the log's streams
// replay by position, but friend requests, friendships and presence have
// no log to replay from.

// resyncWindow is how far back a resync looks for changes of requests and
// presence. The bus cannot say when its loss began (a NOTIFY never
// received leaves no trace), so a resync sends again every change of the
// window: a repeat tells a client what it knows already, while a change
// older than the window, lost in an outage noticed later than that, stays
// unsent until the next change or the client's next read.
const resyncWindow = 10 * time.Minute

// recentRequests returns the viewer's requests a subscription of kind may
// have missed in the window, oldest first: for FriendRequestCreated the
// incoming ones sent in it and still pending, for FriendRequestUpdated
// those of either direction sent or answered in it (marking one read
// leaves no time, but a request is read after it was sent).
func (s *Service) recentRequests(ctx context.Context, userID int64, kind events.Kind) ([]*models.FriendRequest, error) {
	secs := resyncWindow.Seconds()
	q := s.db.WithContext(ctx)
	if kind == events.FriendRequestCreated {
		q = q.Where("to_id = ? AND status IN ('UNREAD', 'READ') AND created_at > now() - make_interval(secs => ?)", userID, secs)
	} else {
		q = q.Where(`(to_id = ? OR from_id = ?) AND (created_at > now() - make_interval(secs => ?)
			OR responded_at > now() - make_interval(secs => ?))`, userID, userID, secs, secs)
	}
	var rows []*models.FriendRequest
	err := q.Order("id").Find(&rows).Error
	return rows, err
}

// friendSet is a friendsChanged subscription's view of the viewer's
// friends, kept so that a resync can tell what began and ended while
// events were lost: ids, sorted (8 bytes a friend).
type friendSet []int64

// loadFriendSet reads the viewer's friends.
func (s *Service) loadFriendSet(ctx context.Context, userID int64) (friendSet, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&models.Friendship{}).Where("user_id = ?", userID).
		Order("friend_id").Pluck("friend_id", &ids).Error
	return ids, err
}

// set records that the viewer and id are friends or not.
func (f *friendSet) set(id int64, friends bool) {
	i, found := slices.BinarySearch(*f, id)
	switch {
	case friends && !found:
		*f = slices.Insert(*f, i, id)
	case !friends && found:
		*f = slices.Delete(*f, i, i+1)
	}
}

// diff lists the changes that turn f into now: the friendships that
// began, then those that ended, each in order of id.
func (f friendSet) diff(now friendSet) (began, ended []int64) {
	for _, id := range now {
		if _, found := slices.BinarySearch(f, id); !found {
			began = append(began, id)
		}
	}
	for _, id := range f {
		if _, found := slices.BinarySearch(now, id); !found {
			ended = append(ended, id)
		}
	}
	return began, ended
}
