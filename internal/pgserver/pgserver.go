// Package pgserver finds a PostgreSQL server to use for development and
// tests, or starts a private one from locally installed binaries, so the
// project also runs on a machine where no PostgreSQL answers.
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	defaultAddr  = "127.0.0.1:5432"
	defaultPort  = 54329
	startTimeout = 30 * time.Second
)

// Options say where to look and where to start a private server.
type Options struct {
	Addr    string // host:port of a server expected to be running; default "127.0.0.1:5432"
	DataDir string // where the private server keeps its data; required for the fallback
	Port    int    // port of the private server; default 54329
	BinDir  string // PostgreSQL binaries; default: $PG_BINDIR, else the highest /usr/lib/postgresql/*/bin containing initdb, else the directory of `initdb` on PATH
}

// AdminURL returns a connection URL for the superuser "postgres" on database
// "postgres" ("postgres://postgres@HOST:PORT/postgres?sslmode=disable").
//
// If something answers at opts.Addr (TCP dial, 1 s timeout) it returns that
// server's URL. Otherwise it starts, or reuses if already running from an
// earlier call or process, a private server in opts.DataDir listening on
// 127.0.0.1:opts.Port, and returns its URL. The private server is started
// detached with pg_ctl: it keeps running after this process exits, so that
// later runs and parallel test processes reuse it; use Stop to end it.
//
// When running as root, initdb and pg_ctl run as the OS user "postgres",
// because PostgreSQL refuses to run as root.
func AdminURL(ctx context.Context, opts Options) (string, error) {
	addr := opts.Addr
	if addr == "" {
		addr = defaultAddr
	}
	if answers(ctx, addr) {
		return adminURL(addr), nil
	}
	if opts.DataDir == "" {
		return "", fmt.Errorf("pgserver: nothing answers at %s and Options.DataDir is empty, so no private server can be started", addr)
	}
	port := opts.Port
	if port == 0 {
		port = defaultPort
	}
	u := adminURL(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	// Usual case after the first run: reuse without taking the lock.
	if ping(ctx, u) == nil {
		return u, nil
	}
	dataDir, binDir, cred, err := resolve(opts.DataDir, opts.BinDir)
	if err == nil {
		err = prepareDirs(dataDir, cred)
	}
	if err != nil {
		return "", err
	}
	unlock, err := lock(ctx, dataDir+".lock", cred)
	if err != nil {
		return "", err
	}
	defer unlock()
	// Another process may have started the server while we waited for the lock.
	if ping(ctx, u) == nil {
		return u, nil
	}
	if err := start(ctx, binDir, dataDir, port, cred); err != nil {
		return "", err
	}
	if err := waitReady(ctx, u); err != nil {
		return "", fmt.Errorf("pgserver: private server in %s does not accept connections: %w%s", dataDir, err, logTail(dataDir))
	}
	return u, nil
}

// Stop stops a private server started in dataDir (pg_ctl stop -m fast); it
// is a no-op if none runs there. An empty binDir is resolved as in Options.
func Stop(dataDir, binDir string) error {
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	dataDir, binDir, cred, err := resolve(dataDir, binDir)
	if err != nil {
		return err
	}
	pgCtl := filepath.Join(binDir, "pg_ctl")
	// A postmaster.pid can outlive its server (crash, reboot); pg_ctl status
	// exits with 3 then, and pg_ctl stop would fail.
	if err := run(context.Background(), cred, pgCtl, "status", "-D", dataDir); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) && exitErr.ExitCode() == 3 {
			return nil
		}
		return err
	}
	return run(context.Background(), cred, pgCtl, "stop", "-D", dataDir, "-m", "fast", "-w")
}

// start initialises dataDir if needed and starts the server; the caller holds the lock.
func start(ctx context.Context, binDir, dataDir string, port int, cred *syscall.Credential) error {
	if err := chownTree(dataDir, cred); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		// Not cancelled with ctx: a killed initdb leaves a PG_VERSION behind
		// and the half-made data directory would fail every later start.
		err := run(context.Background(), cred, filepath.Join(binDir, "initdb"),
			"-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
		if err != nil {
			return err
		}
	}
	// pg_ctl hands -o to a shell, so the directory must be quoted.
	o := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, shellQuote(dataDir))
	err := run(ctx, cred, filepath.Join(binDir, "pg_ctl"),
		"-D", dataDir, "-l", filepath.Join(dataDir, "server.log"), "-w", "-o", o, "start")
	if err != nil {
		return fmt.Errorf("%w%s", err, logTail(dataDir))
	}
	return nil
}

// run runs a PostgreSQL program as cred (nil: as ourselves) and wraps its
// output into the error, since that output is what explains a failure.
func run(ctx context.Context, cred *syscall.Credential, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	// The postgres user may not be able to enter our working directory.
	cmd.Dir = "/"
	// Own process group, so a Ctrl-C aimed at `go test` does not hit pg_ctl
	// halfway; pg_ctl itself detaches the server with setsid.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgserver: %s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// answers reports whether something accepts TCP connections at addr.
func answers(ctx context.Context, addr string) bool {
	c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// ping connects to u once; a TCP dial is not enough while the server is
// still starting up, or if something else holds the port.
func ping(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// waitReady pings u until it succeeds, ctx ends, or startTimeout passes.
func waitReady(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		err := ping(ctx, u)
		if err == nil || ctx.Err() != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func adminURL(addr string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: addr, Path: "/postgres", RawQuery: "sslmode=disable"}
	return u.String()
}

// logTail returns the end of the server log, which says why a start failed.
func logTail(dataDir string) string {
	b, err := os.ReadFile(filepath.Join(dataDir, "server.log"))
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "\nserver.log:\n" + strings.TrimSpace(string(b))
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
