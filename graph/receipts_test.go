package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// Read receipts through the API: every member gets each read marker on
// chatEvents, and Message.seenBy and Chat.viewerLastRead follow the markers.

// subReceipts follows chatEvents with what a client draws receipts from.
const subReceipts = `subscription($chat: ID, $after: String) { chatEvents(chatId: $chat, after: $after) {
	__typename syncToken chat { id unreadCount viewerLastRead { id } }
	... on MessagePostedEvent { message { id } }
	... on ReadMarkerMovedEvent { user { id } message { id seenBy { totalCount edges { node { id } } } } }
	... on MemberLeftEvent { user { id } }
} }`

// seenByConn is a result of seenBy.
type seenByConn struct {
	TotalCount int
	Edges      []struct{ Node ref }
	PageInfo   struct {
		HasNextPage bool
		EndCursor   string
	}
}

func (n names) seen(c seenByConn) string {
	var who []string
	for _, e := range c.Edges {
		who = append(who, n.of(&e.Node))
	}
	return fmt.Sprintf("[%s] of %d", strings.Join(who, " "), c.TotalCount)
}

// receiptEvent is one result of subReceipts.
type receiptEvent struct {
	Typename  string `json:"__typename"`
	SyncToken string
	Chat      struct {
		ID             string
		UnreadCount    int
		ViewerLastRead *ref
	}
	User    *ref
	Message *struct {
		ID     string
		SeenBy seenByConn
	}
}

// receipt is one line saying what e tells a client: the event, then the
// subscriber's own inbox data about its chat.
func (n names) receipt(e receiptEvent) string {
	own := fmt.Sprintf("unread %d, last read %s", e.Chat.UnreadCount, n.of(e.Chat.ViewerLastRead))
	switch e.Typename {
	case "ReadMarkerMovedEvent":
		return fmt.Sprintf("read %s %s up to %s, seen by %s; %s", n.id(e.Chat.ID), n.of(e.User), n.id(e.Message.ID), n.seen(e.Message.SeenBy), own)
	case "MemberLeftEvent":
		return fmt.Sprintf("left %s %s; %s", n.id(e.Chat.ID), n.of(e.User), own)
	case "MessagePostedEvent":
		return fmt.Sprintf("posted %s %s; %s", n.id(e.Chat.ID), n.id(e.Message.ID), own)
	}
	return "unknown event " + e.Typename
}

// subscribeReceipts starts subReceipts as operation id.
func (c *eventsConn) subscribeReceipts(id, chatID, after string) {
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
	c.ws.Send(typ, id, map[string]any{"query": subReceipts, "variables": vars})
}

// expectReceipt fails the test unless the next event of operation id on
// each connection reads want.
func (n names) expectReceipt(t *testing.T, id, want string, conns ...*eventsConn) {
	t.Helper()
	for i, c := range conns {
		m, r := c.read()
		if r == nil || m.ID != id || len(r.Errors) > 0 {
			t.Fatalf("connection %d: want an event of %s, got %s %s: %s", i, id, m.Type, m.ID, m.Payload)
		}
		var out struct{ ChatEvents receiptEvent }
		if err := json.Unmarshal(r.Data, &out); err != nil {
			t.Fatal(err)
		}
		if got := n.receipt(out.ChatEvents); got != want {
			t.Fatalf("connection %d got\n\t%s\nwant\n\t%s", i, got, want)
		}
	}
}

