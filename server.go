// Command gqlchat serves the chat API: GraphQL over HTTP and WebSocket on PostgreSQL.
//
// Configuration comes from environment variables (config.go); run with --help
// to list them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/graph"
	"github.com/gqlchat/gqlchat/httpapi"
	"github.com/gqlchat/gqlchat/internal/postgres"
	"github.com/gqlchat/gqlchat/metrics"
	"github.com/gqlchat/gqlchat/migrations"
)

func main() {
	flag.Usage = func() { usage(flag.CommandLine.Output()) }
	healthcheck := flag.Bool("healthcheck", false, "ask the server on PORT whether it is ready (GET /readyz) and exit 0 or 1: for container health checks")
	flag.Parse()
	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if *healthcheck {
		if err := checkReady(cfg.Port); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel})))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		slog.Error("server stopped", "err", err)
		os.Exit(1)
	}
}

// run connects, migrates and serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, cfg config) error {
	dsn := cfg.DatabaseURL
	if cfg.localDatabase {
		if err := postgres.EnsureDatabase(ctx, dsn); err != nil {
			return err
		}
	}
	db, err := postgres.Open(ctx, dsn, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	n, err := migrations.Up(ctx, sqlDB)
	if err != nil {
		return err
	}
	slog.Info("database ready", "migrations_applied", n)

	bus, err := eventBus(ctx, cfg, dsn)
	if err != nil {
		return err
	}
	defer bus.Close()
	m := metrics.New(sqlDB)
	svc, err := chat.NewService(db, m.Bus(bus), cfg.chatConfig())
	if err != nil {
		return err
	}
	opts := cfg.apiOptions()
	opts.Metrics = m
	opts.Ready = metrics.Ready(sqlDB.PingContext, func(ctx context.Context) (bool, error) { return migrations.Current(ctx, sqlDB) })
	// The requests' base context, ended when the server has stopped.
	// WebSockets are hijacked: GoAway closes them.
	baseCtx, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	api := httpapi.New(svc, graph.NewSchema(svc, graph.DefaultBatchWait), opts)
	// ReadTimeout bounds the whole request, so that a body trickling in is
	// cut (408). It is the connection's read deadline, which net/http lifts
	// once the body has been read (startBackgroundRead) and when the
	// connection is hijacked (hijackLocked): neither a handler still working
	// nor a WebSocket is cut by it. A deadline per handler through
	// http.ResponseController would do no more, in more code.
	srv := &http.Server{
		Addr:              ":" + strconv.Itoa(cfg.Port),
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.ReadTimeout,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
	}
	if cfg.PprofAddr != "" {
		go servePprof(cfg.PprofAddr)
	}
	go svc.RunPruner(baseCtx, pruneInterval(cfg.EventRetention))
	go svc.RunPresence(baseCtx)
	go svc.RunSearchStats(baseCtx)
	errc := make(chan error, 2)
	go func() { errc <- srv.ListenAndServe() }()
	if cfg.MetricsAddr != "" {
		metricsSrv := serveMetrics(cfg.MetricsAddr, m, errc)
		defer metricsSrv.Close()
	}
	slog.Info("listening", "addr", srv.Addr, "playground", fmt.Sprintf("http://localhost:%d/", cfg.Port))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	// WebSockets first, with 1001 so that clients reconnect elsewhere:
	// Shutdown neither closes nor waits for hijacked connections.
	api.GoAway(3 * time.Second)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// eventBus returns the configured bus: PostgreSQL LISTEN/NOTIFY or NATS
// JetStream, so that several instances on one database deliver each
// other's events, or an in-process one.
func eventBus(ctx context.Context, cfg config, dsn string) (interface {
	events.Bus
	Close() error
}, error) {
	switch cfg.EventBus {
	case "memory":
		return memoryBus{events.NewInMem()}, nil
	case "nats":
		return events.NewNATS(ctx, cfg.NATSURL, events.NATSOptions{Stream: cfg.NATSStream})
	}
	return events.NewPG(ctx, dsn, events.PGOptions{})
}

// memoryBus is the in-process bus with nothing to close.
type memoryBus struct{ *events.InMem }

func (memoryBus) Close() error { return nil }

// serveMetrics serves GET /metrics on its own address, which operators can
// keep off the public network; a failure to listen is sent on errc.
func serveMetrics(addr string, m *metrics.Metrics, errc chan<- error) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("metrics: %w", err)
		}
	}()
	slog.Info("metrics", "addr", addr)
	return srv
}

// servePprof serves Go's profiles on their own address, away from the API.
func servePprof(addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace) // scheduling and latency, where a CPU profile shows only work
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	slog.Info("pprof", "addr", addr, "err", srv.ListenAndServe())
}

// checkReady asks the local server whether it is ready.
func checkReady(port int) error {
	client := http.Client{Timeout: 3 * time.Second}
	res, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s", res.Status)
	}
	return nil
}
