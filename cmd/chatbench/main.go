// Command chatbench measures the throughput and latency of a running chat
// server over loopback, driving it exactly as clients do: GraphQL over
// HTTP POST /query with a bearer token, and graphql-transport-ws
// WebSockets for subscriptions.
//
// Every scenario seeds its own data through the API first (timed apart
// from the measurement; search writes its million messages by SQL), then
// runs for -duration and stops by itself:
//
//	post      C workers post messages round-robin into G group chats of 4
//	history   C workers read the newest 50 messages of a chat
//	inbox     C workers list 50 chats of a user who is in 100
//	fanout    S WebSocket subscribers in groups of -group-size (10; up to
//	          1,000 in one chat), each following all its chats with
//	          chatEvents, and R mutations/s of a mix of kinds (-mix);
//	          end-to-end latency per kind, and a check that each member
//	          gets exactly the events it may see, once each and in order
//	baseline  the history SELECT, the post transaction and the inbox's
//	          five statements through pgx on -dsn, to compare the API
//	          with the database alone
//	idle      (opt-in) N idle subscribed WebSockets; server RSS growth
//	search    (opt-in, needs -dsn) searchMessages on 1,000,000 messages
//	          seeded by SQL, rare to common words, all chats or one, each
//	          beside its SELECT through pgx
//	seenby    (opt-in) C workers read a page of 50 messages with
//	          seenBy(first: 3) { totalCount } in a group of 1,000 members
//	          (seeded through the API), with its SQL through pgx as a floor
//
// A table goes to stdout (or JSON with -json); progress goes to stderr.
// With -profile, CPU profiles of the server (-pprof) and of the benchmark
// are written for each measurement.
// The exit status is 1 if a scenario failed: errors, or any lost or
// duplicated delivery in fanout.
//
//	go run ./cmd/chatbench -url http://localhost:8080 -dsn postgres://postgres@127.0.0.1:5432/chat
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// config is the command line.
type config struct {
	URLs            []string `json:"urls"`
	DSN             bool     `json:"dsn_given"` // the DSN itself may hold a password
	Scenarios       []string `json:"scenarios"`
	Duration        string   `json:"duration"`
	Concurrency     int      `json:"concurrency"`
	Groups          int      `json:"groups"`
	Subscribers     int      `json:"subscribers"`
	GroupSize       int      `json:"group_size"`
	Rate            float64  `json:"rate"`
	Idle            int      `json:"idle"`
	ServerPID       int      `json:"server_pid,omitempty"`
	OtherServerPIDs []int    `json:"other_server_pids,omitempty"`
	SeedWorkers     int      `json:"seed_workers"`
	Mix             string   `json:"mix"`
	Repeat          int      `json:"repeat"`

	dsn        string
	duration   time.Duration
	json       bool
	mix        mix
	profileDir string
	pprofURL   string
}

var allScenarios = []string{"post", "history", "inbox", "fanout", "baseline", "idle", "search", "seenby"}

func parseFlags() (config, error) {
	var c config
	urls := flag.String("url", "http://localhost:8080", "server base URL; a comma-separated list spreads clients round-robin over several servers")
	flag.StringVar(&c.dsn, "dsn", "", "PostgreSQL DSN of the server's database (only the baseline scenario uses it)")
	scenarios := flag.String("scenarios", "post,history,inbox,fanout,baseline", "comma-separated scenarios: "+strings.Join(allScenarios, ", "))
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "how long each scenario measures")
	flag.IntVar(&c.Concurrency, "concurrency", 32, "concurrent workers (C) of post, history, inbox and baseline")
	flag.IntVar(&c.Groups, "groups", 8, "group chats (G) that post writes to")
	flag.IntVar(&c.Subscribers, "subscribers", 1000, "WebSocket subscribers (S) of fanout, in groups of -group-size")
	flag.IntVar(&c.GroupSize, "group-size", 10, fmt.Sprintf("members of each fanout group chat, all subscribed (2 to %d); -group-size 1000 -subscribers 1000 is one big chat", maxGroupMembers))
	flag.Float64Var(&c.Rate, "rate", 200, "mutations per second (R) made in fanout, over all its groups: each makes one event")
	flag.IntVar(&c.Repeat, "repeat", 1, "fanout's measuring windows of -duration, one after another on the same subscribers")
	flag.StringVar(&c.Mix, "mix", defaultMix, "fanout's mutations: kind=weight pairs, kinds "+fmt.Sprint(opKinds))
	flag.IntVar(&c.Idle, "idle", 10000, "idle WebSocket connections (N), capped by the open-file limit")
	flag.IntVar(&c.ServerPID, "server-pid", 0, "the server's process id, to read its RSS (idle) and CPU time")
	others := flag.String("other-server-pids", "", "comma-separated process ids of more server instances, whose CPU time counts with the server's")
	flag.IntVar(&c.SeedWorkers, "seed-workers", 16, "concurrent requests while seeding")
	flag.BoolVar(&c.json, "json", false, "print a JSON document instead of a table")
	flag.StringVar(&c.profileDir, "profile", "", "write CPU profiles of each measurement into this directory")
	flag.StringVar(&c.pprofURL, "pprof", "", "the server's pprof base URL (its PPROF_ADDR), for -profile")
	flag.Parse()
	if flag.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", flag.Args())
	}
	var err error
	if c.URLs, err = parseURLs(*urls); err != nil {
		return c, err
	}
	for p := range strings.SplitSeq(*others, ",") {
		if p = strings.TrimSpace(p); p != "" {
			pid, err := strconv.Atoi(p)
			if err != nil || pid <= 0 {
				return c, fmt.Errorf("-other-server-pids: %q is not a process id", p)
			}
			c.OtherServerPIDs = append(c.OtherServerPIDs, pid)
		}
	}
	if c.mix, err = parseMix(c.Mix); err != nil {
		return c, err
	}
	c.Mix = c.mix.String()
	for s := range strings.SplitSeq(*scenarios, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(allScenarios, s) {
			return c, fmt.Errorf("-scenarios: unknown scenario %q (known: %s)", s, strings.Join(allScenarios, ", "))
		}
		c.Scenarios = append(c.Scenarios, s)
	}
	switch {
	case c.duration <= 0:
		return c, fmt.Errorf("-duration must be positive")
	case c.Concurrency < 1 || c.Groups < 1 || c.SeedWorkers < 1 || c.Repeat < 1:
		return c, fmt.Errorf("-concurrency, -groups, -seed-workers and -repeat must be at least 1")
	case c.Subscribers < 2 || c.Rate <= 0 || c.Idle < 1:
		return c, fmt.Errorf("-subscribers must be at least 2, -rate and -idle positive")
	case c.GroupSize < 2 || c.GroupSize > maxGroupMembers:
		return c, fmt.Errorf("-group-size must be between 2 and %d (a group chat's most members)", maxGroupMembers)
	}
	c.Duration, c.DSN = c.duration.String(), c.dsn != ""
	return c, nil
}

