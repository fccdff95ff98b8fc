package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/graph"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/httpapi"
	"github.com/gqlchat/gqlchat/internal/apitest"
)

// directPair is the same service behind two servers: one that serves what
// it can directly, one that sends everything through gqlgen.
type directPair struct {
	direct, plain *httptest.Server
	schema        *graph.Schema
}

func newDirectPair(t *testing.T, srv *apitest.Server) *directPair {
	schema := graph.NewSchema(srv.Service, graph.DefaultBatchWait)
	p := &directPair{
		direct: httptest.NewServer(httpapi.New(srv.Service, schema, apitest.Options())),
		plain:  httptest.NewServer(httpapi.New(srv.Service, graph.NewSchema(srv.Service, graph.DefaultBatchWait).WithoutDirect(), apitest.Options())),
		schema: schema,
	}
	t.Cleanup(p.direct.Close)
	t.Cleanup(p.plain.Close)
	return p
}

func rawPost(t *testing.T, url, token, query string, vars map[string]any) (int, []byte) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url+"/query", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, out
}

// same sends query to both servers and fails unless the answers are the
// same bytes; it reports whether the direct path served it.
func (p *directPair) same(t *testing.T, token, query string, vars map[string]any) bool {
	t.Helper()
	before := p.schema.DirectResponses()
	ds, db := rawPost(t, p.direct.URL, token, query, vars)
	ps, pb := rawPost(t, p.plain.URL, token, query, vars)
	if ds != ps || !bytes.Equal(db, pb) {
		t.Fatalf("%s\nvariables %v\ndirect (%d): %s\ngqlgen (%d): %s", query, vars, ds, db, ps, pb)
	}
	return p.schema.DirectResponses() > before
}

// directWorld is a chat history with every kind of message in it.
type directWorld struct {
	alice, bob, carol apitest.User
	group, private    string
	empty             string // a group without messages
	firstMessage      string
	cursor            string // of a message in the middle of the group's history
}

func newDirectWorld(t *testing.T, srv *apitest.Server) *directWorld {
	w := &directWorld{alice: srv.SignUp(t, "alice"), bob: srv.SignUp(t, "bob"), carol: srv.SignUp(t, "carol")}
	srv.Befriend(t, w.alice, w.bob)
	srv.Befriend(t, w.alice, w.carol)
	w.group = srv.CreateGroup(t, w.alice, `Quotes "and" <tags> & émoji 🎉`, w.bob, w.carol).ID
	w.empty = srv.CreateGroup(t, w.alice, "empty", w.bob).ID
	var private struct{ OpenPrivateChat struct{ ID string } }
	srv.MustDo(t, w.alice.Token, `mutation($id: ID!) { openPrivateChat(input: {friendId: $id}) { id } }`, map[string]any{"id": w.bob.ID}, &private)
	w.private = private.OpenPrivateChat.ID

	w.firstMessage = srv.Post(t, w.alice, w.group, "first\nline two\t\"quoted\" \\ back </script> \u2028")
	var posted struct{ PostMessage struct{ ID, Cursor string } }
	srv.MustDo(t, w.bob.Token, `mutation($c: ID!) { postMessage(input: {chatId: $c, body: "with a client id", clientMessageId: "c-1"}) { id cursor } }`,
		map[string]any{"c": w.group}, &posted)
	w.cursor = posted.PostMessage.Cursor
	edited := srv.Post(t, w.carol, w.group, "to be edited")
	srv.MustDo(t, w.carol.Token, `mutation($m: ID!) { editMessage(input: {messageId: $m, body: "edited ✓"}) { id } }`, map[string]any{"m": edited}, nil)
	deleted := srv.Post(t, w.bob, w.group, "to be deleted")
	srv.MustDo(t, w.bob.Token, `mutation($m: ID!) { deleteMessage(input: {messageId: $m}) { id } }`, map[string]any{"m": deleted}, nil)
	for i := range 5 {
		srv.Post(t, w.alice, w.group, fmt.Sprintf("message %d", i))
		srv.Post(t, w.bob, w.private, fmt.Sprintf("private %d", i))
	}
	// Carol leaves behind a tombstone sender.
	srv.MustDo(t, w.carol.Token, `mutation($p: String!) { deleteAccount(input: {password: $p}) }`, map[string]any{"p": apitest.Password}, nil)
	return w
}

