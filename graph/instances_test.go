package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/internal/apitest"
)

// Several instances on one database, sharing events through a bus: each
// test here runs once per kind of bus (EVENT_BUS=postgres, nats).

// forEachBus runs test, in parallel, on a cluster of each kind.
func forEachBus(t *testing.T, test func(t *testing.T, c *apitest.Cluster)) {
	t.Parallel()
	for _, kind := range apitest.BusKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			test(t, apitest.NewCluster(t, kind))
		})
	}
}

// startInstances starts k instances of c with cfg.
func startInstances(t *testing.T, c *apitest.Cluster, k int, cfg chat.Config) []*apitest.Instance {
	t.Helper()
	out := make([]*apitest.Instance, k)
	for i := range out {
		out[i] = c.StartWith(t, cfg)
	}
	return out
}

// Three instances: a message posted through any of them reaches subscribers
// on all of them, once and in order.
func TestInstances_ShareMessagesOnceAndInOrder(t *testing.T) {
	forEachBus(t, func(t *testing.T, c *apitest.Cluster) {
		servers := startInstances(t, c, 3, apitest.CheapConfig())
		a := servers[0]
		owner := a.SignUp(t, "own")
		f := a.FriendsOf(t, owner, 3)
		g := createGroupChat(t, a.Server, owner, "G", f...)
		members := append([]apitest.User{owner}, f...)
		var conns []*apitest.WS
		for i, u := range members {
			ws := servers[i%3].Connect(t, u)
			ws.Subscribe("m", subMessages, map[string]any{"chat": g.ID})
			conns = append(conns, ws)
		}
		for i, s := range servers {
			s.WaitFollowed(t, g.ID, len(membersOn(i, len(members))))
		}
		var want []string
		for i := range 9 {
			want = append(want, post(t, servers[i%3].Server, members[i%4], g.ID, fmt.Sprint("m", i)).ID)
		}
		for i, ws := range conns {
			for _, id := range want {
				var ev postedEvent
				ws.Next("m", &ev)
				if ev.MessagePosted.ID != id {
					t.Fatalf("subscriber %d: got %s, want %s", i, ev.MessagePosted.ID, id)
				}
			}
			ws.Quiet(100 * time.Millisecond)
		}
	})
}

// membersOn lists which of n members subscribe on instance i (round robin).
func membersOn(i, n int) []int {
	var out []int
	for j := i; j < n; j += 3 {
		out = append(out, j)
	}
	return out
}

// An instance cut off the bus catches up once it is back: nothing posted
// elsewhere meanwhile is lost, and no later post is needed to bring it.
func TestInstances_CatchUpAfterTheirBusWasCut(t *testing.T) {
	forEachBus(t, func(t *testing.T, c *apitest.Cluster) {
		a, b := c.Start(t), c.Start(t)
		owner := a.SignUp(t, "own")
		f := a.FriendsOf(t, owner, 1)
		g := createGroupChat(t, a.Server, owner, "G", f[0])
		ws := b.Connect(t, f[0])
		ws.Subscribe("m", subMessages, map[string]any{"chat": g.ID})
		b.WaitFollowed(t, g.ID, 1)

		b.CutBus(t)
		var want []string
		for i := range 5 { // while b is cut off
			want = append(want, post(t, a.Server, owner, g.ID, fmt.Sprint("during ", i)).ID)
		}
		b.MendBus(t)
		var got []string
		for range want {
			var ev postedEvent
			ws.Next("m", &ev)
			got = append(got, ev.MessagePosted.ID)
		}
		ws.Quiet(200 * time.Millisecond)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
}

// A subscriber whose instance stops resumes on a new one with the sync
// token of the last event it got, and misses nothing posted meanwhile.
func TestInstances_ASubscriberResumesOnARestartedInstanceWithItsSyncToken(t *testing.T) {
	forEachBus(t, func(t *testing.T, c *apitest.Cluster) {
		a, b := c.Start(t), c.Start(t)
		owner := a.SignUp(t, "own")
		bob := a.FriendsOf(t, owner, 1)[0]
		g := createGroupChat(t, a.Server, owner, "G", bob)
		n := names{g.ID: "g", owner.ID: "owner", bob.ID: "bob"}
		ws := connectEvents(t, b.Server, apitest.TransportWS, bob)
		ws.subscribe("e", "", "")
		b.WaitFollowed(t, g.ID, 1)
		m1 := n.post(t, a.Server, owner, g.ID, "m1", "one")
		last := ws.next("e")

		b.Stop(t)
		n.post(t, a.Server, owner, g.ID, "m2", "two")
		do(t, a.Server, owner, editMessage, map[string]any{"m": m1, "b": "one!"})
		n.post(t, a.Server, bob, g.ID, "m3", "three")
		b = c.Start(t)
		ws = connectEvents(t, b.Server, apitest.LegacyWS, bob)
		ws.subscribe("e", "", last.SyncToken)
		n.expect(t, "e", `posted g m2 by owner: "two"`, ws)
		n.expect(t, "e", `edited g m1: "one!" edited=true`, ws)
		n.expect(t, "e", `posted g m3 by bob: "three"`, ws)
		n.post(t, a.Server, owner, g.ID, "m4", "live")
		n.expect(t, "e", `posted g m4 by owner: "live"`, ws)
	})
}
