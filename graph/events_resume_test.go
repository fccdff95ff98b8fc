package graph_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// Resuming chatEvents, and the subscriptions it refuses.

// collect reads k events of operation id and returns what they say, by
// chat: the order among chats is not the API's to promise, the order in
// each is.
func (n names) collect(c *eventsConn, id string, k int) (byChat map[string][]string, last chatEvent) {
	c.t.Helper()
	byChat = map[string][]string{}
	for range k {
		last = c.next(id)
		chat := n.id(last.Chat.ID)
		byChat[chat] = append(byChat[chat], n.describe(last))
	}
	return byChat, last
}

func sameByChat(t *testing.T, got, want map[string][]string) {
	t.Helper()
	for chat, w := range want {
		if !slices.Equal(got[chat], w) {
			t.Errorf("%s: got\n\t%s\nwant\n\t%s", chat, strings.Join(got[chat], "\n\t"), strings.Join(w, "\n\t"))
		}
	}
	for chat := range got {
		if want[chat] == nil {
			t.Errorf("%s: unexpected %q", chat, got[chat])
		}
	}
}

func TestChatEvents_ResumingAfterASyncTokenGetsExactlyWhatHappenedSince(t *testing.T) {
	t.Parallel()
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			s := apitest.NewServer(t)
			owner := s.SignUp(t, "own")
			f := s.FriendsOf(t, owner, 2)
			bob, carol := f[0], f[1]
			g1 := s.CreateGroup(t, owner, "One", bob)
			g2 := s.CreateGroup(t, owner, "Two", carol)
			dm := openPrivateChat(t, s, owner, bob)
			n := names{g1.ID: "g1", g2.ID: "g2", dm.ID: "dm", owner.ID: "owner", bob.ID: "bob", carol.ID: "carol"}
			n.post(t, s, owner, g1.ID, "seen", "seen before the token")
			var q struct{ SyncToken string }
			s.MustDo(t, bob.Token, `query { syncToken }`, nil, &q)

			// While Bob is away, he is added to one chat and removed from
			// another, and messages are posted, edited and deleted.
			a := n.post(t, s, owner, g1.ID, "a", "a")
			do(t, s, owner, editMessage, map[string]any{"m": a, "b": "a!"})
			b := n.post(t, s, owner, dm.ID, "b", "b")
			do(t, s, owner, deleteMsg, map[string]any{"m": b})
			do(t, s, owner, inviteGroup, map[string]any{"chat": g2.ID, "ids": []string{bob.ID}})
			c := n.post(t, s, carol, g2.ID, "c", "c")
			do(t, s, owner, removeGroup, map[string]any{"chat": g1.ID, "user": bob.ID})
			n.post(t, s, owner, g1.ID, "x", "not for bob")

			ws := connectEvents(t, s, proto, bob)
			ws.subscribe("e", "", q.SyncToken)
			// A replayed event carries its message as it is now.
			got, _ := n.collect(ws, "e", 7)
			sameByChat(t, got, map[string][]string{
				"g1": {`posted g1 a by owner: "a!"`, `edited g1 a: "a!" edited=true`, `left g1 bob by owner`},
				"dm": {`posted dm b by owner: ""`, `deleted dm b: deleted=true ""`},
				"g2": {`joined g2 bob by owner`, `posted g2 c by carol: "c"`},
			})
			// Then live, with nothing repeated in between.
			n.post(t, s, owner, dm.ID, "live", "live")
			live := ws.next("e")
			if d := n.describe(live); d != `posted dm live by owner: "live"` {
				t.Fatalf("after the replay: %s", d)
			}

			// A client that kept the latest event's syncToken resumes with it
			// after a disconnect.
			ws.ws.Close()
			n.post(t, s, carol, g2.ID, "d", "d")
			do(t, s, carol, editMessage, map[string]any{"m": c, "b": "c!"})
			ws = connectEvents(t, s, proto, bob)
			ws.subscribe("e", "", live.SyncToken)
			n.expect(t, "e", `posted g2 d by carol: "d"`, ws)
			n.expect(t, "e", `edited g2 c: "c!" edited=true`, ws)
			n.post(t, s, owner, dm.ID, "live2", "live again")
			n.expect(t, "e", `posted dm live2 by owner: "live again"`, ws)
		})
	}
}