func main() {
	cfg, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatbench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	serverPID, otherServerPIDs = cfg.ServerPID, cfg.OtherServerPIDs
	if cfg.dsn != "" {
		if pc, err := pgx.ParseConfig(cfg.dsn); err == nil {
			benchDB = pc.Database
		}
	}
	b := newBench(cfg)
	for _, s := range cfg.Scenarios {
		if ctx.Err() != nil {
			break
		}
		logf("== %s", s)
		b.results = append(b.results, b.run(ctx, s)...)
	}
	addRatios(b.results)
	if cfg.json {
		err = writeJSON(os.Stdout, cfg, b.steps, b.results)
	} else {
		err = writeTable(os.Stdout, b.steps, b.results)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatbench:", err)
		os.Exit(1)
	}
	if failed(b.results) || ctx.Err() != nil {
		os.Exit(1)
	}
}

// bench holds what scenarios share: the clients and the seeded data.
type bench struct {
	cfg     config
	api     *api
	seed    *seeder
	steps   []seedStep
	results []*result

	// groups are post's G group chats, also read by history and written
	// by baseline; seeded on first use.
	groups []*group
	// historySeeded is set once groups[0] holds at least 50 messages.
	historySeeded bool
	// inboxOwner is the user whose chats inbox lists, also listed by
	// baseline; seeded on first use.
	inboxOwner *user
}

func newBench(cfg config) *bench {
	a := newAPI(cfg.URLs, max(cfg.Concurrency, cfg.SeedWorkers)+8)
	return &bench{cfg: cfg, api: a, seed: newSeeder(a, cfg.SeedWorkers)}
}

// run runs one scenario; a failed setup becomes a failed result.
func (b *bench) run(ctx context.Context, name string) []*result {
	var res []*result
	var err error
	switch name {
	case "post":
		res, err = b.runPost(ctx)
	case "history":
		res, err = b.runHistory(ctx)
	case "inbox":
		res, err = b.runInbox(ctx)
	case "fanout":
		res, err = b.runFanout(ctx)
	case "baseline":
		res, err = b.runBaseline(ctx)
	case "idle":
		res, err = b.runIdle(ctx)
	case "search":
		res, err = b.runSearch(ctx)
	case "seenby":
		res, err = b.runSeenBy(ctx)
	}
	if err != nil {
		logf("%s: %v", name, err)
		res = append(res, &result{Scenario: name, Failed: true, Notes: []string{"FAILED: " + err.Error()}})
	}
	return res
}

// setup seeds data for scenario through the API, timing it apart from
// the measurement and reporting it.
func (b *bench) setup(scenario string, f func() error) error {
	step, err := b.seed.measure(scenario, f)
	if step.Users+step.Friendships+step.Groups+step.Messages > 0 {
		b.steps = append(b.steps, step)
		logf("%s: seeded through the API in %.1fs: %d users, %d friendships, %d groups, %d messages",
			scenario, step.Seconds, step.Users, step.Friendships, step.Groups, step.Messages)
	}
	if err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	return b.analyze()
}

// analyze refreshes the planner's statistics, as autovacuum does on a live
// database: right after thousands of posts they are stale, and a plan made
// for a nearly empty table slows history and baseline alike by an order
// of magnitude, which measures the benchmark rather than the API.
func (b *bench) analyze() error {
	if b.cfg.dsn == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, b.cfg.dsn)
	if err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// logf reports progress on stderr, keeping stdout for the results.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}
