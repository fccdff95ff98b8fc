package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/httpapi"
	"github.com/gqlchat/gqlchat/internal/apitest"
)

func TestLimits_DepthOfTenPassesAndElevenFails(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "deep")
	ten := `{ viewer { friends { edges { node { friends { edges { node { friends { edges { node { id } } } } } } } } } } }`
	s.MustDo(t, u.Token, strings.Replace(ten, "friends { edges { node { id } } }", "id", 1), nil, nil)
	r := s.MustFail(t, u.Token, "BAD_USER_INPUT", ten, nil)
	if r.Errors[0].Extensions["reason"] != "OPERATION_TOO_LARGE" {
		t.Fatalf("error %+v", r.Errors[0])
	}
}

func TestLimits_AliasesAndTokens(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "alias")
	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, " a%d: viewer { id }", i)
		}
		return b.String() + " }"
	}
	s.MustDo(t, u.Token, aliases(30), nil, nil)
	s.MustFail(t, u.Token, "BAD_USER_INPUT", aliases(31), nil)
	long := "{ viewer { " + strings.Repeat("id ", 1000) + "} }"
	s.MustFail(t, u.Token, "BAD_USER_INPUT", long, nil)
}

func TestLimits_BodiesOverOneMebibyteAreRefused(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	body := `{"query": "{ viewer { id } }", "variables": {"pad": "` + strings.Repeat("x", 1<<20) + `"}}`
	res, err := http.Post(s.URL+"/query", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", res.StatusCode)
	}
}

func TestLimits_WithoutIntrospectionThereAreNoSuggestions(t *testing.T) {
	t.Parallel()
	opts := apitest.Options()
	opts.Introspection = false
	s := apitest.NewServerWith(t, apitest.CheapConfig(), opts)
	s.MustFail(t, "", "BAD_USER_INPUT", `{ __schema { types { name } } }`, nil)
	r := s.MustFail(t, "", "BAD_USER_INPUT", `{ viewr { id } }`, nil)
	if strings.Contains(r.Errors[0].Message, "Did you mean") {
		t.Fatalf("suggestion leaked: %s", r.Errors[0].Message)
	}
	on := apitest.NewServer(t)
	on.MustDo(t, "", `{ __schema { types { name } } }`, nil, nil)
}

func TestLimits_ComplexityAdmitsRealOperationsAndRefusesBombs(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "cx")
	for _, q := range []string{
		`{ chats(first: 100) { edges { node { id unreadCount lastMessage { body sender { displayName } } members(first: 5) { edges { node { id displayName } } } } } } }`,
		`{ viewer { friends(first: 100) { totalCount edges { node { id displayName friendship } } } } }`,
	} {
		s.MustDo(t, u.Token, q, nil, nil)
	}
	for _, q := range []string{
		// Shallow enough for the depth limit; the page sizes multiply.
		`{ viewer { friends(first: 100) { edges { node { friends(first: 100) { edges { node { id displayName } } } } } } } }`,
		`{ chats(first: 100) { edges { node { messages(last: 100) { edges { node { chat { id } } } } } } } }`,
	} {
		r := s.MustFail(t, u.Token, "BAD_USER_INPUT", q, nil)
		if !strings.Contains(r.Errors[0].Message, "complexity") {
			t.Errorf("not refused for complexity: %+v", r.Errors[0])
		}
	}
}

func TestHostileStrings_AreBadUserInputNotInternalErrors(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "nul")
	g := s.CreateGroup(t, u, "G")
	for _, c := range []struct {
		query string
		vars  map[string]any
	}{
		{searchQuery, map[string]any{"q": "a\u0000"}},
		{postMessage, map[string]any{"chat": g.ID, "body": "hi\u0000there"}},
		{postMessage, map[string]any{"chat": g.ID, "body": "ok", "cid": "\u0000"}},
		{logInMutation, map[string]any{"u": "nul\u0000", "p": apitest.Password}},
		{createGroup, map[string]any{"name": "\u0000", "ids": []string{}}},
	} {
		s.MustFail(t, u.Token, "BAD_USER_INPUT", c.query, c.vars)
	}
}