func TestChatEvents_ResumingOneChatAfterACursorGetsTheRestOfItsLog(t *testing.T) {
	t.Parallel()
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			s := apitest.NewServer(t)
			owner := s.SignUp(t, "own")
			bob := s.FriendsOf(t, owner, 1)[0]
			g := s.CreateGroup(t, owner, "G", bob)
			n := names{g.ID: "g", owner.ID: "owner", bob.ID: "bob"}
			first := post(t, s, owner, g.ID, "m1")
			n[first.ID] = "m1"
			ws := connectEvents(t, s, proto, bob)
			ws.subscribe("e", g.ID, "")
			s.WaitFollowed(t, g.ID, 1)
			m2 := n.post(t, s, owner, g.ID, "m2", "m2")
			seen := ws.next("e")
			ws.ws.Close()

			do(t, s, owner, editMessage, map[string]any{"m": m2, "b": "m2!"})
			react(t, s, owner, m2, "🎉")
			n.post(t, s, owner, g.ID, "m3", "m3")
			rest := []string{`edited g m2: "m2!" edited=true`, `reactions g m2 by owner: 🎉1`, `posted g m3 by owner: "m3"`}
			// After the event's cursor; after a message's cursor from the
			// history, which the log places at that message's post.
			var conns []*eventsConn
			for _, c := range []struct {
				after string
				want  []string
			}{
				{seen.Cursor, rest},
				{first.Cursor, append([]string{`posted g m2 by owner: "m2!"`}, rest...)},
			} {
				ws = connectEvents(t, s, proto, bob)
				ws.subscribe("e", g.ID, c.after)
				for _, want := range c.want {
					n.expect(t, "e", want, ws)
				}
				conns = append(conns, ws)
			}
			// Then live, with nothing repeated in between.
			n.post(t, s, bob, g.ID, "live", "live")
			n.expect(t, "e", `posted g live by bob: "live"`, conns...)
		})
	}
}

func TestChatEvents_AMalformedAfterIsBadUserInput(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	bob := s.FriendsOf(t, owner, 1)[0]
	g := s.CreateGroup(t, owner, "G", bob)
	other := s.CreateGroup(t, owner, "Other", bob)
	otherCursor := post(t, s, owner, other.ID, "elsewhere").Cursor
	var q struct{ SyncToken string }
	s.MustDo(t, owner.Token, `query { syncToken }`, nil, &q)
	n := names{g.ID: "g", bob.ID: "bob"}
	for _, proto := range protocols {
		ws := connectEvents(t, s, proto, owner)
		for i, c := range []struct{ name, chat, after string }{
			{"junk as a sync token", "", "junk"},
			{"a message cursor as a sync token", "", otherCursor},
			{"junk as a cursor", g.ID, "junk"},
			{"another chat's cursor", g.ID, otherCursor},
			{"a sync token as a cursor", g.ID, q.SyncToken},
		} {
			op := fmt.Sprint("bad", i)
			ws.subscribe(op, c.chat, c.after)
			if e := ws.failure(op); e.Extensions["code"] != "BAD_USER_INPUT" || e.Extensions["field"] != "after" {
				t.Errorf("%s, %s: %+v", proto, c.name, e)
			}
			ws.completed(op)
		}
		// The connection goes on.
		ws.subscribe("ok", g.ID, "")
		s.WaitFollowed(t, g.ID, 1)
		n.post(t, s, bob, g.ID, "m"+proto, "still here")
		n.expect(t, "ok", fmt.Sprintf(`posted g m%s by bob: "still here"`, proto), ws)
		ws.ws.Close()
		s.WaitFollowed(t, g.ID, 0)
	}
}

