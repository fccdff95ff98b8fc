package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// streamShapes are chatEvents selections: what the benchmark and clients
// ask, fields that differ by viewer (syncToken, viewerReacted, a chat's
// unread count and last message, reactions by emoji), aliases, fragments,
// variables, and one the direct path does not know (seenBy, online).
var streamShapes = []struct {
	query string
	vars  map[string]any
	group bool // follows the group only (chatId: $c)
}{
	{query: `subscription {
	chatEvents {
		__typename cursor syncToken at chat { id }
		... on MessagePostedEvent { message { ...M } }
		... on MessageEditedEvent { message { ...M } }
		... on MessageDeletedEvent { message { id deleted body } }
		... on ReactionsChangedEvent { message { id reactions { emoji count viewerReacted } } reactedBy: by { id } }
		... on MemberJoinedEvent { user { id displayName } invitedBy: by { id } }
		... on MemberLeftEvent { user { id } removedBy { id } }
		... on ChatRenamedEvent { name renamedBy: by { id } }
		... on ReadMarkerMovedEvent { user { id } message { id } }
		... on TypingEvent { user { id } typing }
	}
}
fragment M on Message { id body createdAt editedAt deleted sender { id displayName } reactions { emoji count viewerReacted } }`},
	{query: `subscription { chatEvents { __typename cursor syncToken } }`},
	{query: `subscription { chatEvents { __typename syncToken
		chat { id __typename createdAt unreadCount ... on GroupChat { name } lastMessage { id body sender { username } } }
		... on MessagePostedEvent { message { id clientMessageId cursor replyTo { id body deleted sender { username deleted } }
			reactions { emoji count viewerReacted } thumbs: reactions(emoji: "👍") { count viewerReacted } } }
		... on ReactionsChangedEvent { message { reactions { viewerReacted emoji } } by { username } }
		... on TypingEvent { user { id } typing } } }`},
	{query: `subscription($yes: Boolean!, $no: Boolean!) { chatEvents { cursor @include(if: $yes) syncToken @skip(if: $yes)
		... on MessagePostedEvent { message { body @skip(if: $no) id sender @include(if: $no) { id } } } } }`,
		vars: map[string]any{"yes": true, "no": false}},
	{query: `subscription { e: chatEvents { t: __typename ...E } }
fragment E on ChatEvent { at chat { ... on Node { id } }
	... on MemberJoinedEvent { user { displayName } invitedBy: by { displayName } }
	... on MemberLeftEvent { user { id } removedBy { id } }
	... on ChatRenamedEvent { name renamedBy: by { username } }
	... on ReadMarkerMovedEvent { user { id } message { id } }
	... on MessageDeletedEvent { message { deleted body reactions { emoji } } }
	... on MessageEditedEvent { message { body editedAt } } }`},
	{query: `subscription { chatEvents { __typename ... on MessagePostedEvent { message { id seenBy(first: 2) { edges { node { id } } } sender { online viewerBlocked } } } } }`},
	{query: `subscription($c: ID) { chatEvents(chatId: $c) { cursor syncToken ... on MessagePostedEvent { message { body } } } }`, group: true},
}

// streamClient is one user's WebSocket to one of the pair's servers, with
// shapes subscribed.
type streamClient struct {
	ws       *apitest.WS
	payloads map[string][][]byte // by subscription id
}

// streamPair is a user's two clients: to the direct server and to gqlgen.
type streamPair [2]*streamClient

// streamStep is a change, and who gets an event of it.
type streamStep struct {
	name string
	run  func()
	to   []apitest.User
	// group says whether it is the group's (the group-only shape gets it);
	// live whether its event is the log's (typing is each stream's own).
	group, live bool
}

