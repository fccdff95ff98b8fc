package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// The GraphQL over HTTP spec's two response media types.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// answer is an HTTP response to a GraphQL request, read whole.
type answer struct {
	status int
	header http.Header
	raw    string
	keys   map[string]json.RawMessage // the top-level entries
	errors []apitest.Error
}

// reason is extensions.reason of the first error.
func (a answer) reason() string {
	if len(a.errors) == 0 {
		return ""
	}
	r, _ := a.errors[0].Extensions["reason"].(string)
	return r
}

func (a answer) code() string {
	if len(a.errors) == 0 {
		return ""
	}
	c, _ := a.errors[0].Extensions["code"].(string)
	return c
}

func (a answer) String() string {
	return fmt.Sprintf("%d %s %.300s", a.status, a.header.Get("Content-Type"), a.raw)
}

// roundTrip sends req and reads the answer.
func roundTrip(t *testing.T, req *http.Request) answer {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if json.Unmarshal(raw, &a.keys) == nil {
		json.Unmarshal(a.keys["errors"], &a.errors) //nolint:errcheck // no errors entry: none
	}
	return a
}

// postAs posts body to /query with the given Accept header ("" for none)
// and the user's token, if any.
func postAs(t *testing.T, s *apitest.Server, accept, body string, u ...apitest.User) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	for _, u := range u {
		req.Header.Set("Authorization", "Bearer "+u.Token)
	}
	return roundTrip(t, req)
}

// getAs sends a GET request to /query with the given raw query string.
func getAs(t *testing.T, s *apitest.Server, accept, rawQuery string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/query?"+rawQuery, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return roundTrip(t, req)
}

func operation(query string, vars map[string]any, name string) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars, "operationName": name})
	return string(b)
}

// requestErrors are GraphQL request errors: the request is well-formed, but
// the operation cannot run (GetOperation, parsing, validation, variable
// coercion, and our limits, which are validation).
var requestErrors = []struct {
	name, query, operationName string
	vars                       map[string]any
	reason                     string
}{
	{"parse failure", `{ viewer {`, "", nil, "GRAPHQL_PARSE_FAILED"},
	{"validation failure", `{ nope }`, "", nil, "GRAPHQL_VALIDATION_FAILED"},
	{"unknown operation", `query A { viewer { id } }`, "B", nil, "GRAPHQL_VALIDATION_FAILED"},
	{"variable coercion", `query($id: ID!) { node(id: $id) { id } }`, "", map[string]any{"id": nil}, "GRAPHQL_VALIDATION_FAILED"},
	{"too deep", `{ viewer { friends { edges { node { friends { edges { node { friends { edges { node { id } } } } } } } } } } }`,
		"", nil, "OPERATION_TOO_LARGE"},
	{"too complex", `{ viewer { friends(first: 100) { edges { node { friends(first: 100) { edges { node { id } } } } } } } }`,
		"", nil, "COMPLEXITY_LIMIT_EXCEEDED"},
}

func TestHTTP_PersistedQueryErrorsAreRequestErrors(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	for accept, status := range map[string]int{mediaJSON: 200, mediaGraphQLResponse: 400} {
		unknown := postAs(t, s, accept, `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "`+strings.Repeat("ab", 32)+`"}}}`)
		checkRequestError(t, "unknown hash, Accept "+accept, unknown, status, accept, "PERSISTED_QUERY_NOT_FOUND")
		version := postAs(t, s, accept, `{"query": "{ viewer { id } }", "extensions": {"persistedQuery": {"version": 2, "sha256Hash": "x"}}}`)
		checkRequestError(t, "unknown version, Accept "+accept, version, status, accept, "INVALID_REQUEST")
	}
}

