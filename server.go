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
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/graph"
	"github.com/gqlchat/gqlchat/internal/postgres"
	"github.com/gqlchat/gqlchat/metrics"
	"github.com/gqlchat/gqlchat/migrations"
)

// config is everything the server reads from its environment.
type config struct {
	DatabaseURL       string
	Port              int
	LogLevel          slog.Level
	DBMaxConns        int
	MinPasswordLength int
	TokenTTL          time.Duration
	ReadTimeout       time.Duration // reading a whole HTTP request, body included
	EventBus          string
	PprofAddr         string
	MetricsAddr       string
	// API holds the GraphQL and WebSocket settings: introspection, origins,
	// request limits, connection caps and rate limits.
	API graph.Options
}

// envVars documents each variable for --help, in order.
var envVars = [][2]string{
	{"DATABASE_URL", "PostgreSQL URL (default: " + defaultDatabaseURL + ", created if missing)"},
	{"PORT", "HTTP port (default 8080)"},
	{"LOG_LEVEL", "debug, info, warn or error (default info)"},
	{"DB_MAX_CONNS", "size of the database connection pool (default 20)"},
	{"MIN_PASSWORD_LENGTH", "least number of characters in a password (default 15)"},
	{"TOKEN_TTL", "lifetime of a log-in token, as a Go duration (default 720h)"},
	{"EVENT_BUS", "postgres (default: instances share events through LISTEN/NOTIFY) or memory (one instance)"},
	{"INTROSPECTION", "true or false: let clients read the schema; false also hides \"Did you mean\" suggestions (default true)"},
	{"ALLOWED_ORIGINS", "comma-separated hosts of browser origins allowed besides the API's own, for CORS and WebSockets, e.g. app.example.com,localhost:*"},
	{"API_HOSTS", "comma-separated hosts by which clients reach the API, e.g. chat.example.com,chat.example.com:443; when set, requests naming another Host are refused (421), which stops DNS rebinding (default: any host)"},
	{"DEV", "true adds localhost:* and 127.0.0.1:* to the allowed origins (default false)"},
	{"MAX_BODY_BYTES", "largest HTTP body or WebSocket message (default 1048576)"},
	{"MAX_TOKENS", "most lexical tokens in a GraphQL document (default 1000)"},
	{"MAX_DEPTH", "deepest nesting of selections (default 10)"},
	{"MAX_ALIASES", "most aliases in an operation (default 30)"},
	{"MAX_DIRECTIVES", "most directives in an operation (default 50)"},
	{"MAX_FIELDS", "most field selections once fragments are expanded (default 2000)"},
	{"MAX_COMPLEXITY", "largest complexity, lists counted by their page size (default 20000)"},
	{"MAX_CONNECTIONS", "most open WebSockets on this instance (default 20000)"},
	{"MAX_CONNECTIONS_PER_USER", "most open WebSockets of one user (default 20)"},
	{"MAX_ANONYMOUS_CONNECTIONS_PER_ADDRESS", "most open WebSockets without a token from one client address (default 50)"},
	{"MAX_SUBSCRIPTIONS_PER_CONNECTION", "most operations running on one WebSocket (default 50)"},
	{"MAX_SUBSCRIPTIONS_PER_USER", "most subscriptions of one user on this instance (default 200)"},
	{"MAX_SUBSCRIPTIONS", "most subscriptions on this instance (default 100000)"},
	{"WS_INIT_TIMEOUT", "time allowed for connection_init (default 10s)"},
	{"WS_KEEPALIVE", "interval of WebSocket pings; a graphql-transport-ws client silent for two is closed (default 15s)"},
	{"RATE_LIMITS", "off, or changes such as postMessage=20/s:40,signUp=5/m:5,logIn=10/m:10,logInAccount=10/m:10,other=10/s:30 (see README)"},
	{"LOGIN_KNOWN_ADDRESS_TTL", "how long an address an account logged in from keeps its own logInAccount limit (default 720h)"},
	{"METRICS_ADDR", "address to serve GET /metrics on instead of the API's, e.g. 127.0.0.1:9090 (recommended in production; default: on the API's port)"},
	{"REQUEST_READ_TIMEOUT", "time allowed to read a whole HTTP request, body included; WebSockets are not affected (default 30s)"},
	{"PPROF_ADDR", "address for Go's pprof profiles, e.g. 127.0.0.1:6060 (default off; never expose it)"},
	{"TRUST_FORWARDED_FOR", "true takes the client address from X-Forwarded-For, behind a proxy (default false)"},
}

