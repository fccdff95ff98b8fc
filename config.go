package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/httpapi"
)

// config is everything the server reads from its environment, loaded by
// caarlos0/env. Each field's env tag names its variable, envDefault holds
// its default and help says what it sets (and, for a variable without a
// default, what leaving it unset does): --help is written from these tags,
// so it cannot drift from the defaults. Every number and duration must be
// positive.
type config struct {
	// The default database is "chat" on the local PostgreSQL (make run
	// starts a private one if none answers; see cmd/devdb).
	DatabaseURL       string        `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/chat?sslmode=disable" help:"PostgreSQL URL; the default database is created if missing"`
	Port              int           `env:"PORT" envDefault:"8080" help:"HTTP port"`
	LogLevel          slog.Level    `env:"LOG_LEVEL" envDefault:"info" help:"debug, info, warn or error"`
	DBMaxConns        int           `env:"DB_MAX_CONNS" envDefault:"20" help:"size of the database connection pool"`
	MinPasswordLength int           `env:"MIN_PASSWORD_LENGTH" envDefault:"15" help:"least number of characters in a password"`
	TokenTTL          time.Duration `env:"TOKEN_TTL" envDefault:"720h" help:"lifetime of a log-in token, as a Go duration"`
	SessionCacheTTL   time.Duration `env:"SESSION_CACHE_TTL" envDefault:"10s" help:"how long an instance trusts a token it checked without asking the database again; revocations reach every instance through the event bus at once, and this bounds one whose note was lost (0 turns the cache off)"`
	EventRetention    time.Duration `env:"EVENT_RETENTION" envDefault:"720h" help:"how long the event log keeps events for resuming subscriptions; resuming from further back fails with CURSOR_EXPIRED (the message history is kept whole)"`
	EventBus          string        `env:"EVENT_BUS" envDefault:"postgres" help:"postgres (instances share events through LISTEN/NOTIFY), nats (through NATS JetStream at NATS_URL) or memory (one instance)"`
	NATSURL           string        `env:"NATS_URL" envDefault:"nats://127.0.0.1:4222" help:"the NATS server, with JetStream, of EVENT_BUS=nats; comma-separated URLs for a cluster"`
	NATSStream        string        `env:"NATS_STREAM" envDefault:"gqlchat" help:"the JetStream stream, and the prefix of its subjects, that the instances of one deployment share (EVENT_BUS=nats): deployments on one NATS need one each; letters, digits, - and _"`

	// Who may call the API.
	Introspection  bool     `env:"INTROSPECTION" envDefault:"true" help:"true or false: let clients read the schema; false also hides \"Did you mean\" suggestions"`
	AllowedOrigins []string `env:"ALLOWED_ORIGINS" help:"comma-separated hosts of browser origins allowed besides the API's own, for CORS and WebSockets, e.g. app.example.com,localhost:*"`
	APIHosts       []string `env:"API_HOSTS" help:"comma-separated hosts by which clients reach the API, e.g. chat.example.com,chat.example.com:443; when set, requests naming another Host are refused (421), which stops DNS rebinding (default: any host)"`
	Dev            bool     `env:"DEV" envDefault:"false" help:"true adds localhost:* and 127.0.0.1:* to the allowed origins"`

	// The size and shape of requests.
	MaxBodyBytes  int64 `env:"MAX_BODY_BYTES" envDefault:"1048576" help:"largest HTTP body or WebSocket message"`
	MaxTokens     int   `env:"MAX_TOKENS" envDefault:"1000" help:"most lexical tokens in a GraphQL document"`
	MaxDepth      int   `env:"MAX_DEPTH" envDefault:"10" help:"deepest nesting of selections"`
	MaxAliases    int   `env:"MAX_ALIASES" envDefault:"30" help:"most aliases in an operation"`
	MaxDirectives int   `env:"MAX_DIRECTIVES" envDefault:"50" help:"most directives in an operation"`
	MaxFields     int   `env:"MAX_FIELDS" envDefault:"2000" help:"most field selections once fragments are expanded"`
	MaxComplexity int   `env:"MAX_COMPLEXITY" envDefault:"20000" help:"largest complexity, lists counted by their page size"`

	// WebSockets.
	MaxConnections                    int           `env:"MAX_CONNECTIONS" envDefault:"20000" help:"most open WebSockets on this instance"`
	MaxConnectionsPerUser             int           `env:"MAX_CONNECTIONS_PER_USER" envDefault:"20" help:"most open WebSockets of one user"`
	MaxAnonymousConnectionsPerAddress int           `env:"MAX_ANONYMOUS_CONNECTIONS_PER_ADDRESS" envDefault:"50" help:"most open WebSockets without a token from one client address"`
	MaxOperationsPerConnection        int           `env:"MAX_SUBSCRIPTIONS_PER_CONNECTION" envDefault:"50" help:"most operations (queries and mutations too) running on one WebSocket; the name is kept for compatibility"`
	MaxSubscriptionsPerUser           int           `env:"MAX_SUBSCRIPTIONS_PER_USER" envDefault:"200" help:"most subscriptions of one user on this instance"`
	MaxSubscriptions                  int           `env:"MAX_SUBSCRIPTIONS" envDefault:"100000" help:"most subscriptions on this instance"`
	WSInitTimeout                     time.Duration `env:"WS_INIT_TIMEOUT" envDefault:"10s" help:"time allowed for connection_init"`
	WSKeepAlive                       time.Duration `env:"WS_KEEPALIVE" envDefault:"15s" help:"interval of WebSocket pings; a graphql-transport-ws client silent for two is closed"`

	// RateLimits starts as httpapi.DefaultRateLimits, which RATE_LIMITS changes.
	RateLimits           httpapi.RateLimits `env:"RATE_LIMITS" help:"off, or changes such as postMessage=20/s:40,signUp=5/m:5,logIn=10/m:10,logInAccount=10/m:10,other=10/s:30 (see README)"`
	LogInKnownAddressTTL time.Duration      `env:"LOGIN_KNOWN_ADDRESS_TTL" envDefault:"720h" help:"how long an address an account logged in from keeps its own logInAccount limit"`

	// Presence (README, Presence): the defaults are chat.DefaultPresenceTimings.
	PresenceHeartbeat time.Duration `env:"PRESENCE_HEARTBEAT" envDefault:"15s" help:"how often an instance renews its presence heartbeat"`
	PresenceExpiry    time.Duration `env:"PRESENCE_EXPIRY" envDefault:"45s" help:"how long a presence heartbeat lasts unrenewed; longer than PRESENCE_HEARTBEAT. An instance that dies leaves its users online for at most this plus PRESENCE_SWEEP"`
	PresenceSweep     time.Duration `env:"PRESENCE_SWEEP" envDefault:"5s" help:"how often each instance looks for users to turn offline, its own or those of instances whose heartbeat expired"`
	PresenceDebounce  time.Duration `env:"PRESENCE_DEBOUNCE" envDefault:"10s" help:"least time between two changes of a user's presence, and how long they must be without a WebSocket to go offline"`

	MetricsAddr       string        `env:"METRICS_ADDR" help:"address to serve GET /metrics on instead of the API's, e.g. 127.0.0.1:9090 (recommended in production; default: on the API's port)"`
	ReadTimeout       time.Duration `env:"REQUEST_READ_TIMEOUT" envDefault:"30s" help:"time allowed to read a whole HTTP request, body included; WebSockets are not affected"`
	PprofAddr         string        `env:"PPROF_ADDR" help:"address for Go's pprof profiles, e.g. 127.0.0.1:6060 (default off; never expose it)"`
	TrustForwardedFor bool          `env:"TRUST_FORWARDED_FOR" envDefault:"false" help:"true takes the client address from the last entry of X-Forwarded-For, the one the proxy in front appends"`

	// localDatabase is set when DATABASE_URL is not: the server may create
	// the default database, never one it was given.
	localDatabase bool
}

