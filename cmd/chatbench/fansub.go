package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// fanSub is one fanout subscriber: a user with its own WebSocket and a
// messagePosted subscription on its group.
type fanSub struct {
	group int
	conn  *wsConn
	ready atomic.Bool // a warm-up message arrived: the subscription is live
	done  atomic.Bool // the reader ended; err is then safe to read

	// The rest belongs to the reader goroutine until it ends.
	next     int64 // the sequence number expected next
	received int
	dups     int // sequence numbers seen again or out of order
	gaps     int // sequence numbers skipped
	foreign  int // messages of another group
	lat      []time.Duration
	err      error
}

// fanBody is the body of measured message seq of group g: the send time
// rides along so that each receiver computes the end-to-end latency.
func fanBody(g int, seq int64, sent time.Time) string {
	return fmt.Sprintf("fan g%d #%d @%d", g, seq, sent.UnixNano())
}

// warmBody marks the messages that prove subscriptions live before measuring.
const warmBody = "warm-up"

// parseFanBody is the inverse of fanBody.
func parseFanBody(body string) (g int, seq int64, sent time.Time, err error) {
	f := strings.Fields(body)
	if len(f) != 4 || f[0] != "fan" {
		return 0, 0, sent, fmt.Errorf("unexpected message body %q", body)
	}
	g, err1 := strconv.Atoi(strings.TrimPrefix(f[1], "g"))
	seq, err2 := strconv.ParseInt(strings.TrimPrefix(f[2], "#"), 10, 64)
	ns, err3 := strconv.ParseInt(strings.TrimPrefix(f[3], "@"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, sent, fmt.Errorf("unexpected message body %q", body)
	}
	return g, seq, time.Unix(0, ns), nil
}

// read consumes the subscription until ctx ends or the server ends it.
func (s *fanSub) read(ctx context.Context) {
	defer s.done.Store(true)
	s.next = 1
	for {
		m, err := s.conn.next(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.err = err
			}
			return
		}
		now := time.Now()
		switch m.Type {
		case "next":
			if err := s.deliver(m.Payload, now); err != nil {
				s.err = err
				return
			}
		case "error", "complete":
			s.err = fmt.Errorf("the server ended the subscription: %s %s", m.Type, m.Payload)
			return
		}
	}
}

// deliver checks one message against the group's sequence.
func (s *fanSub) deliver(payload json.RawMessage, now time.Time) error {
	var p struct {
		Data struct {
			MessagePosted struct{ Body string }
		}
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return fmt.Errorf("decoding a message: %w", err)
	}
	body := p.Data.MessagePosted.Body
	if body == warmBody {
		s.ready.Store(true)
		return nil
	}
	g, seq, sent, err := parseFanBody(body)
	if err != nil {
		return err
	}
	if g != s.group {
		s.foreign++
		return nil
	}
	s.received++
	s.lat = append(s.lat, now.Sub(sent))
	switch {
	case seq == s.next:
		s.next++
	case seq < s.next:
		s.dups++
	default:
		s.gaps += int(seq - s.next)
		s.next = seq + 1
	}
	return nil
}

// verdict is fanout's delivery check over all subscribers.
type verdict struct {
	deliveries, expected      int
	lost, dups, extra, broken int
	foreign                   int
	firstErr                  error
	lat                       []time.Duration
}

// check compares what each subscriber received with what its group's
// poster got accepted: every message exactly once, in order.
func check(groups []*fanGroup) verdict {
	var v verdict
	for _, g := range groups {
		for _, s := range g.subs {
			v.deliveries += s.received
			v.expected += int(g.posted)
			v.lat = append(v.lat, s.lat...)
			v.dups += s.dups
			v.foreign += s.foreign
			v.lost += s.gaps
			if got := s.next - 1; got < g.posted {
				v.lost += int(g.posted - got)
			} else if got > g.posted {
				// A message the poster saw fail arrived anyway.
				v.extra += int(got - g.posted)
			}
			if s.err != nil {
				v.broken++
				v.firstErr = cmpErr(v.firstErr, s.err)
			}
		}
	}
	return v
}

func (v verdict) ok() bool {
	return v.lost+v.dups+v.extra+v.broken+v.foreign == 0 && v.deliveries == v.expected
}
