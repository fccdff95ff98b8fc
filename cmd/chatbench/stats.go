package main

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// summary is the latency distribution of one scenario. Latencies are kept
// whole and sorted rather than bucketed: a run records at most a few
// hundred thousand of them, a few MB, and exact percentiles are simpler to
// trust than a histogram's error bounds.
type summary struct {
	P50, P95, P99, Max time.Duration
}

// summarize sorts lat in place and returns its nearest-rank percentiles.
func summarize(lat []time.Duration) summary {
	if len(lat) == 0 {
		return summary{}
	}
	slices.Sort(lat)
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return lat[max(i, 0)]
	}
	return summary{P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), Max: lat[len(lat)-1]}
}

// load is what a closed-loop run measured.
type load struct {
	ops      int
	errors   int
	firstErr error
	elapsed  time.Duration
	lat      []time.Duration
	cpu      string // how server, database and benchmark shared the CPU
}

// closedLoop runs op in a loop on each of workers goroutines until d has
// passed, and records the latency of every successful call. A call in
// flight at the deadline is allowed to finish, not cancelled: cancelling
// would turn the slowest requests into errors and hide them from the
// percentiles. w is the worker's number, i the call's number within it.
func closedLoop(ctx context.Context, d time.Duration, workers int, op func(ctx context.Context, w, i int) error) *load {
	res := &load{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	cpu := readCPU()
	start := time.Now()
	deadline := start.Add(d)
	for w := range workers {
		wg.Go(func() {
			// Each worker keeps its own slice so that recording takes no lock.
			lat := make([]time.Duration, 0, 1024)
			var errs int
			var firstErr error
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				t := time.Now()
				if err := op(ctx, w, i); err != nil {
					errs++
					firstErr = cmpErr(firstErr, err)
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			defer mu.Unlock()
			res.ops += len(lat)
			res.errors += errs
			res.firstErr = cmpErr(res.firstErr, firstErr)
			res.lat = append(res.lat, lat...)
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.cpu = readCPU().split(cpu, res.elapsed)
	return res
}

// loop is closedLoop at the scenario's concurrency and duration, profiled
// with -profile.
func (b *bench) loop(ctx context.Context, scenario string, op func(ctx context.Context, w, i int) error) *load {
	defer b.profile(scenario)()
	return closedLoop(ctx, b.cfg.duration, b.cfg.Concurrency, op)
}

// cmpErr keeps the first error seen.
func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
