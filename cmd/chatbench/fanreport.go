package main

import (
	"fmt"
	"slices"
	"time"
)

// fanWindow is one measuring window of fanout (-repeat makes several on the
// same subscribers: seeding 10,000 users takes minutes, and on a shared
// machine each window's CPU note tells whether something else ran).
type fanWindow struct {
	name    string
	asked   int64  // mutations the rate asked for in the window
	dropped int64  // slots dropped because a group's mutation ran late
	cpu     string // how server, database, benchmark and the rest shared the CPU
	stalls  string // how late the benchmark woke from short sleeps
}

// fanStats are the latencies of the deliveries and mutations of one window.
type fanStats struct {
	lat, sinceResponse, took []time.Duration
	mutations                int
}

// add counts a delivery; sinceResponse is its time after its mutation's
// response was read (negative when it came first): the path from commit to
// the subscriber, without the mutation's own time.
func (s *fanStats) add(m fanMatch) {
	s.lat = append(s.lat, m.at.Sub(m.r.sent))
	s.sinceResponse = append(s.sinceResponse, m.at.Sub(m.r.sent.Add(m.r.took)))
}

// fanoutResults makes the report: for each window a row of all its
// deliveries, then one per kind of mutation. The first row carries the
// delivery check, which covers every window.
func (b *bench) fanoutResults(groups []*fanGroup, v verdict, windows []fanWindow) []*result {
	all := make([]fanStats, len(windows))
	kinds := make([]map[opKind]*fanStats, len(windows))
	for w := range kinds {
		kinds[w] = map[opKind]*fanStats{}
	}
	var failures int
	var firstErr error
	for _, g := range groups {
		for i := range g.done {
			r := &g.done[i]
			all[r.window].took = append(all[r.window].took, r.took)
			k := kinds[r.window][r.kind]
			if k == nil {
				k = &fanStats{}
				kinds[r.window][r.kind] = k
			}
			k.took, k.mutations = append(k.took, r.took), k.mutations+1
		}
		if g.err != nil {
			failures++
			firstErr = cmpErr(firstErr, g.err)
		}
	}
	for _, m := range v.matched {
		all[m.r.window].add(m)
		kinds[m.r.window][m.r.kind].add(m)
	}
	var rows []*result
	for w, win := range windows {
		r := b.fanoutRow(groups, win, &all[w])
		if w == 0 {
			if failures > 0 {
				r.Errors = failures
				r.fail("%d groups stopped on a failed mutation, first: %v", failures, firstErr)
			}
			if v.ok() {
				r.note("verified over %d window(s): every member got exactly the events of the mutations they may see, once each and in order (%d deliveries)",
					len(windows), v.expected)
			} else {
				r.fail("delivery check over %d window(s): %s", len(windows), v)
			}
		}
		rows = append(rows, r)
		for _, k := range opKinds {
			if s := kinds[w][k]; s != nil {
				kr := newResult(win.name+"/"+string(k), k.eventType()+" deliveries", len(s.lat), b.cfg.duration, s.lat)
				kl := summarize(s.took)
				kr.note("%d mutations, p50 %s p99 %s", s.mutations, fmtDur(kl.P50), fmtDur(kl.P99))
				rows = append(rows, kr)
			}
		}
	}
	return rows
}

// sustained is the share of the mutations asked for that must be made for
// the window's rate to count as the one asked for.
const sustained = 0.95

// fanoutRow is the row of all the deliveries of one window.
func (b *bench) fanoutRow(groups []*fanGroup, win fanWindow, s *fanStats) *result {
	elapsed := b.cfg.duration
	r := newResult(win.name, "deliveries", len(s.lat), elapsed, s.lat)
	ml, sr := summarize(s.took), summarize(s.sinceResponse)
	made := len(s.took)
	r.note("S=%d in %s (-group-size %d), chatEvents on all their chats; mix %s", b.cfg.Subscribers, groupSizes(groups), b.cfg.GroupSize, b.cfg.mix)
	r.note("R=%.0f/s target: %d mutations asked, %d made (%.1f/s), %d slots dropped while their group's previous mutation ran",
		b.cfg.Rate, win.asked, made, float64(made)/elapsed.Seconds(), win.dropped)
	if float64(made) < sustained*float64(win.asked) {
		// A group's mutations go one at a time: R over G groups asks each
		// for one every G/R, which its mutations' latency may not allow.
		every := time.Duration(float64(len(groups)) / b.cfg.Rate * float64(time.Second))
		r.note("RATE NOT SUSTAINED: %d of %d mutations asked were made (%.0f%%); each group makes one at a time, asked for one every %s, and they took p50 %s p99 %s",
			made, win.asked, 100*float64(made)/float64(max(win.asked, 1)), fmtDur(every), fmtDur(ml.P50), fmtDur(ml.P99))
	}
	r.note("latency = receive time - time just before sending the mutation; mutations p50 %s p99 %s; deliveries after the mutation's response p50 %s p99 %s",
		fmtDur(ml.P50), fmtDur(ml.P99), fmtDur(sr.P50), fmtDur(sr.P99))
	for _, n := range []string{win.cpu, win.stalls} {
		if n != "" {
			r.note("%s", n)
		}
	}
	return r
}

// groupSizes describes the groups' sizes: "100 groups of 10", "1 group of
// 1000", "99 groups of 10-11".
func groupSizes(groups []*fanGroup) string {
	if len(groups) == 0 {
		return "no groups"
	}
	sizes := make([]int, len(groups))
	for i, g := range groups {
		sizes[i] = len(g.members)
	}
	lo, hi := slices.Min(sizes), slices.Max(sizes)
	of := fmt.Sprint(lo)
	if hi != lo {
		of = fmt.Sprintf("%d-%d", lo, hi)
	}
	if len(groups) == 1 {
		return "1 group of " + of
	}
	return fmt.Sprintf("%d groups of %s", len(groups), of)
}
