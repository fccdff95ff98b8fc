package events

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Defaults of PGOptions.
const (
	DefaultChannel     = "gqlchat_events"
	DefaultWindow      = 2 * time.Millisecond
	DefaultAppName     = "gqlchat-events"
	DefaultHealthCheck = 30 * time.Second
	DefaultMaxPending  = 100_000
	DefaultAttempts    = 5
)

const (
	// maxChannel is the longest channel name PostgreSQL keeps whole
	// (NAMEDATALEN-1): LISTEN would silently truncate a longer one, which
	// pg_notify rejects, so the two sides would never meet.
	maxChannel = 63
	// minBackoff and maxBackoff bound the wait between reconnection attempts.
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
	// opTimeout bounds one connection attempt or one NOTIFY round trip, so
	// that a database that stopped answering counts as a failure.
	opTimeout = 5 * time.Second
	// drainTimeout is how long Close keeps trying to send what is queued.
	drainTimeout = 2 * time.Second
	// idLen is the length of an instance's tag: 60 random bits make two
	// instances sharing one by chance unthinkable.
	idLen = 12
)

// PGOptions configure a PG bus; the zero value means every default.
type PGOptions struct {
	// Channel is the LISTEN/NOTIFY channel every instance shares; default
	// DefaultChannel. At most 63 bytes.
	Channel string
	// Window is how long events are gathered before they are sent together;
	// default DefaultWindow. A batch is sent sooner once it fills a payload.
	Window time.Duration
	// AppName is the application_name of the two connections, suffixed with
	// " listen" and " notify", so they can be told apart in pg_stat_activity;
	// default DefaultAppName.
	AppName string
	// HealthCheck is how long the listening connection may stay silent
	// before TCP keep-alives probe it (three, a third of it apart), so that
	// a dead network is noticed; default DefaultHealthCheck.
	HealthCheck time.Duration
	// MaxPending caps the events waiting to be sent while the database is
	// unreachable; more are not sent to other instances. Default
	// DefaultMaxPending.
	MaxPending int
	// Attempts is how often one batch is tried before it is dropped; default
	// DefaultAttempts.
	Attempts int
	// Logger receives connection failures and dropped batches; default
	// slog.Default().
	Logger *slog.Logger
}

