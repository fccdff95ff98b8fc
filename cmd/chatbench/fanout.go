package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

const (
	// maxGroupMembers is the most members a group chat may have (the
	// server's chat.MaxGroupMembers): -group-size's bound.
	maxGroupMembers = 1000
	// grace is how long fanout waits after the last post before checking
	// that every message arrived.
	grace = 2 * time.Second
	// connectWorkers bounds the WebSocket handshakes in flight.
	connectWorkers = 64
	// readyTimeout bounds the wait for all subscriptions to go live.
	readyTimeout = 30 * time.Second
)

// fanSeedMessages is how many messages each fanout group starts with, so
// that edits, reactions and read markers have something to act on from
// the first mutation, even with 1,000 groups and a few mutations each.
const fanSeedMessages = 3

// fanGroup is a fanout group chat, its subscribers, and its driver: what it
// knows of the chat, the mutations that succeeded, and the one that failed.
type fanGroup struct {
	*group
	subs  []*fanSub
	state *fanState
	done  []fanRecord
	err   error
}

// runFanout measures end-to-end delivery of a mix of chat events: S
// subscribers in groups of -group-size (10 by default), each its own user on its own WebSocket with
// a chatEvents subscription on all their chats, and drivers making R
// mutations per second over all the groups (posts, edits, deletions,
// reactions, read markers, renames, departures and invitations, -mix).
// Each group's mutations go one after another, so the order of its events
// is known, and every member must receive exactly those it may see, once
// each and in order.
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
	for _, g := range groups { // the owner's warm-up posts moved their marker past the seeded messages
		g.state.marker[0] = len(g.state.msgs) - 1
	}
	logf("fanout: %d subscribers connected and live in %.1fs (%d warm-up rounds)", b.cfg.Subscribers, time.Since(start).Seconds(), rounds)

	var windows []fanWindow
	for w := range b.cfg.Repeat {
		name := "fanout"
		if b.cfg.Repeat > 1 {
			name = fmt.Sprintf("fanout#%d", w+1)
		}
		cpu, stopProfile, stopWatch := readCPU(), b.profile(name), stallWatch()
		d := b.drive(ctx, groups, w)
		windows = append(windows, fanWindow{name: name, asked: d.asked, dropped: d.dropped, cpu: readCPU().split(cpu, d.elapsed), stalls: stopWatch()})
		stopProfile()
		logf("%s: mutations done, waiting %s for deliveries", name, grace)
		sleep(ctx, grace)
	}
	stopReaders()
	readers.Wait()
	for _, g := range groups {
		for _, s := range g.subs {
			s.decodeKept()
		}
	}
	return b.fanoutResults(groups, check(groups), windows), nil
}

// fanoutGroups seeds S users in groups of -group-size (see fanLists),
// each group owned by its first user, who befriends the others and
// creates the group with them in one createGroupChat (the server takes up
// to maxGroupMembers at once), and holding fanSeedMessages messages.
func (b *bench) fanoutGroups(ctx context.Context) ([]*fanGroup, error) {
	var groups []*fanGroup
	err := b.setup("fanout", func() error {
		users, err := b.seed.signUp(ctx, b.cfg.Subscribers)
		if err != nil {
			return err
		}
		lists := fanLists(users, b.cfg.GroupSize)
		if err := b.seed.befriend(ctx, ownerPairs(lists)); err != nil {
			return err
		}
		gs, err := b.seed.createGroups(ctx, lists)
		if err != nil {
			return err
		}
		for i, g := range gs {
			groups = append(groups, &fanGroup{group: g, state: newFanState(i, len(g.members), mixSeed)})
		}
		return b.seedFanMessages(ctx, groups)
	})
	return groups, err
}

// fanLists splits users into groups of size in order. A last group of one
// would have no one to hear it: it joins the group before it, or, where
// that would pass maxGroupMembers, takes that group's last member.
func fanLists(users []*user, size int) [][]*user {
	var lists [][]*user
	for i := 0; i < len(users); i += size {
		lists = append(lists, users[i:min(i+size, len(users))])
	}
	if n := len(lists); n > 1 && len(lists[n-1]) == 1 {
		from := (n - 2) * size
		if size < maxGroupMembers {
			lists[n-2] = users[from:]
			lists = lists[:n-1]
		} else {
			lists[n-2], lists[n-1] = users[from:len(users)-2], users[len(users)-2:]
		}
	}
	return lists
}

// mixSeed makes the mix's choices the same from run to run.
const mixSeed = 13

// seedFanMessages posts each group's first messages, from its members
// other than the owner, one group after another so that the driver knows
// their order.
func (b *bench) seedFanMessages(ctx context.Context, groups []*fanGroup) error {
	return b.seed.parallel(ctx, len(groups), func(ctx context.Context, i int) error {
		g := groups[i]
		for j := range fanSeedMessages {
			sender := 1 + j%(len(g.members)-1)
			id, err := postMessageID(ctx, b.api, i, g.members[sender].token, g.id, fmt.Sprintf("seed g%d #%d", i, j))
			if err != nil {
				return err
			}
			g.state.seeded(id, sender)
			b.seed.messages.Add(1)
		}
		return nil
	})
}

// subscribeAll opens every member's WebSocket and subscription, and starts
// its reader on rctx. Subscriber i talks to server i (round-robin).
func (b *bench) subscribeAll(ctx, rctx context.Context, groups []*fanGroup, readers *sync.WaitGroup) error {
	var subs []*fanSub
	var tokens []string
	for gi, g := range groups {
		for range g.members {
			s := &fanSub{group: gi, member: len(g.subs)}
			g.subs = append(g.subs, s)
			subs = append(subs, s)
			tokens = append(tokens, g.members[s.member].token)
		}
	}
	return forEach(ctx, len(subs), connectWorkers, func(ctx context.Context, i int) error {
		// Bounded like a request, so that a stuck handshake fails the
		// scenario rather than hanging it.
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
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
		return conn.subscribe(ctx, "1", fanQuery, nil)
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
