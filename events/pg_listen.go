package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// payload is what one NOTIFY carries. The object around the events holds
// the sender's tag, which lets every instance skip its own notifications.
type payload struct {
	From   string  `json:"i"`
	Resync bool    `json:"r,omitempty"` // the sender dropped events: everyone resync
	Events []Event `json:"e"`
}

// connectListener opens the listening connection and starts listening.
func (p *PG) connectListener(ctx context.Context) (*pgx.Conn, error) {
	conn, err := p.connect(ctx, "listen")
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{p.opts.Channel}.Sanitize()); err != nil {
		closeConn(conn)
		return nil, fmt.Errorf("events: listening on %q: %w", p.opts.Channel, err)
	}
	p.listenPID.Store(conn.PgConn().PID())
	p.listening.Store(true)
	return conn, nil
}

// listen delivers notifications from conn until it fails, then reconnects,
// until ctx ends.
func (p *PG) listen(ctx context.Context, conn *pgx.Conn) {
	defer p.done.Done()
	for conn != nil {
		err := p.receive(ctx, conn)
		p.listening.Store(false)
		p.listenPID.Store(0)
		closeConn(conn)
		if ctx.Err() != nil {
			return // Close
		}
		p.log.Warn("events: listening connection lost; reconnecting", "channel", p.opts.Channel, "err", err)
		if conn = p.reconnectListener(ctx); conn != nil {
			// Whatever was notified while we were away is gone for good.
			p.resync()
		}
	}
}

// reconnectListener retries connectListener with growing pauses until it
// succeeds or ctx ends (then it returns nil).
func (p *PG) reconnectListener(ctx context.Context) *pgx.Conn {
	var backoff time.Duration
	for {
		backoff = nextBackoff(backoff)
		if !sleep(ctx, backoff) {
			return nil
		}
		attempt, cancel := context.WithTimeout(ctx, opTimeout)
		conn, err := p.connectListener(attempt)
		cancel()
		if err == nil {
			p.log.Info("events: listening again", "channel", p.opts.Channel)
			return conn
		}
		if ctx.Err() != nil {
			return nil
		}
		p.log.Warn("events: reconnecting the listener", "err", err, "retry_in", nextBackoff(backoff))
	}
}

// receive delivers notifications until conn fails or ctx ends. A
// connection silent for HealthCheck is pinged: a peer that vanished
// without closing the socket would otherwise leave us waiting forever.
func (p *PG) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		wait, cancel := context.WithTimeout(ctx, p.opts.HealthCheck)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case err == nil:
			p.deliver(n.Payload)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			ping, cancel := context.WithTimeout(ctx, opTimeout)
			err = conn.Ping(ping)
			cancel()
			if err != nil {
				return fmt.Errorf("health check: %w", err)
			}
		default:
			return err
		}
	}
}

// deliver hands the events of another instance's payload to the local
// subscribers.
func (p *PG) deliver(raw string) {
	var pl payload
	if err := json.Unmarshal([]byte(raw), &pl); err != nil {
		p.log.Error("events: ignoring a notification that is not ours", "channel", p.opts.Channel, "err", err)
		return
	}
	if pl.From == p.id {
		return // delivered locally by Publish already
	}
	if pl.Resync {
		p.resync()
	}
	// Counted first, so that whoever got the events sees them counted.
	p.stats.received.Add(int64(len(pl.Events)))
	p.InMem.Publish(pl.Events...)
}

// resync tells every local subscription to re-read its state.
func (p *PG) resync() {
	p.stats.resyncs.Add(1)
	p.InMem.broadcast(Event{Kind: Resync})
}