func TestDirect_AnswersAsGqlgenDoes(t *testing.T) {
	srv := apitest.NewServer(t)
	p := newDirectPair(t, srv)
	w := newDirectWorld(t, srv)

	message := `id __typename body createdAt cursor deleted editedAt clientMessageId sender { id __typename username displayName createdAt deleted }`
	direct := []struct {
		query string
		vars  map[string]any
	}{
		// What the benchmark sends, and what clients send on opening a chat.
		{`query($chat: ID!) { node(id: $chat) { ... on Chat { messages(last: 50) { edges { node { id body createdAt sender { username displayName } } } } } } }`, map[string]any{"chat": w.group}},
		{`query($chat: ID!) { node(id: $chat) { __typename id ... on GroupChat { name createdAt messages(last: 3) { edges { cursor node { ` + message + ` } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }`, map[string]any{"chat": w.group}},
		{`query($chat: ID!, $c: String) { node(id: $chat) { ... on Chat { messages(first: 4, after: $c) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename } edges { __typename node { ` + message + ` } } } } } }`, map[string]any{"chat": w.group, "c": w.cursor}},
		{`query($chat: ID!, $c: String) { node(id: $chat) { ... on Chat { messages(last: 2, before: $c) { edges { cursor node { body } } pageInfo { hasPreviousPage startCursor } } } } }`, map[string]any{"chat": w.group, "c": w.cursor}},
		{`query($chat: ID!) { node(id: $chat) { ... on PrivateChat { id messages(first: 100) { edges { node { ` + message + ` } } } } } }`, map[string]any{"chat": w.private}},
		{`query($chat: ID!) { node(id: $chat) { ... on Chat { messages { edges { node { id } } pageInfo { startCursor endCursor hasNextPage } } lastMessage { id } unreadCount } } }`, map[string]any{"chat": w.empty}},
		// Aliases, named fragments, @skip and @include, a field twice.
		{`query($chat: ID!, $yes: Boolean!, $no: Boolean!) { a: node(id: $chat) { ...C } b: node(id: $chat) { ... on Node { id } } }
			fragment C on Chat { newest: messages(last: 2) { edges { node { ...M text: body body @skip(if: $yes) id @include(if: $no) at: createdAt } } } older: messages(first: 1) { e: edges { n: node { body sender { username } sender { displayName } } } } }
			fragment M on Message { id sender { ... on User { who: username } } }`, map[string]any{"chat": w.group, "yes": true, "no": false}},
		// The inbox, as the benchmark and clients draw it.
		{`{ chats(first: 50) { edges { node { id unreadCount lastMessage { body sender { displayName } } members(first: 5) { edges { node { id } } } } } } }`, nil},
		{`{ chats(first: 2) { pageInfo { hasNextPage endCursor } edges { cursor node { __typename id createdAt unreadCount ... on GroupChat { name } lastMessage { ` + message + ` } members(first: 2) { pageInfo { hasNextPage startCursor endCursor } edges { cursor node { id username displayName deleted } } } } } } }`, nil},
		{`{ viewer { __typename id username displayName createdAt deleted } }`, nil},
		// Nodes of other kinds, and none.
		{`query($m: ID!) { node(id: $m) { __typename id ... on Message { body sender { username } } } }`, map[string]any{"m": w.firstMessage}},
		{`query($u: ID!) { node(id: $u) { __typename id ... on User { username } ... on Chat { unreadCount } } }`, map[string]any{"u": w.bob.ID}},
		{`query($c: ID!) { node(id: $c) { id } }`, map[string]any{"c": model.EncodeID(model.KindChat, 1<<40)}},
	}
	for _, q := range direct {
		if !p.same(t, w.alice.Token, q.query, q.vars) {
			t.Errorf("not served directly: %s", q.query)
		}
	}

	// Errors and fields the direct path does not know: gqlgen answers,
	// with the same bytes.
	fallback := []struct {
		query string
		vars  map[string]any
	}{
		{`query($chat: ID!) { node(id: $chat) { ... on Chat { messages(first: -1) { edges { node { id } } } } } }`, map[string]any{"chat": w.group}},
		{`query($chat: ID!) { node(id: $chat) { ... on Chat { messages(first: 1, last: 1) { edges { node { id } } } } } }`, map[string]any{"chat": w.group}},
		{`query($chat: ID!) { node(id: $chat) { ... on Chat { messages(before: "nonsense") { edges { node { id } } } } } }`, map[string]any{"chat": w.group}},
		{`{ node(id: "not an id") { id } }`, nil},
		{`query($chat: ID!) { node(id: $chat) { ... on Chat { messages(last: 2) { edges { node { id reactions { emoji } } } } } } }`, map[string]any{"chat": w.group}},
		{`{ chats { totalCount } }`, nil},
		{`query($chat: ID!) { node(id: $chat) { ... on Chat { id ... @defer { unreadCount } } } }`, map[string]any{"chat": w.group}},
	}
	for _, q := range fallback {
		if p.same(t, w.alice.Token, q.query, q.vars) {
			t.Errorf("served directly, but should not be: %s", q.query)
		}
	}
	// Someone who is not a member, and no one at all.
	outsider := srv.SignUp(t, "dave")
	p.same(t, outsider.Token, direct[0].query, direct[0].vars)
	p.same(t, "", direct[0].query, direct[0].vars)
}

