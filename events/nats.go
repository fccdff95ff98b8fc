package events

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of NATSOptions.
const (
	DefaultNATSURL         = "nats://127.0.0.1:4222"
	DefaultStream          = "gqlchat"
	DefaultReplay          = 5 * time.Minute
	DefaultStreamBytes     = 256 << 20
	DefaultNATSHealthCheck = 5 * time.Second
	DefaultReconnectWait   = time.Second
)

// NATSOptions configure a NATS bus; the zero value means every default.
type NATSOptions struct {
	// Stream is the JetStream stream every instance of a deployment
	// shares; default DefaultStream. A bus creates it, with the limits
	// below, when it is missing, and otherwise uses it as it is, so that an
	// operator can provision it (replicas, placement) ahead.
	Stream string
	// Subject prefixes the subjects the stream holds: an event goes to
	// <Subject>.<topic, ":" read as ".">[.<chat>] (see subject); default
	// Stream.
	Subject string
	// Replay is how long the stream keeps events (its MaxAge): an instance
	// that lost its connection for less replays what it missed, one that
	// was away longer resyncs. Default DefaultReplay.
	Replay time.Duration
	// MaxBytes caps the stream's size; the oldest events go first.
	// Default DefaultStreamBytes. The stream is in files, so that a NATS
	// restart makes no instance resync; an operator who prefers memory
	// makes the stream so ahead.
	MaxBytes int64
	// HealthCheck is the interval of the connection's pings and of the
	// consumer's heartbeats, so that a dead link or a stalled consumer is
	// noticed within a few of them; default DefaultNATSHealthCheck, at
	// least half a second.
	HealthCheck time.Duration
	// ReconnectWait is the pause between attempts to reconnect; default
	// DefaultReconnectWait.
	ReconnectWait time.Duration
	// MaxPending caps the events waiting to be sent; more are not sent to
	// other instances. Default DefaultMaxPending.
	MaxPending int
	// Name names the connection in the server's monitoring (connz);
	// default DefaultAppName.
	Name string
	// Logger receives connection changes and lost events; default
	// slog.Default().
	Logger *slog.Logger
}

