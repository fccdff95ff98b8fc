package graph_test

import (
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/internal/apitest"
)

const subPresence = `subscription { presenceChanged { user { id online lastSeenAt } online lastSeenAt } }`

const presenceOf = `query($id: ID!) { node(id: $id) { ... on User { online lastSeenAt } } }`

// presenceEvent is one event of subPresence.
type presenceEvent struct {
	User struct {
		ID         string
		Online     *bool
		LastSeenAt *string
	}
	Online     bool
	LastSeenAt *string
}

// presenceConfig is the test configuration with presence in short times:
// the debounce is debounce, and a heartbeat expires after a second.
func presenceConfig(debounce time.Duration) chat.Config {
	cfg := apitest.CheapConfig()
	cfg.Presence = chat.PresenceTimings{Heartbeat: 100 * time.Millisecond, Expiry: time.Second,
		Sweep: 20 * time.Millisecond, Debounce: debounce}
	return cfg
}

// watchPresence subscribes u to presenceChanged on s and waits until the
// server holds the subscription.
func watchPresence(t *testing.T, s *apitest.Server, proto string, u apitest.User) *liveConn {
	t.Helper()
	c := dialLive(t, s, proto, u)
	c.subscribe("p", subPresence, nil)
	_, id, err := model.DecodeID(u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); s.Service.PresenceSubscribers(id) != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("presenceChanged did not start")
		}
	}
	return c
}

// expectPresence fails unless the next presence change is u's to online.
func (c *liveConn) expectPresence(u apitest.User, online bool) presenceEvent {
	c.t.Helper()
	var out struct{ PresenceChanged presenceEvent }
	c.next("p", &out)
	e := out.PresenceChanged
	if e.User.ID != u.ID || e.Online != online || e.User.Online == nil || *e.User.Online != online ||
		(!online && (e.LastSeenAt == nil || e.User.LastSeenAt == nil)) {
		c.t.Fatalf("want %s online %v, got %+v", u.ID, online, e)
	}
	return e
}

// A user connected on one instance is online for a friend subscribed on
// another, and offline once the connection closes, with lastSeenAt.
func TestPresence_CrossesInstances(t *testing.T) {
	forEachBus(t, func(t *testing.T, c *apitest.Cluster) {
		in := startInstances(t, c, 2, presenceConfig(200*time.Millisecond))
		a, b := in[0].Server, in[1].Server
		a.RunPresence(t)
		b.RunPresence(t)
		u := a.SignUp(t, "u")
		friend := a.FriendsOf(t, u, 1)[0]
		watch := watchPresence(t, a, apitest.TransportWS, friend)
		conn := dialLive(t, b, apitest.LegacyWS, u)
		watch.expectPresence(u, true)
		conn.ws.Close()
		watch.expectPresence(u, false)
		var node struct {
			Node struct {
				Online     *bool
				LastSeenAt *string
			}
		}
		a.MustDo(t, friend.Token, presenceOf, map[string]any{"id": u.ID}, &node)
		if node.Node.Online == nil || *node.Node.Online || node.Node.LastSeenAt == nil {
			t.Fatalf("after the last connection closed: %+v", node.Node)
		}
	})
}

// An instance that dies without closing its sockets (its heartbeat stops)
// leaves its users online only until the heartbeat expires.
func TestPresence_UsersOfACrashedInstanceGoOfflineWhenItsHeartbeatExpires(t *testing.T) {
	forEachBus(t, func(t *testing.T, c *apitest.Cluster) {
		cfg := presenceConfig(100 * time.Millisecond)
		in := startInstances(t, c, 2, cfg)
		a, b := in[0].Server, in[1].Server
		a.RunPresence(t)
		b.RunPresence(t)
		u := a.SignUp(t, "u")
		friend := a.FriendsOf(t, u, 1)[0]
		watch := watchPresence(t, b, apitest.TransportWS, friend)
		dialLive(t, a, apitest.TransportWS, u) // stays open
		watch.expectPresence(u, true)
		a.StopHeartbeat()
		crashed := time.Now()
		watch.expectPresence(u, false)
		if took := time.Since(crashed); took > cfg.Presence.Expiry+cfg.Presence.Heartbeat+500*time.Millisecond {
			t.Fatalf("offline %v after the crash, want within the expiry (%v)", took, cfg.Presence.Expiry)
		}
	})
}

