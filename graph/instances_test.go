package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/internal/apitest"
	"github.com/gqlchat/gqlchat/internal/testdb"
)

// Three instances on one database: a message posted through any of them
// reaches subscribers on all of them, once and in order.
func TestInstances_ShareEventsThroughPostgreSQL(t *testing.T) {
	t.Parallel()
	dsn := testdb.New(t)
	channel := fmt.Sprintf("test_%d", time.Now().UnixNano())
	var servers []*apitest.Server
	for range 3 {
		s, _ := apitest.StartInstance(t, dsn, channel)
		servers = append(servers, s)
	}
	a := servers[0]
	owner := a.SignUp(t, "own")
	f := a.FriendsOf(t, owner, 3)
	g := createGroupChat(t, a, owner, "G", f...)
	members := append([]apitest.User{owner}, f...)
	var conns []*apitest.WS
	for i, u := range members {
		s := servers[i%3]
		ws := s.Connect(t, u)
		ws.Subscribe("m", subMessages, map[string]any{"chat": g.ID})
		conns = append(conns, ws)
	}
	for i, s := range servers {
		s.WaitFollowed(t, g.ID, len(membersOn(i, len(members))))
	}
	var want []string
	for i := range 9 {
		want = append(want, post(t, servers[i%3], members[i%4], g.ID, fmt.Sprint("m", i)).ID)
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
}

// membersOn lists which of n members subscribe on instance i (round robin).
func membersOn(i, n int) []int {
	var out []int
	for j := i; j < n; j += 3 {
		out = append(out, j)
	}
	return out
}

// An instance whose listening connection dies catches up once it is back:
// nothing posted elsewhere meanwhile is lost.
func TestInstances_CatchUpAfterTheListenerReconnects(t *testing.T) {
	t.Parallel()
	dsn := testdb.New(t)
	channel := fmt.Sprintf("test_%d", time.Now().UnixNano())
	a, _ := apitest.StartInstance(t, dsn, channel)
	// b's bus logs in as its own role, so that the test can keep it from
	// reconnecting while messages are posted.
	role := fmt.Sprintf("bus_%d", time.Now().UnixNano())
	testdb.AdminExec(t, fmt.Sprintf(`CREATE ROLE %s LOGIN`, role))
	t.Cleanup(func() { testdb.AdminExec(t, fmt.Sprintf(`DROP ROLE %s`, role)) })
	b, busB := apitest.StartInstance(t, dsn, channel, role)
	owner := a.SignUp(t, "own")
	f := a.FriendsOf(t, owner, 1)
	g := createGroupChat(t, a, owner, "G", f[0])
	ws := b.Connect(t, f[0])
	ws.Subscribe("m", subMessages, map[string]any{"chat": g.ID})
	b.WaitFollowed(t, g.ID, 1)

	testdb.AdminExec(t, fmt.Sprintf(`ALTER ROLE %s NOLOGIN`, role))
	testdb.AdminExec(t, `SELECT pg_terminate_backend($1)`, busB.ListenerPID())
	var want []string
	for i := range 5 { // while b is not listening: their notifications are lost
		want = append(want, post(t, a, owner, g.ID, fmt.Sprint("during ", i)).ID)
	}
	testdb.AdminExec(t, fmt.Sprintf(`ALTER ROLE %s LOGIN`, role))
	deadline := time.Now().Add(10 * time.Second)
	for !busB.Listening() || busB.Stats().Resyncs == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the listener did not come back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// No later post to trigger a catch-up: the resync alone must deliver.
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
}
