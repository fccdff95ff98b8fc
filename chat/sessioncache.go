package chat

import (
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/gqlchat/gqlchat/events"
)

// sessionCache remembers, for a short time, which viewer a token belongs
// to, so that a request finds its viewer without a query (a round trip on
// every request, a fifth of a post's). Revocation reaches every instance's
// cache through the bus: revoking publishes the user's id on SessionsTopic
// after commit, and each cache forgets that user's tokens as the note
// arrives (on the revoking instance, before its mutation answers). A bus
// that knows it lost notes makes the caches forget everything; an entry is
// trusted for at most ttl, which bounds a revocation whose note was lost
// unnoticed.
type sessionCache struct {
	ttl time.Duration

	mu sync.Mutex
	// epoch counts revocations heard: a lookup that raced one is not kept.
	epoch   uint64
	entries *lru.Cache[string, cachedViewer] // by token hash
}

type cachedViewer struct {
	v     Viewer
	until time.Time
}

// sessionCacheSize bounds the tokens remembered per instance (about 100
// bytes each).
const sessionCacheSize = 100_000

// newSessionCache returns a cache that listens for revocations on bus.
func newSessionCache(bus events.Bus, ttl time.Duration) *sessionCache {
	entries, _ := lru.New[string, cachedViewer](sessionCacheSize)
	c := &sessionCache{ttl: ttl, entries: entries}
	if ttl <= 0 {
		return c
	}
	// The callback drains the subscription as events arrive, so the cache
	// needs no goroutine; the subscription lasts as long as the service.
	sub := bus.Subscribe(64, events.SessionsTopic).Lossy()
	sub.Notify(func() { c.hear(sub) })
	return c
}

// hear applies the revocations queued on sub.
func (c *sessionCache) hear(sub *events.Subscription) {
	for {
		select {
		case e, ok := <-sub.C:
			if !ok {
				return
			}
			if e.Kind == events.Resync {
				c.forget(0)
			} else {
				c.forget(e.ID)
			}
		default:
			if sub.TakeMissed() {
				c.forget(0)
			}
			return
		}
	}
}

// get returns the viewer of the token with hash, if it is remembered and
// its session has not expired.
func (c *sessionCache) get(hash []byte) (*Viewer, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries.Get(string(hash)); ok {
		now := time.Now()
		if now.Before(e.until) && now.Before(e.v.ExpiresAt) {
			v := e.v
			return &v, c.epoch
		}
		c.entries.Remove(string(hash))
	}
	return nil, c.epoch
}

// put remembers v for the token with hash, unless a revocation was heard
// since epoch (the lookup that found v may have read before it committed).
func (c *sessionCache) put(hash []byte, v *Viewer, epoch uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch == epoch {
		c.entries.Add(string(hash), cachedViewer{v: *v, until: time.Now().Add(c.ttl)})
	}
}

// forget drops the tokens of userID, or all tokens when it is 0.
func (c *sessionCache) forget(userID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	if userID == 0 {
		c.entries.Purge()
		return
	}
	for _, k := range c.entries.Keys() {
		if e, ok := c.entries.Peek(k); ok && e.v.UserID == userID {
			c.entries.Remove(k)
		}
	}
}
