package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	// idleUsers is how many users the idle connections share: the server
	// does not cap subscriptions per user, and signing up 10,000 users
	// would take minutes of argon2 hashing.
	idleUsers = 300
	// fdMargin is the file descriptors kept back from the idle connections
	// for HTTP clients, the database and the runtime.
	fdMargin = 256
	// settle is how long the server gets to finish setting up subscriptions
	// before its memory is read.
	settle = 2 * time.Second
	// rssSettleMax bounds the wait for the server's memory to settle
	// before connecting.
	rssSettleMax = 30 * time.Second
)

const idleQuery = `subscription { chatEvents { __typename cursor syncToken } }`

// runIdle opens N authenticated WebSockets, each with a chatEvents
// subscription on all the user's chats, holds them for the duration while
// answering pings, and reports how much the server's RSS grew per
// connection: over all N, and over the second half alone, which is less
// blurred by what the server held before.
func (b *bench) runIdle(ctx context.Context) ([]*result, error) {
	n, limit, err := idleCap(b.cfg.Idle, b.cfg.Concurrency)
	if err != nil {
		return nil, err
	}
	users, err := b.idleUsers(ctx, min(n, idleUsers))
	if err != nil {
		return nil, err
	}
	rss := func() int64 { return readRSS(b.cfg.ServerPID) }
	var mem [4]int64 // before, with half open, with all open, at the end
	mem[0] = stableRSS(ctx, b.cfg.ServerPID)

	rctx, stopReaders := context.WithCancel(ctx)
	var readers sync.WaitGroup
	defer func() {
		// Cancelling a read closes its connection, so this closes them all at once.
		stopReaders()
		readers.Wait()
	}()
	var dropped atomic.Int64
	lat := make([]time.Duration, n)
	var connecting time.Duration
	open := func(from, to int) error {
		start := time.Now()
		defer func() { connecting += time.Since(start) }()
		return forEach(ctx, to-from, connectWorkers, func(ctx context.Context, j int) error {
			i, t := from+j, time.Now()
			c, err := dialWS(ctx, b.api.url(i), users[i%len(users)].token)
			if err != nil {
				return fmt.Errorf("connection %d: %w", i, err)
			}
			lat[i] = time.Since(t)
			readers.Go(func() { idleRead(rctx, c, &dropped) })
			return c.subscribe(ctx, "1", idleQuery, nil)
		})
	}
	for k, to := range []int{n / 2, n} {
		if err := open(k*(n/2), to); err != nil {
			return nil, err
		}
		sleep(ctx, settle)
		mem[k+1] = rss()
	}
	logf("idle: %d connections opened in %.1fs; holding them for %s", n, connecting.Seconds(), b.cfg.duration)
	sleep(ctx, max(b.cfg.duration-2*settle, 0))
	mem[3] = rss()

	r := newResult("idle", "connections opened (latency: dial to connection_ack)", n, connecting, lat)
	if limit != "" {
		r.note("%s", limit)
	}
	r.note("%d users' tokens shared by %d connections, held %s", len(users), n, b.cfg.duration)
	r.note("%s", b.rssNote(n, mem))
	if d := dropped.Load(); d > 0 {
		r.fail("%d connections or subscriptions ended while idle", d)
	}
	return []*result{r}, nil
}

// idleUsers signs up n users two at a time rather than with all seeding
// workers: each sign-up hashes with 19 MiB of argon2id memory, and the
// less of that garbage the server holds when the connections open, the
// less it blurs their RSS.
func (b *bench) idleUsers(ctx context.Context, n int) ([]*user, error) {
	workers := b.seed.workers
	b.seed.workers = min(workers, 2)
	defer func() { b.seed.workers = workers }()
	var users []*user
	err := b.setup("idle", func() (err error) {
		users, err = b.seed.signUp(ctx, n)
		return err
	})
	return users, err
}

// rssNote describes the server's memory growth over n connections from
// mem: before, with half open, with all open, at the end.
func (b *bench) rssNote(n int, mem [4]int64) string {
	switch {
	case b.cfg.ServerPID <= 0:
		return "server RSS not measured: pass -server-pid"
	case slices.Min(mem[:]) < 0:
		return fmt.Sprintf("server RSS not readable from /proc/%d/status", b.cfg.ServerPID)
	}
	mib := func(kib int64) float64 { return float64(kib) / 1024 }
	return fmt.Sprintf("server RSS %.0f MiB before, %.0f with half open, %.0f with all open, %.0f at the end: "+
		"+%.1f KiB per connection overall, +%.1f KiB over the second half",
		mib(mem[0]), mib(mem[1]), mib(mem[2]), mib(mem[3]),
		float64(mem[2]-mem[0])/float64(n), float64(mem[2]-mem[1])/float64(n-n/2))
}

// stableRSS waits, up to rssSettleMax, for the server's RSS to stop
// moving and returns it: signing up just hashed passwords with argon2id
// (19 MiB each), and the server's runtime gives that memory back to the
// OS only gradually, which would otherwise count against the connections.
func stableRSS(ctx context.Context, pid int) int64 {
	last := readRSS(pid)
	for deadline := time.Now().Add(rssSettleMax); last >= 0 && time.Now().Before(deadline) && ctx.Err() == nil; {
		sleep(ctx, 2*time.Second)
		now := readRSS(pid)
		if now < 0 || abs(now-last) < 1024 {
			return now
		}
		last = now
	}
	return last
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// idleRead answers pings until ctx ends; anything ending the subscription
// or the connection before that counts as dropped.
func idleRead(ctx context.Context, c *wsConn, dropped *atomic.Int64) {
	defer c.close()
	for {
		m, err := c.next(ctx)
		if err != nil {
			if ctx.Err() == nil {
				dropped.Add(1)
			}
			return
		}
		if m.Type == "error" || m.Type == "complete" {
			dropped.Add(1)
			return
		}
	}
}

// idleCap raises the soft open-file limit to the hard one and caps n to
// what it leaves, saying so when it had to.
func idleCap(n, concurrency int) (int, string, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, "", fmt.Errorf("reading the open-file limit: %w", err)
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			return 0, "", fmt.Errorf("raising the open-file limit: %w", err)
		}
	}
	room := int(min(rl.Cur, 1<<30)) - fdMargin - 2*concurrency
	if room < 1 {
		return 0, "", fmt.Errorf("the open-file limit (%d) leaves no room for connections", rl.Cur)
	}
	if n > room {
		return room, fmt.Sprintf("capped from %d by the open-file limit %d", n, rl.Cur), nil
	}
	return n, "", nil
}

// readRSS returns the VmRSS of process pid in KiB, or -1.
func readRSS(pid int) int64 {
	if pid <= 0 {
		return -1
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kib
			}
		}
	}
	return -1
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}
