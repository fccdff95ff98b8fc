package events

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// maxPayload is the longest NOTIFY payload PostgreSQL accepts: it
	// rejects 8000 bytes (NOTIFY_PAYLOAD_MAX_LENGTH) and more.
	maxPayload = 7999
	// maxPayloadsPerFlush bounds one round trip, so that a long backlog
	// goes out in transactions of reasonable size.
	maxPayloadsPerFlush = 64
	// maxEvent is the longest encoded event that fits in a payload of its
	// own, with the longest wrapping pack writes around it.
	maxEvent = maxPayload - idLen - len(`{"i":"","r":true,"e":[]}`)
)

// outbox holds the encoded events waiting to be sent, in publish order.
type outbox struct {
	mu          sync.Mutex
	events      [][]byte
	size        int // bytes of events, with a separator each
	max         int // events it may hold
	overflowing bool
	wake        chan struct{} // signalled when it stops being empty
	full        chan struct{} // signalled when it holds a payload's worth
}

func (o *outbox) init(max int) {
	o.max = max
	o.wake = make(chan struct{}, 1)
	o.full = make(chan struct{}, 1)
}

// add queues events and returns how many did not fit, and whether the
// outbox has just begun to overflow (worth one log line, not one per event).
func (o *outbox) add(events [][]byte) (dropped int, began bool) {
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
	for _, e := range events {
		o.events = append(o.events, e)
		o.size += len(e) + 1
	}
	if o.size >= maxPayload {
		signal(o.full)
	}
	return dropped, began
}

// take empties the outbox.
func (o *outbox) take() [][]byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	events := o.events
	o.events, o.size, o.overflowing = nil, 0, false
	// Signals about what was just taken would only cut the next window short.
	drain(o.wake)
	drain(o.full)
	return events
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func drain(c chan struct{}) {
	select {
	case <-c:
	default:
	}
}

// enqueue queues events for the other instances, unless the bus is closed.
func (p *PG) enqueue(events []Event) {
	select {
	case <-p.quit:
		return
	default:
	}
	encoded := make([][]byte, 0, len(events))
	for _, e := range events {
		b, _ := json.Marshal(e) // strings and integers always encode
		if len(b) > maxEvent {
			p.log.Error("events: event too large for a NOTIFY; other instances will not get it",
				"topic_bytes", len(e.Topic), "kind", e.Kind)
			p.dropped(1)
			continue
		}
		encoded = append(encoded, b)
	}
	if dropped, began := p.out.add(encoded); dropped > 0 {
		p.dropped(dropped)
		if began {
			p.log.Error("events: too many events waiting for the database; other instances will miss some",
				"channel", p.opts.Channel, "max_pending", p.opts.MaxPending)
		}
	}
}

// dropped records events the other instances will never get, so that the
// next payload tells them to resync.
func (p *PG) dropped(n int) {
	p.stats.dropped.Add(int64(n))
	p.lost.Store(true)
}

// notifyLoop sends what is queued, a window's worth at a time, until Close;
// then it sends what is left and closes the notify connection.
func (p *PG) notifyLoop(ctx context.Context) {
	defer p.done.Done()
	defer func() {
		if p.notify != nil {
			closeConn(p.notify)
		}
	}()
	for {
		select {
		case <-p.out.wake:
		case <-p.quit:
			p.flush(ctx)
			return
		}
		// Gather what else is published shortly after, so that it shares
		// the NOTIFY and its commit.
		window := time.NewTimer(p.opts.Window)
		select {
		case <-window.C:
		case <-p.out.full:
		case <-p.quit:
		}
		window.Stop()
		p.flush(ctx)
	}
}

// flush sends everything queued. A round trip that keeps failing is
// dropped with the rest of the backlog: the database is down, and waiting
// longer would only delay what is published once it is back.
func (p *PG) flush(ctx context.Context) {
	payloads := pack(p.id, p.lost.Swap(false), p.out.take())
	for len(payloads) > 0 {
		n := min(len(payloads), maxPayloadsPerFlush)
		if err := p.sendRetrying(ctx, payloads[:n]); err != nil {
			lost := 0
			for _, pl := range payloads {
				lost += pl.events
			}
			p.log.Error("events: dropping events other instances will miss", "events", lost, "err", err)
			p.dropped(lost)
			return
		}
		payloads = payloads[n:]
	}
}

// sendRetrying sends payloads in one round trip, reconnecting and
// retrying with growing pauses up to Attempts times. A retry can repeat
// a NOTIFY whose reply was lost; receivers take a repeated event in stride.
func (p *PG) sendRetrying(ctx context.Context, payloads []packed) error {
	var backoff time.Duration
	for attempt := 1; ; attempt++ {
		err := p.send(ctx, payloads)
		if err == nil {
			p.stats.notifies.Add(int64(len(payloads)))
			p.stats.flushes.Add(1)
			return nil
		}
		if attempt == p.opts.Attempts || ctx.Err() != nil {
			return err
		}
		backoff = nextBackoff(backoff)
		p.log.Warn("events: NOTIFY failed; retrying", "err", err, "attempt", attempt, "retry_in", backoff)
		if !sleep(ctx, backoff) {
			return ctx.Err()
		}
	}
}

// send runs one pg_notify per payload, pipelined in one round trip that
// PostgreSQL runs as one transaction, so they share a commit.
func (p *PG) send(ctx context.Context, payloads []packed) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if p.notify == nil {
		conn, err := p.connect(ctx, "notify")
		if err != nil {
			return err
		}
		p.notify = conn
	}
	b := &pgx.Batch{}
	for _, pl := range payloads {
		b.Queue("SELECT pg_notify($1, $2)", p.opts.Channel, pl.body)
	}
	if err := p.notify.SendBatch(ctx, b).Close(); err != nil {
		// Whatever went wrong, a fresh connection is the safe next step.
		closeConn(p.notify)
		p.notify = nil
		return err
	}
	return nil
}

// packed is one NOTIFY payload and how many events it carries.
type packed struct {
	body   string
	events int
}

// pack fills payloads of at most maxPayload bytes with encoded events of
// at most maxEvent bytes, in order: {"i":from,"e":[event,...]}, with
// "r":true in the first when the receivers must resync.
func pack(from string, resync bool, events [][]byte) []packed {
	const suffix = "]}"
	var payloads []packed
	var b strings.Builder
	var n int
	finish := func() {
		b.WriteString(suffix)
		payloads = append(payloads, packed{b.String(), n})
		b.Reset()
		n = 0
	}
	for _, e := range events {
		if n > 0 && b.Len()+1+len(e)+len(suffix) > maxPayload {
			finish()
		}
		if n == 0 {
			b.WriteString(`{"i":"` + from)
			if resync && len(payloads) == 0 {
				b.WriteString(`","r":true,"e":[`)
			} else {
				b.WriteString(`","e":[`)
			}
		} else {
			b.WriteByte(',')
		}
		b.Write(e)
		n++
	}
	switch {
	case n > 0:
		finish()
	case resync && len(payloads) == 0:
		// No event to carry the resync flag: it travels alone.
		b.WriteString(`{"i":"` + from + `","r":true,"e":[`)
		finish()
	}
	return payloads
}