// Random selections of the fields the direct path knows, compared with
// gqlgen's answers: what a hand-picked list would miss.
func TestDirect_AnswersRandomSelectionsAsGqlgenDoes(t *testing.T) {
	srv := apitest.NewServer(t)
	p := newDirectPair(t, srv)
	w := newDirectWorld(t, srv)
	rng := rand.New(rand.NewPCG(1, 2))
	user := []string{"id", "__typename", "username", "displayName", "createdAt", "deleted"}
	message := []string{"id", "__typename", "body", "createdAt", "cursor", "deleted", "editedAt", "clientMessageId", "sender { %s }"}
	pageInfo := []string{"hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"}
	pick := func(fields []string, nested func() string) string {
		var out []string
		for _, f := range fields {
			if rng.IntN(2) == 0 {
				continue
			}
			if rng.IntN(4) == 0 {
				f = fmt.Sprintf("a%d: %s", rng.IntN(3), f) // an alias, sometimes twice: invalid unless the fields agree
			}
			if strings.Contains(f, "%s") {
				f = fmt.Sprintf(f, nested())
			}
			out = append(out, f)
		}
		if len(out) == 0 {
			out = append(out, fields[0])
		}
		return strings.Join(out, " ")
	}
	users := func() string { return pick(user, nil) }
	messages := func() string { return pick(message, users) }
	chatFields := func() string {
		return pick([]string{"id", "__typename", "createdAt", "unreadCount", "lastMessage { %s }", "... on GroupChat { name }",
			"members(first: 2) { edges { cursor node { %s } } pageInfo { " + pick(pageInfo, nil) + " } }"}, func() string {
			if rng.IntN(2) == 0 {
				return messages()
			}
			return users()
		})
	}
	served := 0
	for i := range 60 {
		var query string
		vars := map[string]any{}
		switch i % 3 {
		case 0:
			args := []string{"last: 3", "first: 2", "last: 50", "first: 3, after: $c", "last: 2, before: $c"}[rng.IntN(5)]
			chat := []string{w.group, w.private, w.empty}[rng.IntN(3)]
			vars["chat"] = chat
			vars["c"] = w.cursor
			query = fmt.Sprintf(`query($chat: ID!, $c: String) { node(id: $chat) { ... on Chat { messages(%s) { edges { cursor node { %s } } pageInfo { %s } } } } }`,
				args, messages(), pick(pageInfo, nil))
			if !strings.Contains(args, "$c") {
				query = strings.Replace(query, ", $c: String", "", 1)
				delete(vars, "c")
			}
		case 1:
			query = fmt.Sprintf(`{ chats(first: %d) { edges { cursor node { %s } } pageInfo { %s } } }`, 1+rng.IntN(4), chatFields(), pick(pageInfo, nil))
		default:
			query = fmt.Sprintf(`{ viewer { %s } }`, users())
		}
		if p.same(t, w.alice.Token, query, vars) {
			served++
		}
	}
	// Aliases that clash make some queries invalid, which gqlgen refuses
	// before any response middleware: most must still be served directly.
	if served < 40 {
		t.Fatalf("only %d of 60 random queries were served directly", served)
	}
}
