package events

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"
)

// payload is what one NOTIFY carries. The object around the events holds
// the sender's tag, which lets every instance skip its own notifications.
type payload struct {
	From   string  `json:"i"`
	Resync bool    `json:"r,omitempty"` // the sender dropped events: everyone resync
	Events []Event `json:"e"`
}

// reconnectDelay is how long the listener waits before connecting again
// after losing its connection.
const reconnectDelay = time.Second

// listener returns the pgxlisten.Listener that delivers other instances'
// notifications: on first, the connection NewPG opened to check that the
// database answers, then on new ones after each loss.
//
// pgxlisten waits on the connection with no deadline, so a peer that
// vanished without closing the socket is noticed by TCP keep-alives, set
// from HealthCheck on every listening connection.
func (p *PG) listener(first *pgx.Conn) *pgxlisten.Listener {
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			if conn := first; conn != nil {
				first = nil
				return conn, nil
			}
			return p.connectListener(ctx)
		},
		// Our handlers never fail: an error is a lost connection or a
		// failed attempt to get one.
		LogError: func(ctx context.Context, err error) {
			p.listening.Store(false)
			p.listenPID.Store(0)
			if ctx.Err() == nil { // not Close
				p.log.Warn("events: not listening; reconnecting", "channel", p.opts.Channel, "err", err, "retry_in", reconnectDelay.String())
			}
		},
		ReconnectDelay: reconnectDelay,
	}
	l.Handle(p.opts.Channel, &notifications{p: p, first: first})
	return l
}

// connectListener opens a listening connection. It sends LISTEN itself,
// although pgxlisten sends it again (which changes nothing): NewPG returns
// only once the bus listens, so that nothing published after it is missed.
func (p *PG) connectListener(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	config := p.config.Copy()
	idle := p.opts.HealthCheck
	dialer := &net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: idle, Interval: max(idle/3, time.Second), Count: 3}}
	config.DialFunc = dialer.DialContext
	conn, err := p.connectWith(ctx, config, "listen")
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

// notifications is the handler of the bus's channel.
type notifications struct {
	p     *PG
	first *pgx.Conn // the connection NewPG listened on
}

// HandleBacklog implements pgxlisten.BacklogHandler: it runs once LISTEN
// is in place on a connection. Any connection but the first follows a
// loss: whatever was notified meanwhile is gone for good, so every local
// subscription resyncs.
func (n *notifications) HandleBacklog(_ context.Context, _ string, conn *pgx.Conn) error {
	if conn != n.first {
		n.p.log.Info("events: listening again", "channel", n.p.opts.Channel)
		n.p.resync()
	}
	return nil
}

// HandleNotification implements pgxlisten.Handler.
func (n *notifications) HandleNotification(_ context.Context, note *pgconn.Notification, _ *pgx.Conn) error {
	n.p.deliver(note.Payload)
	return nil
}

// listen runs the listener until ctx ends.
func (p *PG) listen(ctx context.Context, l *pgxlisten.Listener) {
	defer p.done.Done()
	_ = l.Listen(ctx) // returns only when ctx ends
	p.listening.Store(false)
	p.listenPID.Store(0)
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
