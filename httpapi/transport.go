package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/internal/gqljson"
	"github.com/gqlchat/gqlchat/internal/strictjson"
)

// The response media types of the GraphQL over HTTP spec.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// httpTransport serves GraphQL over HTTP, POST and GET, as the GraphQL over
// HTTP spec says. It takes the place of gqlgen's transport.POST and
// transport.GET, which answer parse and validation errors with 422 under
// application/json (Apollo Client then reports a network error with no
// graphQLErrors), write a data entry even where nothing ran, decode with
// encoding/json (invalid UTF-8 becomes U+FFFD, and is stored so), and
// echo a body they cannot decode, Go type names included.
//
// A request error (the operation cannot run: parsing, validation, variable
// coercion, our limits) answers 200 under application/json, whose non-200
// answers a client cannot tell from a proxy's, and 400 under
// application/graphql-response+json; without a data entry either way. A
// request that is not a GraphQL request at all answers 400 (the spec's
// "not well-formed"), and the transport-level refusals have statuses of
// their own: see writeError and README's table of reasons.
type httpTransport struct{}

var _ graphql.Transport = httpTransport{}

// Supports implements graphql.Transport: GET, and POST with a JSON body.
func (httpTransport) Supports(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet:
		return true
	case http.MethodPost:
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		return err == nil && mt == mediaJSON
	}
	return false
}

// Do implements graphql.Transport.
func (httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	start := graphql.Now()
	read := postParams
	if r.Method == http.MethodGet {
		read = getParams
	}
	params, err := read(r)
	media := responseMediaType(r.Header.Get("Accept"))
	var refused *refusal
	var bad *strictjson.InvalidStringError
	switch {
	case errors.As(err, &refused):
		writeError(w, refused.status, refused.message, refused.reason)
		return
	case errors.As(err, &bad):
		writeRequestErrors(w, media, exec.DispatchError(ctx, gqlerror.List{invalidString(bad)}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		writeRequestErrors(w, media, exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs))
		return
	}
	if r.Method == http.MethodGet && rc.Operation.Operation == ast.Mutation {
		// The spec's 405: GET requests are cached and prefetched.
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, "mutations must be sent with POST", "MUTATION_OVER_GET")
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, media, responses(ctx))
}

// refusal is an answer outside GraphQL, with a status of its own.
type refusal struct {
	status          int
	message, reason string
}

func (r *refusal) Error() string { return r.message }

// postParams reads the parameters of a POST request from its JSON body.
func postParams(r *http.Request) (*graphql.RawParams, error) {
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge):
		return nil, &refusal{http.StatusRequestEntityTooLarge, "the request body is too large", "REQUEST_TOO_LARGE"}
	case errors.As(err, &netErr) && netErr.Timeout(): // http.Server.ReadTimeout's
		return nil, &refusal{http.StatusRequestTimeout, "the request body took too long to arrive", "REQUEST_TIMEOUT"}
	case err != nil:
		return nil, &refusal{http.StatusBadRequest, "the request body could not be read", "BAD_REQUEST_BODY"}
	}
	switch trimmed := bytes.TrimSpace(body); {
	case bytes.HasPrefix(trimmed, []byte("[")):
		return nil, &refusal{http.StatusBadRequest, "batched requests are not supported: send one operation per request", "BATCH_NOT_SUPPORTED"}
	case !bytes.HasPrefix(trimmed, []byte("{")):
		return nil, &refusal{http.StatusBadRequest, `the request body must be a JSON object such as {"query": "{ viewer { id } }"}`, "BAD_REQUEST_BODY"}
	}
	var params graphql.RawParams
	err = strictjson.Decode(body, &params)
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, strictjson.ErrSyntax):
		return nil, &refusal{http.StatusBadRequest, "the request body is not valid JSON", "BAD_REQUEST_BODY"}
	case errors.As(err, &typeErr):
		return nil, badParameter(typeErr.Field)
	case err != nil: // an invalid string: a request error
		return nil, err
	}
	return &params, checkParams(&params)
}

