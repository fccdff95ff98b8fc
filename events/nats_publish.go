package events

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// maxInFlight bounds the messages published before their acknowledgements
// are awaited, below the client's own cap on pending acknowledgements.
const maxInFlight = 1024

// natsOutbox holds the events waiting to be published, in publish order.
type natsOutbox struct {
	mu          sync.Mutex
	events      []Event
	max         int // events it may hold
	overflowing bool
	wake        chan struct{} // signalled when it stops being empty
}

func (o *natsOutbox) init(max int) {
	o.max = max
	o.wake = make(chan struct{}, 1)
}

// add queues events and returns how many did not fit, and whether the
// outbox has just begun to overflow (worth one log line, not one per event).
func (o *natsOutbox) add(events []Event) (dropped int, began bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if room := o.max - len(o.events); len(events) > room {
		dropped, events = len(events)-room, events[:room]
		began, o.overflowing = !o.overflowing, true
	}
	if len(events) == 0 {
		return dropped, began
	}
	if len(o.events) == 0 {
		signal(o.wake)
	}
	o.events = append(o.events, events...)
	return dropped, began
}

// take empties the outbox.
func (o *natsOutbox) take() []Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	events := o.events
	o.events, o.overflowing = nil, false
	drain(o.wake) // a signal about what was just taken would only cost a round
	return events
}

// publishLoop publishes what is queued as it comes, until Close; then it
// publishes what is left. After a failure it keeps trying, with growing
// pauses, to get a resync notice through even if nothing else is queued,
// so that the other instances do not wait for this one's next event to
// learn that they missed some.
func (n *NATS) publishLoop(ctx context.Context) {
	defer n.done.Done()
	var backoff time.Duration
	var retry <-chan time.Time // set while a resync notice waits
	for {
		select {
		case <-n.out.wake:
		case <-retry:
		case <-n.quit:
			n.send(ctx, n.out.take())
			return
		}
		if n.send(ctx, n.out.take()) {
			backoff, retry = 0, nil
			continue
		}
		backoff = nextBackoff(backoff)
		retry = time.After(backoff)
	}
}

// send publishes events, and a resync notice first if events were lost
// before, and reports whether the stream acknowledged everything. What it
// does not acknowledge counts as lost: a publish retried after a later one
// succeeded would arrive out of order, and receivers drop it anyway.
func (n *NATS) send(ctx context.Context, events []Event) bool {
	msgs := n.envelopes(n.lost.Swap(false), events)
	if len(msgs) == 0 {
		return true
	}
	if !n.nc.IsConnected() {
		n.dropped(len(msgs)) // nats.go would buffer them, but nobody would know what became of them
		return false
	}
	for len(msgs) > 0 {
		k := min(len(msgs), maxInFlight)
		acked, err := n.publish(ctx, msgs[:k])
		n.stats.published.Add(int64(acked))
		if acked < k {
			n.log.Error("events: NATS did not take events; other instances will resync", "events", len(msgs)-acked, "err", err)
			n.dropped(len(msgs) - acked)
			return false
		}
		msgs = msgs[k:]
	}
	return true
}

// envelopes numbers events and wraps them into messages; the first says
// resync if asked, or a bare notice does when there is no event to carry
// it. An event too large for a message stays local and makes the next
// message say resync.
func (n *NATS) envelopes(resync bool, events []Event) []*nats.Msg {
	msgs := make([]*nats.Msg, 0, len(events)+1)
	limit := n.nc.MaxPayload()
	for _, e := range events {
		b, _ := json.Marshal(e) // strings and integers always encode
		env := envelope{From: n.id, Seq: n.pubSeq + 1, Resync: resync}
		data := env.encode(b)
		if int64(len(data)) > limit {
			n.log.Error("events: event too large for a NATS message; other instances will resync",
				"topic_bytes", len(e.Topic), "kind", e.Kind, "max_payload", limit)
			n.stats.dropped.Add(1)
			resync = true
			continue
		}
		n.pubSeq, resync = env.Seq, false
		msgs = append(msgs, &nats.Msg{Subject: subject(n.opts.Subject, e), Data: data})
	}
	if resync {
		n.pubSeq++
		env := envelope{From: n.id, Seq: n.pubSeq, Resync: true}
		msgs = append(msgs, &nats.Msg{Subject: n.opts.Subject + "._.resync", Data: env.encode(nil)})
	}
	return msgs
}

// publish sends msgs without waiting between them, then waits for the
// stream's acknowledgements (each bounded by the client's timeout), and
// returns how many came back, and the first error.
func (n *NATS) publish(ctx context.Context, msgs []*nats.Msg) (acked int, err error) {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for _, m := range msgs {
		f, perr := n.js.PublishMsgAsync(m, jetstream.WithExpectStream(n.opts.Stream))
		if perr != nil {
			err = perr
			break
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
			acked++
		case e := <-f.Err():
			if err == nil {
				err = e
			}
		case <-ctx.Done():
			return acked, ctx.Err()
		}
	}
	return acked, err
}
