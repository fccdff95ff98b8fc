package events

import (
	"context"
	"sync/atomic"
)

// Ready is how the consumer of a subscription's channel (a WebSocket
// operation) learns that a value waits on it, so that it reads only then
// instead of keeping a goroutine blocked on the channel.
type Ready struct {
	f        func()
	attached atomic.Bool
}

type readyKey struct{}

// WithReady returns a context in which the stream a resolver opens calls f
// after each value it queues on its channel and once after closing it, and
// the Ready that tells whether a stream was opened at all.
func WithReady(ctx context.Context, f func()) (context.Context, *Ready) {
	r := &Ready{f: f}
	return context.WithValue(ctx, readyKey{}, r), r
}

// Attach is called by a stream as it opens its channel in ctx; it returns
// what to call after each value and after closing the channel (nothing
// when no consumer asked).
func Attach(ctx context.Context) func() {
	r, _ := ctx.Value(readyKey{}).(*Ready)
	if r == nil {
		return func() {}
	}
	r.attached.Store(true)
	return r.f
}

// Attached reports whether a stream attached itself: if not, the operation
// answered at once (with an error, typically) and will not call back.
func (r *Ready) Attached() bool { return r.attached.Load() }
