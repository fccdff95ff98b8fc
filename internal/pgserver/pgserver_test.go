package pgserver

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestAdminURL_StartsPrivateServerWhenNoneAnswers(t *testing.T) {
	if _, err := findBinDir(""); err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	tmp := t.TempDir()
	// As root the server runs as user postgres, which must reach the data
	// directory; testing makes the temp dir and its parent 0700.
	for _, d := range []string{filepath.Dir(tmp), tmp} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dataDir := filepath.Join(tmp, "data")
	// Registered after TempDir, so it runs before the directory is removed.
	t.Cleanup(func() {
		if err := Stop(dataDir, ""); err != nil {
			t.Error(err)
		}
	})
	opts := Options{Addr: "127.0.0.1:1", DataDir: dataDir, Port: freePort(t)}

	u, err := AdminURL(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	selectOne(ctx, t, u)

	began := time.Now()
	again, err := AdminURL(ctx, opts)
	if err != nil {
		t.Fatalf("second AdminURL: %v", err)
	}
	if again != u {
		t.Errorf("second AdminURL = %q, want %q", again, u)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("second AdminURL took %v; it should reuse the running server", d)
	}

	if err := Stop(dataDir, ""); err != nil {
		t.Fatal(err)
	}
	connCtx, connCancel := context.WithTimeout(ctx, 5*time.Second)
	defer connCancel()
	if conn, err := pgx.Connect(connCtx, u); err == nil {
		conn.Close(ctx)
		t.Fatal("connected after Stop")
	}
	if err := Stop(dataDir, ""); err != nil {
		t.Errorf("Stop with no server running: %v", err)
	}
}

func TestAdminURL_UsesRunningServer(t *testing.T) {
	const addr = "127.0.0.1:5432"
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Skipf("no server at %s: %v", addr, err)
	}
	c.Close()

	u, err := AdminURL(context.Background(), Options{Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	if want := "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"; u != want {
		t.Errorf("AdminURL = %q, want %q", u, want)
	}
}

// freePort returns a port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func selectOne(ctx context.Context, t *testing.T, u string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("SELECT 1 = %d, %v", n, err)
	}
}