func TestReadReceipts_AMarkerReachesEveryMemberLiveWithTheirOwnInboxData(t *testing.T) {
	t.Parallel()
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			s := apitest.NewServer(t)
			owner := s.SignUp(t, "own")
			f := s.FriendsOf(t, owner, 2)
			bob, carol := f[0], f[1]
			g := s.CreateGroup(t, owner, "G", bob, carol)
			n := names{g.ID: "g", owner.ID: "owner", bob.ID: "bob", carol.ID: "carol"}
			m1 := n.post(t, s, owner, g.ID, "m1", "one")
			m2 := n.post(t, s, owner, g.ID, "m2", "two")
			// Bob on two devices (all chats, and the group alone), the
			// owner, and Carol following the group alone.
			own, bobAll, bobOne, car := connectEvents(t, s, proto, owner), connectEvents(t, s, proto, bob),
				connectEvents(t, s, proto, bob), connectEvents(t, s, proto, carol)
			own.subscribeReceipts("e", "", "")
			bobAll.subscribeReceipts("e", "", "")
			bobOne.subscribeReceipts("e", g.ID, "")
			car.subscribeReceipts("e", g.ID, "")
			s.WaitFollowed(t, g.ID, 4)

			do(t, s, bob, markChatRead, map[string]any{"chat": g.ID, "msg": m1})
			// seenBy leaves out the sender (the owner) and the viewer; each
			// subscriber's unread count and marker stay their own.
			n.expectReceipt(t, "e", "read g bob up to m1, seen by [bob] of 1; unread 0, last read m2", own)
			n.expectReceipt(t, "e", "read g bob up to m1, seen by [] of 0; unread 1, last read m1", bobAll, bobOne)
			n.expectReceipt(t, "e", "read g bob up to m1, seen by [bob] of 1; unread 2, last read -", car)

			do(t, s, carol, markChatRead, map[string]any{"chat": g.ID, "msg": m2})
			n.expectReceipt(t, "e", "read g carol up to m2, seen by [carol] of 1; unread 0, last read m2", own)
			n.expectReceipt(t, "e", "read g carol up to m2, seen by [carol] of 1; unread 1, last read m1", bobAll, bobOne)
			n.expectReceipt(t, "e", "read g carol up to m2, seen by [] of 0; unread 0, last read m2", car)
		})
	}
}

func TestReadReceipts_ReplaysCarryTheMarkersLiveDeliveryDoes(t *testing.T) {
	t.Parallel()
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			s := apitest.NewServer(t)
			owner := s.SignUp(t, "own")
			f := s.FriendsOf(t, owner, 2)
			bob, carol := f[0], f[1]
			g := s.CreateGroup(t, owner, "G", bob, carol)
			n := names{g.ID: "g", owner.ID: "owner", bob.ID: "bob", carol.ID: "carol"}
			n.post(t, s, owner, g.ID, "m1", "one")
			m2 := post(t, s, owner, g.ID, "two")
			n[m2.ID] = "m2"
			var ownTok, carTok struct{ SyncToken string }
			s.MustDo(t, owner.Token, `query { syncToken }`, nil, &ownTok)
			s.MustDo(t, carol.Token, `query { syncToken }`, nil, &carTok)

			do(t, s, bob, markChatRead, map[string]any{"chat": g.ID, "msg": m2.ID})
			do(t, s, carol, leaveGroupPayload, map[string]any{"chat": g.ID})
			// The owner, after a sync token and after a message's cursor.
			all, one := connectEvents(t, s, proto, owner), connectEvents(t, s, proto, owner)
			all.subscribeReceipts("e", "", ownTok.SyncToken)
			one.subscribeReceipts("e", g.ID, m2.Cursor)
			n.expectReceipt(t, "e", "read g bob up to m2, seen by [bob] of 1; unread 0, last read m2", all, one)
			n.expectReceipt(t, "e", "left g carol; unread 0, last read m2", all, one)
			// Carol gets what happened while she was a member, but being out
			// of the chat now she sees nobody's receipts in it, nor her marker.
			car := connectEvents(t, s, proto, carol)
			car.subscribeReceipts("e", "", carTok.SyncToken)
			n.expectReceipt(t, "e", "read g bob up to m2, seen by [] of 0; unread 2, last read -", car)
			n.expectReceipt(t, "e", "left g carol; unread 2, last read -", car)
		})
	}
}

const historyReceipts = `query($id: ID!, $n: Int, $after: String) { node(id: $id) { ... on Chat { viewerLastRead { id }
	messages(last: 10) { edges { node { id seenBy(first: $n, after: $after) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } } } } } } }`