// getParams reads the parameters of a GET request from its URL.
func getParams(r *http.Request) (*graphql.RawParams, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &refusal{http.StatusBadRequest, "the URL's query string is malformed", "BAD_REQUEST_PARAMETERS"}
	}
	params := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	for name, s := range map[string]string{"query": params.Query, "operationName": params.OperationName} {
		if !utf8.ValidString(s) {
			return nil, &strictjson.InvalidStringError{Path: []string{name}}
		}
	}
	for name, into := range map[string]*map[string]any{"variables": &params.Variables, "extensions": &params.Extensions} {
		raw := q.Get(name)
		if raw == "" {
			continue
		}
		err := strictjson.Decode([]byte(raw), into)
		var bad *strictjson.InvalidStringError
		if errors.As(err, &bad) {
			bad.Path = append([]string{name}, bad.Path...)
			return nil, bad
		}
		if err != nil {
			return nil, badParameter(name)
		}
	}
	return params, checkParams(params)
}

// checkParams refuses a request without a query, unless it names a
// persisted one.
func checkParams(p *graphql.RawParams) error {
	if p.Query == "" && p.Extensions["persistedQuery"] == nil {
		return &refusal{http.StatusBadRequest, "the request has no query", "BAD_REQUEST_PARAMETERS"}
	}
	return nil
}

// badParameter refuses a parameter of the wrong type.
func badParameter(name string) *refusal {
	what := map[string]string{"query": "a string", "operationName": "a string", "variables": "a JSON object", "extensions": "a JSON object"}[name]
	msg := "the request's parameters have the wrong types"
	if what != "" {
		msg = name + " must be " + what
	}
	return &refusal{http.StatusBadRequest, msg, "BAD_REQUEST_PARAMETERS"}
}

// invalidString is the request error for a string that is not valid
// Unicode; graph.PresentError makes its code the reason of a BAD_USER_INPUT.
func invalidString(err *strictjson.InvalidStringError) *gqlerror.Error {
	return &gqlerror.Error{Message: err.Error(), Extensions: map[string]any{"code": "INVALID_UTF8"}}
}

// responseMediaType is the media type the Accept header prefers, by
// quality then by order; application/json where it names neither.
func responseMediaType(accept string) string {
	best, bestQ := mediaJSON, 0.0
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(s, 64); err != nil {
				continue
			}
		}
		switch mt {
		case mediaJSON, "application/*", "*/*":
			mt = mediaJSON
		case mediaGraphQLResponse:
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = mt, q
		}
	}
	return best
}

// writeResponse writes the result of an operation that ran.
func writeResponse(w http.ResponseWriter, media string, resp *graphql.Response) {
	b := gqljson.Response(resp)
	w.Header().Set("Content-Type", media)
	w.Write(b) //nolint:errcheck // the client may have gone
}

// writeRequestErrors answers a request error: nothing ran, so there is no
// data entry (the GraphQL spec), and the status depends on the media type.
func writeRequestErrors(w http.ResponseWriter, media string, resp *graphql.Response) {
	status := http.StatusOK
	if media == mediaGraphQLResponse {
		status = http.StatusBadRequest
	}
	b, err := json.Marshal(struct {
		Errors     gqlerror.List  `json:"errors"`
		Extensions map[string]any `json:"extensions,omitempty"`
	}{resp.Errors, resp.Extensions})
	if err != nil {
		panic(fmt.Errorf("marshal the errors: %w", err))
	}
	w.Header().Set("Content-Type", media)
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // the client may have gone
}

// writeError answers with a GraphQL error outside of gqlgen.
func writeError(w http.ResponseWriter, status int, message, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{ //nolint:errcheck // the client may have gone
		"message":    message,
		"extensions": map[string]any{"code": chat.CodeInvalid, "reason": reason},
	}}})
}

// otherRequests answers what no other transport takes: POST bodies that
// are not JSON, and methods other than GET, POST, OPTIONS and HEAD.
type otherRequests struct{}

var _ graphql.Transport = otherRequests{}

func (otherRequests) Supports(*http.Request) bool { return true }

func (otherRequests) Do(w http.ResponseWriter, r *http.Request, _ graphql.GraphExecutor) {
	if r.Method == http.MethodPost {
		writeError(w, http.StatusUnsupportedMediaType, "the request body must be application/json", "UNSUPPORTED_MEDIA_TYPE")
		return
	}
	w.Header().Set("Allow", "GET, POST, OPTIONS")
	writeError(w, http.StatusMethodNotAllowed, "send queries with GET or POST, mutations with POST", "METHOD_NOT_ALLOWED")
}
