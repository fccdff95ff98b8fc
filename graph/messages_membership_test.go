package graph_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/internal/apitest"
	"github.com/gqlchat/gqlchat/internal/testdb"
)

// Membership changes while others already follow the chat on the same
// instance, whose shared feed then remembers the old member list. Each case
// runs on one instance and across two: there every member follows on both,
// so each instance has a feed to get wrong.

// topology returns two servers: the same one twice, or two instances on
// one database sharing events through PostgreSQL.
func topology(t *testing.T, instances int) [2]*apitest.Server {
	if instances == 1 {
		s := apitest.NewServer(t)
		return [2]*apitest.Server{s, s}
	}
	dsn := testdb.New(t)
	channel := fmt.Sprintf("test_%d", time.Now().UnixNano())
	a, _ := apitest.StartInstance(t, dsn, channel)
	b, _ := apitest.StartInstance(t, dsn, channel)
	return [2]*apitest.Server{a, b}
}

func eachTopology(t *testing.T, test func(t *testing.T, srv [2]*apitest.Server)) {
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d instances", n), func(t *testing.T) {
			t.Parallel()
			test(t, topology(t, n))
		})
	}
}

// subscribeOnBoth subscribes u to messagePosted with vars (as operation
// "a") on a connection to each server.
func subscribeOnBoth(t *testing.T, srv [2]*apitest.Server, u apitest.User, vars map[string]any) []*apitest.WS {
	var conns []*apitest.WS
	for _, s := range srv {
		ws := s.Connect(t, u)
		ws.Subscribe("a", subMessages, vars)
		conns = append(conns, ws)
	}
	return conns
}

// onBoth calls wait with each server and n[i], what the test expects to
// see on server i (the sum, when both are one server).
func onBoth(srv [2]*apitest.Server, n [2]int, wait func(s *apitest.Server, n int)) {
	if srv[0] == srv[1] {
		wait(srv[0], n[0]+n[1])
		return
	}
	wait(srv[0], n[0])
	wait(srv[1], n[1])
}

// nextIDs reads n messagePosted events of operation id and returns their ids.
func nextIDs(ws *apitest.WS, id string, n int) []string {
	var got []string
	for range n {
		var ev postedEvent
		ws.Next(id, &ev)
		got = append(got, ev.MessagePosted.ID)
	}
	return got
}

func mustIDs(t *testing.T, who string, got []string, want ...string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s got %v, want %v", who, got, want)
	}
}

func TestMessagePosted_AMemberInvitedWhileOthersFollowGetsTheNewMessages(t *testing.T) {
	t.Parallel()
	eachTopology(t, func(t *testing.T, srv [2]*apitest.Server) {
		owner := srv[0].SignUp(t, "own")
		f := friendsOf(t, srv[0], owner, 2)
		b, e := f[0], f[1]
		g := createGroupChat(t, srv[0], owner, "G", b)
		bs := subscribeOnBoth(t, srv, b, nil)
		es := subscribeOnBoth(t, srv, e, nil)
		onBoth(srv, [2]int{1, 1}, func(s *apitest.Server, n int) { s.WaitFollowed(t, g.ID, n); s.WaitSubscribed(t, e, n) })
		before := post(t, srv[0], owner, g.ID, "before E").ID // the feeds now know the members without E
		for _, ws := range bs {
			mustIDs(t, "B", nextIDs(ws, "a", 1), before)
		}
		srv[0].MustDo(t, owner.Token, inviteGroup, map[string]any{"chat": g.ID, "ids": []string{e.ID}}, nil)
		m1 := post(t, srv[0], owner, g.ID, "one").ID
		m2 := post(t, srv[1], b, g.ID, "two").ID
		for _, ws := range bs {
			mustIDs(t, "B", nextIDs(ws, "a", 2), m1, m2)
		}
		for _, ws := range es {
			mustIDs(t, "E", nextIDs(ws, "a", 2), m1, m2)
		}
	})
}

func TestMessagePosted_AMemberReinvitedAfterPostsFollowsTheChatAgain(t *testing.T) {
	t.Parallel()
	eachTopology(t, func(t *testing.T, srv [2]*apitest.Server) {
		owner := srv[0].SignUp(t, "own")
		f := friendsOf(t, srv[0], owner, 2)
		b, e := f[0], f[1]
		g := createGroupChat(t, srv[0], owner, "G", b, e)
		subscribeOnBoth(t, srv, b, map[string]any{"chat": g.ID}) // each server has a feed of the chat
		all := srv[1].Connect(t, e)                              // E's stream of all chats lives through the removal
		all.Subscribe("a", subMessages, nil)
		onBoth(srv, [2]int{1, 2}, func(s *apitest.Server, n int) { s.WaitFollowed(t, g.ID, n) })
		srv[0].MustDo(t, owner.Token, removeGroup, map[string]any{"chat": g.ID, "user": e.ID}, nil)
		post(t, srv[0], owner, g.ID, "while E is out")
		srv[0].MustDo(t, owner.Token, inviteGroup, map[string]any{"chat": g.ID, "ids": []string{e.ID}}, nil)

		one := srv[1].Connect(t, e) // a new stream of the chat alone, after the re-invitation
		one.Subscribe("m", subMessages, map[string]any{"chat": g.ID})
		onBoth(srv, [2]int{1, 3}, func(s *apitest.Server, n int) { s.WaitFollowed(t, g.ID, n) })
		back := post(t, srv[0], owner, g.ID, "welcome back").ID
		mustIDs(t, "E's chat stream", nextIDs(one, "m", 1), back)
		// The first message after the re-invitation, not the one posted while out.
		mustIDs(t, "E's stream of all chats", nextIDs(all, "a", 1), back)
	})
}

func TestMessagePosted_AMemberWhoLeavesWhileOthersFollowGetsNothingMore(t *testing.T) {
	t.Parallel()
	eachTopology(t, func(t *testing.T, srv [2]*apitest.Server) {
		owner := srv[0].SignUp(t, "own")
		f := friendsOf(t, srv[0], owner, 2)
		b, e := f[0], f[1]
		g := createGroupChat(t, srv[0], owner, "G", b, e)
		dm := openPrivateChat(t, srv[0], owner, e)
		subscribeOnBoth(t, srv, b, map[string]any{"chat": g.ID})
		one, all := srv[1].Connect(t, e), srv[1].Connect(t, e)
		one.Subscribe("m", subMessages, map[string]any{"chat": g.ID})
		all.Subscribe("a", subMessages, nil)
		onBoth(srv, [2]int{1, 3}, func(s *apitest.Server, n int) { s.WaitFollowed(t, g.ID, n) })
		srv[1].WaitFollowed(t, dm.ID, 1)
		first := post(t, srv[0], owner, g.ID, "all here").ID
		mustIDs(t, "E's chat stream", nextIDs(one, "m", 1), first)
		mustIDs(t, "E's stream of all chats", nextIDs(all, "a", 1), first)

		srv[0].MustDo(t, e.Token, leaveGroup, id2("chat", g.ID), nil)
		if m := one.MustRead(5 * time.Second); m.Type != "complete" {
			t.Fatalf("E's chat stream after leaving: want complete, got %s %s", m.Type, m.Payload)
		}
		post(t, srv[0], owner, g.ID, "E has gone")
		// E's next message is the private one: the group's never came.
		private := post(t, srv[0], owner, dm.ID, "still friends").ID
		mustIDs(t, "E's stream of all chats", nextIDs(all, "a", 1), private)
	})
}
