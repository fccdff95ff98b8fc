package events

import "sync"

// InMem is a Bus within one process.
type InMem struct {
	mu     sync.RWMutex
	topics map[string]map[*Subscription]struct{}
}

// NewInMem returns an empty in-process bus.
func NewInMem() *InMem {
	return &InMem{topics: map[string]map[*Subscription]struct{}{}}
}

// Publish implements Bus. A subscriber whose buffer is full is dropped, so
// that one slow consumer never holds up a mutation or other subscribers; it
// sees its channel closed with Overflowed set and can resume from history.
func (b *InMem) Publish(events ...Event) {
	var full []*Subscription
	b.mu.RLock()
	for _, e := range events {
		for s := range b.topics[e.Topic] {
			if !s.offer(e) {
				full = append(full, s)
			}
		}
	}
	b.mu.RUnlock()
	for _, s := range full {
		s.end(true)
	}
}

// broadcast sends e to every subscription once, whatever its topics, with
// the same overflow rule as Publish. It carries Resync, which concerns a
// subscription as a whole rather than one of its topics.
func (b *InMem) broadcast(e Event) {
	var full []*Subscription
	seen := map[*Subscription]bool{}
	b.mu.RLock()
	for _, subs := range b.topics {
		for s := range subs {
			if seen[s] {
				continue
			}
			seen[s] = true
			if !s.offer(e) {
				full = append(full, s)
			}
		}
	}
	b.mu.RUnlock()
	for _, s := range full {
		s.end(true)
	}
}

// Subscribe implements Bus.
func (b *InMem) Subscribe(buffer int, topics ...string) *Subscription {
	return newSubscription(b, buffer, topics)
}

func (b *InMem) add(s *Subscription, topic string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	subs := b.topics[topic]
	if subs == nil {
		subs = map[*Subscription]struct{}{}
		b.topics[topic] = subs
	}
	subs[s] = struct{}{}
}

func (b *InMem) remove(s *Subscription, topic string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.topics[topic], s)
	if len(b.topics[topic]) == 0 {
		delete(b.topics, topic)
	}
}

// Subscribers is the number of open subscriptions to topic.
func (b *InMem) Subscribers(topic string) int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.topics[topic])
}

// offer queues e without blocking; false means the buffer is full and the
// subscription, not being lossy, must end.
func (s *Subscription) offer(e Event) bool {
	select {
	case s.c <- e:
		s.notified()
		return true
	default:
		if s.lossy.Load() {
			s.missed.Store(true)
			s.notified()
			return true
		}
		return false
	}
}
