package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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

// resume finds the stream, creating it if it is missing, and a consumer
// that reads it from where this instance stopped. If the stream no longer
// holds what came after that, the local subscriptions resync and the
// consumer starts at the stream's end: everything before it committed
// before the resync, which covers it.
func (n *NATS) resume(ctx context.Context) (jetstream.Consumer, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	stream, err := n.stream(ctx)
	if err != nil {
		return nil, err
	}
	info := stream.CachedInfo()
	why, err := n.missed(ctx, stream, info)
	if err != nil {
		return nil, err
	}
	r := &n.reader
	switch {
	case r.created.IsZero(): // the first start: from the end
		r.next = info.State.LastSeq + 1
	case why != "":
		n.resync(why)
		r.next = info.State.LastSeq + 1
	default:
		n.stats.replays.Add(1)
	}
	r.created = info.Created
	r.serial++
	cons, err := n.js.CreateConsumer(ctx, n.opts.Stream, jetstream.ConsumerConfig{
		Name:              n.id + "_" + strconv.FormatUint(r.serial, 10),
		Description:       "gqlchat instance " + n.id,
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       r.next,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: inactiveConsumer,
		MemoryStorage:     true,
		Replicas:          1,
	})
	if err != nil {
		return nil, fmt.Errorf("events: creating a consumer of %s: %w", n.opts.Stream, err)
	}
	return cons, nil
}

// missed says why the stream cannot give what this instance missed since
// it last read, or "" if it can.
func (n *NATS) missed(ctx context.Context, stream jetstream.Stream, info *jetstream.StreamInfo) (string, error) {
	r, st := &n.reader, info.State
	switch {
	case r.created.IsZero():
		return "", nil
	case !info.Created.Equal(r.created):
		return "the stream is new", nil
	case r.next > st.LastSeq+1:
		return "the stream lost its latest messages", nil
	case r.next < st.FirstSeq:
		return "what was missed is no longer in the stream", nil
	case r.last.seq == 0:
		return "", nil
	}
	// A stream that lost its tail and got new messages since looks whole:
	// only the message at our last place tells.
	msg, err := stream.GetMsg(ctx, r.last.seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return "", nil // aged out or deleted since: nothing to compare
	}
	if err != nil {
		return "", fmt.Errorf("events: reading message %d of %s: %w", r.last.seq, n.opts.Stream, err)
	}
	if env, err := decodeEnvelope(msg.Data); err != nil || env.From != r.last.from || env.Seq != r.last.n {
		return "the stream no longer holds what was read", nil
	}
	return "", nil
}

// stream returns the bus's stream, created if it is missing. One that
// exists is used as it is: an operator may have made it with other limits.
func (n *NATS) stream(ctx context.Context) (jetstream.Stream, error) {
	s, err := n.js.Stream(ctx, n.opts.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = n.js.CreateStream(ctx, n.streamConfig())
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another instance was quicker
			s, err = n.js.Stream(ctx, n.opts.Stream)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("events: stream %s: %w", n.opts.Stream, err)
	}
	return s, nil
}

func (n *NATS) streamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        n.opts.Stream,
		Description: "gqlchat events: notes that the database changed, kept for instances that reconnect",
		Subjects:    []string{n.opts.Subject + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      n.opts.Replay,
		MaxBytes:    n.opts.MaxBytes,
		Storage:     jetstream.FileStorage,
		Replicas:    1,
		// Publishers never repeat a message, so the window of duplicates
		// is the shortest the server takes that fits in MaxAge.
		Duplicates: min(n.opts.Replay, time.Second),
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
