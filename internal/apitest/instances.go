package apitest

import (
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph"
	"github.com/gqlchat/gqlchat/internal/testbus"
	"github.com/gqlchat/gqlchat/internal/testdb"
)

// BusKinds are the buses that share events between instances (EVENT_BUS):
// every test of several instances runs on each.
var BusKinds = testbus.Kinds

// Cluster is a fresh database and a bus of one kind, both the test's own,
// that the instances it starts share.
type Cluster struct {
	Kind   string
	DSN    string
	shared *testbus.Shared
}

// NewCluster makes a cluster of kind; a NATS one is on the NATS server the
// tests share.
func NewCluster(t testing.TB, kind string) *Cluster { return NewClusterOn(t, kind, "") }

// NewClusterOn makes a cluster of kind whose NATS bus is on the server at
// natsURL: a private one, for a test that stops it.
func NewClusterOn(t testing.TB, kind, natsURL string) *Cluster {
	t.Helper()
	dsn := testdb.New(t)
	return &Cluster{Kind: kind, DSN: dsn, shared: testbus.NewShared(t, kind, dsn, natsURL)}
}

// Instance is one API instance of a cluster.
type Instance struct {
	*Server
	bus     *testbus.Bus
	stopped bool
}

// Start starts an instance with the test configuration.
func (c *Cluster) Start(t testing.TB) *Instance { return c.StartWith(t, CheapConfig()) }

// StartWith starts an instance with cfg.
func (c *Cluster) StartWith(t testing.TB, cfg chat.Config) *Instance {
	t.Helper()
	bus := c.shared.Start(t)
	return &Instance{Server: start(t, c.DSN, cfg, Options(), graph.DefaultBatchWait, bus, bus.Local, ""), bus: bus}
}

// CutBus cuts the instance off the others' events until MendBus, as a
// network failure would: for PostgreSQL its listening connection is
// killed and its role refused log-ins, for NATS the proxy its connection
// goes through is cut. It returns once the instance has noticed.
func (in *Instance) CutBus(t testing.TB) { in.bus.Cut(t) }

// MendBus lets the instance reach the others again and returns once its
// bus is back and has made up for what it missed.
func (in *Instance) MendBus(t testing.TB) { in.bus.Mend(t) }

// BusStats is what the instance's bus counted, for test logs.
func (in *Instance) BusStats() any { return in.bus.Stats() }

// Stop shuts the instance down as server.go does: its WebSockets are
// closed with 1001 (going away), then its listener and its bus.
func (in *Instance) Stop(t testing.TB) {
	t.Helper()
	if in.stopped {
		return
	}
	in.stopped = true
	if in.stopPresence != nil {
		in.stopPresence()
	}
	in.Handler.GoAway(5 * time.Second)
	in.ts.Close()
	if err := in.bus.Close(); err != nil {
		t.Fatal(err)
	}
}