// receiptsOf returns, as u sees chat, each message's seenBy (one line
// each, oldest first) and u's last read message.
func (n names) receiptsOf(t *testing.T, s *apitest.Server, u apitest.User, chatID string, first int, after string) ([]string, string) {
	t.Helper()
	var out struct {
		Node struct {
			ViewerLastRead *ref
			Messages       struct {
				Edges []struct {
					Node struct {
						ID     string
						SeenBy seenByConn
					}
				}
			}
		}
	}
	vars := map[string]any{"id": chatID, "n": first}
	if after != "" {
		vars["after"] = after
	}
	s.MustDo(t, u.Token, historyReceipts, vars, &out)
	var lines []string
	for _, e := range out.Node.Messages.Edges {
		more := ""
		if e.Node.SeenBy.PageInfo.HasNextPage {
			more = " and more"
		}
		lines = append(lines, n.id(e.Node.ID)+": "+n.seen(e.Node.SeenBy)+more)
	}
	return lines, n.of(out.Node.ViewerLastRead)
}

func TestSeenBy_ListsTheOtherMembersWhoseMarkerIsAtOrAfterEachMessage(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 3)
	b, c, d := f[0], f[1], f[2]
	g := s.CreateGroup(t, owner, "G", b, c, d)
	n := names{g.ID: "g", owner.ID: "owner", b.ID: "b", c.ID: "c", d.ID: "d"}
	m1 := n.post(t, s, owner, g.ID, "m1", "one")
	n.post(t, s, owner, g.ID, "m2", "two")
	m3 := n.post(t, s, owner, g.ID, "m3", "three")
	do(t, s, b, markChatRead, map[string]any{"chat": g.ID, "msg": m1})
	do(t, s, c, markChatRead, map[string]any{"chat": g.ID, "msg": m3})

	got, last := n.receiptsOf(t, s, owner, g.ID, 1, "")
	want := []string{"m1: [b] of 2 and more", "m2: [c] of 1", "m3: [c] of 1"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") || last != "m3" {
		t.Errorf("the owner sees %q, last read %s; want %q, m3", got, last, want)
	}
	// D has read nothing and sees the same receipts, besides the viewer's
	// own never being listed: C sees only B for m1.
	if got, last := n.receiptsOf(t, s, d, g.ID, 20, ""); strings.Join(got, "; ") != "m1: [b c] of 2; m2: [c] of 1; m3: [c] of 1" || last != "-" {
		t.Errorf("D sees %q, last read %s", got, last)
	}
	if got, last := n.receiptsOf(t, s, c, g.ID, 20, ""); strings.Join(got, "; ") != "m1: [b] of 1; m2: [] of 0; m3: [] of 0" || last != "m3" {
		t.Errorf("C sees %q, last read %s", got, last)
	}
}

func TestSeenBy_InAPrivateChatTheSenderSeesTheOtherOnceTheyReadIt(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a := s.SignUp(t, "a")
	b := s.FriendsOf(t, a, 1)[0]
	dm := openPrivateChat(t, s, a, b)
	n := names{dm.ID: "dm", a.ID: "a", b.ID: "b"}
	m1 := n.post(t, s, a, dm.ID, "m1", "hi")
	n.post(t, s, a, dm.ID, "m2", "there")
	if got, _ := n.receiptsOf(t, s, a, dm.ID, 20, ""); strings.Join(got, "; ") != "m1: [] of 0; m2: [] of 0" {
		t.Errorf("before B reads: %q", got)
	}
	do(t, s, b, markChatRead, map[string]any{"chat": dm.ID, "msg": m1})
	if got, _ := n.receiptsOf(t, s, a, dm.ID, 20, ""); strings.Join(got, "; ") != "m1: [b] of 1; m2: [] of 0" {
		t.Errorf("after B read m1: %q", got)
	}
}

func TestSeenBy_AMalformedCursorIsBadUserInput(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	g := s.CreateGroup(t, owner, "G", s.FriendsOf(t, owner, 1)...)
	post(t, s, owner, g.ID, "m")
	r := s.MustFail(t, owner.Token, "BAD_USER_INPUT", historyReceipts, map[string]any{"id": g.ID, "n": 1, "after": "nonsense"})
	if r.Field() != "after" {
		t.Errorf("the error names %q, want after", r.Field())
	}
}