func TestDirect_WritesEventsAsGqlgenDoes(t *testing.T) {
	srv := apitest.NewServer(t)
	p := newDirectPair(t, srv)
	alice, bob, carol, dave := srv.SignUp(t, "alice"), srv.SignUp(t, "bob"), srv.SignUp(t, "carol"), srv.SignUp(t, "dave")
	for _, u := range []apitest.User{bob, carol, dave} {
		srv.Befriend(t, alice, u)
	}
	group := srv.CreateGroup(t, alice, "before", bob, carol).ID
	var private struct{ OpenPrivateChat struct{ ID string } }
	srv.MustDo(t, alice.Token, `mutation($id: ID!) { openPrivateChat(input: {friendId: $id}) { id } }`, map[string]any{"id": bob.ID}, &private)
	first := srv.Post(t, bob, group, "first <b>&</b> \u2028")

	// Dave follows all his chats only: he joins the group and is removed.
	clients := map[string]streamPair{}
	for _, u := range []apitest.User{alice, bob, carol, dave} {
		member := u.ID != dave.ID
		clients[u.ID] = streamPair{subscribeShapes(t, p.direct.URL, u, group, member), subscribeShapes(t, p.plain.URL, u, group, member)}
	}
	srv.WaitFollowed(t, group, 2*3*len(streamShapes))
	srv.WaitFollowed(t, private.OpenPrivateChat.ID, 2*2*(len(streamShapes)-1))
	before, templates := p.schema.DirectResponses(), p.schema.EventTemplates()
	wantTemplates := 0
	for _, s := range eventSteps(t, srv, group, private.OpenPrivateChat.ID, first, alice, bob, carol, dave) {
		s.run()
		for _, u := range s.to {
			for _, c := range clients[u.ID] {
				c.read(t, s.name, s.group && u.ID != dave.ID)
			}
		}
		for _, u := range []apitest.User{alice, bob, carol, dave} {
			clients[u.ID].same(t, s.name, u)
		}
		if s.live { // one template per shape the direct path knows
			wantTemplates += len(streamShapes) - 1
			if !s.group {
				wantTemplates--
			}
		}
	}
	// Every delivery of the shapes it knows (all but the one asking for
	// seenBy) was written directly, and the subscribers of a shape shared
	// a template of each event of the log.
	delivered := 0
	for _, c := range clients {
		for id, ps := range c[0].payloads {
			if id != fmt.Sprint(5) {
				delivered += len(ps)
			}
		}
	}
	if got := p.schema.DirectResponses() - before; got != int64(delivered) {
		t.Fatalf("%d deliveries written directly, want %d", got, delivered)
	}
	if got := p.schema.EventTemplates() - templates; got != int64(wantTemplates) {
		t.Fatalf("%d templates written for %d deliveries, want %d", got, delivered, wantTemplates)
	}

	// A resume replays each stream's own events, without templates.
	replayed(t, p, alice, clients[alice.ID][0].payloads["1"])
}

// eventSteps are a change of every kind, in the group then in the private
// chat.
func eventSteps(t *testing.T, srv *apitest.Server, group, private, first string, alice, bob, carol, dave apitest.User) []streamStep {
	do := func(u apitest.User, query string, vars map[string]any) {
		t.Helper()
		srv.MustDo(t, u.Token, query, vars, nil)
	}
	var reply struct{ PostMessage struct{ ID string } }
	members := []apitest.User{alice, bob, carol}
	return []streamStep{
		{"a reply", func() {
			srv.MustDo(t, alice.Token, `mutation($c: ID!, $r: ID!) { postMessage(input: {chatId: $c, body: "re: \"first\" 🎉", clientMessageId: "x-1", replyToId: $r}) { id } }`,
				map[string]any{"c": group, "r": first}, &reply)
		}, members, true, true},
		{"a reaction", func() {
			do(bob, `mutation($m: ID!) { addReaction(input: {messageId: $m, emoji: "👍"}) { id } }`, map[string]any{"m": reply.PostMessage.ID})
		}, members, true, true},
		{"another", func() {
			do(carol, `mutation($m: ID!) { addReaction(input: {messageId: $m, emoji: "❤️"}) { id } }`, map[string]any{"m": reply.PostMessage.ID})
		}, members, true, true},
		{"an edit", func() {
			do(alice, `mutation($m: ID!) { editMessage(input: {messageId: $m, body: "edited ✓"}) { id } }`, map[string]any{"m": reply.PostMessage.ID})
		}, members, true, true},
		{"a read marker", func() {
			do(bob, `mutation($c: ID!, $m: ID!) { markChatRead(input: {chatId: $c, messageId: $m}) { id } }`, map[string]any{"c": group, "m": reply.PostMessage.ID})
		}, members, true, true},
		{"a rename", func() {
			do(alice, `mutation($c: ID!) { renameGroupChat(input: {chatId: $c, name: "after <&>"}) { id } }`, map[string]any{"c": group})
		}, members, true, true},
		{"an invitation", func() {
			do(alice, `mutation($c: ID!, $u: ID!) { inviteToGroupChat(input: {chatId: $c, userIds: [$u]}) { id } }`, map[string]any{"c": group, "u": dave.ID})
		}, append(members, dave), true, true},
		{"a removal", func() {
			do(alice, `mutation($c: ID!, $u: ID!) { removeFromGroupChat(input: {chatId: $c, userId: $u}) { id } }`, map[string]any{"c": group, "u": dave.ID})
		}, append(members, dave), true, true},
		{"a deletion", func() {
			do(alice, `mutation($m: ID!) { deleteMessage(input: {messageId: $m}) { id } }`, map[string]any{"m": reply.PostMessage.ID})
		}, members, true, true},
		{"a private message", func() { srv.Post(t, bob, private, "just us") }, []apitest.User{alice, bob}, false, true},
		// Last: it expires by itself 6 s later, with an event of its own.
		{"typing", func() {
			do(carol, `mutation($c: ID!) { setTyping(input: {chatId: $c, typing: true}) }`, map[string]any{"c": group})
		}, []apitest.User{alice, bob}, true, false},
	}
}

