package httpapi

import (
	"context"
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
	MaxFields     int   // field selections once fragments are expanded
}

// DefaultLimits fit every operation a real client needs.
var DefaultLimits = Limits{MaxBodyBytes: 1 << 20, MaxTokens: 1000, MaxDepth: 10, MaxAliases: 30, MaxDirectives: 50,
	MaxComplexity: 20000, MaxFields: 2000}

// checkBody refuses HTTP bodies over the limit: at once when their length
// is announced, when they reach it otherwise. httpTransport reads them.
func checkBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeError(w, http.StatusRequestEntityTooLarge, "the request body is too large", "REQUEST_TOO_LARGE")
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
	m := measure{doc: oc.Doc, seen: map[string]bool{}, memo: map[string]shape{}}
	sh := m.of(oc.Operation.SelectionSet)
	sh.directives += len(oc.Operation.Directives)
	var err *gqlerror.Error
	switch {
	case sh.depth > l.MaxDepth:
		err = gqlerror.Errorf("the operation is nested %d deep; the limit is %d", sh.depth, l.MaxDepth)
	case sh.aliases > l.MaxAliases:
		err = gqlerror.Errorf("the operation has %d aliases; the limit is %d", sh.aliases, l.MaxAliases)
	case sh.directives > l.MaxDirectives:
		err = gqlerror.Errorf("the operation has %d directives; the limit is %d", sh.directives, l.MaxDirectives)
	case sh.fields > l.MaxFields:
		// Checked here, before gqlgen's complexity count and executor, which
		// expand every spread and would take exponential time on fragments
		// that spread each other.
		err = gqlerror.Errorf("the operation selects %d fields once fragments are expanded; the limit is %d", sh.fields, l.MaxFields)
	default:
		return nil
	}
	err.Extensions = map[string]any{"code": chat.CodeInvalid, "reason": "OPERATION_TOO_LARGE"}
	return err
}

// measure walks an operation, following fragments. Each fragment is
// measured once and remembered: a fragment spread many times, within
// fragments spread many times, would otherwise cost exponential time.
type measure struct {
	doc  *ast.QueryDocument
	seen map[string]bool // fragments on the current path, against cycles
	memo map[string]shape
}

// shape is what a selection set adds: its depth, and its aliases,
// directives and fields (counted once per use, saturating).
type shape struct{ depth, aliases, directives, fields int }

func (a *shape) add(b shape) {
	const most = 1 << 30
	a.depth = max(a.depth, b.depth)
	a.aliases = min(a.aliases+b.aliases, most)
	a.directives = min(a.directives+b.directives, most)
	a.fields = min(a.fields+b.fields, most)
}

func (m *measure) of(set ast.SelectionSet) shape {
	var out shape
	for _, sel := range set {
		var sub shape
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue // introspection is deep by nature (ofType chains) and cheap; the token limit bounds it
			}
			if len(s.SelectionSet) > 0 {
				sub = m.of(s.SelectionSet)
			}
			sub.depth++
			sub.add(shape{directives: len(s.Directives), fields: 1})
			if s.Alias != "" && s.Alias != s.Name {
				sub.add(shape{aliases: 1})
			}
		case *ast.InlineFragment:
			sub = m.of(s.SelectionSet)
			sub.add(shape{directives: len(s.Directives)})
		case *ast.FragmentSpread:
			sub = m.fragment(s.Name)
			sub.add(shape{directives: len(s.Directives)})
		}
		out.add(sub)
	}
	return out
}

func (m *measure) fragment(name string) shape {
	if sh, ok := m.memo[name]; ok {
		return sh
	}
	f := m.doc.Fragments.ForName(name)
	if f == nil || m.seen[name] {
		return shape{}
	}
	m.seen[name] = true
	sh := m.of(f.SelectionSet)
	m.seen[name] = false
	m.memo[name] = sh
	return sh
}
