package natsserver

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Where nothing answers, a server is started detached, and found running
// by the next caller instead of started twice.
func TestFind_StartsAServerWhereNoneAnswersAndReusesIt(t *testing.T) {
	t.Parallel()
	dir, port := t.TempDir(), freePort(t)
	u, err := find(t.Context(), "127.0.0.1:1", port, dir)
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dir, "nats-server.pid")
	pid := readPID(t, pidFile)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	if want := "nats://127.0.0.1:" + strconv.Itoa(port); u != want {
		t.Fatalf("got %s, want %s", u, want)
	}
	again, err := find(t.Context(), "127.0.0.1:1", port, dir)
	if err != nil || again != u || readPID(t, pidFile) != pid {
		t.Fatalf("second call: %s %v, pid %d then %d", again, err, pid, readPID(t, pidFile))
	}
	streamHolds(t, u, publishOne(t, u))
}

// A private server keeps its file store across a stop or a crash.
func TestStart_RestartsOnTheSamePortWithTheSameStore(t *testing.T) {
	t.Parallel()
	s := Start(t)
	name := publishOne(t, s.URL)
	s.Stop(t)
	if jetStream(t.Context(), s.addr) == nil {
		t.Fatal("a stopped server answers")
	}
	s.Restart(t)
	streamHolds(t, s.URL, name)
	s.Kill(t)
	s.Restart(t)
	streamHolds(t, s.URL, name)
}

// A cut proxy breaks its connections and refuses new ones until mended.
func TestProxy_CutBreaksTheLinkUntilMend(t *testing.T) {
	t.Parallel()
	s := Start(t)
	p := NewProxy(t, s.URL)
	lost, back := make(chan struct{}, 1), make(chan struct{}, 1)
	nc, err := nats.Connect(p.URL, nats.ReconnectWait(20*time.Millisecond), nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { lost <- struct{}{} }),
		nats.ReconnectHandler(func(*nats.Conn) { back <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	p.Cut()
	waitSignal(t, lost, "the cut")
	select {
	case <-back:
		t.Fatal("reconnected through a cut proxy")
	case <-time.After(200 * time.Millisecond): // ten reconnection attempts
	}
	p.Mend()
	waitSignal(t, back, "the reconnection")
	if err := nc.Publish("x", nil); err != nil {
		t.Fatal(err)
	}
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		t.Fatal(err)
	}
}

// publishOne makes a file stream and stores one message in it.
func publishOne(t *testing.T, url string) string {
	t.Helper()
	js := client(t, url)
	name := "T" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: name, Subjects: []string{name}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(t.Context(), name, []byte("kept")); err != nil {
		t.Fatal(err)
	}
	return name
}

func streamHolds(t *testing.T, url, name string) {
	t.Helper()
	s, err := client(t, url).Stream(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := s.GetMsg(context.Background(), 1)
	if err != nil || string(msg.Data) != "kept" {
		t.Fatalf("the stream lost its message: %v", err)
	}
}

func client(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func waitSignal(t *testing.T, c chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10s", what)
	}
}
