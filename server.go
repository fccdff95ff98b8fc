// Command gqlchat serves the chat API: GraphQL over HTTP and WebSocket on PostgreSQL.
//
// Configuration comes from environment variables; run with --help to list them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/graph"
	"github.com/gqlchat/gqlchat/internal/pgserver"
	"github.com/gqlchat/gqlchat/internal/postgres"
	"github.com/gqlchat/gqlchat/migrations"
)

// config is everything the server reads from its environment.
type config struct {
	DatabaseURL       string
	DataDir           string
	Port              int
	LogLevel          slog.Level
	DBMaxConns        int
	MinPasswordLength int
	TokenTTL          time.Duration
	Introspection     bool
	OriginPatterns    []string
	EventBus          string
}

// envVars documents each variable for --help, in order.
var envVars = [][2]string{
	{"DATABASE_URL", "PostgreSQL URL; unset: database \"chat\" on 127.0.0.1:5432, or a private server in DATA_DIR when none answers"},
	{"DATA_DIR", "where the private PostgreSQL keeps its data (default .data/postgres)"},
	{"PORT", "HTTP port (default 8080)"},
	{"LOG_LEVEL", "debug, info, warn or error (default info)"},
	{"DB_MAX_CONNS", "size of the database connection pool (default 20)"},
	{"MIN_PASSWORD_LENGTH", "least number of characters in a password (default 15)"},
	{"TOKEN_TTL", "lifetime of a log-in token, as a Go duration (default 720h)"},
	{"INTROSPECTION", "true or false: let clients read the schema (default true)"},
	{"ALLOWED_ORIGINS", "comma-separated extra origins allowed to open WebSockets, e.g. localhost:*"},
	{"EVENT_BUS", "postgres (default: instances share events through LISTEN/NOTIFY) or memory (one instance)"},
}

func loadConfig() (config, error) {
	c := config{
		DatabaseURL:       os.Getenv("DATABASE_URL"),
		DataDir:           envOr("DATA_DIR", ".data/postgres"),
		MinPasswordLength: chat.DefaultConfig.MinPasswordLength,
	}
	var errs []error
	num := func(name string, def int) int {
		n, err := strconv.Atoi(envOr(name, strconv.Itoa(def)))
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s must be a positive number", name))
		}
		return n
	}
	c.Port = num("PORT", 8080)
	c.DBMaxConns = num("DB_MAX_CONNS", 20)
	c.MinPasswordLength = num("MIN_PASSWORD_LENGTH", chat.DefaultConfig.MinPasswordLength)
	ttl, err := time.ParseDuration(envOr("TOKEN_TTL", chat.DefaultConfig.TokenTTL.String()))
	if err != nil || ttl <= 0 {
		errs = append(errs, errors.New("TOKEN_TTL must be a positive duration such as 720h"))
	}
	c.TokenTTL = ttl
	if err := c.LogLevel.UnmarshalText([]byte(envOr("LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %w", err))
	}
	if c.Introspection, err = strconv.ParseBool(envOr("INTROSPECTION", "true")); err != nil {
		errs = append(errs, errors.New("INTROSPECTION must be true or false"))
	}
	if c.EventBus = envOr("EVENT_BUS", "postgres"); c.EventBus != "postgres" && c.EventBus != "memory" {
		errs = append(errs, errors.New("EVENT_BUS must be postgres or memory"))
	}
	for _, o := range strings.Split(os.Getenv("ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.OriginPatterns = append(c.OriginPatterns, o)
		}
	}
	return c, errors.Join(errs...)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func main() {
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: %s\n\nServes the chat API. Environment variables:\n", os.Args[0])
		for _, v := range envVars {
			fmt.Fprintf(flag.CommandLine.Output(), "  %-20s %s\n", v[0], v[1])
		}
	}
	flag.Parse()
	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
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
	dsn, err := databaseURL(ctx, cfg)
	if err != nil {
		return err
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

	chatCfg := chat.DefaultConfig
	chatCfg.MinPasswordLength, chatCfg.TokenTTL = cfg.MinPasswordLength, cfg.TokenTTL
	bus, err := eventBus(ctx, cfg.EventBus, dsn)
	if err != nil {
		return err
	}
	defer bus.Close()
	svc, err := chat.NewService(db, bus, chatCfg)
	if err != nil {
		return err
	}
	opts := graph.DefaultOptions
	opts.Introspection, opts.OriginPatterns = cfg.Introspection, cfg.OriginPatterns
	// Open WebSockets are hijacked, so Shutdown does not wait for them;
	// cancelling their base context ends their subscriptions cleanly.
	baseCtx, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	api := graph.NewHandler(svc, opts)
	srv := &http.Server{
		Addr:              ":" + strconv.Itoa(cfg.Port),
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
	}
	srv.RegisterOnShutdown(func() { api.GoAway(); cancelBase() })
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	slog.Info("listening", "addr", srv.Addr, "playground", fmt.Sprintf("http://localhost:%d/", cfg.Port))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// databaseURL is DATABASE_URL, or database "chat" on the local server
// (started privately in DATA_DIR when none answers).
func databaseURL(ctx context.Context, cfg config) (string, error) {
	if cfg.DatabaseURL != "" {
		return cfg.DatabaseURL, nil
	}
	admin, err := pgserver.AdminURL(ctx, pgserver.Options{DataDir: cfg.DataDir})
	if err != nil {
		return "", err
	}
	dsn := strings.Replace(admin, "/postgres?", "/chat?", 1)
	return dsn, postgres.EnsureDatabase(ctx, dsn)
}

// eventBus returns the configured bus: PostgreSQL LISTEN/NOTIFY, so that
// several instances on one database deliver each other's events, or an
// in-process one.
func eventBus(ctx context.Context, kind, dsn string) (interface {
	events.Bus
	Close() error
}, error) {
	if kind == "memory" {
		return memoryBus{events.NewInMem()}, nil
	}
	return events.NewPG(ctx, dsn, events.PGOptions{})
}

// memoryBus is the in-process bus with nothing to close.
type memoryBus struct{ *events.InMem }

func (memoryBus) Close() error { return nil }
