package natsserver

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a private NATS server that a test stops and starts again, on
// the same port and with the same store, as an operator or a crash would.
type Server struct {
	URL  string // nats://127.0.0.1:port
	addr string
	bin  string
	dir  string
	port int

	mu   sync.Mutex
	proc *exitWatch // nil while stopped
}

// exitWatch is a running server and a channel closed when it exits.
type exitWatch struct {
	kill   func() error
	signal func(syscall.Signal) error
	exited chan struct{}
}

// Start starts a private server with JetStream on a free port of
// 127.0.0.1, its store in a temporary directory; the test's cleanup stops
// it, and it dies with the test process.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s := &Server{URL: "nats://" + addr, addr: addr, bin: bin, dir: t.TempDir(), port: port}
	t.Cleanup(func() { s.Kill(t) })
	s.Restart(t)
	return s
}

// Stop shuts the server down as an operator does (SIGTERM: clients are
// disconnected, the file store is flushed) and waits for it to exit.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.end(t, func(p *exitWatch) error { return p.signal(syscall.SIGTERM) })
}

// Kill ends the server at once (SIGKILL), as a crash would.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	s.end(t, func(p *exitWatch) error { return p.kill() })
}

func (s *Server) end(t testing.TB, how func(*exitWatch) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	if err := how(s.proc); err != nil {
		t.Fatalf("natsserver: stopping %s: %v", s.addr, err)
	}
	select {
	case <-s.proc.exited:
	case <-time.After(startTimeout):
		t.Fatalf("natsserver: %s did not exit", s.addr)
	}
	s.proc = nil
}

// Restart starts the server (again) and waits until it answers.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		t.Fatalf("natsserver: %s is running", s.addr)
	}
	cmd := command(s.bin, s.dir, s.port)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("natsserver: %v", err)
	}
	p := &exitWatch{kill: cmd.Process.Kill, exited: make(chan struct{}),
		signal: func(sig syscall.Signal) error { return cmd.Process.Signal(sig) }}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	s.proc = p
	if err := waitReady(context.Background(), s.addr); err != nil {
		t.Fatal(fmt.Errorf("natsserver: private server on %s does not answer: %w%s", s.addr, err, logTail(s.dir)))
	}
}
