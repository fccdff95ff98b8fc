package apitest

// Helpers for fault tests: a private PostgreSQL server the test may stop
// and restart, and client calls that report failures instead of failing
// the test, so that goroutines can make them and a hang has a bound.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gqlchat/gqlchat/internal/pgserver"
	"github.com/gqlchat/gqlchat/migrations"
)

// PrivatePostgres is a PostgreSQL server of one test's own, never the
// shared one: the test may stop and restart it.
type PrivatePostgres struct {
	AdminURL string // superuser URL on database "postgres"
	opts     pgserver.Options
}

// StartPrivatePostgres starts a PostgreSQL server in a temporary data
// directory on a free port, stopped when t ends. It skips t only when no
// PostgreSQL binaries are installed.
func StartPrivatePostgres(t testing.TB) *PrivatePostgres {
	t.Helper()
	tmp := t.TempDir()
	// As root the server runs as user postgres, which must reach the data
	// directory; testing makes the temp dir and its parent 0700.
	for _, d := range []string{filepath.Dir(tmp), tmp} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := &PrivatePostgres{opts: pgserver.Options{
		Addr:    "127.0.0.1:1", // nothing answers there, so a private server starts
		DataDir: filepath.Join(tmp, "pg"),
		Port:    freePort(t),
	}}
	// Registered after TempDir, so it runs before the directory is removed.
	t.Cleanup(func() {
		if err := pgserver.Stop(p.opts.DataDir, p.opts.BinDir); err != nil {
			t.Errorf("stop the private PostgreSQL: %v", err)
		}
	})
	u, err := pgserver.AdminURL(context.Background(), p.opts)
	if err != nil && strings.Contains(err.Error(), "no PostgreSQL binaries found") {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	p.AdminURL = u
	return p
}

// Stop stops the server; connections to it are refused until Start.
func (p *PrivatePostgres) Stop(t testing.TB) {
	t.Helper()
	if err := pgserver.Stop(p.opts.DataDir, p.opts.BinDir); err != nil {
		t.Fatal(err)
	}
}

// Start starts the server again on the same data directory and port, and
// returns once it accepts connections.
func (p *PrivatePostgres) Start(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := pgserver.AdminURL(ctx, p.opts); err != nil {
		t.Fatal(err)
	}
}

// NewDB creates database name on the server, applies the migrations, and
// returns its URL.
func (p *PrivatePostgres) NewDB(t testing.TB, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := sql.Open("pgx", p.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(p.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db); err != nil {
		t.Fatal(err)
	}
	return u.String()
}

// freePort returns a port nothing listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Try posts a GraphQL operation like Do, but returns transport and
// decoding failures, and gives up after timeout; safe in any goroutine.
func (s *Server) Try(timeout time.Duration, token, query string, vars map[string]any) (*Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/query", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var r Response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("decode response (status %d): %w", res.StatusCode, err)
	}
	return &r, nil
}

// Health returns the status code of GET /healthz, giving up after timeout.
func (s *Server) Health(timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/healthz", nil)
	if err != nil {
		return 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// IsTimeout reports whether err is Read's "nothing arrived in time".
func IsTimeout(err error) bool { return err == errTimeout }
