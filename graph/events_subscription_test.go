package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// chatEvents through the API, on real WebSocket connections of both
// protocols. Each test checks events as a client reads them: one line per
// event naming its kind, chat, message, users and fields (see describe).

// protocols are the two WebSocket subprotocols every chatEvents behaviour
// is checked on.
var protocols = []string{apitest.TransportWS, apitest.LegacyWS}

type ref struct{ ID string }

// chatEvent is one result of subChatEvents.
type chatEvent struct {
	Typename              string `json:"__typename"`
	Cursor, SyncToken, At string
	Chat                  struct{ ID, Name string }
	Message               *struct {
		ID, Body, Cursor string
		Deleted          bool
		EditedAt         *string
		Sender, ReplyTo  *ref
		Reactions        []struct {
			Emoji         string
			Count         int
			ViewerReacted bool
		}
	}
	User                                       *ref
	ReactedBy, InvitedBy, RemovedBy, RenamedBy *ref
	Name                                       string
	Typing                                     bool
}

// names gives the ids a test made short names, so that events read as
// specifications: `posted g m1 by owner: "hi"`.
type names map[string]string

func (n names) of(r *ref) string {
	switch {
	case r == nil:
		return "-"
	case n[r.ID] != "":
		return n[r.ID]
	}
	return r.ID
}

func (n names) id(id string) string { return n.of(&ref{id}) }

// describe is one line saying what e tells a client.
func (n names) describe(e chatEvent) string {
	chat := n.id(e.Chat.ID)
	m := e.Message
	switch e.Typename {
	case "MessagePostedEvent":
		re := ""
		if m.ReplyTo != nil {
			re = " re " + n.of(m.ReplyTo)
		}
		return fmt.Sprintf("posted %s %s by %s%s: %q", chat, n.id(m.ID), n.of(m.Sender), re, m.Body)
	case "MessageEditedEvent":
		return fmt.Sprintf("edited %s %s: %q edited=%v", chat, n.id(m.ID), m.Body, m.EditedAt != nil)
	case "MessageDeletedEvent":
		return fmt.Sprintf("deleted %s %s: deleted=%v %q", chat, n.id(m.ID), m.Deleted, m.Body)
	case "ReactionsChangedEvent":
		var rs []string
		for _, r := range m.Reactions {
			mine := ""
			if r.ViewerReacted {
				mine = " (mine)"
			}
			rs = append(rs, fmt.Sprintf("%s%d%s", r.Emoji, r.Count, mine))
		}
		return fmt.Sprintf("reactions %s %s by %s: %s", chat, n.id(m.ID), n.of(e.ReactedBy), strings.Join(rs, ", "))
	case "MemberJoinedEvent":
		return fmt.Sprintf("joined %s %s by %s", chat, n.of(e.User), n.of(e.InvitedBy))
	case "MemberLeftEvent":
		return fmt.Sprintf("left %s %s by %s", chat, n.of(e.User), n.of(e.RemovedBy))
	case "ChatRenamedEvent":
		return fmt.Sprintf("renamed %s %q by %s (chat.name %q)", chat, e.Name, n.of(e.RenamedBy), e.Chat.Name)
	case "ReadMarkerMovedEvent":
		return fmt.Sprintf("read %s %s up to %s", chat, n.of(e.User), n.id(m.ID))
	case "TypingEvent":
		return fmt.Sprintf("typing %s %s %v", chat, n.of(e.User), e.Typing)
	}
	return "unknown event " + e.Typename
}

// eventsConn is a WebSocket connection of either protocol, for chatEvents.
type eventsConn struct {
	t      *testing.T
	ws     *apitest.WS
	legacy bool
}

// connectEvents opens a connection with proto, authenticated as u.
func connectEvents(t *testing.T, s *apitest.Server, proto string, u apitest.User) *eventsConn {
	t.Helper()
	ws := s.DialWS(t, proto)
	if m, err := ws.Init(u.Token); err != nil || m.Type != "connection_ack" {
		t.Fatalf("%s connection_init: %+v %v", proto, m, err)
	}
	return &eventsConn{t: t, ws: ws, legacy: proto == apitest.LegacyWS}
}

// subscribe starts chatEvents as operation id; an empty chatID or after
// leaves the argument out.
func (c *eventsConn) subscribe(id, chatID, after string) {
	vars := map[string]any{}
	if chatID != "" {
		vars["chat"] = chatID
	}
	if after != "" {
		vars["after"] = after
	}
	typ := "subscribe"
	if c.legacy {
		typ = "start"
	}
	c.ws.Send(typ, id, map[string]any{"query": subChatEvents, "variables": vars})
}

// read returns the next message and its GraphQL result, if it is one.
func (c *eventsConn) read() (apitest.Message, *apitest.Response) {
	c.t.Helper()
	m := c.ws.MustRead(5 * time.Second)
	if m.Type != "next" && m.Type != "data" {
		return m, nil
	}
	var r apitest.Response
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		c.t.Fatal(err)
	}
	return m, &r
}