// loadConfig reads the configuration from the process's environment.
func loadConfig() (config, error) { return parseConfig(env.ToMap(os.Environ())) }

// parseConfig reads the configuration from environ; an empty value is an
// unset one. Its error names each variable refused and why.
func parseConfig(environ map[string]string) (config, error) {
	c := config{RateLimits: httpapi.DefaultRateLimits}
	err := env.ParseWithOptions(&c, env.Options{Environment: environ, FuncMap: map[reflect.Type]env.ParserFunc{
		reflect.TypeFor[int]():           positive(strconv.Atoi),
		reflect.TypeFor[int64]():         positive(func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }),
		reflect.TypeFor[time.Duration](): positive(time.ParseDuration),
		reflect.TypeFor[httpapi.RateLimits](): func(spec string) (any, error) {
			return httpapi.ParseRateLimits(spec, httpapi.DefaultRateLimits)
		},
	}})
	errs := refusals(err)
	if c.EventBus != "postgres" && c.EventBus != "nats" && c.EventBus != "memory" {
		errs = append(errs, errors.New("EVENT_BUS must be postgres, nats or memory"))
	}
	if !natsName.MatchString(c.NATSStream) {
		errs = append(errs, errors.New("NATS_STREAM must be 1 to 64 letters, digits, - and _"))
	}
	// An expiry within a heartbeat would expire live instances between
	// two beats, and turn their users offline.
	if c.PresenceHeartbeat > 0 && c.PresenceExpiry > 0 && c.PresenceExpiry <= c.PresenceHeartbeat {
		errs = append(errs, errors.New("PRESENCE_EXPIRY must be longer than PRESENCE_HEARTBEAT"))
	}
	c.localDatabase = environ["DATABASE_URL"] == ""
	return c, errors.Join(errs...)
}

