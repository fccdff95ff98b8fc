package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// driven is what drive did in one window.
type driven struct {
	asked   int64 // slots before the deadline: R times the duration, give or take one per group
	dropped int64 // slots dropped because their group's previous mutation was still running
	elapsed time.Duration
}

// drive makes the groups' mutations of window w at R per second in all,
// for the duration, and returns how many slots there were and how many
// were dropped, and how long it took until the last mutation's response.
// Group g's k-th slot is at (g + k*G)/R seconds, so the slots of all
// groups are evenly spread; each group makes one mutation at a time, since
// its events' order is the order of its mutations only if each commits
// before the next is sent: one group can go no faster than one mutation
// per its mutations' latency, so with few groups (one big chat) R is a
// request the report says whether it met.
// A late mutation goes at once; a slot whose successor is already due is
// dropped rather than sent in a burst, and the achieved rate is reported.
func (b *bench) drive(ctx context.Context, groups []*fanGroup, w int) driven {
	var late, asked atomic.Int64
	var wg sync.WaitGroup
	n := float64(len(groups))
	start := time.Now()
	deadline := start.Add(b.cfg.duration)
	slot := func(g, k int) time.Time {
		return start.Add(time.Duration((float64(g) + float64(k)*n) / b.cfg.Rate * float64(time.Second)))
	}
	for gi, g := range groups {
		k := 0
		for slot(gi, k).Before(deadline) {
			k++
		}
		asked.Add(int64(k))
		wg.Go(func() {
			for k := 0; ; k++ {
				// Slots at or past the deadline were never asked for: not dropped.
				for slot(gi, k+1).Before(time.Now()) && slot(gi, k).Before(deadline) {
					k++
					late.Add(1)
				}
				at := slot(gi, k)
				if !at.Before(deadline) || !sleepUntil(ctx, at) || !g.step(ctx, b, gi, w) {
					return
				}
			}
		})
	}
	wg.Wait()
	return driven{asked: asked.Load(), dropped: late.Load(), elapsed: time.Since(start)}
}

// step makes group g's next mutation, of window w, as client i; false
// stops the group.
// A mutation that fails stops it: whether it committed is unknown, so the
// positions of later events could not be checked.
func (g *fanGroup) step(ctx context.Context, b *bench, i, w int) bool {
	if g.err != nil {
		return false
	}
	op := g.state.plan(b.cfg.mix)
	r := fanRecord{kind: op.kind, to: g.state.recipients(op), window: w}
	r.sent = time.Now()
	id, err := perform(ctx, b.api, i, g.group, op)
	r.took = time.Since(r.sent)
	if err != nil {
		if ctx.Err() == nil {
			g.err = err
		}
		return false
	}
	g.state.done(op, id)
	switch op.kind {
	case opPost:
		r.msgID = id
	case opEdit, opDelete, opReact, opUnreact:
		r.msgID = op.msg.id
	case opRead:
		r.msgID, r.userID = op.msg.id, g.members[op.actor].id
	case opLeave, opJoin:
		r.userID = g.members[op.member].id
	case opRename:
		r.name = op.text
	}
	g.done = append(g.done, r)
	return true
}

// sleepUntil waits until t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