func (o *PGOptions) fill() error {
	if o.Channel == "" {
		o.Channel = DefaultChannel
	}
	if len(o.Channel) > maxChannel {
		return fmt.Errorf("events: channel name %q is longer than %d bytes", o.Channel, maxChannel)
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.AppName == "" {
		o.AppName = DefaultAppName
	}
	if o.HealthCheck <= 0 {
		o.HealthCheck = DefaultHealthCheck
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

// PG is a Bus shared by several server instances through PostgreSQL
// LISTEN/NOTIFY. Subscriptions are local, held by the embedded InMem.
//
// Publish delivers to local subscribers at once and queues the events for
// the other instances; a background goroutine sends what was queued within
// a short window in as few NOTIFYs as fit, after the publishing transaction
// committed, because every committing NOTIFY takes a cluster-wide lock: one
// per message would cap the write throughput of the whole database.
//
// Each instance tags its payloads with a random id and ignores its own:
// delivering locally at Publish spares local subscribers a database round
// trip and keeps them served while the database is unreachable, and the
// tag keeps them from receiving the event a second time.
//
// Every instance delivers an event to its subscribers once, in the order
// each publisher published, as long as the connections hold. A NOTIFY
// retried after a failure may arrive twice; events published while an
// instance was not listening, or that could not be sent, never arrive:
// instead its subscribers get a Resync event and must re-read their state
// from the database.
type PG struct {
	*InMem

	opts   PGOptions
	config *pgx.ConnConfig // the database; copied for each connection
	id     string          // tags this instance's payloads
	log    *slog.Logger

	pubMu  sync.Mutex // makes local and remote order the same
	out    outbox
	notify *pgx.Conn // used only by the notify goroutine
	// lost says events were dropped before reaching the other instances;
	// the next payload sent tells them to resync.
	lost atomic.Bool

	listening atomic.Bool
	listenPID atomic.Uint32
	stats     pgCounters

	stopListen context.CancelFunc
	stopNotify context.CancelFunc // gives up on what is still queued
	quit       chan struct{}      // closed by Close: send what is queued and stop
	done       sync.WaitGroup
	closeOnce  sync.Once
}

var _ Bus = (*PG)(nil)

// PGStats count what a PG bus did since it started.
type PGStats struct {
	Notifies int64 // payloads sent, one pg_notify each
	Flushes  int64 // round trips (and transactions) that sent them
	Received int64 // events from other instances delivered here
	Resyncs  int64 // Resync broadcasts to the local subscriptions
	Dropped  int64 // events that never reached the other instances
}

type pgCounters struct {
	notifies, flushes, received, resyncs, dropped atomic.Int64
}

// NewPG connects to the database at connString, listens on the channel and
// returns the running bus. It fails if the database cannot be reached now,
// so that a misconfigured server stops at start rather than running deaf;
// later failures are retried in the background.
func NewPG(ctx context.Context, connString string, opts PGOptions) (*PG, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	config, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	if config.ConnectTimeout == 0 {
		config.ConnectTimeout = opTimeout
	}
	p := &PG{
		InMem: NewInMem(), opts: opts, config: config, log: opts.Logger,
		id:   rand.Text()[:idLen],
		quit: make(chan struct{}),
	}
	p.out.init(opts.MaxPending)
	first, err := p.connectListener(ctx)
	if err != nil {
		return nil, err
	}
	if p.notify, err = p.connect(ctx, "notify"); err != nil {
		closeConn(first)
		return nil, err
	}
	listenCtx, stopListen := context.WithCancel(context.Background())
	notifyCtx, stopNotify := context.WithCancel(context.Background())
	p.stopListen, p.stopNotify = stopListen, stopNotify
	p.done.Add(2)
	go p.listen(listenCtx, p.listener(first))
	go p.notifyLoop(notifyCtx)
	return p, nil
}

// Publish implements Bus: local subscribers get the events now, other
// instances shortly. It never waits for the database.
func (p *PG) Publish(events ...Event) {
	p.pubMu.Lock()
	defer p.pubMu.Unlock()
	p.InMem.Publish(events...)
	p.enqueue(events)
}

// Subscribe implements Bus; it is InMem's, spelled out so that PG visibly
// satisfies Bus on its own.
func (p *PG) Subscribe(buffer int, topics ...string) *Subscription {
	return p.InMem.Subscribe(buffer, topics...)
}

// Listening reports whether the listening connection is up, that is
// whether events from other instances arrive now.
func (p *PG) Listening() bool { return p.listening.Load() }

// ListenerPID is the backend process id of the listening connection (for
// pg_terminate_backend in tests and for operators); 0 while reconnecting.
func (p *PG) ListenerPID() uint32 { return p.listenPID.Load() }

// Stats returns the counters so far.
func (p *PG) Stats() PGStats {
	c := &p.stats
	return PGStats{
		Notifies: c.notifies.Load(), Flushes: c.flushes.Load(), Received: c.received.Load(),
		Resyncs: c.resyncs.Load(), Dropped: c.dropped.Load(),
	}
}

// Close stops listening, tries for a short while to send what is still
// queued, and closes the connections. Subscriptions stay open but receive
// only what is published locally. Calling it again does nothing.
func (p *PG) Close() error {
	p.closeOnce.Do(func() {
		p.stopListen()
		close(p.quit)
		giveUp := time.AfterFunc(drainTimeout, p.stopNotify)
		p.done.Wait()
		giveUp.Stop()
		p.stopNotify()
	})
	return nil
}

// connect opens one connection named after its role.
func (p *PG) connect(ctx context.Context, role string) (*pgx.Conn, error) {
	return p.connectWith(ctx, p.config.Copy(), role)
}

// connectWith opens a connection with config (a copy), named after its role.
func (p *PG) connectWith(ctx context.Context, config *pgx.ConnConfig, role string) (*pgx.Conn, error) {
	config.RuntimeParams["application_name"] = p.opts.AppName + " " + role
	conn, err := pgx.ConnectConfig(ctx, config)
	if err != nil {
		return nil, fmt.Errorf("events: connecting to %s: %w", role, err)
	}
	return conn, nil
}

// closeConn closes conn without waiting long on a database that is gone.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// sleep waits d unless ctx ends first; false means it ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// nextBackoff doubles d within [minBackoff, maxBackoff].
func nextBackoff(d time.Duration) time.Duration {
	return min(max(2*d, minBackoff), maxBackoff)
}
