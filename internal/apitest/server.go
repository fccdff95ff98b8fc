package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/graph"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/httpapi"
	"github.com/gqlchat/gqlchat/internal/testdb"
	"github.com/gqlchat/gqlchat/metrics"
	"github.com/gqlchat/gqlchat/migrations"
)

// Password is a valid password for test accounts.
const Password = "correct horse battery staple"

// Server is the real API handler on a real listener and a fresh database.
type Server struct {
	URL     string // base URL, e.g. http://127.0.0.1:1234
	DSN     string
	DB      *gorm.DB
	Service *chat.Service
	Bus     *events.InMem
	Handler *httpapi.Handler
	seq     atomic.Int64
	// stopPresence ends the instance's presence heartbeat and sweeps.
	stopPresence context.CancelFunc
	ts           *httptest.Server
	// restart starts the same server again (Restart), nil for an
	// instance of a cluster, whose bus is shared.
	restart func(t testing.TB, addr string) *Server
}

// cheapArgon2 keeps password hashing fast in tests; the stored PHC string
// records the parameters, so verification is the same code.
var cheapArgon2 = chat.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}

// NewServer starts the API on a fresh database with the default config
// except cheap password hashes.
func NewServer(t testing.TB) *Server {
	return NewServerWith(t, CheapConfig(), Options())
}

// Options are the default options without rate limits: tests sign up many
// users from one address and post in bursts. Rate limits have tests of their own.
func Options() httpapi.Options {
	opts := httpapi.DefaultOptions
	opts.RateLimits = httpapi.RateLimits{}
	return opts
}

// CheapConfig is the default service configuration with cheap password hashes.
func CheapConfig() chat.Config {
	cfg := chat.DefaultConfig
	cfg.Argon2 = cheapArgon2
	return cfg
}

// NewServerWith starts the API on a fresh database with the given configuration.
func NewServerWith(t testing.TB, cfg chat.Config, opts httpapi.Options) *Server {
	return StartServer(t, testdb.New(t), cfg, opts)
}

// NewServerWithLoaderWait is NewServerWith with dataloaders that gather
// keys for wait: longer than in production for tests that count
// statements, so that batches do not split on a slow machine.
func NewServerWithLoaderWait(t testing.TB, cfg chat.Config, opts httpapi.Options, wait time.Duration) *Server {
	bus := events.NewInMem()
	return start(t, testdb.New(t), cfg, opts, wait, bus, bus, "")
}

// StartServer starts the API on the database at dsn.
func StartServer(t testing.TB, dsn string, cfg chat.Config, opts httpapi.Options) *Server {
	bus := events.NewInMem()
	s := start(t, dsn, cfg, opts, graph.DefaultBatchWait, bus, bus, "")
	s.restart = func(t testing.TB, addr string) *Server {
		bus := events.NewInMem()
		return start(t, dsn, cfg, opts, graph.DefaultBatchWait, bus, bus, addr)
	}
	return s
}

// start wires the server as server.go does, metrics and readiness
// included, listening on addr (any free port when empty).
func start(t testing.TB, dsn string, cfg chat.Config, opts httpapi.Options, loaderWait time.Duration, bus events.Bus, local *events.InMem, addr string) *Server {
	db := testdb.Open(t, dsn)
	sqlDB, _ := db.DB()
	m := metrics.New(sqlDB)
	svc, err := chat.NewService(db, m.Bus(bus), cfg)
	if err != nil {
		t.Fatal(err)
	}
	opts.Metrics = m
	opts.Ready = metrics.Ready(sqlDB.PingContext, func(ctx context.Context) (bool, error) { return migrations.Current(ctx, sqlDB) })
	h := httpapi.New(svc, graph.NewSchema(svc, loaderWait), opts)
	ts := httptest.NewUnstartedServer(h)
	if addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("listen again on %s: %v", addr, err)
		}
		ts.Listener.Close()
		ts.Listener = l
	}
	ts.Start()
	t.Cleanup(ts.Close)
	return &Server{URL: ts.URL, DSN: dsn, DB: db, Service: svc, Bus: local, Handler: h, ts: ts}
}

// Stop shuts the server down as server.go does on SIGTERM: its
// WebSockets are closed with 1001 (going away), then its listener. The
// database stays, for Restart.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if s.stopPresence != nil {
		s.stopPresence()
	}
	s.Handler.GoAway(5 * time.Second)
	s.ts.Close()
}

