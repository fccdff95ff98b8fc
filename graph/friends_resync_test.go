package graph_test

import (
	"testing"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

type updatedEvent struct {
	FriendRequestUpdated struct{ ID, Status string }
}

// Friend requests and friendships have no log to replay: what an instance
// cut off from the bus missed reaches its subscribers once it is back,
// replayed by NATS, or re-read after the PostgreSQL bus's resync (a
// friendship begun and one ended, a request received, a request answered).
func TestFriends_ChangesMissedWhileTheBusWasCutArriveAfter(t *testing.T) {
	forEachBus(t, func(t *testing.T, c *apitest.Cluster) {
		in := startInstances(t, c, 2, apitest.CheapConfig())
		a, b := in[0].Server, in[1].Server
		x := a.SignUp(t, "x")
		ex := a.FriendsOf(t, x, 1)[0]
		asker, newcomer := a.SignUp(t, "asker"), a.SignUp(t, "newc")
		req := send(t, a, asker, x)
		// One connection each: a connection's events interleave.
		fws, rws, uws := b.Connect(t, x), b.Connect(t, x), b.Connect(t, x)
		fws.Subscribe("f", subFriends, nil)
		rws.Subscribe("r", subReceived, nil)
		uws.Subscribe("u", subUpdated, nil)
		b.WaitSubscribed(t, x, 3)

		in[1].CutBus(t)
		a.MustDo(t, x.Token, acceptRequest, id(req.ID), nil)
		a.MustDo(t, ex.Token, removeFriend, id(x.ID), nil)
		sent := send(t, a, newcomer, x)
		in[1].MendBus(t)

		var began, ended friendsChanged
		fws.Next("f", &began)
		fws.Next("f", &ended)
		if g := began.FriendsChanged; g.User.ID != asker.ID || !g.Friends || g.User.Friendship != "FRIEND" {
			t.Errorf("first friendsChanged %+v, want %s began", g, asker.Username)
		}
		if g := ended.FriendsChanged; g.User.ID != ex.ID || g.Friends || g.User.Friendship != "NONE" {
			t.Errorf("second friendsChanged %+v, want %s ended", g, ex.Username)
		}
		// A resync may also repeat requests it cannot tell were sent
		// already; the ones missed must come.
		for {
			var r receivedEvent
			rws.Next("r", &r)
			if g := r.FriendRequestReceived; g.ID == sent.ID {
				if g.From.ID != newcomer.ID || g.Status != "UNREAD" {
					t.Errorf("friendRequestReceived %+v", g)
				}
				break
			}
		}
		for {
			var u updatedEvent
			uws.Next("u", &u)
			if u.FriendRequestUpdated.ID == req.ID {
				if u.FriendRequestUpdated.Status != "ACCEPTED" {
					t.Errorf("friendRequestUpdated %+v", u.FriendRequestUpdated)
				}
				break
			}
		}
	})
}
