package graph_test

import (
	"slices"
	"testing"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

const searchMessages = `query($q: String!, $chat: ID, $first: Int, $after: String) {
	searchMessages(query: $q, chatId: $chat, first: $first, after: $after) {
		edges { cursor node { ` + messageFields + ` } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`

type searchPage struct {
	SearchMessages struct {
		Edges []struct {
			Cursor string
			Node   message
		}
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			EndCursor                    *string
		}
	}
}

func TestSearchMessages_PagesNewestFirstAndEdgesOpenTheChatAtTheMessage(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	me := s.SignUp(t, "me")
	f := s.FriendsOf(t, me, 1)
	a, b := createGroupChat(t, s, me, "A", f...), createGroupChat(t, s, me, "B", f...)
	var want []string
	for i, body := range []string{"lunch at one?", "Lunch moved", "ok", "lunchbox forgotten", "no"} {
		m := post(t, s, f[0], []string{a.ID, b.ID}[i%2], body)
		if body[0] == 'l' || body[0] == 'L' {
			want = append([]string{m.ID}, want...)
		}
	}
	var got []string
	vars := map[string]any{"q": "lunc", "first": 2}
	for {
		var page searchPage
		s.MustDo(t, me.Token, searchMessages, vars, &page)
		for _, e := range page.SearchMessages.Edges {
			if e.Cursor != e.Node.Cursor {
				t.Fatalf("edge cursor %q is not the message's cursor %q", e.Cursor, e.Node.Cursor)
			}
			got = append(got, e.Node.ID)
		}
		if !page.SearchMessages.PageInfo.HasNextPage {
			break
		}
		vars["after"] = *page.SearchMessages.PageInfo.EndCursor
	}
	if !slices.Equal(got, want) {
		t.Fatalf("found %v, want %v", got, want)
	}

	// A found message's cursor opens its chat's history right after it.
	var found searchPage
	s.MustDo(t, me.Token, searchMessages, map[string]any{"q": "lunch", "chat": a.ID}, &found)
	if n := len(found.SearchMessages.Edges); n != 1 {
		t.Fatalf("%d found in chat A", n)
	}
	var next historyPage
	s.MustDo(t, me.Token, historyQuery, map[string]any{"id": a.ID, "first": 1, "after": found.SearchMessages.Edges[0].Cursor}, &next)
	if e := next.Node.Messages.Edges; len(e) != 1 || e[0].Node.Body != "ok" {
		t.Fatalf("history after the found message: %+v", e)
	}
}

func TestSearchMessages_BadInputIsRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	me := s.SignUp(t, "me")
	g := createGroupChat(t, s, me, "G")
	m := post(t, s, me, g.ID, "hello")
	for _, c := range []struct {
		name        string
		vars        map[string]any
		code, field string
	}{
		{"an empty query", map[string]any{"q": ""}, "BAD_USER_INPUT", "query"},
		{"punctuation only", map[string]any{"q": "?!… --"}, "BAD_USER_INPUT", "query"},
		{"a message id as chatId", map[string]any{"q": "hello", "chat": m.ID}, "BAD_USER_INPUT", "chatId"},
		{"a malformed chatId", map[string]any{"q": "hello", "chat": "nope"}, "BAD_USER_INPUT", "chatId"},
		{"first too large", map[string]any{"q": "hello", "first": 101}, "BAD_USER_INPUT", "first"},
		{"a malformed cursor", map[string]any{"q": "hello", "after": "nope"}, "BAD_USER_INPUT", "after"},
		{"a message id as cursor", map[string]any{"q": "hello", "after": m.ID}, "BAD_USER_INPUT", "after"},
	} {
		r := s.Do(t, me.Token, searchMessages, c.vars)
		if r.Code() != c.code || r.Field() != c.field {
			t.Errorf("%s: code %q field %q, want %q %q; errors %+v", c.name, r.Code(), r.Field(), c.code, c.field, r.Errors)
		}
	}
}
