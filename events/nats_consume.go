package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

const (
	// maxHeartbeat is the longest consumer heartbeat: the client's pull
	// requests expire after 30 s, and need a couple of them meanwhile.
	maxHeartbeat = 15 * time.Second
	// inactiveConsumer is how long the server keeps the consumer of an
	// instance that stopped asking for messages (a crash, a long outage);
	// the instance makes a new one when it is back.
	inactiveConsumer = time.Minute
	// forgetSender is how long a sender not heard from is remembered. One
	// forgotten then heard again is taken as it comes: the gaps it could
	// leave are the events it failed to publish, which it announces itself.
	forgetSender = time.Hour
)

var (
	// errReconnected ends a consumer when the connection came back.
	errReconnected = errors.New("reconnected")
	// errSkipped ends a consumer that skipped a message.
	errSkipped = errors.New("a message was skipped")
)

// reader is what the consume goroutine knows of the stream.
type reader struct {
	created time.Time // the stream's creation: another means a new stream
	next    uint64    // the stream sequence to read next
	last    lastRead  // the last message read
	senders map[string]*sender
	serial  uint64 // numbers consumers, whose names must not repeat
}

// lastRead is a message read, with its place in the stream, so that a
// reader coming back can check that the stream still holds it there.
type lastRead struct {
	seq  uint64
	from string
	n    uint64
}

// sender is what a reader knows of another instance.
type sender struct {
	seq  uint64 // its last sequence number delivered
	seen time.Time
}

func (r *reader) init() { r.senders = map[string]*sender{} }

// forgetSenders follows a resync, which covers whatever was published
// before it: a gap that a sender left before it needs no second resync.
func (r *reader) forgetSenders() { clear(r.senders) }

// admit says whether env, from another instance, is to be delivered: not
// if it was delivered already or comes after a later one of its sender.
// resync says that events were missed before it: its sender said so, or
// skipped a number.
func (r *reader) admit(env envelope) (deliver, resync bool) {
	s, known := r.senders[env.From]
	if known && env.Seq <= s.seq {
		return false, false
	}
	return true, env.Resync || known && env.Seq > s.seq+1
}

// note records env as its sender's latest, forgetting senders long silent
// when a new one appears (instances restart with new ids).
func (r *reader) note(env envelope, now time.Time) {
	s := r.senders[env.From]
	if s == nil {
		for id, old := range r.senders {
			if now.Sub(old.seen) > forgetSender {
				delete(r.senders, id)
			}
		}
		s = &sender{}
		r.senders[env.From] = s
	}
	s.seq, s.seen = env.Seq, now
}

// consumeLoop reads the stream through cons, then through a new consumer
// each time one must be replaced, until Close.
func (n *NATS) consumeLoop(ctx context.Context, cons jetstream.Consumer) {
	defer n.done.Done()
	var backoff time.Duration
	for {
		if cons != nil {
			n.consuming.Store(true)
			began := time.Now()
			err := n.consume(ctx, cons)
			n.consuming.Store(false)
			n.deleteConsumer(ctx, cons)
			if ctx.Err() != nil {
				return
			}
			cons = nil
			if time.Since(began) > maxBackoff || errors.Is(err, errReconnected) || errors.Is(err, errSkipped) {
				backoff = 0 // it worked for a while, or must start again at once
			} else if backoff = nextBackoff(backoff); !sleep(ctx, backoff) {
				return
			}
			n.log.Info("events: reading the stream again", "why", err)
		}
		var err error
		if cons, err = n.resume(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			backoff = nextBackoff(backoff)
			n.log.Warn("events: cannot read the stream; retrying", "err", err, "retry_in", backoff)
			if !sleep(ctx, backoff) {
				return
			}
		}
	}
}

// consume reads cons until it must be replaced: the connection came back
// (what the server sent meanwhile went nowhere), a message was skipped,
// its heartbeats stopped, or ctx ended.
func (n *NATS) consume(ctx context.Context, cons jetstream.Consumer) error {
	it, err := cons.Messages(
		jetstream.PullHeartbeat(min(n.opts.HealthCheck, maxHeartbeat)),
		jetstream.WithMessagesErrOnMissingHeartbeat(true))
	if err != nil {
		return err
	}
	defer it.Stop()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-n.restart:
			cancel(errReconnected)
		case <-ctx.Done():
		}
	}()
	r := &n.reader
	for fresh := true; ; fresh = false {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return err
		}
		meta, err := msg.Metadata()
		if err != nil {
			return err
		}
		seq := meta.Sequence.Stream
		switch {
		case seq < r.next: // read already
			continue
		case seq > r.next && !fresh:
			// Sent while the connection was down, maybe: a new consumer
			// will say whether the stream still holds it.
			return fmt.Errorf("%w: got %d, want %d", errSkipped, seq, r.next)
		case seq > r.next:
			n.resync("what was missed is no longer in the stream")
		}
		r.next = seq + 1
		n.deliver(seq, msg.Data())
	}
}

// deliver hands the event of another instance's message to the local
// subscribers, after a resync if events were missed before it.
func (n *NATS) deliver(seq uint64, data []byte) {
	env, err := decodeEnvelope(data)
	if err != nil {
		n.log.Error("events: ignoring a message that is not ours", "stream", n.opts.Stream, "seq", seq, "err", err)
		return
	}
	r := &n.reader
	r.last = lastRead{seq: seq, from: env.From, n: env.Seq}
	if env.From == n.id {
		return // delivered locally by Publish already
	}
	deliver, resync := r.admit(env)
	if !deliver {
		return
	}
	if resync {
		n.resync("another instance could not publish some events")
	}
	r.note(env, time.Now())
	if env.Event != nil {
		// Counted first, so that whoever got the event sees it counted.
		n.stats.received.Add(1)
		n.InMem.Publish(*env.Event)
	}
}

// deleteConsumer removes a consumer that is done with, so that it does not
// wait for inactiveConsumer on the server. Only Close waits for it.
func (n *NATS) deleteConsumer(ctx context.Context, cons jetstream.Consumer) {
	name := cons.CachedInfo().Name
	del := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = n.js.DeleteConsumer(ctx, n.opts.Stream, name)
	}
	if ctx.Err() != nil {
		del()
	} else {
		go del()
	}
}
