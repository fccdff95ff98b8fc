package graph_test

import (
	"fmt"
	"testing"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// Read receipts on the direct path: a page of history and the chat list
// with seenBy (and a members' totalCount) answer as gqlgen does, and are
// served directly; a malformed cursor falls back to gqlgen's error.
func TestDirect_AnswersSeenByAsGqlgenDoes(t *testing.T) {
	srv := apitest.NewServer(t)
	p := newDirectPair(t, srv)
	owner := srv.SignUp(t, "own")
	f := srv.FriendsOf(t, owner, 8)
	g := srv.CreateGroup(t, owner, "G", f...).ID
	other := srv.CreateGroup(t, owner, "H", f[:3]...).ID
	var msgs []string
	for i := range 8 {
		msgs = append(msgs, srv.Post(t, f[i], g, fmt.Sprint("m", i)))
	}
	srv.Post(t, f[1], other, "in H")
	for i, u := range f {
		srv.MustDo(t, u.Token, `mutation($c: ID!, $m: ID!) { markChatRead(input: {chatId: $c, messageId: $m}) { id } }`,
			map[string]any{"c": g, "m": msgs[(i*5)%len(msgs)]}, nil)
	}
	var first struct {
		Node struct {
			Messages struct {
				Edges []struct {
					Node struct {
						SeenBy struct{ Edges []struct{ Cursor string } }
					}
				}
			}
		}
	}
	srv.MustDo(t, owner.Token, `query($c: ID!) { node(id: $c) { ... on Chat { messages(first: 1) { edges { node { seenBy(first: 2) { edges { cursor } } } } } } } }`,
		map[string]any{"c": g}, &first)
	after := first.Node.Messages.Edges[0].Node.SeenBy.Edges[1].Cursor
	receipts := `seenBy(first: 3) { totalCount edges { cursor node { id displayName } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }`
	direct := []struct {
		query string
		vars  map[string]any
	}{
		{`query($c: ID!) { node(id: $c) { ... on Chat { messages(last: 50) { edges { node { id ` + receipts + ` } } } } } }`, map[string]any{"c": g}},
		{`query($c: ID!, $a: String) { node(id: $c) { ... on Chat { messages(last: 5) { edges { node { id seenBy(first: 2, after: $a) { totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage } } all: seenBy { totalCount } } } } } } }`,
			map[string]any{"c": g, "a": after}},
		{`{ chats(first: 5) { edges { node { id members(first: 2) { totalCount edges { node { id } } } lastMessage { body ` + receipts + ` } } } } }`, nil},
	}
	for _, u := range []apitest.User{owner, f[0], f[7]} {
		for _, q := range direct {
			if !p.same(t, u.Token, q.query, q.vars) {
				t.Errorf("not served directly: %s", q.query)
			}
		}
	}
	// One message: gqlgen resolves a list's items concurrently, and two
	// errors could come in either order.
	bad := `query($c: ID!) { node(id: $c) { ... on Chat { messages(last: 1) { edges { node { seenBy(after: "nonsense") { totalCount } } } } } } }`
	if p.same(t, owner.Token, bad, map[string]any{"c": g}) {
		t.Errorf("served directly, but should not be: %s", bad)
	}
}
