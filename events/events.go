// Package events carries what happened, after it committed, to the open
// subscriptions that care. Events are small and serialisable (ids, not
// rows) so that a bus between server instances can carry them; receivers
// load the current rows themselves.
package events

import (
	"strconv"
	"sync"
	"sync/atomic"
)

// Kind says what happened.
type Kind string

// The kinds of events.
const (
	// FriendRequestCreated (user topic): ID is the new request.
	FriendRequestCreated Kind = "friend_request.created"
	// FriendRequestUpdated (user topic): ID is the request whose status changed.
	FriendRequestUpdated Kind = "friend_request.updated"
	// FriendshipStarted (user topic): the user and user ID became friends.
	FriendshipStarted Kind = "friendship.started"
	// FriendshipEnded (user topic): the user and user ID stopped being
	// friends (one removed the other, blocked them, or deleted the account).
	FriendshipEnded Kind = "friendship.ended"
	// SessionsChanged (user topic): some of the user's sessions were revoked
	// or the account was deleted; subscribers re-check their own session.
	SessionsChanged Kind = "sessions.changed"
	// LogAppended (log topic): Chat's event log reached position Seq. The
	// log itself says what happened; this only tells its readers to look.
	LogAppended Kind = "log.appended"
	// Resync (no topic, sent to every subscription of one instance): the bus
	// may have missed events from other instances, for example while its
	// connection to the database was down. Subscribers must re-read their
	// state from the database, as if every topic they follow had moved on.
	Resync Kind = "bus.resync"
)

// Event is one thing that happened, addressed to a topic.
type Event struct {
	Topic string `json:"t"`
	Kind  Kind   `json:"k"`
	ID    int64  `json:"id,omitempty"`
	Chat  int64  `json:"c,omitempty"`
	// Seq is a position in Chat's event log.
	Seq int64 `json:"s,omitempty"`
}

// UserTopic is the topic of events for one user: every open connection of
// theirs listens on it.
func UserTopic(userID int64) string { return "user:" + strconv.FormatInt(userID, 10) }

// LogTopic carries the news that some chat's event log moved on: each
// instance's log reader listens on it.
const LogTopic = "log"

// Bus delivers published events to the subscriptions of their topic.
type Bus interface {
	// Publish delivers events in order. It never blocks on a slow subscriber.
	Publish(events ...Event)
	// Subscribe returns a subscription to topics whose channel holds up to
	// buffer undelivered events; Close ends it.
	Subscribe(buffer int, topics ...string) *Subscription
}

// Subscription receives the events of its topics.
type Subscription struct {
	// C yields the events; it is closed when the subscription ends, either
	// by Close or because the subscriber fell more than its buffer behind.
	C <-chan Event
	c chan Event

	bus        topicSet
	mu         sync.Mutex // guards topics and closed
	topics     map[string]bool
	closed     bool
	overflowed bool

	lossy  atomic.Bool // full buffers drop events (see Lossy)
	missed atomic.Bool // a lossy subscription dropped an event

	notify atomic.Pointer[func()] // see Notify
}

// Notify makes the subscription call f, which must not block, after it
// queues an event on C, drops one (lossy), or closes C. A subscriber can then
// read C when told instead of keeping a goroutine blocked on it.
func (s *Subscription) Notify(f func()) { s.notify.Store(&f) }

func (s *Subscription) notified() {
	if f := s.notify.Load(); f != nil {
		(*f)()
	}
}

// Lossy makes a full buffer drop events instead of ending the subscription;
// TakeMissed then tells the subscriber, who must re-read its state as after
// a Resync. It suits subscribers for which an event only says "something
// moved on", such as message streams. Call it right after Subscribe.
func (s *Subscription) Lossy() *Subscription {
	s.lossy.Store(true)
	return s
}

// TakeMissed reports whether events were dropped since the last call.
func (s *Subscription) TakeMissed() bool { return s.missed.Swap(false) }

// topicSet is what a bus implementation does for its subscriptions.
type topicSet interface {
	add(s *Subscription, topic string)
	remove(s *Subscription, topic string)
}

// Add subscribes to one more topic.
func (s *Subscription) Add(topic string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.topics[topic] {
		return
	}
	s.topics[topic] = true
	s.bus.add(s, topic)
}

// Remove stops receiving topic.
func (s *Subscription) Remove(topic string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.topics[topic] {
		delete(s.topics, topic)
		s.bus.remove(s, topic)
	}
}

// Close ends the subscription; calling it again does nothing.
func (s *Subscription) Close() { s.end(false) }

func (s *Subscription) end(overflowed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for topic := range s.topics {
		s.bus.remove(s, topic)
	}
	s.closed, s.overflowed = true, overflowed
	close(s.c)
	s.notified()
}

// Overflowed reports whether the subscription ended because its buffer
// filled. Only meaningful once C is closed.
func (s *Subscription) Overflowed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overflowed
}

func newSubscription(bus topicSet, buffer int, topics []string) *Subscription {
	c := make(chan Event, buffer)
	s := &Subscription{C: c, c: c, bus: bus, topics: map[string]bool{}}
	for _, t := range topics {
		s.Add(t)
	}
	return s
}
