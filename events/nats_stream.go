package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

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
		// What was last read is not where it was (a new stream reuses its
		// sequence numbers): comparing with it again would call the next
		// resume a loss too, and skip what came since.
		r.last = lastRead{}
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
