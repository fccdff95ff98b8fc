package graph_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/internal/apitest"
)

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

// The search rules are tested in chat; the connection shows a page's
// cursors and where it stands as Relay's pageInfo.
func TestSearchUsers_PageInfoEndsAtTheLastEdgesCursor(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	viewer := s.SignUp(t, "viewer")
	for range 3 {
		s.SignUp(t, "pager")
	}
	var after any
	for pages := 0; ; pages++ {
		var out searchData
		s.MustDo(t, viewer.Token, searchQuery, map[string]any{"q": "pager", "first": 2, "after": after}, &out)
		c := out.SearchUsers
		if c.TotalCount != 3 || c.PageInfo.HasPreviousPage != (pages > 0) {
			t.Fatalf("page %d: totalCount %d, hasPreviousPage %v", pages, c.TotalCount, c.PageInfo.HasPreviousPage)
		}
		if !c.PageInfo.HasNextPage {
			break
		}
		if *c.PageInfo.EndCursor != c.Edges[len(c.Edges)-1].Cursor {
			t.Fatal("endCursor is not the last edge's cursor")
		}
		after = *c.PageInfo.EndCursor
	}
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
