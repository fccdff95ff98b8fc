package apitest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is the server's binary running as an instance of a cluster, in a
// process of its own: what a test kills to see what a crash leaves behind,
// which an instance in the test's process cannot show.
type Process struct {
	URL    string
	cmd    *exec.Cmd
	stderr *lockedBuffer
	exited chan struct{} // closed once the process is waited for
}

// StartProcess builds the server (once per test binary) and starts it as
// an instance of c, with the variables of env ("NAME=value") added to the
// cluster's; it returns once the server is ready. The test's end kills it
// if it still runs, and logs what it wrote if the test failed.
func (c *Cluster) StartProcess(t testing.TB, env ...string) *Process {
	t.Helper()
	port := freePort(t)
	// The cluster's variables only: nothing of the test's environment
	// changes the server's configuration.
	vars := []string{"DATABASE_URL=" + c.DSN, "PORT=" + strconv.Itoa(port), "EVENT_BUS=" + c.Kind,
		"DB_MAX_CONNS=4", "LOG_LEVEL=warn", "RATE_LIMITS=off"}
	if c.Kind == "nats" {
		vars = append(vars, "NATS_URL="+c.shared.NATSURL, "NATS_STREAM="+c.shared.Name)
	}
	cmd := exec.Command(serverBinary(t))
	cmd.Env = append(vars, env...)
	p := &Process{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stderr, p.stderr
	// The kernel kills it if the test binary dies first (a panic, a
	// timeout), which runs no cleanup: no server outlives its test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(p.exited) }() //nolint:errcheck // a killed server's exit is the point
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("the server process wrote:\n%s", p.stderr.String())
		}
	})
	for deadline := time.Now().Add(30 * time.Second); !p.ready(); time.Sleep(20 * time.Millisecond) {
		select {
		case <-p.exited:
			t.Fatalf("the server process exited: %v\n%s", cmd.ProcessState, p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server process was not ready within 30 s:\n%s", p.stderr.String())
		}
	}
	return p
}

// Server is a Server for the process's HTTP and WebSocket helpers (Do,
// SignUp, DialWS…) only: it has no database or service of its own.
func (p *Process) Server() *Server { return &Server{URL: p.URL} }

// Kill kills the process with SIGKILL, as a crash would: it closes no
// socket and writes nothing. It returns once the process is gone.
func (p *Process) Kill(t testing.TB) {
	t.Helper()
	select {
	case <-p.exited:
		t.Fatalf("the server process had exited already: %v\n%s", p.cmd.ProcessState, p.stderr.String())
	default:
	}
	p.kill()
}

func (p *Process) kill() {
	p.cmd.Process.Kill() //nolint:errcheck // it may have exited
	<-p.exited
}

func (p *Process) ready() bool {
	client := http.Client{Timeout: time.Second}
	res, err := client.Get(p.URL + "/readyz")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// serverBinary builds the server's binary, once per test binary, to a
// directory of the temporary one named for this checkout: each build
// replaces the last (running processes keep theirs), and two checkouts do
// not run each other's.
func serverBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() { binary, buildErr = build() })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

func build() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(os.TempDir(), "gqlchat-test-server-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "build", "-o", filepath.Join(tmp, "gqlchat"), ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the server: %v\n%s", err, out)
	}
	// Renamed into place, so that a test binary of the same checkout
	// running the last build goes on running it whole.
	bin := filepath.Join(dir, "gqlchat")
	return bin, os.Rename(filepath.Join(tmp, "gqlchat"), bin)
}

// moduleRoot is the directory of the go.mod above the working directory
// (a test's package directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// lockedBuffer is a buffer the process writes while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