// natsName is what NATS takes as a stream name and a subject token.
var natsName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// positive wraps parse to refuse zero and negative values too.
func positive[T int | int64 | time.Duration](parse func(string) (T, error)) env.ParserFunc {
	return func(s string) (any, error) {
		v, err := parse(s)
		if err != nil || v <= 0 {
			return nil, errors.New("not positive")
		}
		return v, nil
	}
}

// refusals rewrites env's parse errors as "VARIABLE must be …".
func refusals(err error) []error {
	var all env.AggregateError
	if !errors.As(err, &all) {
		return []error{err}
	}
	out := make([]error, 0, len(all.Errors))
	for _, e := range all.Errors {
		var pe env.ParseError
		if !errors.As(e, &pe) {
			out = append(out, e)
			continue
		}
		if f, ok := reflect.TypeFor[config]().FieldByName(pe.Name); ok {
			e = refusal(f, pe.Err)
		}
		out = append(out, e)
	}
	return out
}

// refusal says what the variable of field f must be; err is why its value
// was refused.
func refusal(f reflect.StructField, err error) error {
	name := f.Tag.Get("env")
	switch f.Type {
	case reflect.TypeFor[int](), reflect.TypeFor[int64]():
		return fmt.Errorf("%s must be a positive number", name)
	case reflect.TypeFor[time.Duration]():
		return fmt.Errorf("%s must be a positive duration such as %s", name, f.Tag.Get("envDefault"))
	case reflect.TypeFor[bool]():
		return fmt.Errorf("%s must be true or false", name)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// configVar is one environment variable of config.
type configVar struct{ name, def, help string }

// configVars lists config's variables in the order of its fields.
func configVars() []configVar {
	var vars []configVar
	for _, f := range reflect.VisibleFields(reflect.TypeFor[config]()) {
		if name := f.Tag.Get("env"); name != "" {
			vars = append(vars, configVar{name, f.Tag.Get("envDefault"), f.Tag.Get("help")})
		}
	}
	return vars
}

// usage writes --help: every variable with what it sets and its default.
func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\nServes the chat API. Environment variables:\n", os.Args[0])
	for _, v := range configVars() {
		if v.def != "" {
			v.help += " (default " + v.def + ")"
		}
		fmt.Fprintf(w, "  %-20s %s\n", v.name, v.help)
	}
}

// chatConfig is the domain's part of the configuration.
func (c config) chatConfig() chat.Config {
	cfg := chat.DefaultConfig
	cfg.MinPasswordLength, cfg.TokenTTL, cfg.EventRetention = c.MinPasswordLength, c.TokenTTL, c.EventRetention
	cfg.SessionCacheTTL = c.SessionCacheTTL
	cfg.Presence = chat.PresenceTimings{Heartbeat: c.PresenceHeartbeat, Expiry: c.PresenceExpiry,
		Sweep: c.PresenceSweep, Debounce: c.PresenceDebounce}
	return cfg
}

// pruneInterval is how often the event log is pruned: a tenth of the
// retention, so that it keeps at most 10% more than it must, but at
// least hourly and at most every second.
func pruneInterval(retention time.Duration) time.Duration {
	return min(max(retention/10, time.Second), time.Hour)
}

// apiOptions is the HTTP API's part of the configuration: the one place
// that maps variables to its options.
func (c config) apiOptions() httpapi.Options {
	o := httpapi.DefaultOptions // for what is not configured
	o.Introspection = c.Introspection
	o.OriginPatterns, o.APIHosts = list(c.AllowedOrigins), list(c.APIHosts)
	if c.Dev {
		o.OriginPatterns = append(o.OriginPatterns, "localhost:*", "127.0.0.1:*")
	}
	o.TrustForwardedFor = c.TrustForwardedFor
	o.Limits = httpapi.Limits{MaxBodyBytes: c.MaxBodyBytes, MaxTokens: c.MaxTokens, MaxDepth: c.MaxDepth, MaxAliases: c.MaxAliases,
		MaxDirectives: c.MaxDirectives, MaxComplexity: c.MaxComplexity, MaxFields: c.MaxFields}
	o.WebSocket = httpapi.WebSocketOptions{
		KeepAlive:                         c.WSKeepAlive,
		InitTimeout:                       c.WSInitTimeout,
		MaxConnections:                    c.MaxConnections,
		MaxConnectionsPerUser:             c.MaxConnectionsPerUser,
		MaxAnonymousConnectionsPerAddress: c.MaxAnonymousConnectionsPerAddress,
		MaxOperationsPerConnection:        c.MaxOperationsPerConnection,
		MaxSubscriptions:                  c.MaxSubscriptions,
		MaxSubscriptionsPerUser:           c.MaxSubscriptionsPerUser,
	}
	o.RateLimits = c.RateLimits
	o.RateLimits.KnownAddressFor = c.LogInKnownAddressTTL
	o.MetricsElsewhere = c.MetricsAddr != ""
	return o
}

// list drops the blanks around and between the items of a comma-separated
// variable, as env splits it.
func list(items []string) []string {
	var out []string
	for _, item := range items {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