func loadConfig() (config, error) {
	c := config{
		DatabaseURL:       os.Getenv("DATABASE_URL"),
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
	if c.ReadTimeout, err = time.ParseDuration(envOr("REQUEST_READ_TIMEOUT", "30s")); err != nil || c.ReadTimeout <= 0 {
		errs = append(errs, errors.New("REQUEST_READ_TIMEOUT must be a positive duration such as 30s"))
	}
	if err := c.LogLevel.UnmarshalText([]byte(envOr("LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %w", err))
	}
	if c.EventBus = envOr("EVENT_BUS", "postgres"); c.EventBus != "postgres" && c.EventBus != "memory" {
		errs = append(errs, errors.New("EVENT_BUS must be postgres or memory"))
	}
	c.PprofAddr = os.Getenv("PPROF_ADDR")
	c.MetricsAddr = os.Getenv("METRICS_ADDR")
	c.API, err = apiOptions(num)
	errs = append(errs, err)
	return c, errors.Join(errs...)
}

// apiOptions reads the settings of the GraphQL handler; num reads a positive number.
func apiOptions(num func(string, int) int) (graph.Options, error) {
	o, l := graph.DefaultOptions, graph.DefaultLimits
	var errs []error
	flag := func(name string, def bool) bool {
		b, err := strconv.ParseBool(envOr(name, strconv.FormatBool(def)))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s must be true or false", name))
		}
		return b
	}
	duration := func(name string, def time.Duration) time.Duration {
		d, err := time.ParseDuration(envOr(name, def.String()))
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be a positive duration such as 10s", name))
		}
		return d
	}
	o.Introspection = flag("INTROSPECTION", true)
	o.OriginPatterns, o.APIHosts = list("ALLOWED_ORIGINS"), list("API_HOSTS")
	if flag("DEV", false) {
		o.OriginPatterns = append(o.OriginPatterns, "localhost:*", "127.0.0.1:*")
	}
	l.MaxBodyBytes = int64(num("MAX_BODY_BYTES", int(l.MaxBodyBytes)))
	l.MaxTokens, l.MaxDepth = num("MAX_TOKENS", l.MaxTokens), num("MAX_DEPTH", l.MaxDepth)
	l.MaxAliases, l.MaxDirectives = num("MAX_ALIASES", l.MaxAliases), num("MAX_DIRECTIVES", l.MaxDirectives)
	l.MaxComplexity = num("MAX_COMPLEXITY", l.MaxComplexity)
	l.MaxFields = num("MAX_FIELDS", l.MaxFields)
	o.Limits = l
	o.MaxConnections = num("MAX_CONNECTIONS", o.MaxConnections)
	o.MaxConnectionsPerUser = num("MAX_CONNECTIONS_PER_USER", o.MaxConnectionsPerUser)
	o.MaxAnonymousConnectionsPerAddress = num("MAX_ANONYMOUS_CONNECTIONS_PER_ADDRESS", o.MaxAnonymousConnectionsPerAddress)
	o.MaxSubscriptionsPerConnection = num("MAX_SUBSCRIPTIONS_PER_CONNECTION", o.MaxSubscriptionsPerConnection)
	o.MaxSubscriptionsPerUser = num("MAX_SUBSCRIPTIONS_PER_USER", o.MaxSubscriptionsPerUser)
	o.MaxSubscriptions = num("MAX_SUBSCRIPTIONS", o.MaxSubscriptions)
	o.InitTimeout, o.KeepAlive = duration("WS_INIT_TIMEOUT", o.InitTimeout), duration("WS_KEEPALIVE", o.KeepAlive)
	o.TrustForwardedFor = flag("TRUST_FORWARDED_FOR", false)
	limits, err := graph.ParseRateLimits(os.Getenv("RATE_LIMITS"), graph.DefaultRateLimits)
	limits.KnownAddressFor = duration("LOGIN_KNOWN_ADDRESS_TTL", graph.DefaultRateLimits.KnownAddressFor)
	o.RateLimits = limits
	return o, errors.Join(append(errs, err)...)
}

// list reads a comma-separated environment variable.
func list(name string) []string {
	var out []string
	for _, item := range strings.Split(os.Getenv(name), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
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
	if dsn == "" {
		dsn = defaultDatabaseURL
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

	chatCfg := chat.DefaultConfig
	chatCfg.MinPasswordLength, chatCfg.TokenTTL = cfg.MinPasswordLength, cfg.TokenTTL
	bus, err := eventBus(ctx, cfg.EventBus, dsn)
	if err != nil {
		return err
	}
	defer bus.Close()
	m := metrics.New(sqlDB)
	svc, err := chat.NewService(db, m.Bus(bus), chatCfg)
	if err != nil {
		return err
	}
	opts := cfg.API
	opts.Metrics = m
	opts.MetricsElsewhere = cfg.MetricsAddr != ""
	opts.Ready = metrics.Ready(sqlDB.PingContext, func(ctx context.Context) (bool, error) { return migrations.Current(ctx, sqlDB) })
	// The requests' base context, ended when the server has stopped.
	// WebSockets are hijacked: GoAway closes them.
	baseCtx, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	api := graph.NewHandler(svc, opts)
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

// defaultDatabaseURL is the database the server uses when DATABASE_URL is
// unset: "chat" on the local PostgreSQL (make run starts a private one if
// none answers; see cmd/devdb).
const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/chat?sslmode=disable"

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