func (o *NATSOptions) fill() error {
	if o.Stream == "" {
		o.Stream = DefaultStream
	}
	if o.Subject == "" {
		o.Subject = o.Stream
	}
	if !isToken(o.Stream) || !isToken(o.Subject) {
		return fmt.Errorf("events: stream %q and subject %q must be made of letters, digits, - and _", o.Stream, o.Subject)
	}
	if o.Replay <= 0 {
		o.Replay = DefaultReplay
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultStreamBytes
	}
	if o.HealthCheck <= 0 {
		o.HealthCheck = DefaultNATSHealthCheck
	}
	o.HealthCheck = max(o.HealthCheck, minHeartbeat)
	if o.ReconnectWait <= 0 {
		o.ReconnectWait = DefaultReconnectWait
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.Name == "" {
		o.Name = DefaultAppName
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

// minHeartbeat is the shortest consumer heartbeat the client accepts.
const minHeartbeat = 500 * time.Millisecond

// NATS is a Bus shared by several server instances through a NATS
// JetStream stream. Subscriptions are local, held by the embedded InMem.
//
// Publish delivers to local subscribers at once and queues the events for
// the other instances; a background goroutine publishes them to the
// stream, one message per event on a subject of its topic (and chat), each
// tagged with this instance's id and a sequence number of its own, and
// waits for the stream to acknowledge them. Each instance reads the whole
// stream through a consumer of its own, from where it started, skipping
// its own messages (delivered locally already).
//
// Every instance delivers an event to its subscribers once, in the order
// each publisher published. Whatever NATS does, a subscriber never gets an
// event after one it missed without a Resync between them:
//   - after a lost connection, the instance reads the stream again from
//     the sequence after the last message it read, so it replays what it
//     missed as long as the stream still holds it (Replay);
//   - when it does not (aged out, discarded, or the stream is new or
//     rewound), its subscribers get a Resync and it goes on from the
//     stream's end;
//   - events a publisher could not get into the stream make the others
//     resync: its next message says so, and so does a gap in its numbers;
//   - a message repeated or arriving after a later one of its publisher is
//     dropped: its gap was resynced.
type NATS struct {
	*InMem

	opts NATSOptions
	id   string // tags this instance's messages
	log  *slog.Logger
	nc   *nats.Conn
	js   jetstream.JetStream

	pubMu sync.Mutex // makes local and remote order the same
	out   natsOutbox
	// lost says events were dropped before reaching the stream; the next
	// message sent tells the other instances to resync.
	lost   atomic.Bool
	pubSeq uint64 // the last sequence number given; the publish goroutine's

	reader    reader        // the consume goroutine's
	restart   chan struct{} // signalled on reconnection: read again from where we were
	consuming atomic.Bool
	stats     natsCounters

	stopConsume context.CancelFunc
	stopPublish context.CancelFunc // gives up on what is still queued
	quit        chan struct{}      // closed by Close: send what is queued and stop
	done        sync.WaitGroup
	closeOnce   sync.Once
}

var _ Bus = (*NATS)(nil)

// NATSStats count what a NATS bus did since it started.
type NATSStats struct {
	Published int64 // messages the stream acknowledged
	Received  int64 // events from other instances delivered here
	Replays   int64 // times the consumer caught up from the stream after an interruption
	Resyncs   int64 // Resync broadcasts to the local subscriptions
	Dropped   int64 // events that never reached the other instances
}

type natsCounters struct {
	published, received, replays, resyncs, dropped atomic.Int64
}

// NewNATS connects to the NATS server at url, finds or creates the stream,
// starts reading it from its end and returns the running bus. It fails if
// the server cannot be reached now, so that a misconfigured server stops
// at start rather than running deaf; later failures are retried in the
// background.
func NewNATS(ctx context.Context, url string, opts NATSOptions) (*NATS, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	n := &NATS{
		InMem: NewInMem(), opts: opts, log: opts.Logger,
		id:      rand.Text()[:idLen],
		restart: make(chan struct{}, 1),
		quit:    make(chan struct{}),
	}
	n.out.init(opts.MaxPending)
	n.reader.init()
	nc, err := nats.Connect(url,
		nats.Name(opts.Name),
		nats.Timeout(opTimeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(opts.ReconnectWait),
		nats.PingInterval(opts.HealthCheck),
		nats.MaxPingsOutstanding(3),
		nats.DisconnectErrHandler(n.disconnected),
		nats.ReconnectHandler(n.reconnected),
		nats.NoCallbacksAfterClientClose(),
	)
	if err != nil {
		return nil, fmt.Errorf("events: connecting to NATS at %s: %w", url, err)
	}
	n.nc = nc
	n.js, err = jetstream.New(nc,
		jetstream.WithPublishAsyncTimeout(opTimeout),
		jetstream.WithPublishAsyncMaxPending(maxInFlight),
		jetstream.WithDefaultTimeout(opTimeout))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("events: %w", err)
	}
	first, err := n.resume(ctx)
	if err != nil {
		nc.Close()
		return nil, err
	}
	consumeCtx, stopConsume := context.WithCancel(context.Background())
	publishCtx, stopPublish := context.WithCancel(context.Background())
	n.stopConsume, n.stopPublish = stopConsume, stopPublish
	n.done.Add(2)
	go n.consumeLoop(consumeCtx, first)
	go n.publishLoop(publishCtx)
	return n, nil
}

// Publish implements Bus: local subscribers get the events now, other
// instances shortly. It never waits for NATS.
func (n *NATS) Publish(events ...Event) {
	n.pubMu.Lock()
	defer n.pubMu.Unlock()
	n.InMem.Publish(events...)
	select {
	case <-n.quit:
		return
	default:
	}
	if dropped, began := n.out.add(events); dropped > 0 {
		n.dropped(dropped)
		if began {
			n.log.Error("events: too many events waiting for NATS; other instances will miss some",
				"max_pending", n.opts.MaxPending)
		}
	}
}

// Subscribe implements Bus; it is InMem's, spelled out so that NATS
// visibly satisfies Bus on its own.
func (n *NATS) Subscribe(buffer int, topics ...string) *Subscription {
	return n.InMem.Subscribe(buffer, topics...)
}

// Consuming reports whether events from other instances arrive now: the
// connection is up and a consumer reads the stream.
func (n *NATS) Consuming() bool { return n.consuming.Load() && n.nc.IsConnected() }

// Listening is Consuming, under the name the PostgreSQL bus gives it.
func (n *NATS) Listening() bool { return n.Consuming() }

// Stats returns the counters so far.
func (n *NATS) Stats() NATSStats {
	c := &n.stats
	return NATSStats{
		Published: c.published.Load(), Received: c.received.Load(), Replays: c.replays.Load(),
		Resyncs: c.resyncs.Load(), Dropped: c.dropped.Load(),
	}
}

// Close stops reading, tries for a short while to send what is still
// queued, and closes the connection. Subscriptions stay open but receive
// only what is published locally. Calling it again does nothing.
func (n *NATS) Close() error {
	n.closeOnce.Do(func() {
		n.stopConsume()
		close(n.quit)
		giveUp := time.AfterFunc(drainTimeout, n.stopPublish)
		n.done.Wait()
		giveUp.Stop()
		n.stopPublish()
		n.nc.Close()
	})
	return nil
}

// disconnected notes a lost connection; nats.go reconnects by itself.
func (n *NATS) disconnected(_ *nats.Conn, err error) {
	n.log.Warn("events: NATS connection lost; reconnecting", "err", err)
}

// reconnected makes the consumer start again from where it was: what was
// sent to it while the connection was down went nowhere.
func (n *NATS) reconnected(nc *nats.Conn) {
	n.log.Info("events: NATS connection back", "server", nc.ConnectedUrlRedacted())
	signal(n.restart)
}

// dropped records events the other instances will never get, so that the
// next message tells them to resync.
func (n *NATS) dropped(k int) {
	n.stats.dropped.Add(int64(k))
	n.lost.Store(true)
}

// resync tells every local subscription to re-read its state.
func (n *NATS) resync(why string) {
	n.log.Info("events: other instances' events may have been missed; resyncing", "why", why)
	n.reader.forgetSenders()
	n.stats.resyncs.Add(1)
	n.InMem.broadcast(Event{Kind: Resync})
}