// next returns the next event of operation id, checking the fields every
// event has; any other message fails the test.
func (c *eventsConn) next(id string) chatEvent {
	c.t.Helper()
	m, r := c.read()
	if r == nil || m.ID != id || len(r.Errors) > 0 {
		c.t.Fatalf("want an event of %s, got %s %s: %s", id, m.Type, m.ID, m.Payload)
	}
	var out struct{ ChatEvents chatEvent }
	if err := json.Unmarshal(r.Data, &out); err != nil {
		c.t.Fatal(err)
	}
	e := out.ChatEvents
	if _, err := time.Parse(time.RFC3339Nano, e.At); err != nil || e.Cursor == "" || e.SyncToken == "" || e.Chat.ID == "" {
		c.t.Fatalf("event without its position, time or chat: %s", r.Data)
	}
	return e
}

// completed fails the test unless the next message completes operation id.
func (c *eventsConn) completed(id string) {
	c.t.Helper()
	if m := c.ws.MustRead(5 * time.Second); m.Type != "complete" || m.ID != id {
		c.t.Fatalf("want complete of %s, got %s %s: %s", id, m.Type, m.ID, m.Payload)
	}
}

// failure returns the error that ends operation id, which must come next.
func (c *eventsConn) failure(id string) apitest.Error {
	c.t.Helper()
	m, r := c.read()
	var errs []apitest.Error
	switch {
	case r != nil:
		errs = r.Errors
	case m.Type == "error":
		if err := json.Unmarshal(m.Payload, &errs); err != nil {
			c.t.Fatal(err)
		}
	}
	if m.ID != id || len(errs) == 0 {
		c.t.Fatalf("want an error of %s, got %s %s: %s", id, m.Type, m.ID, m.Payload)
	}
	return errs[0]
}

// expect fails the test unless the next event of operation id on each
// connection reads want.
func (n names) expect(t *testing.T, id, want string, conns ...*eventsConn) {
	t.Helper()
	for i, c := range conns {
		if got := n.describe(c.next(id)); got != want {
			t.Fatalf("connection %d got\n\t%s\nwant\n\t%s", i, got, want)
		}
	}
}

// Operations that change a chat, as the tests here use them.
func (n names) post(t *testing.T, s *apitest.Server, u apitest.User, chatID, name, body string) string {
	t.Helper()
	id := s.Post(t, u, chatID, body)
	n[id] = name
	return id
}

func (n names) reply(t *testing.T, s *apitest.Server, u apitest.User, chatID, name, body, to string) string {
	t.Helper()
	var out struct{ PostMessage struct{ ID string } }
	s.MustDo(t, u.Token, postReply, map[string]any{"chat": chatID, "body": body, "re": to}, &out)
	n[out.PostMessage.ID] = name
	return out.PostMessage.ID
}

func do(t *testing.T, s *apitest.Server, u apitest.User, query string, vars map[string]any) {
	t.Helper()
	s.MustDo(t, u.Token, query, vars, nil)
}

func TestChatEvents_EveryKindOfChangeArrivesLiveWithItsFields(t *testing.T) {
	t.Parallel()
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			everyKindArrivesLive(t, proto)
		})
	}
}