// same fails unless both of u's clients got the same bytes on every
// subscription.
func (c streamPair) same(t *testing.T, step string, u apitest.User) {
	t.Helper()
	d, g := c[0].payloads, c[1].payloads
	if len(d) != len(g) {
		t.Fatalf("after %s, %s: subscriptions with events: direct %d, gqlgen %d", step, u.Username, len(d), len(g))
	}
	for id := range g {
		if !equalPayloads(d[id], g[id]) {
			t.Fatalf("after %s, %s's subscription %s:\ndirect: %s\ngqlgen: %s", step, u.Username, id, d[id], g[id])
		}
	}
}

// replayed resumes u on both servers after the first of the events live
// got (of shape 1, which asks for syncToken) and compares what each
// replays: the rest of them but the typing note, which is not stored.
func replayed(t *testing.T, p *directPair, u apitest.User, live [][]byte) {
	t.Helper()
	var first struct {
		Data struct{ ChatEvents struct{ SyncToken string } }
	}
	if err := json.Unmarshal(live[0], &first); err != nil {
		t.Fatal(err)
	}
	templates := p.schema.EventTemplates()
	var got [2][][]byte
	for i, url := range []string{p.direct.URL, p.plain.URL} {
		ws := (&apitest.Server{URL: url}).DialWS(t, apitest.TransportWS)
		if m, err := ws.Init(u.Token); err != nil || m.Type != "connection_ack" {
			t.Fatalf("init: %v %v", m, err)
		}
		ws.Send("subscribe", "r2", map[string]any{"query": strings.Replace(streamShapes[0].query, "chatEvents {", `chatEvents(after: "`+first.Data.ChatEvents.SyncToken+`") {`, 1)})
		for range len(live) - 2 {
			m, err := ws.Read(10 * time.Second)
			if err != nil || m.Type != "next" || m.ID != "r2" {
				t.Fatalf("replay: %+v %v", m, err)
			}
			got[i] = append(got[i], m.Payload)
		}
	}
	if !equalPayloads(got[0], got[1]) {
		t.Fatalf("replayed:\ndirect: %s\ngqlgen: %s", got[0], got[1])
	}
	if n := p.schema.EventTemplates() - templates; n != 0 {
		t.Fatalf("%d templates written for replayed events, want none", n)
	}
}

// subscribeShapes opens u's WebSocket to the server at url with every
// shape subscribed, the group-only one to group if u is a member.
func subscribeShapes(t *testing.T, url string, u apitest.User, group string, member bool) *streamClient {
	t.Helper()
	ws := (&apitest.Server{URL: url}).DialWS(t, apitest.TransportWS)
	if m, err := ws.Init(u.Token); err != nil || m.Type != "connection_ack" {
		t.Fatalf("init: %v %v", m, err)
	}
	for i, s := range streamShapes {
		vars := s.vars
		if s.group {
			if !member {
				continue
			}
			vars = map[string]any{"c": group}
		}
		ws.Send("subscribe", fmt.Sprint(i), map[string]any{"query": s.query, "variables": vars})
	}
	return &streamClient{ws: ws, payloads: map[string][][]byte{}}
}

// read takes one event off every subscription that gets it: all of them,
// or all but the group-only one.
func (c *streamClient) read(t *testing.T, step string, group bool) {
	t.Helper()
	want := len(streamShapes)
	if !group {
		want--
	}
	for range want {
		m, err := c.ws.Read(10 * time.Second)
		if err != nil || m.Type != "next" {
			t.Fatalf("%s: %+v %v", step, m, err)
		}
		c.payloads[m.ID] = append(c.payloads[m.ID], m.Payload)
	}
}

func equalPayloads(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
