// Package natsserver finds a NATS server with JetStream for tests, or
// starts one, so the project also runs on a machine where none answers;
// tests that stop and restart NATS start a private server of their own.
//
// The servers it starts are nats-server processes, built once from the Go
// module proxy (the one download the project allows besides apt and npm)
// into the user's cache. A process rather than the server's Go package in
// the test binary: it runs the very program operators run, without the
// race detector slowing it down, its goroutines stay out of the tests'
// leak checks, it can be killed as a crash would kill it, and the server's
// dependencies stay out of go.mod.
package natsserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// Version is the nats-server built when no server answers.
	Version = "v2.15.2"
	module  = "github.com/nats-io/nats-server/v2"
	// defaultAddr is where this machine kind, and CI, run NATS.
	defaultAddr = "127.0.0.1:4222"
	// sharedPort is the port of the server started when none answers there.
	sharedPort   = 42229
	startTimeout = 30 * time.Second
)

// URL returns the URL of a NATS server with JetStream for tests to share:
// $TEST_NATS_URL if set; else the server at 127.0.0.1:4222 if it answers
// with JetStream; else one on port 42229 with its store under the temporary
// directory, started detached if it is not running yet, so that later runs
// and the other packages' test processes reuse it (as pgserver does with
// PostgreSQL).
func URL(ctx context.Context) (string, error) {
	if u := os.Getenv("TEST_NATS_URL"); u != "" {
		return u, nil
	}
	return find(ctx, defaultAddr, sharedPort, filepath.Join(os.TempDir(), "gqlchat-test-nats"))
}

// find returns the server at addr if it answers, else the one on port of
// 127.0.0.1 with its store and log in dir, which it starts if needed.
func find(ctx context.Context, addr string, port int, dir string) (string, error) {
	if jetStream(ctx, addr) == nil {
		return "nats://" + addr, nil
	}
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if jetStream(ctx, addr) == nil {
		return "nats://" + addr, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	unlock, err := lock(ctx, dir+".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if jetStream(ctx, addr) == nil { // started while we waited for the lock
		return "nats://" + addr, nil
	}
	bin, err := Binary(ctx)
	if err != nil {
		return "", err
	}
	cmd := command(bin, dir, port)
	// Its own session: it outlives this process and a Ctrl-C aimed at it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("natsserver: %w", err)
	}
	go func() { _ = cmd.Wait() }() // reaps it if it dies while we run
	if err := waitReady(ctx, addr); err != nil {
		return "", fmt.Errorf("natsserver: the server in %s does not answer: %w%s", dir, err, logTail(dir))
	}
	return "nats://" + addr, nil
}

// command is nats-server with JetStream on 127.0.0.1:port, its store,
// log and process id in dir.
func command(bin, dir string, port int) *exec.Cmd {
	return exec.Command(bin, "-js", "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-sd", filepath.Join(dir, "store"),
		"-l", filepath.Join(dir, "server.log"), "-P", filepath.Join(dir, "nats-server.pid"))
}

// Binary returns the path of nats-server Version, built on first use into
// the user's cache ($NATS_SERVER_BIN names another one).
func Binary(ctx context.Context) (string, error) {
	if bin := os.Getenv("NATS_SERVER_BIN"); bin != "" {
		return bin, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "gqlchat", "nats-server-"+Version)
	bin := filepath.Join(dir, "nats-server")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	unlock, err := lock(ctx, dir+".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(bin); err == nil { // built while we waited
		return bin, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("natsserver: no NATS server answers and go is not on PATH to build one: %w", err)
	}
	cmd := exec.CommandContext(ctx, goBin, "install", module+"@"+Version)
	// Outside any module, for this one program only.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOWORK=off", "GOFLAGS=", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("natsserver: go install %s@%s: %w: %s", module, Version, err, strings.TrimSpace(string(out)))
	}
	return bin, nil
}

// jetStream checks that a NATS server with JetStream answers at addr: the
// INFO line it greets every client with says so.
func jetStream(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = c.SetReadDeadline(deadline)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "INFO ") || !strings.Contains(line, `"jetstream":true`) {
		return errors.New("not a NATS server with JetStream")
	}
	return nil
}

// waitReady waits until the server at addr answers, ctx ends, or
// startTimeout passes.
func waitReady(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		err := jetStream(ctx, addr)
		if err == nil || ctx.Err() != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hostPort is the host:port of a nats:// URL.
func hostPort(natsURL string) (string, error) {
	u, err := url.Parse(natsURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("natsserver: %q is not a nats:// URL", natsURL)
	}
	return u.Host, nil
}

// lock takes an exclusive lock on the file at path, waiting for it.
func lock(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing releases the lock
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			break
		}
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-time.After(50 * time.Millisecond):
			continue
		}
		break
	}
	f.Close()
	return nil, fmt.Errorf("natsserver: lock %s: %w", path, err)
}

// logTail returns the end of the server log, which says why a start failed.
func logTail(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "server.log"))
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "\nserver.log:\n" + strings.TrimSpace(string(b))
}
