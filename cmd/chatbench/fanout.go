package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

const (
	// fanSize is the number of members of each fanout group, all subscribed.
	fanSize = 10
	// grace is how long fanout waits after the last post before checking
	// that every message arrived.
	grace = 2 * time.Second
	// connectWorkers bounds the WebSocket handshakes in flight.
	connectWorkers = 64
	// readyTimeout bounds the wait for all subscriptions to go live.
	readyTimeout = 30 * time.Second
)

const fanQuery = `subscription($chat: ID!) { messagePosted(chatId: $chat) { id body } }`

// fanGroup is a fanout group chat, its subscribers, and how many measured
// messages its poster got accepted.
type fanGroup struct {
	*group
	subs   []*fanSub
	posted int64
}

// runFanout measures end-to-end delivery: S subscribers in groups of 10,
// each its own user on its own WebSocket, and a poster sending R messages
// per second over all the groups. Each group's messages go out one after
// another, so their order is known and every subscriber must receive all
// of them exactly once and in that order.
func (b *bench) runFanout(ctx context.Context) ([]*result, error) {
	groups, err := b.fanoutGroups(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	rctx, stopReaders := context.WithCancel(ctx)
	var readers sync.WaitGroup
	defer func() {
		stopReaders()
		readers.Wait()
	}()
	if err := b.subscribeAll(ctx, rctx, groups, &readers); err != nil {
		return nil, err
	}
	rounds, err := b.warmUp(ctx, groups)
	if err != nil {
		return nil, err
	}
	logf("fanout: %d subscribers connected and live in %.1fs (%d warm-up rounds)", b.cfg.Subscribers, time.Since(start).Seconds(), rounds)

	postLat, postErrs, elapsed := b.postAtRate(ctx, groups)
	logf("fanout: posting done, waiting %s for deliveries", grace)
	sleep(ctx, grace)
	stopReaders()
	readers.Wait()

	v := check(groups)
	r := newResult("fanout", "deliveries", v.deliveries, elapsed, v.lat)
	var posts int64
	for _, g := range groups {
		posts += g.posted
	}
	pl := summarize(postLat.take())
	r.note("S=%d in %d groups of <=%d; R=%.0f/s target, %.1f/s posted (%d messages)", b.cfg.Subscribers, len(groups), fanSize,
		b.cfg.Rate, float64(posts)/elapsed.Seconds(), posts)
	r.note("latency = receive time - mutation send time; postMessage p50 %s p99 %s", fmtDur(pl.P50), fmtDur(pl.P99))
	if postErrs.errors > 0 {
		r.Errors = postErrs.errors
		r.fail("%d posts failed, first: %v", postErrs.errors, postErrs.firstErr)
	}
	if v.ok() {
		r.note("verified: every subscriber got every message of its group exactly once, in order (%d deliveries)", v.expected)
	} else {
		r.fail("delivery check: expected %d deliveries, got %d; lost %d, duplicate/out-of-order %d, unexpected %d, other groups' %d; %d subscriptions broken (first: %v)",
			v.expected, v.deliveries, v.lost, v.dups, v.extra, v.foreign, v.broken, v.firstErr)
	}
	return []*result{r}, nil
}

// fanoutGroups seeds S users in groups of fanSize, each group owned by its
// first user. A last group of one is folded into the one before it.
func (b *bench) fanoutGroups(ctx context.Context) ([]*fanGroup, error) {
	var groups []*fanGroup
	err := b.setup("fanout", func() error {
		users, err := b.seed.signUp(ctx, b.cfg.Subscribers)
		if err != nil {
			return err
		}
		var lists [][]*user
		for i := 0; i < len(users); i += fanSize {
			lists = append(lists, users[i:min(i+fanSize, len(users))])
		}
		if n := len(lists); n > 1 && len(lists[n-1]) == 1 {
			lists[n-2] = users[(n-2)*fanSize:]
			lists = lists[:n-1]
		}
		if err := b.seed.befriend(ctx, ownerPairs(lists)); err != nil {
			return err
		}
		gs, err := b.seed.createGroups(ctx, lists)
		for _, g := range gs {
			groups = append(groups, &fanGroup{group: g})
		}
		return err
	})
	return groups, err
}

// subscribeAll opens every member's WebSocket and subscription, and starts
// its reader on rctx. Subscriber i talks to server i (round-robin).
func (b *bench) subscribeAll(ctx, rctx context.Context, groups []*fanGroup, readers *sync.WaitGroup) error {
	var subs []*fanSub
	var tokens []string
	for gi, g := range groups {
		for _, m := range g.members {
			s := &fanSub{group: gi}
			g.subs = append(g.subs, s)
			subs = append(subs, s)
			tokens = append(tokens, m.token)
		}
	}
	return forEach(ctx, len(subs), connectWorkers, func(ctx context.Context, i int) error {
		s := subs[i]
		conn, err := dialWS(ctx, b.api.url(i), tokens[i])
		if err != nil {
			return fmt.Errorf("subscriber %d: %w", i, err)
		}
		s.conn = conn
		// The reader owns the connection from here and closes it at the end.
		readers.Go(func() {
			defer conn.close()
			s.read(rctx)
		})
		return conn.subscribe(ctx, "1", fanQuery, map[string]any{"chat": groups[s.group].id})
	})
}

// warmUp posts a marker message into every group whose subscribers have
// not all received one yet, until all have: a subscribe is not
// acknowledged in graphql-transport-ws, so only a delivery proves that
// the subscription is live. It returns the number of rounds.
func (b *bench) warmUp(ctx context.Context, groups []*fanGroup) (int, error) {
	deadline := time.Now().Add(readyTimeout)
	for round := 1; ; round++ {
		var pending []*fanGroup
		silent := 0
		for _, g := range groups {
			n := silent
			for _, s := range g.subs {
				if s.done.Load() {
					return round, fmt.Errorf("a subscription ended before measuring: %v", s.err)
				}
				if !s.ready.Load() {
					silent++
				}
			}
			if silent > n {
				pending = append(pending, g)
			}
		}
		if len(pending) == 0 {
			return round - 1, nil
		}
		if time.Now().After(deadline) {
			return round, fmt.Errorf("%d subscribers in %d groups received nothing in %s (with several -url servers: do they share an event bus?)",
				silent, len(pending), readyTimeout)
		}
		err := b.seed.parallel(ctx, len(pending), func(ctx context.Context, i int) error {
			return postMessage(ctx, b.api, i, pending[i].members[0].token, pending[i].id, warmBody)
		})
		if err != nil {
			return round, fmt.Errorf("warm-up: %w", err)
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return round, ctx.Err()
		}
	}
}

// postAtRate has each group's owner post at R/len(groups) per second for
// the duration, one post at a time, staggered so that the total rate is
// even. A group whose post fails stops: whether that message arrives is
// unknown, so later sequence numbers could not be checked.
func (b *bench) postAtRate(ctx context.Context, groups []*fanGroup) (*latencies, *load, time.Duration) {
	interval := time.Duration(float64(len(groups)) / b.cfg.Rate * float64(time.Second))
	lat, errs := &latencies{}, &load{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(b.cfg.duration)
	for gi, g := range groups {
		wg.Go(func() {
			time.Sleep(interval * time.Duration(gi) / time.Duration(len(groups)))
			// A ticker drops ticks when a post runs late rather than
			// bursting to catch up; the achieved rate is reported.
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for seq := int64(1); time.Now().Before(deadline); seq++ {
				sent := time.Now()
				if err := postMessage(ctx, b.api, gi, g.members[0].token, g.id, fanBody(gi, seq, sent)); err != nil {
					mu.Lock()
					errs.errors++
					errs.firstErr = cmpErr(errs.firstErr, err)
					mu.Unlock()
					return
				}
				lat.add(time.Since(sent))
				g.posted = seq
				select {
				case <-tick.C:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	wg.Wait()
	return lat, errs, time.Since(start)
}