func postRaw(t *testing.T, s *apitest.Server, body string) (int, string) {
	t.Helper()
	res, err := http.Post(s.URL+"/query", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

func TestBodies_BadJSONIsNotEchoedAndBatchesAreRefused(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	status, body := postRaw(t, s, `{"query": "{ viewer { id } }", "secret": "hunter2"`)
	if status != http.StatusBadRequest || strings.Contains(body, "hunter2") || !strings.Contains(body, "BAD_USER_INPUT") {
		t.Fatalf("bad JSON: %d %s", status, body)
	}
	status, body = postRaw(t, s, `[{"query": "{ viewer { id } }"}, {"query": "{ viewer { id } }"}]`)
	if status != http.StatusBadRequest || !strings.Contains(body, "BATCH_NOT_SUPPORTED") {
		t.Fatalf("batch: %d %s", status, body)
	}
}

func TestAutomaticPersistedQueries(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	query := "{ viewer { id } }"
	sum := sha256.Sum256([]byte(query))
	ext := fmt.Sprintf(`"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "%x"}}`, sum)
	_, body := postRaw(t, s, `{`+ext+`}`)
	if !strings.Contains(body, "PersistedQueryNotFound") {
		t.Fatalf("unknown hash: %s", body)
	}
	if _, body = postRaw(t, s, `{"query": "`+query+`", `+ext+`}`); strings.Contains(body, "errors") {
		t.Fatalf("register: %s", body)
	}
	if _, body = postRaw(t, s, `{`+ext+`}`); body != `{"data":{"viewer":null}}` {
		t.Fatalf("by hash: %s", body)
	}
}

func TestParseRateLimits(t *testing.T) {
	got, err := httpapi.ParseRateLimits("postMessage=60/m:5, logIn=3/h:3, other=1/s:2, logInAccount=5/m:4", httpapi.DefaultRateLimits)
	if err != nil {
		t.Fatal(err)
	}
	if got.PerUser["postMessage"] != (httpapi.RateLimit{Rate: 1, Burst: 5}) || got.PerIP["logIn"] != (httpapi.RateLimit{Rate: 3.0 / 3600, Burst: 3}) ||
		got.Other != (httpapi.RateLimit{Rate: 1, Burst: 2}) || got.PerIP["signUp"] != httpapi.DefaultRateLimits.PerIP["signUp"] ||
		got.LogInPerAccount != (httpapi.RateLimit{Rate: 5.0 / 60, Burst: 4}) {
		t.Fatalf("parsed %+v", got)
	}
	if httpapi.DefaultRateLimits.PerUser["postMessage"].Rate != 20 {
		t.Fatal("the defaults were changed")
	}
	for _, bad := range []string{"postMessage=20:40", "postMessage=x/s:1", "=1/s:1", "postMessage=1/d:1"} {
		if _, err := httpapi.ParseRateLimits(bad, httpapi.DefaultRateLimits); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if off, _ := httpapi.ParseRateLimits("off", httpapi.DefaultRateLimits); len(off.PerUser)+len(off.PerIP) != 0 || off.LogInPerAccount.Burst != 0 {
		t.Fatal("off is not off")
	}
}

// GraphiQL's introspection query (graphql-js getIntrospectionQuery) nests
// ofType fifteen deep; the limits must let it through.
const introspectionQuery = `query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name }
  types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description args { ...InputValue }
  type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue } interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }`

func TestLimits_LetGraphiQLsIntrospectionThrough(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	var out struct {
		Schema struct{ Types []struct{ Name string } } `json:"__schema"`
	}
	s.MustDo(t, "", introspectionQuery, nil, &out)
	if len(out.Schema.Types) < 20 {
		t.Fatalf("%d types", len(out.Schema.Types))
	}
}

// Fragments that spread the next one twice, forty deep, select 2^40 fields
// in a few hundred tokens: they must be refused before gqlgen expands them.
func TestLimits_NestedFragmentSpreadsAreRefusedQuickly(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	var b strings.Builder
	b.WriteString("{ viewer { ...F0 } }")
	for i := range 40 {
		fmt.Fprintf(&b, " fragment F%d on User { ...F%d ...F%d }", i, i+1, i+1)
	}
	b.WriteString(" fragment F40 on User { id }")
	r := s.MustFail(t, "", "BAD_USER_INPUT", b.String(), nil)
	if r.Errors[0].Extensions["reason"] != "OPERATION_TOO_LARGE" {
		t.Fatalf("refused for another reason: %+v", r.Errors[0])
	}
}