// Refusals during execution are field errors: 200 with data, in both media types.
func TestHTTP_ExecutionRefusalsAnswer200WithData(t *testing.T) {
	t.Parallel()
	opts := apitest.Options()
	opts.Introspection = false
	s := apitest.NewServerWith(t, apitest.CheapConfig(), opts)
	for _, accept := range []string{mediaJSON, mediaGraphQLResponse} {
		for query, reason := range map[string]string{
			`{ __schema { queryType { name } } }`:           "INTROSPECTION_DISABLED",
			`subscription { friendRequestReceived { id } }`: "SUBSCRIPTION_NEEDS_WEBSOCKET",
		} {
			got := postAs(t, s, accept, operation(query, nil, ""))
			if _, ok := got.keys["data"]; got.status != 200 || !ok || got.code() != "BAD_USER_INPUT" || got.reason() != reason {
				t.Errorf("%s, Accept %s: got %s, want 200 with data and %s", query, accept, got, reason)
			}
		}
	}
}

func TestHTTP_RequestErrorsAnswer200WithApplicationJSON(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	for _, accept := range []string{"", mediaJSON, "*/*", "application/json, text/plain", mediaGraphQLResponse + ";q=0.5, application/json"} {
		for _, c := range requestErrors {
			got := postAs(t, s, accept, operation(c.query, c.vars, c.operationName))
			checkRequestError(t, "POST "+c.name+", Accept "+accept, got, http.StatusOK, mediaJSON, c.reason)
			q := url.Values{"query": {c.query}, "operationName": {c.operationName}}
			if c.vars != nil {
				v, _ := json.Marshal(c.vars)
				q.Set("variables", string(v))
			}
			got = getAs(t, s, accept, q.Encode())
			checkRequestError(t, "GET "+c.name+", Accept "+accept, got, http.StatusOK, mediaJSON, c.reason)
		}
	}
}

func TestHTTP_RequestErrorsAnswer400WithoutDataForGraphQLResponseJSON(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	for _, accept := range []string{mediaGraphQLResponse, mediaGraphQLResponse + ", application/json;q=0.9"} {
		for _, c := range requestErrors {
			got := postAs(t, s, accept, operation(c.query, c.vars, c.operationName))
			checkRequestError(t, "POST "+c.name+", Accept "+accept, got, http.StatusBadRequest, mediaGraphQLResponse, c.reason)
		}
	}
}

// checkRequestError checks the answer to a request error: the status and
// media type, no data entry (the GraphQL spec: an error before execution
// leaves none), and BAD_USER_INPUT with the reason.
func checkRequestError(t *testing.T, what string, got answer, status int, media, reason string) {
	t.Helper()
	if got.status != status || !strings.HasPrefix(got.header.Get("Content-Type"), media) {
		t.Errorf("%s: got %s, want %d %s", what, got, status, media)
	}
	if _, ok := got.keys["data"]; ok {
		t.Errorf("%s: has a data entry: %s", what, got.raw)
	}
	if got.code() != "BAD_USER_INPUT" || got.reason() != reason {
		t.Errorf("%s: got %s, want BAD_USER_INPUT %s", what, got.raw, reason)
	}
}

func TestHTTP_ExecutedOperationsAnswer200WithDataInBothMediaTypes(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	for _, accept := range []string{mediaJSON, mediaGraphQLResponse} {
		ok := postAs(t, s, accept, operation(`{ viewer { id } }`, nil, ""))
		fieldError := postAs(t, s, accept, operation(`{ node(id: "not an id") { id } }`, nil, ""))
		for _, got := range []answer{ok, fieldError} {
			if got.status != http.StatusOK || got.header.Get("Content-Type") != accept || got.keys["data"] == nil {
				t.Errorf("Accept %s: %s", accept, got)
			}
		}
		if fieldError.code() != "BAD_USER_INPUT" {
			t.Errorf("Accept %s: field error %s", accept, fieldError.raw)
		}
	}
}

