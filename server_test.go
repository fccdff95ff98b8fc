package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gqlchat/gqlchat/internal/testbus"
	"github.com/gqlchat/gqlchat/internal/testdb"
	"github.com/gqlchat/gqlchat/migrations"
)

func TestRun_ASecondStartOnTheSameDatabaseChangesNothing(t *testing.T) {
	dsn := testdb.Empty(t)
	startAndStop(t, dsn)
	first := schemaOf(t, dsn)
	startAndStop(t, dsn)
	if second := schemaOf(t, dsn); second != first {
		t.Fatalf("schema changed on the second start:\n--- first\n%s\n--- second\n%s", first, second)
	}
	ms, _ := migrations.All()
	if !strings.Contains(first, "schema_migrations") || !strings.Contains(first, fmt.Sprintf("migrations=%d", len(ms))) {
		t.Fatalf("migrations not recorded:\n%s", first)
	}
}

// startAndStop runs the server on dsn until /healthz answers, then stops it.
func startAndStop(t *testing.T, dsn string) {
	t.Helper()
	_, stop := start(t, dsn)
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// start runs the server on dsn until /healthz answers; it returns the port
// and a function that stops it and returns run's result. Each change, if
// any, adjusts the configuration first.
func start(t *testing.T, dsn string, change ...func(*config)) (int, func() error) {
	t.Helper()
	port := freePort(t)
	cfg, err := parseConfig(map[string]string{"DATABASE_URL": dsn, "PORT": strconv.Itoa(port), "DB_MAX_CONNS": "4", "TOKEN_TTL": "1h"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range change {
		f(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", port))
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("server stopped early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("server did not become healthy")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return port, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			return errors.New("the server did not stop within 20 s")
		}
	}
}

// freePort returns a TCP port free on loopback a moment ago.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestRun_MetricsAddrServesMetricsAwayFromTheAPI(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	port, stop := start(t, testdb.New(t), func(c *config) { c.MetricsAddr = addr })
	defer stop() //nolint:errcheck // the test is over
	status := func(url string) (int, string) {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if code, _ := status(fmt.Sprintf("http://127.0.0.1:%d/metrics", port)); code != http.StatusNotFound {
		t.Errorf("/metrics on the API's port: %d, want 404", code)
	}
	if code, body := status("http://" + addr + "/metrics"); code != http.StatusOK || !strings.Contains(body, "gqlchat_websocket_connections") {
		t.Errorf("/metrics on METRICS_ADDR: %d %.200s", code, body)
	}
}

// EVENT_BUS=nats connects to NATS_URL at start and reads the stream: its
// metrics say so.
func TestRun_EventBusNATSConnectsToNATSURL(t *testing.T) {
	dsn := testdb.New(t)
	bus := testbus.NewShared(t, "nats", dsn, "") // a stream of the test's own
	port, stop := start(t, dsn, func(c *config) { c.EventBus, c.NATSURL, c.NATSStream = "nats", bus.NATSURL, bus.Name })
	defer stop() //nolint:errcheck // the test is over
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, want := range []string{"gqlchat_event_bus_listening 1", "gqlchat_event_bus_replays_total 0"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("no %q in /metrics", want)
		}
	}
}

func TestRun_ShutdownClosesWebSocketsWithGoingAway(t *testing.T) {
	port, stop := start(t, testdb.New(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, fmt.Sprintf("ws://127.0.0.1:%d/query", port), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"connection_init"}`)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Read(ctx); err != nil { // connection_ack
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	for {
		if _, _, err = c.Read(ctx); err != nil {
			break
		}
	}
	if websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("closed with %v, want 1001 going away", err)
	}
}

// schemaOf describes the tables, columns, indexes and constraints of dsn.
func schemaOf(t *testing.T, dsn string) string {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{
		`SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
		   FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1`,
		`SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`,
		`SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`,
		`SELECT 'migrations=' || count(*) FROM schema_migrations`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			b.WriteString(line + "\n")
		}
		rows.Close()
	}
	return b.String()
}

// The Dockerfile and compose.yaml cannot be built here (no Docker engine):
// check that what they name exists.
func TestContainerFiles_UseRealCommandsAndSettings(t *testing.T) {
	dockerfile, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	makefile, _ := os.ReadFile("Makefile")
	build := `CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o`
	if !strings.Contains(string(dockerfile), build) || !strings.Contains(string(makefile), build) {
		t.Error("the Dockerfile and make build must build the same way")
	}
	if !strings.Contains(string(dockerfile), `"-healthcheck"`) || !strings.Contains(mustRead(t, "server.go"), `flag.Bool("healthcheck"`) {
		t.Error("the health check flag is missing")
	}
	compose := mustRead(t, "compose.yaml")
	known := map[string]bool{}
	for _, v := range configVars() {
		known[v.name] = true
	}
	for _, line := range strings.Split(compose, "\n") {
		if key, _, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && key == strings.ToUpper(key) && strings.Contains(key, "_") && !strings.HasPrefix(key, "POSTGRES_") {
			if !known[key] {
				t.Errorf("compose.yaml sets %s, which the server does not read", key)
			}
		}
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHealthcheck_ReportsReadiness(t *testing.T) {
	port, stop := start(t, testdb.New(t))
	if err := checkReady(port); err != nil {
		t.Fatalf("ready server: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := checkReady(port); err == nil {
		t.Fatal("a stopped server is ready")
	}
}