// A server process killed with SIGKILL, which closes no socket and writes
// nothing, leaves its users online only until its heartbeat expires: a
// friend watching on another instance sees them go offline, last seen at
// the process's last heartbeat, or at their connection if that was later.
func TestPresence_UsersOfAKilledProcessGoOfflineWhenItsHeartbeatExpires(t *testing.T) {
	forEachBus(t, func(t *testing.T, c *apitest.Cluster) {
		cfg := presenceConfig(100 * time.Millisecond)
		a := c.StartWith(t, cfg).RunPresence(t)
		pt := cfg.Presence
		p := c.StartProcess(t, "PRESENCE_HEARTBEAT="+pt.Heartbeat.String(), "PRESENCE_EXPIRY="+pt.Expiry.String(),
			"PRESENCE_SWEEP="+pt.Sweep.String(), "PRESENCE_DEBOUNCE="+pt.Debounce.String())
		u := a.SignUp(t, "u")
		friend := a.FriendsOf(t, u, 1)[0]
		watch := watchPresence(t, a, apitest.TransportWS, friend)
		connected := time.Now()
		dialLive(t, p.Server(), apitest.TransportWS, u) // stays open until the kill
		watch.expectPresence(u, true)
		p.Kill(t)
		killed := time.Now()
		e := watch.expectPresence(u, false)
		if took, most := time.Since(killed), pt.Expiry+pt.Sweep+500*time.Millisecond; took > most {
			t.Fatalf("offline %v after the kill, want within %v", took, most)
		}
		// The process's last heartbeat, since it closed nothing, or the
		// connection if it came later: between the connection and the kill.
		earliest := connected.Add(-50 * time.Millisecond) // the database's now(), taken after
		if seen, err := time.Parse(time.RFC3339Nano, *e.LastSeenAt); err != nil || seen.Before(earliest) || seen.After(killed) {
			t.Fatalf("last seen at %s (%v), want between %s and the kill (%s)", *e.LastSeenAt, err,
				earliest.Format(time.RFC3339Nano), killed.Format(time.RFC3339Nano))
		}
	})
}

// A change of presence made while an instance was cut off from the bus
// reaches that instance's subscribers once it is back: NATS replays it;
// the PostgreSQL bus, which cannot, resyncs and the change is re-read.
func TestPresence_AChangeMissedWhileTheBusWasCutArrivesAfter(t *testing.T) {
	forEachBus(t, func(t *testing.T, c *apitest.Cluster) {
		in := startInstances(t, c, 2, presenceConfig(100*time.Millisecond))
		a, b := in[0].Server, in[1].Server
		a.RunPresence(t)
		b.RunPresence(t)
		u := a.SignUp(t, "u")
		friend := a.FriendsOf(t, u, 1)[0]
		watch := watchPresence(t, b, apitest.TransportWS, friend)
		in[1].CutBus(t)
		dialLive(t, a, apitest.TransportWS, u)
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var node struct{ Node struct{ Online *bool } }
			a.MustDo(t, friend.Token, presenceOf, map[string]any{"id": u.ID}, &node)
			if node.Node.Online != nil && *node.Node.Online {
				break // announced while b was cut off
			}
			if time.Now().After(deadline) {
				t.Fatal("u did not go online")
			}
		}
		in[1].MendBus(t)
		watch.expectPresence(u, true)
	})
}

// A flapping connection changes nothing within the debounce; the last
// close is announced once, and coming back right after waits for the
// window to end: at most one change per debounce.
func TestPresence_FlappingIsDebounced(t *testing.T) {
	t.Parallel()
	const debounce = 400 * time.Millisecond
	s := apitest.NewServerWith(t, presenceConfig(debounce), apitest.Options()).RunPresence(t)
	u := s.SignUp(t, "u")
	friend := s.FriendsOf(t, u, 1)[0]
	watch := watchPresence(t, s, apitest.LegacyWS, friend)
	conn := dialLive(t, s, apitest.TransportWS, u)
	watch.expectPresence(u, true)
	for range 3 { // offline and back within the window: nothing
		conn.ws.Close()
		conn = dialLive(t, s, apitest.TransportWS, u)
	}
	watch.ws.Quiet(2 * debounce)
	closed := time.Now()
	conn.ws.Close()
	watch.expectPresence(u, false) // proves the subscription was live
	conn = dialLive(t, s, apitest.TransportWS, u)
	watch.expectPresence(u, true)
	// Offline a debounce after the close, online a debounce after that.
	if gap := time.Since(closed); gap < 2*debounce*9/10 {
		t.Fatalf("online again %v after the close, want at least %v", gap, 2*debounce)
	}
	conn.ws.Close()
}