// everyKindArrivesLive makes every kind of change to a group in turn,
// waiting for each event before the next change (an event carries its
// message as it is when read), and checks who gets which event.
func everyKindArrivesLive(t *testing.T, proto string) {
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 2)
	bob, carol := f[0], f[1]
	g := s.CreateGroup(t, owner, "Trip", bob)
	dm := openPrivateChat(t, s, owner, carol)
	n := names{g.ID: "g", dm.ID: "dm", owner.ID: "owner", bob.ID: "bob", carol.ID: "carol"}
	// Bob on two devices, the owner, and Carol who is not in the group yet.
	bobs := []*eventsConn{connectEvents(t, s, proto, bob), connectEvents(t, s, proto, bob)}
	own := connectEvents(t, s, proto, owner)
	car := connectEvents(t, s, proto, carol)
	for _, c := range []*eventsConn{bobs[0], bobs[1], own, car} {
		c.subscribe("e", "", "")
	}
	s.WaitFollowed(t, g.ID, 3)
	s.WaitFollowed(t, dm.ID, 2)
	members := []*eventsConn{bobs[0], bobs[1], own}

	m1 := n.post(t, s, owner, g.ID, "m1", "pizza?")
	n.expect(t, "e", `posted g m1 by owner: "pizza?"`, members...)
	m2 := n.reply(t, s, bob, g.ID, "m2", "yes!", m1)
	n.expect(t, "e", `posted g m2 by bob re m1: "yes!"`, members...)
	do(t, s, owner, editMessage, map[string]any{"m": m1, "b": "pizza tonight?"})
	n.expect(t, "e", `edited g m1: "pizza tonight?" edited=true`, members...)
	react(t, s, owner, m2, "👍")
	// viewerReacted is the subscriber's.
	n.expect(t, "e", `reactions g m2 by owner: 👍1`, bobs...)
	n.expect(t, "e", `reactions g m2 by owner: 👍1 (mine)`, own)
	do(t, s, owner, deleteMsg, map[string]any{"m": m1})
	n.expect(t, "e", `deleted g m1: deleted=true ""`, members...)
	do(t, s, bob, renameGroup, map[string]any{"chat": g.ID, "name": "Trip 2027"})
	n.expect(t, "e", `renamed g "Trip 2027" by bob (chat.name "Trip 2027")`, members...)

	// Carol's first event of the group is her joining it.
	do(t, s, owner, inviteGroup, map[string]any{"chat": g.ID, "ids": []string{carol.ID}})
	n.expect(t, "e", `joined g carol by owner`, append(members, car)...)
	m3 := n.post(t, s, owner, g.ID, "m3", "see you at 8")
	n.expect(t, "e", `posted g m3 by owner: "see you at 8"`, append(members, car)...)

	// Bob's read marker goes to every member (read receipts): his own
	// connections, the owner and Carol.
	do(t, s, bob, markChatRead, map[string]any{"chat": g.ID, "msg": m3})
	n.expect(t, "e", `read g bob up to m3`, append(members, car)...)
	do(t, s, owner, removeGroup, map[string]any{"chat": g.ID, "user": carol.ID})
	n.expect(t, "e", `left g carol by owner`, append(members, car)...)

	// Carol gets nothing of the group after her departure: her next event
	// is the one of another chat.
	n.post(t, s, owner, g.ID, "m4", "carol left")
	n.expect(t, "e", `posted g m4 by owner: "carol left"`, members...)
	n.post(t, s, owner, dm.ID, "d1", "sorry")
	n.expect(t, "e", `posted dm d1 by owner: "sorry"`, own, car)
}

func TestChatEvents_OneChatSubscriptionCompletesAfterTheViewersOwnMemberLeftEvent(t *testing.T) {
	t.Parallel()
	for _, proto := range protocols {
		for _, removed := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/removed=%v", proto, removed), func(t *testing.T) {
				t.Parallel()
				s := apitest.NewServer(t)
				owner := s.SignUp(t, "own")
				f := s.FriendsOf(t, owner, 2)
				bob, carol := f[0], f[1]
				g := s.CreateGroup(t, owner, "G", bob, carol)
				n := names{g.ID: "g", owner.ID: "owner", bob.ID: "bob", carol.ID: "carol"}
				c := connectEvents(t, s, proto, bob)
				c.subscribe("e", g.ID, "")
				s.WaitFollowed(t, g.ID, 1)

				// Another member's departure does not end it.
				do(t, s, owner, removeGroup, map[string]any{"chat": g.ID, "user": carol.ID})
				n.expect(t, "e", `left g carol by owner`, c)
				if removed {
					do(t, s, owner, removeGroup, map[string]any{"chat": g.ID, "user": bob.ID})
					n.expect(t, "e", `left g bob by owner`, c)
				} else {
					do(t, s, bob, leaveGroupPayload, map[string]any{"chat": g.ID})
					n.expect(t, "e", `left g bob by -`, c)
				}
				c.completed("e")
			})
		}
	}
}

func TestChatEvents_AChatJoinedLaterStartsWithTheViewersMemberJoinedEvent(t *testing.T) {
	t.Parallel()
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			s := apitest.NewServer(t)
			owner := s.SignUp(t, "own")
			f := s.FriendsOf(t, owner, 2)
			bob, carol := f[0], f[1]
			old := s.CreateGroup(t, owner, "Old", carol)
			dm := openPrivateChat(t, s, owner, bob)
			n := names{old.ID: "old", dm.ID: "dm", owner.ID: "owner", bob.ID: "bob", carol.ID: "carol"}
			c := connectEvents(t, s, proto, bob)
			c.subscribe("e", "", "")
			s.WaitFollowed(t, dm.ID, 1)

			// Created with him: the owner's join, before his, is not his to see.
			var created struct{ CreateGroupChat struct{ ID string } }
			s.MustDo(t, owner.Token, createGroup, map[string]any{"name": "New", "ids": []string{bob.ID, carol.ID}}, &created)
			n[created.CreateGroupChat.ID] = "new"
			n.expect(t, "e", `joined new bob by -`, c)
			n.expect(t, "e", `joined new carol by -`, c)
			n.post(t, s, owner, old.ID, "o1", "before bob")
			// Invited: nothing of the group's past, his join first.
			do(t, s, owner, inviteGroup, map[string]any{"chat": old.ID, "ids": []string{bob.ID}})
			n.expect(t, "e", `joined old bob by owner`, c)
			n.post(t, s, carol, old.ID, "o2", "welcome")
			n.expect(t, "e", `posted old o2 by carol: "welcome"`, c)
		})
	}
}
