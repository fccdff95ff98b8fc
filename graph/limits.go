package graph

import (
	"context"
	"encoding/json"
	"net/http"

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

// limitBody refuses HTTP bodies over the limit with 413 before reading them.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{ //nolint:errcheck // the client may have gone
				"message":    "the request body is too large",
				"extensions": map[string]any{"code": chat.CodeInvalid, "reason": "REQUEST_TOO_LARGE"},
			}}})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
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
