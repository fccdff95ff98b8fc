package main

import (
	"fmt"
	"slices"
	"time"
)

// fanRecord is one mutation of a group's driver that succeeded: it made
// exactly one event, at the chat's next position.
type fanRecord struct {
	kind   opKind
	window int           // the measuring window it was made in (-repeat)
	sent   time.Time     // just before the request was sent
	took   time.Duration // until its response was read
	to     []int         // the members whose streams must get its event, in increasing order

	// What the event names: its message, its member, its name.
	msgID, userID, name string
}

// reaches says whether member's stream must get r's event: by binary
// search, as a chat of 1,000 members checks a million deliveries.
func (r *fanRecord) reaches(member int) bool {
	_, ok := slices.BinarySearch(r.to, member)
	return ok
}

// matches says whether d is the event of r.
func (r *fanRecord) matches(d delivery) bool {
	return d.typ == r.kind.eventType() && d.msgID == r.msgID && d.userID == r.userID && d.name == r.name
}

// verdict is fanout's delivery check over all subscribers.
type verdict struct {
	expected, deliveries int
	lost, dups, disorder int // missing, repeated, and positions that went back
	unexpected           int // events no successful mutation made for that member
	mismatched           int // at a mutation's position, an event not like it
	foreign, broken      int // events of other chats; subscriptions that failed
	firstProblem         string
	firstErr             error
	matched              []fanMatch // the deliveries that passed, for their latencies
}

// fanMatch is a delivery received at at, of the event of mutation r.
type fanMatch struct {
	r  *fanRecord
	at time.Time
}

// check compares what each subscriber received with the mutations its
// group's driver got accepted. The driver is the only writer of its chat
// while measuring and waits for each response before the next mutation,
// so the i-th of them made the event at position p0+i, where p0 is the
// last warm-up post's: every member must get exactly the events of the
// mutations made while they were in the group (every member's read
// markers included), once each, in increasing positions.
func check(groups []*fanGroup) verdict {
	var v verdict
	for _, g := range groups {
		p0 := int64(-1)
		for _, s := range g.subs {
			for _, d := range s.got {
				if d.chat == g.id && d.warm() {
					p0 = max(p0, d.pos)
				}
			}
		}
		for _, s := range g.subs {
			v.checkSub(g, s, p0)
		}
	}
	return v
}

// checkSub checks one subscriber of g; p0 is the position before measuring.
func (v *verdict) checkSub(g *fanGroup, s *fanSub, p0 int64) {
	seen := map[int64]bool{}
	last := int64(-1)
	for _, d := range s.got {
		if d.chat != g.id {
			v.foreign++
			v.problem("member %d of group %d got an event of chat %s", s.member, s.group, d.chat)
			continue
		}
		if seen[d.pos] {
			v.dups++
			v.problem("member %d of group %d got position %d twice", s.member, s.group, d.pos)
			continue
		}
		seen[d.pos] = true
		if d.pos < last {
			v.disorder++
			v.problem("member %d of group %d got position %d after %d", s.member, s.group, d.pos, last)
		}
		last = max(last, d.pos)
		k := d.pos - p0 - 1
		switch {
		case d.warm() && d.pos <= p0:
			continue
		case k < 0 || k >= int64(len(g.done)) || !g.done[k].reaches(s.member):
			v.unexpected++
			v.problem("member %d of group %d got a %s at position %d that no mutation made for them (p0 %d, %d mutations)",
				s.member, s.group, d.typ, d.pos, p0, len(g.done))
			continue
		}
		r := &g.done[k]
		if !r.matches(d) {
			v.mismatched++
			v.problem("member %d of group %d got %+v at the position of %s %+v", s.member, s.group, d, r.kind, *r)
			continue
		}
		v.deliveries++
		v.matched = append(v.matched, fanMatch{r, d.at})
	}
	for k, r := range g.done {
		if r.reaches(s.member) {
			v.expected++
			if !seen[p0+1+int64(k)] {
				v.lost++
				v.problem("member %d of group %d never got the %s at position %d", s.member, s.group, r.kind, p0+1+int64(k))
			}
		}
	}
	if s.err != nil {
		v.broken++
		v.firstErr = cmpErr(v.firstErr, s.err)
	}
}

// problem keeps the first problem found, to show what went wrong.
func (v *verdict) problem(format string, args ...any) {
	if v.firstProblem == "" {
		v.firstProblem = fmt.Sprintf(format, args...)
	}
}

func (v verdict) ok() bool {
	return v.lost+v.dups+v.disorder+v.unexpected+v.mismatched+v.foreign+v.broken == 0 && v.deliveries == v.expected
}

func (v verdict) String() string {
	return fmt.Sprintf("expected %d deliveries, got %d; lost %d, duplicate %d, out of order %d, unexpected %d, not matching their mutation %d, other chats' %d; %d subscriptions broken (first: %v); first problem: %s",
		v.expected, v.deliveries, v.lost, v.dups, v.disorder, v.unexpected, v.mismatched, v.foreign, v.broken, v.firstErr, v.firstProblem)
}
