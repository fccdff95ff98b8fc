// Package events carries what happened, after it committed, to the open
// subscriptions that care. Events are small and serialisable (ids, not
// rows) so that a bus between server instances can carry them; receivers
// load the current rows themselves.
package events

import "strconv"

// Kind says what happened.
type Kind string

// The kinds of events.
const (
	// FriendRequestCreated: ID is the new request.
	FriendRequestCreated Kind = "friend_request.created"
	// FriendRequestUpdated: ID is the request whose status changed.
	FriendRequestUpdated Kind = "friend_request.updated"
	// SessionsChanged: some of the user's sessions were revoked or the
	// account was deleted; subscribers re-check their own session.
	SessionsChanged Kind = "sessions.changed"
)

// Event is one thing that happened, addressed to a topic.
type Event struct {
	Topic string `json:"t"`
	Kind  Kind   `json:"k"`
	ID    int64  `json:"id"`
}

// UserTopic is the topic of events for one user: every open connection of
// theirs listens on it.
func UserTopic(userID int64) string { return "user:" + strconv.FormatInt(userID, 10) }

// Bus delivers published events to the subscriptions of their topic.
type Bus interface {
	// Publish delivers events in order. It never blocks on a slow subscriber.
	Publish(events ...Event)
	// Subscribe returns a subscription to topic whose channel holds up to
	// buffer undelivered events; Close ends it.
	Subscribe(topic string, buffer int) *Subscription
}

// Subscription receives the events of one topic.
type Subscription struct {
	// C yields the events; it is closed when the subscription ends, either
	// by Close or because the subscriber fell more than its buffer behind.
	C     <-chan Event
	c     chan Event
	topic string
	// Overflowed is set before C closes if the subscriber fell behind.
	overflowed bool
	close      func()
}

// Close ends the subscription; calling it again does nothing.
func (s *Subscription) Close() { s.close() }

// Overflowed reports whether the subscription ended because its buffer filled.
// Only meaningful once C is closed.
func (s *Subscription) Overflowed() bool { return s.overflowed }
