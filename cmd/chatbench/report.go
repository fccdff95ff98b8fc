package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// result is one row of the report.
type result struct {
	Scenario  string   `json:"scenario"`
	Unit      string   `json:"unit"` // what one op is
	Ops       int      `json:"ops"`
	Errors    int      `json:"errors"`
	Seconds   float64  `json:"seconds"`
	OpsPerSec float64  `json:"ops_per_sec"`
	Latency   summary  `json:"-"`
	LatencyMS msLat    `json:"latency_ms"`
	Notes     []string `json:"notes,omitempty"`
	Failed    bool     `json:"failed"`
}

// msLat is a summary in milliseconds, for JSON readers.
type msLat struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// newResult makes a row from counts and latencies measured over elapsed.
func newResult(scenario, unit string, ops int, elapsed time.Duration, lat []time.Duration) *result {
	r := &result{Scenario: scenario, Unit: unit, Ops: ops, Seconds: elapsed.Seconds(), Latency: summarize(lat)}
	if elapsed > 0 {
		r.OpsPerSec = float64(ops) / elapsed.Seconds()
	}
	r.LatencyMS = msLat{ms(r.Latency.P50), ms(r.Latency.P95), ms(r.Latency.P99), ms(r.Latency.Max)}
	return r
}

// fromLoad makes a row from a closed-loop run; any error fails it, since
// the numbers of a run with failing requests are not comparable.
func fromLoad(scenario, unit string, l *load) *result {
	r := newResult(scenario, unit, l.ops, l.elapsed, l.lat)
	r.Errors = l.errors
	if l.errors > 0 {
		r.fail("%d errors, first: %v", l.errors, l.firstErr)
	}
	if l.cpu != "" {
		r.note("%s", l.cpu)
	}
	return r
}

func (r *result) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

func (r *result) fail(format string, args ...any) {
	r.Failed = true
	r.note("FAILED: "+format, args...)
}

func failed(rs []*result) bool {
	for _, r := range rs {
		if r.Failed {
			return true
		}
	}
	return false
}

// addRatios notes on post, history and inbox how they compare with the database
// alone: the share of throughput kept, and how many times slower.
func addRatios(rs []*result) {
	find := func(name string) *result {
		for _, r := range rs {
			if r.Scenario == name && !r.Failed && r.Ops > 0 {
				return r
			}
		}
		return nil
	}
	for api, base := range map[string]string{"post": "baseline-insert", "history": "baseline-history", "inbox": "baseline-inbox"} {
		a, b := find(api), find(base)
		if a == nil || b == nil {
			continue
		}
		a.note("api/baseline: ops/s %.2fx, p50 %.1fx, p99 %.1fx", a.OpsPerSec/b.OpsPerSec,
			ratio(a.Latency.P50, b.Latency.P50), ratio(a.Latency.P99, b.Latency.P99))
	}
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// writeTable prints the seeding summary and the results table.
func writeTable(w io.Writer, steps []seedStep, rs []*result) error {
	if len(steps) > 0 {
		fmt.Fprintln(w, "Seeding, all through the API (signUp, sendFriendRequest+acceptFriendRequest, createGroupChat, postMessage); not part of the measurements:")
		for _, s := range steps {
			fmt.Fprintf(w, "  %-9s %5d users %5d friendships %4d groups %5d messages  in %.1fs\n",
				s.Scenario, s.Users, s.Friendships, s.Groups, s.Messages, s.Seconds)
		}
		fmt.Fprintln(w)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tops\tops/s\tp50\tp95\tp99\tmax\tnotes")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%s\n", r.Scenario, r.Ops, r.OpsPerSec,
			fmtDur(r.Latency.P50), fmtDur(r.Latency.P95), fmtDur(r.Latency.P99), fmtDur(r.Latency.Max),
			strings.Join(r.allNotes(), "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed(rs) {
		fmt.Fprintln(w, "\nRESULT: FAILED (see notes)")
	}
	return nil
}

// allNotes is the unit, then the notes.
func (r *result) allNotes() []string {
	if r.Unit == "" {
		return r.Notes
	}
	return append([]string{r.Unit}, r.Notes...)
}

func fmtDur(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fms", ms(d))
}

// writeJSON prints the whole report as one JSON document.
func writeJSON(w io.Writer, cfg config, steps []seedStep, rs []*result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Config  config     `json:"config"`
		Seeding []seedStep `json:"seeding"`
		Results []*result  `json:"results"`
		Failed  bool       `json:"failed"`
	}{cfg, steps, rs, failed(rs)})
}
