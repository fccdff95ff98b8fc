// Package testbus starts, for tests, the buses that carry events between
// server instances (EVENT_BUS=postgres and nats): on a LISTEN channel or a
// NATS stream of the test's own, and with a link to the others that the
// test can cut, as a network failure would.
package testbus

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/internal/natsserver"
	"github.com/gqlchat/gqlchat/internal/testdb"
)

// Kinds are the buses between instances: every test of several instances
// runs on each.
var Kinds = []string{"postgres", "nats"}

// Shared is where the buses of a test meet: the database, and for NATS the
// server, with a stream and subjects named for the test. A PostgreSQL bus
// listens on the default channel: a channel is its database's own, and the
// test's database is too, so that a server process started on it
// (EVENT_BUS=postgres) joins the test's instances as it is.
type Shared struct {
	Kind    string
	DSN     string
	NATSURL string
	// Name is the NATS stream, and the first token of its subjects.
	Name string
}

// NewShared names a meeting place of kind for the test, on the database at
// dsn and, for NATS, on the server at natsURL ("" for the one the tests
// share); the test's end deletes the NATS stream.
func NewShared(t testing.TB, kind, dsn, natsURL string) *Shared {
	t.Helper()
	s := &Shared{Kind: kind, DSN: dsn, NATSURL: natsURL, Name: "test_" + strings.ToLower(rand.Text()[:16])}
	switch kind {
	case "postgres":
	case "nats":
		if s.NATSURL == "" {
			s.NATSURL = SharedNATS(t)
		}
		t.Cleanup(func() { deleteStream(t, s.NATSURL, s.Name) })
	default:
		t.Fatalf("no bus of kind %q", kind)
	}
	return s
}

var (
	natsOnce sync.Once
	natsURL  string
	natsErr  error
)

// SharedNATS is the URL of the NATS server the tests share (natsserver.URL).
func SharedNATS(t testing.TB) string {
	t.Helper()
	natsOnce.Do(func() { natsURL, natsErr = natsserver.URL(context.Background()) })
	if natsErr != nil {
		t.Fatalf("no NATS for tests: %v", natsErr)
	}
	return natsURL
}

// Bus is one instance's bus.
type Bus struct {
	events.Bus
	Local *events.InMem // its local subscriptions
	impl  interface {
		Listening() bool
		Close() error
	}
	cut, mend func(t testing.TB)
	// recoveriesAtCut is recoveries() when the link was last cut.
	recoveriesAtCut int64
}

// Start starts a bus of the shared kind; the test's end closes it. A
// PostgreSQL bus logs in as a role of its own, whose log-ins the test can
// refuse; a NATS bus connects through a proxy.
func (s *Shared) Start(t testing.TB) *Bus {
	t.Helper()
	b := &Bus{}
	if s.Kind == "postgres" {
		s.startPG(t, b)
	} else {
		s.startNATS(t, b)
	}
	t.Cleanup(func() { b.impl.Close() })
	return b
}

func (s *Shared) startPG(t testing.TB, b *Bus) {
	role := "bus_" + strings.ToLower(rand.Text()[:16])
	testdb.AdminExec(t, fmt.Sprintf(`CREATE ROLE %s LOGIN`, role))
	t.Cleanup(func() { testdb.AdminExec(t, fmt.Sprintf(`DROP ROLE %s`, role)) })
	u, err := url.Parse(s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	bus, err := events.NewPG(context.Background(), u.String(), events.PGOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b.Bus, b.Local, b.impl = bus, bus.InMem, bus
	b.cut = func(t testing.TB) {
		testdb.AdminExec(t, fmt.Sprintf(`ALTER ROLE %s NOLOGIN`, role))
		testdb.AdminExec(t, `SELECT pg_terminate_backend($1)`, bus.ListenerPID())
	}
	b.mend = func(t testing.TB) { testdb.AdminExec(t, fmt.Sprintf(`ALTER ROLE %s LOGIN`, role)) }
}

func (s *Shared) startNATS(t testing.TB, b *Bus) {
	proxy := natsserver.NewProxy(t, s.NATSURL)
	bus, err := events.NewNATS(context.Background(), proxy.URL, events.NATSOptions{
		Stream: s.Name, Subject: s.Name, HealthCheck: time.Second, ReconnectWait: 50 * time.Millisecond,
		MaxBytes: 16 << 20, // the server reserves room for it
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Bus, b.Local, b.impl = bus, bus.InMem, bus
	b.cut = func(testing.TB) { proxy.Cut() }
	b.mend = func(testing.TB) { proxy.Mend() }
}

// Listening reports whether events from the other instances arrive now.
func (b *Bus) Listening() bool { return b.impl.Listening() }

// Close closes the bus; the test's end does it otherwise.
func (b *Bus) Close() error { return b.impl.Close() }

// Cut cuts the bus off the others' events, and keeps it off until Mend;
// it returns once the bus has noticed.
func (b *Bus) Cut(t testing.TB) {
	t.Helper()
	b.recoveriesAtCut = b.recoveries()
	b.cut(t)
	waitUntil(t, "the bus to notice the cut", func() bool { return !b.Listening() })
}

// Mend lets the bus reach the others again and returns once it is back
// and has made up for what it missed (resynced, or replayed).
func (b *Bus) Mend(t testing.TB) {
	t.Helper()
	b.mend(t)
	waitUntil(t, "the bus to be back", func() bool { return b.Listening() && b.recoveries() > b.recoveriesAtCut })
}

// recoveries counts how often the bus came back after missing events:
// PostgreSQL's resyncs; NATS's replays from the stream, and resyncs.
func (b *Bus) recoveries() int64 {
	switch bus := b.impl.(type) {
	case *events.PG:
		return bus.Stats().Resyncs
	case *events.NATS:
		st := bus.Stats()
		return st.Replays + st.Resyncs
	}
	return 0
}

// Stats is what the bus counted, for test logs.
func (b *Bus) Stats() any {
	switch bus := b.impl.(type) {
	case *events.PG:
		return bus.Stats()
	case *events.NATS:
		return bus.Stats()
	}
	return nil
}

// deleteStream removes a test's stream once its buses are closed.
func deleteStream(t testing.TB, natsURL, name string) {
	nc, err := nats.Connect(natsURL)
	if err != nil {
		return // a private server the test stopped, and its streams with it
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Error(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := js.DeleteStream(ctx, name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("deleting stream %s: %v", name, err)
	}
}

// waitUntil polls ok until it holds, for at most 10 s.
func waitUntil(t testing.TB, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
	}
}