func TestHTTP_BodiesThatAreNotAnOperationGetAShortFixedAnswer(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	query := `"query": "{ viewer { id } }"`
	for _, c := range []struct{ body, reason string }{
		{`"hunter2"`, "BAD_REQUEST_BODY"},
		{`"` + strings.Repeat("hunter2", 70000) + `"`, "BAD_REQUEST_BODY"},
		{`42`, "BAD_REQUEST_BODY"},
		{`null`, "BAD_REQUEST_BODY"},
		{`true`, "BAD_REQUEST_BODY"},
		{``, "BAD_REQUEST_BODY"},
		{`hunter2`, "BAD_REQUEST_BODY"},
		{`{"query": "hunter2"`, "BAD_REQUEST_BODY"},
		{`{"a": 1} {"hunter2": 2}`, "BAD_REQUEST_BODY"},
		{`[{` + query + `}]`, "BATCH_NOT_SUPPORTED"},
		{`{"query": {"a": [1, {"b": "hunter2"}]}}`, "BAD_REQUEST_PARAMETERS"},
		{`{` + query + `, "variables": "hunter2"}`, "BAD_REQUEST_PARAMETERS"},
		{`{` + query + `, "variables": ["hunter2"]}`, "BAD_REQUEST_PARAMETERS"},
		{`{` + query + `, "operationName": 7}`, "BAD_REQUEST_PARAMETERS"},
		{`{` + query + `, "extensions": "hunter2"}`, "BAD_REQUEST_PARAMETERS"},
		{`{"qeury": "{ viewer { id } }"}`, "BAD_REQUEST_PARAMETERS"},
	} {
		for _, accept := range []string{mediaJSON, mediaGraphQLResponse} {
			got := postAs(t, s, accept, c.body)
			if got.status != http.StatusBadRequest || got.code() != "BAD_USER_INPUT" || got.reason() != c.reason {
				t.Errorf("%.40q: got %s, want 400 %s", c.body, got, c.reason)
			}
			if _, ok := got.keys["data"]; ok || len(got.raw) > 300 || strings.Contains(got.raw, "hunter2") ||
				strings.Contains(got.raw, "Go value") || strings.Contains(got.raw, "RawParams") {
				t.Errorf("%.40q: answer says too much: %.400s", c.body, got.raw)
			}
		}
	}
	for _, ok := range []string{`{` + query + `, "variables": null, "operationName": null, "extensions": null}`, `  {` + query + `}  `} {
		if got := postAs(t, s, mediaJSON, ok); got.status != http.StatusOK || len(got.errors) > 0 {
			t.Errorf("%s: %s", ok, got)
		}
	}
}

func TestHTTP_GETWithBadParametersGetsAShortFixedAnswer(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	query := "query=" + url.QueryEscape("{ viewer { id } }")
	for _, raw := range []string{
		query + "&variables=" + url.QueryEscape(`{"a": "hunter2"`),
		query + "&variables=" + url.QueryEscape(`"hunter2"`),
		query + "&extensions=" + url.QueryEscape(`["hunter2"]`),
		query + "&extensions=hunter2",
		query + "&variables=%zz",
		"operationName=hunter2",
	} {
		got := getAs(t, s, "", raw)
		if got.status != http.StatusBadRequest || got.code() != "BAD_USER_INPUT" || got.reason() != "BAD_REQUEST_PARAMETERS" ||
			strings.Contains(got.raw, "hunter2") || len(got.raw) > 300 {
			t.Errorf("%s: %s", raw, got)
		}
	}
}