func TestChatEvents_AChatTheViewerIsNotInIsNotFound(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 2)
	bob, carol := f[0], f[1]
	theirs := s.CreateGroup(t, owner, "Theirs", bob)
	dm := openPrivateChat(t, s, owner, bob)
	left := s.CreateGroup(t, owner, "Left", carol)
	do(t, s, carol, leaveGroupPayload, map[string]any{"chat": left.ID})
	mine := s.CreateGroup(t, owner, "Mine", carol)
	n := names{mine.ID: "mine", owner.ID: "owner"}
	for _, proto := range protocols {
		ws := connectEvents(t, s, proto, carol)
		for i, c := range []struct{ name, chat string }{
			{"a group of others", theirs.ID},
			{"a private chat of others", dm.ID},
			{"a group she left", left.ID},
		} {
			op := fmt.Sprint("x", i)
			ws.subscribe(op, c.chat, "")
			if e := ws.failure(op); e.Extensions["code"] != "NOT_FOUND" {
				t.Errorf("%s, %s: %+v", proto, c.name, e)
			}
			ws.completed(op)
		}
		ws.subscribe("ok", mine.ID, "")
		s.WaitFollowed(t, mine.ID, 1)
		n.post(t, s, owner, mine.ID, "m"+proto, "hi")
		n.expect(t, "ok", fmt.Sprintf(`posted mine m%s by owner: "hi"`, proto), ws)
		ws.ws.Close()
		s.WaitFollowed(t, mine.ID, 0)
	}
}

// One transaction can log several events (a group created with its
// members): a sync token from the middle of them resumes after that one.
func TestChatEvents_ResumingFromAnEventAmongOneChangesEventsGetsTheRest(t *testing.T) {
	t.Parallel()
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			s := apitest.NewServer(t)
			owner := s.SignUp(t, "own")
			f := s.FriendsOf(t, owner, 3)
			bob, carol, dan := f[0], f[1], f[2]
			dm := openPrivateChat(t, s, owner, bob)
			n := names{dm.ID: "dm", owner.ID: "owner", bob.ID: "bob", carol.ID: "carol", dan.ID: "dan"}
			ws := connectEvents(t, s, proto, bob)
			ws.subscribe("e", "", "")
			s.WaitFollowed(t, dm.ID, 1)
			var created struct{ CreateGroupChat struct{ ID string } }
			s.MustDo(t, owner.Token, createGroup, map[string]any{"name": "New", "ids": []string{bob.ID, carol.ID, dan.ID}}, &created)
			n[created.CreateGroupChat.ID] = "new"
			first := ws.next("e")
			if d := n.describe(first); d != `joined new bob by -` {
				t.Fatalf("first: %s", d)
			}
			ws.ws.Close()

			ws = connectEvents(t, s, proto, bob)
			ws.subscribe("e", "", first.SyncToken)
			n.expect(t, "e", `joined new carol by -`, ws)
			n.expect(t, "e", `joined new dan by -`, ws)
			n.post(t, s, owner, dm.ID, "live", "live")
			n.expect(t, "e", `posted dm live by owner: "live"`, ws)
		})
	}
}

// An event replayed for one chat has no exact place among all chats'
// events: its syncToken resumes all chats from a position that may repeat
// events, never lose one.
func TestChatEvents_TheSyncTokenOfAOneChatReplayLosesNothingOfAnyChat(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	bob := s.FriendsOf(t, owner, 1)[0]
	g1 := s.CreateGroup(t, owner, "One", bob)
	g2 := s.CreateGroup(t, owner, "Two", bob)
	n := names{g1.ID: "g1", g2.ID: "g2", owner.ID: "owner"}
	a := post(t, s, owner, g1.ID, "a")
	n.post(t, s, owner, g2.ID, "b", "b")
	n.post(t, s, owner, g1.ID, "c", "c")
	ws := connectEvents(t, s, apitest.TransportWS, bob)
	ws.subscribe("one", g1.ID, a.Cursor)
	c := ws.next("one")
	if d := n.describe(c); d != `posted g1 c by owner: "c"` {
		t.Fatalf("replayed %s", d)
	}
	n.post(t, s, owner, g2.ID, "d", "d")
	n.post(t, s, owner, g1.ID, "e", "e")
	ws.ws.Close()
	ws = connectEvents(t, s, apitest.TransportWS, bob)
	ws.subscribe("all", "", c.SyncToken)
	// Whatever comes again first, d and e come, then the live event.
	seen := map[string]bool{}
	for !seen[`posted g1 e by owner: "e"`] || !seen[`posted g2 d by owner: "d"`] {
		e := ws.next("all")
		if seen[n.describe(e)] {
			t.Fatalf("twice in one replay: %s", n.describe(e))
		}
		seen[n.describe(e)] = true
	}
	n.post(t, s, owner, g2.ID, "live", "live")
	n.expect(t, "all", `posted g2 live by owner: "live"`, ws)
}
