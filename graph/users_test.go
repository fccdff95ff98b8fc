package graph_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/internal/apitest"
)

func TestUser_FindsByUsernameWithoutRegardToCase(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a := s.SignUp(t, "Nina")
	var out struct{ User *struct{ ID string } }
	s.MustDo(t, a.Token, `query($u: String!) { user(username: $u) { id } }`, map[string]any{"u": strings.ToUpper(a.Username)}, &out)
	if out.User == nil || out.User.ID != a.ID {
		t.Fatalf("got %+v", out.User)
	}
	s.MustDo(t, a.Token, `{ user(username: "nobody") { id } }`, nil, &out)
	if out.User != nil {
		t.Fatal("found a user that does not exist")
	}
	s.MustFail(t, "", "UNAUTHENTICATED", `{ user(username: "nina_1") { id } }`, nil)
}

func TestNode_ResolvesUsersByGlobalID(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "oscar"), s.SignUp(t, "pam")
	var out struct {
		Node  struct{ ID, Username string }
		Nodes []*struct{ ID, Username string }
	}
	unknown := model.EncodeID(model.KindUser, 999999)
	s.MustDo(t, a.Token, `query($a: ID!, $ids: [ID!]!) {
		node(id: $a) { id ... on User { username } }
		nodes(ids: $ids) { id ... on User { username } } }`,
		map[string]any{"a": a.ID, "ids": []string{b.ID, unknown, a.ID}}, &out)
	if out.Node.ID != a.ID || out.Node.Username != a.Username {
		t.Fatalf("node: %+v", out.Node)
	}
	if len(out.Nodes) != 3 || out.Nodes[0].Username != b.Username || out.Nodes[1] != nil || out.Nodes[2].ID != a.ID {
		t.Fatalf("nodes: %+v", out.Nodes)
	}
	var none struct{ Node *struct{ ID string } }
	s.MustDo(t, a.Token, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": unknown}, &none)
	if none.Node != nil {
		t.Fatal("unknown id resolved")
	}
	r := s.MustFail(t, a.Token, "BAD_USER_INPUT", `{ node(id: "garbage!") { id } }`, nil)
	if r.Field() != "id" {
		t.Errorf("field = %q", r.Field())
	}
}

const searchQuery = `query($q: String!, $first: Int, $after: String) {
	searchUsers(query: $q, first: $first, after: $after) {
		totalCount edges { cursor node { id username } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`

type searchData struct {
	SearchUsers struct {
		TotalCount int
		Edges      []struct {
			Cursor string
			Node   struct{ ID, Username string }
		}
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			StartCursor, EndCursor       *string
		}
	}
}

func TestSearchUsers_PagesThroughAllMatchesWithoutGapsOrDuplicates(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	viewer := s.SignUp(t, "viewer")
	want := map[string]bool{}
	for range 45 {
		want[s.SignUp(t, "pager").Username] = true
	}
	s.SignUp(t, "other")
	seen := map[string]bool{}
	var after any
	pages, last := 0, ""
	for {
		var out searchData
		s.MustDo(t, viewer.Token, searchQuery, map[string]any{"q": "PAGER", "first": 10, "after": after}, &out)
		c := out.SearchUsers
		if c.TotalCount != 45 {
			t.Fatalf("totalCount = %d", c.TotalCount)
		}
		if c.PageInfo.HasPreviousPage != (pages > 0) {
			t.Errorf("page %d: hasPreviousPage = %v", pages, c.PageInfo.HasPreviousPage)
		}
		for _, e := range c.Edges {
			if seen[e.Node.Username] || !want[e.Node.Username] {
				t.Fatalf("unexpected or duplicate %s", e.Node.Username)
			}
			if e.Node.Username <= last {
				t.Fatalf("out of order: %s after %s", e.Node.Username, last)
			}
			seen[e.Node.Username], last = true, e.Node.Username
		}
		pages++
		if !c.PageInfo.HasNextPage {
			break
		}
		if *c.PageInfo.EndCursor != c.Edges[len(c.Edges)-1].Cursor {
			t.Fatal("endCursor is not the last edge's cursor")
		}
		after = *c.PageInfo.EndCursor
	}
	if len(seen) != 45 || pages != 5 {
		t.Fatalf("saw %d users in %d pages", len(seen), pages)
	}
}

func TestSearchUsers_MatchesDisplayNamePrefixAndSkipsDeletedUsers(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "quinn"), s.SignUp(t, "rosa")
	s.MustDo(t, b.Token, updateProfile, map[string]any{"d": "Zed Zebra"}, nil)
	var out searchData
	s.MustDo(t, a.Token, searchQuery, map[string]any{"q": "zed z"}, &out)
	if len(out.SearchUsers.Edges) != 1 || out.SearchUsers.Edges[0].Node.ID != b.ID {
		t.Fatalf("got %+v", out.SearchUsers.Edges)
	}
	s.MustDo(t, b.Token, deleteAccount, map[string]any{"p": apitest.Password}, nil)
	for _, q := range []string{"zed", "deleted", b.Username} {
		var after searchData
		s.MustDo(t, a.Token, searchQuery, map[string]any{"q": q}, &after)
		if len(after.SearchUsers.Edges) != 0 || after.SearchUsers.TotalCount != 0 {
			t.Fatalf("%q finds a deleted user: %+v", q, after.SearchUsers)
		}
	}
	s.MustDo(t, a.Token, searchQuery, map[string]any{"q": strings.Repeat("é", 64)}, &out) // 64 characters, 128 bytes
	s.MustDo(t, a.Token, searchQuery, map[string]any{"q": "%"}, &out)
	if len(out.SearchUsers.Edges) != 0 {
		t.Fatalf("%% is a wildcard: %+v", out.SearchUsers.Edges)
	}
}

func TestSearchUsers_RejectsBadPageArguments(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a := s.SignUp(t, "sam")
	for _, c := range []struct {
		vars  map[string]any
		field string
	}{
		{map[string]any{"q": "s", "first": 101}, "first"},
		{map[string]any{"q": "s", "first": -1}, "first"},
		{map[string]any{"q": "s", "after": "bm90IGEgY3Vyc29y"}, "after"},
		{map[string]any{"q": "  "}, "query"},
	} {
		r := s.MustFail(t, a.Token, "BAD_USER_INPUT", searchQuery, c.vars)
		if r.Field() != c.field {
			t.Errorf("%v: field = %q, want %q", c.vars, r.Field(), c.field)
		}
	}
	var out searchData
	s.MustDo(t, a.Token, searchQuery, map[string]any{"q": "s", "first": 100}, &out)
}

func TestGETQuery_Works(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a := s.SignUp(t, "tina")
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/query?query="+url.QueryEscape("{ viewer { username } }"), nil)
	req.Header.Set("Authorization", "Bearer "+a.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct{ Data viewerData }
	if err := jsonDecode(res, &body); err != nil || body.Data.Viewer == nil || body.Data.Viewer.Username != a.Username {
		t.Fatalf("GET /query: %v %+v", err, body)
	}
}

func TestHealthz_AnswersWhenTheDatabaseDoes(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	res, err := http.Get(s.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	sqlDB, _ := s.DB.DB()
	sqlDB.Close()
	res, err = http.Get(s.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status with the database gone: %d", res.StatusCode)
	}
}

func TestPlayground_IsServedAtRoot(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	res, err := http.Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") == "" {
		t.Fatalf("status %d", res.StatusCode)
	}
}
