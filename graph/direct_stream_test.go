package graph_test

import (
	"bytes"
	"fmt"
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
// every shape subscribed.
type streamClient struct {
	ws       *apitest.WS
	payloads map[string][][]byte // by subscription id
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

	users := []apitest.User{alice, bob, carol}
	clients := map[string][2]*streamClient{} // by user: direct, plain
	for _, u := range users {
		clients[u.ID] = [2]*streamClient{subscribeShapes(t, p.direct.URL, u, group), subscribeShapes(t, p.plain.URL, u, group)}
	}
	srv.WaitFollowed(t, group, 2*len(users)*len(streamShapes))
	srv.WaitFollowed(t, private.OpenPrivateChat.ID, 2*2*(len(streamShapes)-1))

	do := func(u apitest.User, query string, vars map[string]any) {
		t.Helper()
		srv.MustDo(t, u.Token, query, vars, nil)
	}
	var reply struct{ PostMessage struct{ ID string } }
	steps := []struct {
		name string
		run  func()
		// who gets an event, and whether it is the group's
		to    []apitest.User
		group bool
	}{
		{"a reply", func() {
			srv.MustDo(t, alice.Token, `mutation($c: ID!, $r: ID!) { postMessage(input: {chatId: $c, body: "re: \"first\" 🎉", clientMessageId: "x-1", replyToId: $r}) { id } }`,
				map[string]any{"c": group, "r": first}, &reply)
		}, users, true},
		{"a reaction", func() {
			do(bob, `mutation($m: ID!) { addReaction(input: {messageId: $m, emoji: "👍"}) { id } }`, map[string]any{"m": reply.PostMessage.ID})
		}, users, true},
		{"another", func() {
			do(carol, `mutation($m: ID!) { addReaction(input: {messageId: $m, emoji: "❤️"}) { id } }`, map[string]any{"m": reply.PostMessage.ID})
		}, users, true},
		{"an edit", func() {
			do(alice, `mutation($m: ID!) { editMessage(input: {messageId: $m, body: "edited ✓"}) { id } }`, map[string]any{"m": reply.PostMessage.ID})
		}, users, true},
		{"a read marker", func() {
			do(bob, `mutation($c: ID!, $m: ID!) { markChatRead(input: {chatId: $c, messageId: $m}) { id } }`, map[string]any{"c": group, "m": reply.PostMessage.ID})
		}, users, true},
		{"a rename", func() {
			do(alice, `mutation($c: ID!) { renameGroupChat(input: {chatId: $c, name: "after <&>"}) { id } }`, map[string]any{"c": group})
		}, users, true},
		{"an invitation", func() {
			do(alice, `mutation($c: ID!, $u: ID!) { inviteToGroupChat(input: {chatId: $c, userIds: [$u]}) { id } }`, map[string]any{"c": group, "u": dave.ID})
		}, users, true},
		{"a removal", func() {
			do(alice, `mutation($c: ID!, $u: ID!) { removeFromGroupChat(input: {chatId: $c, userId: $u}) { id } }`, map[string]any{"c": group, "u": dave.ID})
		}, users, true},
		{"a deletion", func() {
			do(alice, `mutation($m: ID!) { deleteMessage(input: {messageId: $m}) { id } }`, map[string]any{"m": reply.PostMessage.ID})
		}, users, true},
		{"a private message", func() { srv.Post(t, bob, private.OpenPrivateChat.ID, "just us") }, []apitest.User{alice, bob}, false},
		// Last: it expires by itself 6 s later, with an event of its own.
		{"typing", func() {
			do(carol, `mutation($c: ID!) { setTyping(input: {chatId: $c, typing: true}) }`, map[string]any{"c": group})
		}, []apitest.User{alice, bob}, true},
	}
	before, templates := p.schema.DirectResponses(), p.schema.EventTemplates()
	for _, s := range steps {
		s.run()
		for _, u := range s.to {
			for _, c := range clients[u.ID] {
				c.read(t, s.name, s.group)
			}
		}
		for _, u := range users {
			d, g := clients[u.ID][0], clients[u.ID][1]
			for id := range d.payloads {
				if !equalPayloads(d.payloads[id], g.payloads[id]) {
					t.Fatalf("after %s, %s's subscription %s:\ndirect: %s\ngqlgen: %s", s.name, u.Username, id, d.payloads[id], g.payloads[id])
				}
			}
		}
	}
	// Every delivery of the shapes it knows (all but the one asking for
	// seenBy) was written directly.
	delivered := 0
	for _, u := range users {
		for id, ps := range clients[u.ID][0].payloads {
			if id != fmt.Sprint(5) {
				delivered += len(ps)
			}
		}
	}
	if got := p.schema.DirectResponses() - before; got != int64(delivered) {
		t.Fatalf("%d deliveries written directly, want %d", got, delivered)
	}
	// Subscribers of one shape share each event's template: the group's
	// three members (two for typing and the private chat) wrote one.
	if got := p.schema.EventTemplates() - templates; got*2 > int64(delivered) {
		t.Fatalf("%d templates written for %d deliveries", got, delivered)
	}
}

// subscribeShapes opens u's WebSocket to the server at url with every
// shape subscribed, the group-only one to group.
func subscribeShapes(t *testing.T, url string, u apitest.User, group string) *streamClient {
	t.Helper()
	ws := (&apitest.Server{URL: url}).DialWS(t, apitest.TransportWS)
	if m, err := ws.Init(u.Token); err != nil || m.Type != "connection_ack" {
		t.Fatalf("init: %v %v", m, err)
	}
	for i, s := range streamShapes {
		vars := s.vars
		if s.group {
			vars = map[string]any{"c": group}
		}
		ws.Send("subscribe", fmt.Sprint(i), map[string]any{"query": s.query, "variables": vars})
	}
	return &streamClient{ws: ws, payloads: map[string][][]byte{}}
}

// read takes one event off every subscription that gets it: all of them,
// or for a step outside the group, all but the group-only one.
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