// transportErrors are refusals before any GraphQL: each has a status of
// its own, and a reason.
func TestHTTP_TransportErrorsCarryACodeAndAReason(t *testing.T) {
	t.Parallel()
	opts := apitest.Options()
	opts.Limits.MaxBodyBytes = 1000
	s := apitest.NewServerWith(t, apitest.CheapConfig(), opts)
	request := func(method, contentType, body string, header ...string) *http.Request {
		req, _ := http.NewRequest(method, s.URL+"/query", strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		return req
	}
	op := operation(`{ viewer { id } }`, nil, "")
	chunked := request(http.MethodPost, "application/json", "")
	chunked.Body = io.NopCloser(strings.NewReader(`{"query": "{ viewer { id } }", "pad": "` + strings.Repeat("x", 2000) + `"}`))
	mutation, _ := http.NewRequest(http.MethodGet, s.URL+"/query?query="+url.QueryEscape(`mutation { logOut }`), nil)
	for _, c := range []struct {
		name   string
		req    *http.Request
		status int
		reason string
		allow  string
	}{
		{"mutation over GET", mutation, http.StatusMethodNotAllowed, "MUTATION_OVER_GET", "POST"},
		{"text/plain", request(http.MethodPost, "text/plain", op), http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", ""},
		{"no content type", request(http.MethodPost, "", op), http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", ""},
		{"form", request(http.MethodPost, "application/x-www-form-urlencoded", "query=x"), http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", ""},
		{"PUT", request(http.MethodPut, "application/json", op), http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "GET, POST"},
		{"DELETE", request(http.MethodDelete, "", ""), http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "GET, POST"},
		{"batch", request(http.MethodPost, "application/json", "["+op+"]"), http.StatusBadRequest, "BATCH_NOT_SUPPORTED", ""},
		{"too large", request(http.MethodPost, "application/json", op+strings.Repeat(" ", 1000)), http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE", ""},
		{"too large, chunked", chunked, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE", ""},
		{"origin refused", request(http.MethodPost, "application/json", op, "Origin", "https://evil.example"), http.StatusForbidden, "ORIGIN_NOT_ALLOWED", ""},
	} {
		got := roundTrip(t, c.req)
		if len(got.errors) == 0 || got.errors[0].Message == "" || got.status != c.status || got.code() != "BAD_USER_INPUT" ||
			got.reason() != c.reason || !strings.Contains(got.header.Get("Allow"), c.allow) {
			t.Errorf("%s: got %s (Allow %q), want %d %s", c.name, got, got.header.Get("Allow"), c.status, c.reason)
		}
	}
}

// TestErrorReasons_AreDocumentedWithTheirStatus checks README's table of
// reasons against the statuses the tests above check.
func TestErrorReasons_AreDocumentedWithTheirStatus(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const requestError = "200; 400 with `graphql-response+json`"
	for reason, status := range map[string]string{
		"REQUEST_TOO_LARGE": "413", "REQUEST_TIMEOUT": "408", "BAD_REQUEST_BODY": "400", "BAD_REQUEST_PARAMETERS": "400",
		"BATCH_NOT_SUPPORTED": "400", "ORIGIN_NOT_ALLOWED": "403", "MUTATION_OVER_GET": "405", "METHOD_NOT_ALLOWED": "405",
		"UNSUPPORTED_MEDIA_TYPE": "415", "INVALID_UTF8": requestError, "GRAPHQL_PARSE_FAILED": requestError,
		"GRAPHQL_VALIDATION_FAILED": requestError, "OPERATION_TOO_LARGE": requestError, "COMPLEXITY_LIMIT_EXCEEDED": requestError,
		"PERSISTED_QUERY_NOT_FOUND": requestError, "INVALID_REQUEST": requestError, "INTROSPECTION_DISABLED": "200",
		"SUBSCRIPTION_NEEDS_WEBSOCKET": "200", "HOST_NOT_ALLOWED": "421",
	} {
		if row := "| `" + reason + "` | " + status + " |"; !strings.Contains(string(readme), row) {
			t.Errorf("README.md has no row starting %s", row)
		}
	}
}

func TestHTTP_AnswersSayNoSniff(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	get := func(path string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		return req
	}
	post, _ := http.NewRequest(http.MethodPost, s.URL+"/query", strings.NewReader(operation(`{ viewer { id } }`, nil, "")))
	post.Header.Set("Content-Type", "application/json")
	put, _ := http.NewRequest(http.MethodPut, s.URL+"/query", nil)
	for _, req := range []*http.Request{post, put, get("/query?query=%7B%20viewer%20%7B%20id%20%7D%20%7D"), get("/healthz"),
		get("/readyz"), get("/metrics"), get("/"), get("/demo"), get("/nowhere")} {
		if got := roundTrip(t, req); got.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: %s %v", req.Method, req.URL.Path, got, got.header)
		}
	}
}