// Restart starts the server Stop stopped again, as a new process would:
// a new service, handler and in-process bus on the same database and the
// same address, so that clients reconnect to the URL they know. Only for
// servers of NewServer and StartServer.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if s.restart == nil {
		t.Fatal("Restart: not a server of NewServer or StartServer")
	}
	next := s.restart(t, s.ts.Listener.Addr().String())
	s.DB, s.Service, s.Bus, s.Handler, s.ts, s.stopPresence = next.DB, next.Service, next.Bus, next.Handler, next.ts, nil
}

// RunPresence runs the presence heartbeat and sweeps as server.go does,
// until the test ends. Only presence tests ask for it: a goroutine that
// queries in the background would race with the statement counters that
// other tests register on the database handle, and add to their counts.
// Without it, users still go online when they connect.
func (s *Server) RunPresence(t testing.TB) *Server {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Service.RunPresence(ctx) }()
	t.Cleanup(func() { stop(); <-done })
	s.stopPresence = stop
	return s
}

// StopHeartbeat stops the presence heartbeat and sweeps RunPresence
// started, as if the instance had crashed: its sockets stay open, and
// nothing marks their users offline but the other instances' sweeps once
// the heartbeat expires.
func (s *Server) StopHeartbeat() { s.stopPresence() }

// Response is a GraphQL response.
type Response struct {
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is the extensions.code of the first error, or "" without errors.
func (r *Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Field is the extensions.field of the first error.
func (r *Response) Field() string {
	if len(r.Errors) == 0 {
		return ""
	}
	f, _ := r.Errors[0].Extensions["field"].(string)
	return f
}

// Do posts a GraphQL operation with an optional bearer token.
func (s *Server) Do(t testing.TB, token, query string, vars map[string]any) *Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, s.URL+"/query", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r Response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatalf("decode response (status %d): %v", res.StatusCode, err)
	}
	return &r
}

// MustDo runs an operation that must succeed and decodes its data into out.
func (s *Server) MustDo(t testing.TB, token, query string, vars map[string]any, out any) {
	t.Helper()
	r := s.Do(t, token, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v\nquery: %s", r.Errors, query)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatal(err)
		}
	}
}

// MustFail runs an operation that must fail with the given code.
func (s *Server) MustFail(t testing.TB, token, code, query string, vars map[string]any) *Response {
	t.Helper()
	r := s.Do(t, token, query, vars)
	if r.Code() != code {
		t.Fatalf("want error %s, got %+v\nquery: %s", code, r.Errors, query)
	}
	return r
}

// User is an account a test signed up.
type User struct {
	ID, Username, Token string
}

const signUpMutation = `mutation($in: SignUpInput!) { signUp(input: $in) { token user { id username } } }`

// SignUp creates an account with a unique username starting with prefix.
func (s *Server) SignUp(t testing.TB, prefix string) User {
	t.Helper()
	name := fmt.Sprintf("%s_%d", prefix, s.seq.Add(1))
	var out struct {
		SignUp struct {
			Token string
			User  struct{ ID, Username string }
		}
	}
	s.MustDo(t, "", signUpMutation, map[string]any{"in": map[string]any{
		"username": name, "displayName": "Test " + name, "password": Password,
	}}, &out)
	return User{ID: out.SignUp.User.ID, Username: out.SignUp.User.Username, Token: out.SignUp.Token}
}

// WaitSubscribed waits until u has n open subscriptions on the bus: the
// protocol does not acknowledge a subscribe, so tests wait for the server.
func (s *Server) WaitSubscribed(t testing.TB, u User, n int) {
	t.Helper()
	s.waitTopic(t, events.UserTopic, u.ID, n)
}

// WaitFollowed waits until n subscriptions of members follow the chat
// with global id chatID (alone, or with all their chats).
func (s *Server) WaitFollowed(t testing.TB, chatID string, n int) {
	t.Helper()
	_, id, err := model.DecodeID(chatID)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		got, err := s.Service.Streams(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("chat %s has %d streams, want %d", chatID, got, n)
		}
	}
}

func (s *Server) waitTopic(t testing.TB, topicOf func(int64) string, gid string, n int) {
	t.Helper()
	_, id, err := model.DecodeID(gid)
	if err != nil {
		t.Fatal(err)
	}
	topic := topicOf(id)
	for deadline := time.Now().Add(5 * time.Second); s.Bus.Subscribers(topic) != n; {
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d subscriptions, want %d", topic, s.Bus.Subscribers(topic), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
