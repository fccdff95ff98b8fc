package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/gqlchat/gqlchat/chat"
)

// Limits bound what one request may ask of the server.
type Limits struct {
	MaxBodyBytes  int64 // an HTTP body or WebSocket message
	MaxTokens     int   // lexical tokens in a document
	MaxDepth      int   // nesting of selections, fragments included
	MaxAliases    int   // aliased fields in an operation
	MaxDirectives int   // directives in an operation
	MaxComplexity int   // fields, each list counted once per item of its page
}

// DefaultLimits fit every operation a real client needs.
var DefaultLimits = Limits{MaxBodyBytes: 1 << 20, MaxTokens: 1000, MaxDepth: 10, MaxAliases: 30, MaxDirectives: 50,
	MaxComplexity: DefaultMaxComplexity}

// checkBody refuses HTTP bodies over the limit (413), and POST bodies that
// are not one JSON object: gqlgen would echo an undecodable body back in
// its error, and batched requests (a JSON array) are not accepted.
func checkBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeError(w, http.StatusRequestEntityTooLarge, "the request body is too large", "REQUEST_TOO_LARGE")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		var tooLarge *http.MaxBytesError
		switch trimmed := bytes.TrimSpace(body); {
		case errors.As(err, &tooLarge):
			writeError(w, http.StatusRequestEntityTooLarge, "the request body is too large", "REQUEST_TOO_LARGE")
		case err != nil:
			writeError(w, http.StatusBadRequest, "the request body could not be read", "BAD_REQUEST_BODY")
		case bytes.HasPrefix(trimmed, []byte("[")):
			writeError(w, http.StatusBadRequest, "batched requests are not supported: send one operation per request", "BATCH_NOT_SUPPORTED")
		case !json.Valid(trimmed):
			writeError(w, http.StatusBadRequest, "the request body is not valid JSON", "BAD_REQUEST_BODY")
		default:
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
		}
	})
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

// shapeLimit is a gqlgen extension that measures an operation's depth,
// aliases and directives before any resolver runs.
type shapeLimit struct{ Limits }

var (
	_ graphql.HandlerExtension        = shapeLimit{}
	_ graphql.OperationContextMutator = shapeLimit{}
)

func (shapeLimit) ExtensionName() string                   { return "ShapeLimit" }
func (shapeLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (l shapeLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	m := measure{doc: oc.Doc, seen: map[string]bool{}}
	m.directives += len(oc.Operation.Directives)
	depth := m.selections(oc.Operation.SelectionSet, 1)
	var err *gqlerror.Error
	switch {
	case depth > l.MaxDepth:
		err = gqlerror.Errorf("the operation is nested %d deep; the limit is %d", depth, l.MaxDepth)
	case m.aliases > l.MaxAliases:
		err = gqlerror.Errorf("the operation has %d aliases; the limit is %d", m.aliases, l.MaxAliases)
	case m.directives > l.MaxDirectives:
		err = gqlerror.Errorf("the operation has %d directives; the limit is %d", m.directives, l.MaxDirectives)
	default:
		return nil
	}
	err.Extensions = map[string]any{"code": chat.CodeInvalid, "reason": "OPERATION_TOO_LARGE"}
	return err
}

// measure walks an operation, following fragments.
type measure struct {
	doc                 *ast.QueryDocument
	aliases, directives int
	seen                map[string]bool // fragments on the current path, against cycles
}

// selections returns the depth of set, which sits at depth d.
func (m *measure) selections(set ast.SelectionSet, d int) int {
	deepest := d - 1
	for _, sel := range set {
		depth := d
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue // introspection is deep by nature (ofType chains) and cheap; the token limit bounds it
			}
			m.directives += len(s.Directives)
			if s.Alias != "" && s.Alias != s.Name {
				m.aliases++
			}
			if len(s.SelectionSet) > 0 {
				depth = m.selections(s.SelectionSet, d+1)
			}
		case *ast.InlineFragment:
			m.directives += len(s.Directives)
			depth = m.selections(s.SelectionSet, d)
		case *ast.FragmentSpread:
			m.directives += len(s.Directives)
			f := m.doc.Fragments.ForName(s.Name)
			if f == nil || m.seen[s.Name] {
				continue
			}
			m.seen[s.Name] = true
			depth = m.selections(f.SelectionSet, d)
			m.seen[s.Name] = false
		}
		deepest = max(deepest, depth)
	}
	return deepest
}
