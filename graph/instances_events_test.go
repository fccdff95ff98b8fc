package graph_test

import (
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// Three instances, subscribers spread over them, and every kind of event
// made through an instance other than its readers': each arrives once and
// in order. Each expectation reads the next event of a connection, so an
// event repeated or out of place fails the test where it shows.
func TestInstances_EveryKindOfEventCrossesInstancesOnceAndInOrder(t *testing.T) {
	forEachBus(t, func(t *testing.T, c *apitest.Cluster) {
		in := startInstances(t, c, 3, presenceConfig(100*time.Millisecond))
		for _, i := range in {
			i.RunPresence(t)
		}
		a, b, cc := in[0].Server, in[1].Server, in[2].Server
		owner := a.SignUp(t, "own")
		f := b.FriendsOf(t, owner, 3)
		bob, carol, dave := f[0], f[1], f[2]
		g := cc.CreateGroup(t, owner, "Trip", bob, carol)
		dm := openPrivateChat(t, a, owner, dave)
		n := names{g.ID: "g", dm.ID: "dm", owner.ID: "owner", bob.ID: "bob", carol.ID: "carol", dave.ID: "dave"}
		// Each member follows all their chats, on an instance of their own,
		// with either protocol; Dave is not in the group yet.
		own := connectEvents(t, a, apitest.TransportWS, owner)
		bo := connectEvents(t, b, apitest.LegacyWS, bob)
		car := connectEvents(t, cc, apitest.TransportWS, carol)
		dav := connectEvents(t, cc, apitest.LegacyWS, dave)
		for _, ws := range []*eventsConn{own, bo, car, dav} {
			ws.subscribe("e", "", "")
		}
		a.WaitFollowed(t, g.ID, 1)
		b.WaitFollowed(t, g.ID, 1)
		cc.WaitFollowed(t, g.ID, 1)
		cc.WaitFollowed(t, dm.ID, 1)
		members := []*eventsConn{own, bo, car}
		all := append(members, dav)

		m1 := n.post(t, b, owner, g.ID, "m1", "pizza?")
		n.expect(t, "e", `posted g m1 by owner: "pizza?"`, members...)
		m2 := n.reply(t, cc, bob, g.ID, "m2", "yes!", m1)
		n.expect(t, "e", `posted g m2 by bob re m1: "yes!"`, members...)
		do(t, a, owner, editMessage, map[string]any{"m": m1, "b": "pizza tonight?"})
		n.expect(t, "e", `edited g m1: "pizza tonight?" edited=true`, members...)
		react(t, b, carol, m2, "👍")
		n.expect(t, "e", `reactions g m2 by carol: 👍1`, own, bo)
		n.expect(t, "e", `reactions g m2 by carol: 👍1 (mine)`, car)
		do(t, cc, owner, deleteMsg, map[string]any{"m": m1})
		n.expect(t, "e", `deleted g m1: deleted=true ""`, members...)
		do(t, a, bob, renameGroup, map[string]any{"chat": g.ID, "name": "Trip 2027"})
		n.expect(t, "e", `renamed g "Trip 2027" by bob (chat.name "Trip 2027")`, members...)
		do(t, b, owner, inviteGroup, map[string]any{"chat": g.ID, "ids": []string{dave.ID}})
		n.expect(t, "e", `joined g dave by owner`, all...)
		m3 := n.post(t, a, dave, g.ID, "m3", "hi all")
		n.expect(t, "e", `posted g m3 by dave: "hi all"`, all...)
		do(t, cc, bob, markChatRead, map[string]any{"chat": g.ID, "msg": m3})
		n.expect(t, "e", `read g bob up to m3`, all...)
		// Typing goes to the other members only.
		b.MustDo(t, carol.Token, setTyping, map[string]any{"chat": g.ID, "typing": true}, nil)
		n.expect(t, "e", `typing g carol true`, own, bo, dav)
		a.MustDo(t, carol.Token, setTyping, map[string]any{"chat": g.ID, "typing": false}, nil)
		n.expect(t, "e", `typing g carol false`, own, bo, dav)
		do(t, a, owner, removeGroup, map[string]any{"chat": g.ID, "user": dave.ID})
		n.expect(t, "e", `left g dave by owner`, all...)
		n.post(t, b, carol, g.ID, "m4", "bye dave")
		n.expect(t, "e", `posted g m4 by carol: "bye dave"`, members...)
		n.post(t, b, owner, dm.ID, "d1", "sorry")
		n.expect(t, "e", `posted dm d1 by owner: "sorry"`, own, dav) // Dave's next is not m4

		friendsAcrossInstances(t, a, b, cc, bob)
		presenceAcrossInstances(t, a, b, cc, owner, dave, dav)
		revocationAcrossInstances(t, a, cc, bob)
	})
}

// friendsAcrossInstances: a request sent through one instance reaches the
// recipient on another, its acceptance the sender on a third, and the new
// friendship both.
func friendsAcrossInstances(t *testing.T, a, b, c *apitest.Server, bob apitest.User) {
	t.Helper()
	eve := c.SignUp(t, "eve")
	received := a.Connect(t, bob)
	received.Subscribe("r", subReceived, nil)
	updated := b.Connect(t, eve)
	updated.Subscribe("u", subUpdated, nil)
	bobFriends, eveFriends := subscribeFriends(t, c, bob, apitest.LegacyWS), subscribeFriends(t, a, eve, apitest.TransportWS)
	a.WaitSubscribed(t, bob, 1)
	b.WaitSubscribed(t, eve, 1)
	c.WaitSubscribed(t, bob, 1)
	a.WaitSubscribed(t, eve, 1)

	r := send(t, c, eve, bob)
	var got receivedEvent
	received.Next("r", &got)
	if e := got.FriendRequestReceived; e.ID != r.ID || e.From.ID != eve.ID {
		t.Fatalf("bob got %+v, want request %s from eve", e, r.ID)
	}
	decide(t, b, bob, acceptRequest, r.ID)
	var upd struct{ FriendRequestUpdated struct{ ID, Status string } }
	updated.Next("u", &upd)
	if e := upd.FriendRequestUpdated; e.ID != r.ID || e.Status != "ACCEPTED" {
		t.Fatalf("eve got %+v, want request %s accepted", e, r.ID)
	}
	bobFriends.expect(t, eve, true, "FRIEND")
	eveFriends.expect(t, bob, true, "FRIEND")
}

// presenceAcrossInstances: Dave, connected on c only, goes offline for
// the owner watching on b when that connection closes, and online again
// when he connects on a.
func presenceAcrossInstances(t *testing.T, a, b, c *apitest.Server, owner, dave apitest.User, daves *eventsConn) {
	t.Helper()
	watch := watchPresence(t, b, apitest.TransportWS, owner)
	daves.ws.Close()
	watch.expectPresence(dave, false)
	dialLive(t, a, apitest.LegacyWS, dave)
	watch.expectPresence(dave, true)
}

// revocationAcrossInstances: logging a token out through one instance
// ends that token's subscriptions on another, and only that token's.
func revocationAcrossInstances(t *testing.T, a, c *apitest.Server, bob apitest.User) {
	t.Helper()
	var out struct{ LogIn struct{ Token string } }
	a.MustDo(t, "", `mutation($u: String!, $p: String!) { logIn(input: {username: $u, password: $p}) { token } }`,
		map[string]any{"u": bob.Username, "p": apitest.Password}, &out)
	phone := bob
	phone.Token = out.LogIn.Token
	revoked, kept := c.Connect(t, phone), c.Connect(t, bob)
	revoked.Subscribe("r", subReceived, nil)
	kept.Subscribe("r", subReceived, nil)
	c.WaitSubscribed(t, bob, 3) // with friendsAcrossInstances's
	a.MustDo(t, phone.Token, `mutation { logOut }`, nil, nil)
	// WaitSubscribed sees the subscription on the bus just before it checks
	// its session: a revocation in between refuses it (UNAUTHENTICATED, as
	// for any request with a revoked token), one after it ends it. Either
	// way it ends.
	m := revoked.MustRead(5 * time.Second)
	if m.Type == "next" && m.ID == "r" && revoked.ErrorCode(m) == "UNAUTHENTICATED" {
		m = revoked.MustRead(5 * time.Second)
	}
	if m.Type != "complete" || m.ID != "r" {
		t.Fatalf("the revoked token's subscription got %s %s: %s, want it complete", m.Type, m.ID, m.Payload)
	}
	// The other token's subscription is alive: it gets the next request.
	req := send(t, a, c.SignUp(t, "zed"), bob)
	var got receivedEvent
	kept.Next("r", &got)
	if got.FriendRequestReceived.ID != req.ID {
		t.Fatalf("the kept token's subscription got %+v, want request %s", got, req.ID)
	}
}