// Presence is visible to the user, their friends and the members of a
// chat they share; a stranger sees null and gets no presenceChanged.
func TestPresence_VisibleToFriendsAndChatMatesOnly(t *testing.T) {
	t.Parallel()
	s := apitest.NewServerWith(t, presenceConfig(100*time.Millisecond), apitest.Options()).RunPresence(t)
	u := s.SignUp(t, "u")
	friends := s.FriendsOf(t, u, 1)
	mate := s.FriendsOf(t, friends[0], 1)[0] // not u's friend: shares a group
	createGroupChat(t, s, friends[0], "G", u, mate)
	stranger := s.SignUp(t, "stranger")
	watchMate := watchPresence(t, s, apitest.TransportWS, mate)
	watchStranger := watchPresence(t, s, apitest.TransportWS, stranger)
	dialLive(t, s, apitest.TransportWS, u)
	watchMate.expectPresence(u, true)
	for _, tc := range []struct {
		viewer  apitest.User
		visible bool
	}{{u, true}, {friends[0], true}, {mate, true}, {stranger, false}} {
		var got struct {
			Node struct {
				Online     *bool
				LastSeenAt *string
			}
		}
		s.MustDo(t, tc.viewer.Token, presenceOf, map[string]any{"id": u.ID}, &got)
		if visible := got.Node.Online != nil; visible != tc.visible || (visible && !*got.Node.Online) {
			t.Errorf("%s sees online %v, want visible %v", tc.viewer.Username, got.Node.Online, tc.visible)
		}
		if !tc.visible && got.Node.LastSeenAt != nil {
			t.Errorf("%s sees lastSeenAt", tc.viewer.Username)
		}
	}
	watchStranger.ws.Quiet(200 * time.Millisecond)
	// The stranger's subscription is live: a new friend's change arrives.
	pal := s.SignUp(t, "pal")
	s.Befriend(t, stranger, pal)
	dialLive(t, s, apitest.TransportWS, pal)
	watchStranger.expectPresence(pal, true)
}

// A block hides presence both ways, even in a shared group: the blocked
// user sees null and hears nothing of the blocker going online, while the
// group's other members' changes still reach them.
func TestPresence_HiddenAcrossABlock(t *testing.T) {
	t.Parallel()
	s := apitest.NewServerWith(t, presenceConfig(100*time.Millisecond), apitest.Options()).RunPresence(t)
	blocker := s.SignUp(t, "blocker")
	f := s.FriendsOf(t, blocker, 2)
	blocked, mate := f[0], f[1]
	createGroupChat(t, s, blocker, "G", blocked, mate)
	s.MustDo(t, blocker.Token, blockUser, id(blocked.ID), nil)
	watch := watchPresence(t, s, apitest.TransportWS, blocked)
	dialLive(t, s, apitest.TransportWS, blocker)
	for _, pair := range [][2]apitest.User{{blocked, blocker}, {blocker, blocked}} {
		var got struct {
			Node struct{ Online, LastSeenAt any }
		}
		s.MustDo(t, pair[0].Token, presenceOf, map[string]any{"id": pair[1].ID}, &got)
		if got.Node.Online != nil || got.Node.LastSeenAt != nil {
			t.Errorf("%s sees %s's presence across the block: %+v", pair[0].Username, pair[1].Username, got.Node)
		}
	}
	watch.ws.Quiet(200 * time.Millisecond)
	dialLive(t, s, apitest.TransportWS, mate) // proves the subscription was live
	watch.expectPresence(mate, true)
}

// An ex-friend whose only tie is the old private chat sees null.
func TestPresence_HiddenFromAnExFriendWithOnlyAPrivateChat(t *testing.T) {
	t.Parallel()
	s := apitest.NewServerWith(t, presenceConfig(100*time.Millisecond), apitest.Options()).RunPresence(t)
	u := s.SignUp(t, "u")
	ex := s.FriendsOf(t, u, 1)[0]
	openPrivateChat(t, s, u, ex)
	s.MustDo(t, u.Token, removeFriend, id(ex.ID), nil)
	var got struct {
		Node struct{ Online, LastSeenAt any }
	}
	s.MustDo(t, ex.Token, presenceOf, map[string]any{"id": u.ID}, &got)
	if got.Node.Online != nil || got.Node.LastSeenAt != nil {
		t.Fatalf("the ex-friend sees presence: %+v", got.Node)
	}
}

// Presence follows the session, not the socket: logging out takes the
// user offline though the client keeps its WebSocket open.
func TestPresence_LoggingOutTakesAnOpenSocketOffline(t *testing.T) {
	t.Parallel()
	s := apitest.NewServerWith(t, presenceConfig(100*time.Millisecond), apitest.Options()).RunPresence(t)
	u := s.SignUp(t, "u")
	friend := s.FriendsOf(t, u, 1)[0]
	watch := watchPresence(t, s, apitest.LegacyWS, friend)
	dialLive(t, s, apitest.TransportWS, u) // stays open
	watch.expectPresence(u, true)
	s.MustDo(t, u.Token, `mutation { logOut }`, nil, nil)
	watch.expectPresence(u, false)
}
