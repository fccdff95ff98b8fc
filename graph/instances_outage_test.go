package graph_test

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/internal/apitest"
	"github.com/gqlchat/gqlchat/internal/natsserver"
)

// NATS stopped and started again while three instances post: every
// subscriber, on every instance, gets every message once and in order,
// those posted while NATS was down included. The server is a private one,
// so that stopping it touches no other test.
func TestInstances_NATSStoppedAndRestartedUnderLoadLosesNothing(t *testing.T) {
	t.Parallel()
	srv := natsserver.Start(t)
	c := apitest.NewClusterOn(t, "nats", srv.URL)
	in := startInstances(t, c, 3, apitest.CheapConfig())
	owner := in[0].SignUp(t, "own")
	members := append([]apitest.User{owner}, in[0].FriendsOf(t, owner, 5)...)
	g := createGroupChat(t, in[0].Server, owner, "G", members[1:]...)
	var subs []*eventsConn
	for i, u := range members {
		ws := connectEvents(t, in[i%3].Server, protocols[i%2], u)
		ws.subscribe("e", g.ID, "")
		subs = append(subs, ws)
	}
	for i, s := range in {
		s.WaitFollowed(t, g.ID, len(membersOn(i, len(members))))
	}

	// A bounded loop of posts through every instance, from every member,
	// while the server goes away and comes back.
	const total = 90
	var posted atomic.Int64
	ids := make([]string, total)
	done := make(chan struct{})
	var postErr error // read once done is closed
	go func() {
		defer close(done)
		for i := range total {
			s, u := in[i%3].Server, members[i%len(members)]
			var out struct{ PostMessage struct{ ID string } }
			r, err := s.Try(10*time.Second, u.Token, postMessage, map[string]any{"chat": g.ID, "body": fmt.Sprint("m", i)})
			if err == nil && len(r.Errors) > 0 {
				err = fmt.Errorf("%+v", r.Errors)
			}
			if err == nil {
				err = json.Unmarshal(r.Data, &out)
			}
			if err != nil {
				postErr = fmt.Errorf("post %d: %w", i, err)
				return
			}
			ids[i] = out.PostMessage.ID
			posted.Add(1)
		}
	}()
	waitPosted := func(k int64) {
		for posted.Load() < k {
			select {
			case <-done:
				return
			default:
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	waitPosted(20)
	srv.Stop(t)
	waitPosted(50) // with NATS down
	srv.Restart(t)
	<-done
	if postErr != nil {
		t.Fatal(postErr)
	}

	for k, ws := range subs {
		for i, id := range ids {
			e := ws.next("e")
			if e.Typename != "MessagePostedEvent" || e.Message.ID != id {
				t.Fatalf("subscriber %d, event %d: got %s %v, want message %s", k, i, e.Typename, e.Message, id)
			}
		}
	}
	for i, s := range in {
		t.Logf("instance %d: %+v", i, s.BusStats())
	}
	// Then live, with nothing repeated in between.
	last := post(t, in[1].Server, owner, g.ID, "after").ID
	for k, ws := range subs {
		if e := ws.next("e"); e.Message == nil || e.Message.ID != last {
			t.Fatalf("subscriber %d: got %+v after the outage, want message %s", k, e, last)
		}
	}
}
