package socket

import (
	"context"
	"sync/atomic"
)

// readySignal is how an operation learns that its subscription's stream
// queued a value, so that it reads the stream's channel only then instead
// of keeping a goroutine blocked on it.
type readySignal struct {
	f      func()
	opened atomic.Bool
}

type readyKey struct{}

// withReady returns the context in which a subscription's resolver finds,
// through Stream, the f to hand its stream, and the signal that tells
// whether a stream was opened at all.
func withReady(ctx context.Context, f func()) (context.Context, *readySignal) {
	r := &readySignal{f: f}
	return context.WithValue(ctx, readyKey{}, r), r
}

// Stream opens a subscription's stream with open, handing it ready: the
// stream calls ready after each value it queues on its channel and once
// after closing the channel. A subscription resolver wraps what opens its
// channel in Stream; the context carries only which operation asks, and
// the stream gets the signal as a plain argument.
//
// Over this transport, ready tells the operation that a result waits, and
// the operation reads the channel only then: no goroutine waits on an idle
// subscription. Elsewhere (another transport, a test) ready does nothing,
// and the channel is read as gqlgen reads any.
func Stream[T any](ctx context.Context, open func(ready func()) (<-chan T, error)) (<-chan T, error) {
	r, _ := ctx.Value(readyKey{}).(*readySignal)
	if r == nil {
		return open(func() {})
	}
	ch, err := open(r.f)
	if err == nil {
		// The stream will call back: the operation may wait for it. A
		// stream that failed to open will not, and its error is read at once.
		r.opened.Store(true)
	}
	return ch, err
}

// isOpened reports whether a stream was opened: if not, the operation
// answered at once (with an error, typically) and will not call back.
func (r *readySignal) isOpened() bool { return r.opened.Load() }
