package httpapi_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// Bodies here are written by hand: json.Marshal would turn the invalid
// strings into U+FFFD before they left.

// TestUnicode_InvalidStringsAreRefusedOverHTTP sends strings that
// encoding/json would turn into U+FFFD: raw bytes that are not UTF-8, and
// escaped lone surrogates, in variables and inline arguments.
func TestUnicode_InvalidStringsAreRefusedOverHTTP(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "utf")
	g := s.CreateGroup(t, u, "G")
	post := func(body string) string {
		return `{"query": "mutation($chat: ID!, $body: String!) { postMessage(input: {chatId: $chat, body: $body}) { id } }",
			"variables": {"chat": "` + g.ID + `", "body": "` + body + `"}}`
	}
	inline := func(body string) string {
		return `{"query": "mutation { postMessage(input: {chatId: \"` + g.ID + `\", body: \"` + body + `\"}) { id } }"}`
	}
	signUp := `{"query": "mutation($in: SignUpInput!) { signUp(input: $in) { token } }",
		"variables": {"in": {"username": "surrogate", "displayName": "a\udc00b", "password": "` + apitest.Password + `"}}}`
	for _, c := range []struct {
		name, body, reason, names string
	}{
		{"raw bytes in a variable", post("hi \xff\xfe"), "INVALID_UTF8", "variables.body"},
		{"lone surrogate in a variable", post(`hi \ud800`), "INVALID_UTF8", "variables.body"},
		{"lone surrogate in an input object", signUp, "INVALID_UTF8", "variables.in.displayName"},
		{"raw bytes in an inline argument", inline("hi \xff"), "INVALID_UTF8", "query"},
		{"JSON-escaped lone surrogate in an inline argument", inline(`hi \ud800`), "INVALID_UTF8", "query"},
		{"GraphQL-escaped lone surrogate in an inline argument", inline(`hi \\ud800`), "GRAPHQL_PARSE_FAILED", `\ud800`},
		{"GraphQL-escaped reversed pair", inline(`hi \\udc00\\ud800`), "GRAPHQL_PARSE_FAILED", `\udc00`},
	} {
		for _, accept := range []string{mediaJSON, mediaGraphQLResponse} {
			want := 200
			if accept == mediaGraphQLResponse {
				want = 400
			}
			got := postAs(t, s, accept, c.body, u)
			checkRequestError(t, c.name+", Accept "+accept, got, want, accept, c.reason)
			if len(got.errors) > 0 && !strings.Contains(got.errors[0].Message, c.names) {
				t.Errorf("%s: the message does not name %s: %s", c.name, c.names, got.errors[0].Message)
			}
		}
	}
	// What is refused must not be confused with what is valid: a real
	// U+FFFD, an escaped surrogate pair and a braced escape are stored.
	for _, ok := range []string{post(`\ufffd \ud83d\ude00`), inline(`\\ud83d\\ude00 \\u{1F600} \\uFFFD`)} {
		if got := postAs(t, s, mediaJSON, ok, u); got.status != 200 || len(got.errors) > 0 {
			t.Errorf("valid text refused: %s", got)
		}
	}
	noReplacementStored(t, s, 2)
}

func TestUnicode_InvalidStringsAreRefusedOverGET(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	search := "query=" + url.QueryEscape(`query($q: String!) { searchUsers(query: $q) { totalCount } }`)
	for _, c := range []struct{ name, rawQuery, reason, names string }{
		{"raw bytes in the query", "query=" + url.QueryEscape(`{ searchUsers(query: "a`) + "%FF" + url.QueryEscape(`") { totalCount } }`), "INVALID_UTF8", "query"},
		{"raw bytes in operationName", search + "&operationName=%FF&variables=" + url.QueryEscape(`{"q": "a"}`), "INVALID_UTF8", "operationName"},
		{"lone surrogate in variables", search + "&variables=" + url.QueryEscape(`{"q": "a\ud800"}`), "INVALID_UTF8", "variables.q"},
		{"raw bytes in variables", search + "&variables=" + url.QueryEscape(`{"q": "a`) + "%C3" + url.QueryEscape(`"}`), "INVALID_UTF8", "variables.q"},
	} {
		got := getAs(t, s, "", c.rawQuery)
		checkRequestError(t, c.name, got, 200, mediaJSON, c.reason)
		if len(got.errors) > 0 && !strings.Contains(got.errors[0].Message, c.names) {
			t.Errorf("%s: the message does not name %s: %s", c.name, c.names, got.errors[0].Message)
		}
	}
}

func TestUnicode_InvalidStringsAreRefusedOverWebSocket(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "wsutf")
	g := s.CreateGroup(t, u, "G")
	ws := s.Connect(t, u)
	subscribe := func(id, body string) string {
		return `{"type": "subscribe", "id": "` + id + `", "payload": {"query": "mutation($chat: ID!, $body: String!) { postMessage(input: {chatId: $chat, body: $body}) { body } }",
			"variables": {"chat": "` + g.ID + `", "body": "` + body + `"}}}`
	}
	for id, body := range map[string]string{"surrogate": `hi \ud800`, "bytes": "hi \xff"} {
		if err := ws.WriteRaw(subscribe(id, body)); err != nil {
			t.Fatal(err)
		}
		m := ws.MustRead(5 * time.Second)
		var errs []apitest.Error
		if m.Type != "error" || m.ID != id || json.Unmarshal(m.Payload, &errs) != nil || len(errs) == 0 ||
			errs[0].Extensions["code"] != "BAD_USER_INPUT" || errs[0].Extensions["reason"] != "INVALID_UTF8" ||
			!strings.Contains(errs[0].Message, "variables.body") {
			t.Fatalf("%s: got %s %s %s", id, m.Type, m.ID, m.Payload)
		}
	}
	// The connection is still good, and the refused posts left nothing.
	if err := ws.WriteRaw(subscribe("ok", "fine")); err != nil {
		t.Fatal(err)
	}
	var out struct{ PostMessage struct{ Body string } }
	ws.Next("ok", &out)
	if out.PostMessage.Body != "fine" {
		t.Fatalf("posted %+v", out)
	}
	noReplacementStored(t, s, 1)
}

// noReplacementStored checks that messages holds the n valid posts of the
// test and that no user or chat was stored with a replacement character
// that was not sent as one.
func noReplacementStored(t *testing.T, s *apitest.Server, messages int) {
	t.Helper()
	var n, bad int64
	s.DB.Raw(`SELECT count(*) FROM messages`).Scan(&n)
	s.DB.Raw(`SELECT (SELECT count(*) FROM users WHERE strpos(display_name || username, chr(65533)) > 0) +
		(SELECT count(*) FROM chats WHERE strpos(coalesce(name, ''), chr(65533)) > 0)`).Scan(&bad)
	if n != int64(messages) || bad != 0 {
		t.Fatalf("%d messages stored (want %d), %d users or chats with U+FFFD", n, messages, bad)
	}
}
