package graph

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The direct path answers the queries a chat client sends most (a chat's
// history, the chat list, the viewer) without gqlgen's per-field
// machinery. gqlgen gives every field of every object a field context, a
// middleware call and a marshaller, and every resolver field a goroutine:
// for a page of 50 messages with their senders that is most of the 2–3 ms
// of CPU a request costs, against about 0.1 ms for the SQL (see the
// README's Performance section). The direct path walks the same selection
// (graphql.CollectFields, so fragments, aliases, @skip and @include mean
// what they mean to gqlgen), calls the same resolvers with arguments parsed
// by the same generated code, writes each value with the same marshaller,
// and so produces the same bytes; a test compares the two paths response
// by response.
//
// It serves a query only if it knows every field the query names (decided
// once per parsed query) and falls back to gqlgen, before writing
// anything, the moment anything is not plain: an error from a resolver or
// its arguments, a null where the schema says non-null, a type it does not
// know, a panic. gqlgen then answers from scratch, with dataloaders of its
// own, errors and all. Mutations and
// subscriptions always go to gqlgen (the rate limiter's field middleware,
// for one, only looks at mutations, which is why skipping it for a query
// changes nothing).
type direct struct {
	es *executableSchema
	r  *Resolver
	// known says, by parsed operation, whether the direct path knows every
	// field it names. gqlgen's query cache hands out the same document for
	// the same text, so the pointer is a stable key.
	known *lru.Cache[*ast.OperationDefinition, bool]
	// served counts the responses served directly, so that tests can tell
	// that the direct path, not the fallback, produced what they compare.
	served atomic.Int64
	// templates are the chat events written for their subscribers, by
	// event and subscription shape (direct_stream.go).
	templates *lru.Cache[templateKey, *templateEntry]
	// written counts the templates written, so that tests can tell that
	// subscribers share them.
	written atomic.Int64
}

// errIndirect says that gqlgen must answer instead.
var errIndirect = errors.New("not served directly")

// directStat marks, in an operation's stats, that its response was served.
const directStat = "gqlchat.direct"

func newDirect(es *executableSchema, r *Resolver) *direct {
	known, err := lru.New[*ast.OperationDefinition, bool](1000)
	if err != nil {
		panic(err) // only for a size that is not positive
	}
	return &direct{es: es, r: r, known: known, templates: newTemplateCache()}
}

// around is a response middleware: the direct answer, or next's.
func (d *direct) around(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	// Requests refused before execution (gqlgen's DispatchError) come
	// with their errors, and some without an operation.
	if !graphql.HasOperationContext(ctx) || len(graphql.GetErrors(ctx)) > 0 {
		return next(ctx)
	}
	op := graphql.GetOperationContext(ctx)
	if op.Operation == nil || op.Operation.Operation != ast.Query || !d.knows(op) {
		return next(ctx)
	}
	// A transport may ask for more responses until it gets nil: a query
	// served directly has no second one (no @defer: knows refuses it).
	if op.Stats.GetExtension(directStat) != nil {
		return nil
	}
	data, err := d.runRecovered(ctx, op)
	if err != nil {
		return next(ctx)
	}
	op.Stats.SetExtension(directStat, true)
	d.served.Add(1)
	return &graphql.Response{Data: data, Extensions: graphql.GetExtensions(ctx)}
}

// knows reports whether every field and directive of op is one the direct
// path serves, remembering the answer for the parsed operation.
func (d *direct) knows(op *graphql.OperationContext) bool {
	if ok, found := d.known.Get(op.Operation); found {
		return ok
	}
	var ok bool
	switch op.Operation.Operation {
	case ast.Query:
		ok = knownSelection(directTypes, op.Operation.SelectionSet, 0)
	case ast.Subscription:
		ok = knownSubscription(op.Operation.SelectionSet)
	}
	d.known.Add(op.Operation, ok)
	return ok
}

// knownSubscription reports whether sel is a chatEvents subscription, with
// no directive at its root, whose every field the direct path writes.
func knownSubscription(sel ast.SelectionSet) bool {
	if len(sel) != 1 {
		return false
	}
	f, ok := sel[0].(*ast.Field)
	return ok && f.Name == "chatEvents" && len(f.Directives) == 0 && knownSelection(streamTypes, f.SelectionSet, 0)
}

// maxFragmentDepth bounds the walk through nested fragment spreads; the
// validator has refused cycles already, so this is only a backstop.
const maxFragmentDepth = 32

func knownSelection(types map[string]*directType, sel ast.SelectionSet, depth int) bool {
	if depth > maxFragmentDepth {
		return false
	}
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if !plainDirectives(s.Directives) {
				return false
			}
			if s.Name != "__typename" && !knownField(types, s.ObjectDefinition, s.Name) {
				return false
			}
			if !knownSelection(types, s.SelectionSet, depth) {
				return false
			}
		case *ast.InlineFragment:
			if !plainDirectives(s.Directives) || !knownSelection(types, s.SelectionSet, depth) {
				return false
			}
		case *ast.FragmentSpread:
			if !plainDirectives(s.Directives) || s.Definition == nil || !knownSelection(types, s.Definition.SelectionSet, depth+1) {
				return false
			}
		}
	}
	return true
}

// plainDirectives reports whether directives are only @skip and @include,
// which graphql.CollectFields applies; @defer and the rest are gqlgen's.
func plainDirectives(ds ast.DirectiveList) bool {
	for _, d := range ds {
		if d.Name != "skip" && d.Name != "include" {
			return false
		}
	}
	return true
}

// runRecovered is run, with a panic logged and turned into a fallback:
// gqlgen then meets it again in the field that panicked, and answers as it
// does (the error at its path, the rest of the data).
func (d *direct) runRecovered(ctx context.Context, op *graphql.OperationContext) (data []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = RecoverPanic(ctx, p)
		}
	}()
	return d.run(ctx, op)
}

// run writes the response's data, or fails with errIndirect (or the
// error a resolver returned) for gqlgen to answer instead.
func (d *direct) run(ctx context.Context, op *graphql.OperationContext) ([]byte, error) {
	x := &directRun{ctx: ctx, op: op, ec: newExecutionContext(op, d.es, nil), r: d.r, types: directTypes, w: new(bytes.Buffer)}
	x.w.Grow(4096)
	if err := x.object(directQuery{}, op.Operation.SelectionSet); err != nil {
		return nil, err
	}
	return x.w.Bytes(), nil
}

// directRun is one response being written.
type directRun struct {
	ctx context.Context
	op  *graphql.OperationContext
	ec  *executionContext // for the generated argument parsers
	r   *Resolver
	// types are what it writes: directTypes, or streamTypes for an event.
	types map[string]*directType
	w     *bytes.Buffer
	// argsOf are the arguments already parsed, by field of the query.
	argsOf map[*ast.Field]map[string]any
	// tmpl is the template being written, if any, for the event root.
	tmpl     *template
	root     any
	rootChat any // the root event's chat: its holes are the subscriber's
	// collected, when set, remembers what collect found (a template's
	// memo: direct_template.go).
	collected *collectMemo
}

// collect is graphql.CollectFields, remembered where x has a memo.
func (x *directRun) collect(sel ast.SelectionSet, t *directType) []graphql.CollectedField {
	if x.collected == nil || len(sel) == 0 {
		return graphql.CollectFields(x.op, sel, t.implementors)
	}
	return x.collected.fields(x.op, sel, t)
}

// object writes obj's selected fields, as gqlgen's field sets do.
func (x *directRun) object(obj any, sel ast.SelectionSet) error {
	t := directTypeOf(x.types, obj)
	if t == nil {
		return errIndirect
	}
	fields := x.collect(sel, t)
	x.w.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			x.w.WriteByte(',')
		}
		// Aliases and field names are GraphQL names: nothing to escape.
		x.w.WriteByte('"')
		x.w.WriteString(f.Alias)
		x.w.WriteString(`":`)
		if f.Name == "__typename" {
			graphql.MarshalString(t.name).MarshalGQL(x.w)
			continue
		}
		write := t.fields[f.Name]
		if write == nil {
			return errIndirect
		}
		if x.tmpl != nil && !shared(t.name, f.Name) {
			x.addHole(obj, f, write)
			continue
		}
		if err := write(x, obj, f); err != nil {
			return err
		}
	}
	x.w.WriteByte('}')
	return nil
}

// nullable writes obj, or null when it is nil (typed or not).
func (x *directRun) nullable(obj any, isNil bool, sel ast.SelectionSet) error {
	if isNil {
		x.w.WriteString("null")
		return nil
	}
	return x.object(obj, sel)
}

// list writes items, each an object of a non-null list: a nil one is
// not written (object fails), as gqlgen would null the list and report it.
func list[T any](x *directRun, items []T, sel ast.SelectionSet) error {
	x.w.WriteByte('[')
	for i, item := range items {
		if i > 0 {
			x.w.WriteByte(',')
		}
		if err := x.object(item, sel); err != nil {
			return err
		}
	}
	x.w.WriteByte(']')
	return nil
}

// args parses a field's arguments with gqlgen's generated parser, once
// per field of the query: a list's items share it (the members of each
// chat of a page, say), and the arguments depend only on the field and
// the variables.
func (x *directRun) args(f graphql.CollectedField, parse argParser) (map[string]any, error) {
	if a, ok := x.argsOf[f.Field]; ok {
		return a, nil
	}
	a, err := parse(x.ec, x.ctx, f.ArgumentMap(x.op.Variables))
	if err != nil {
		return nil, err
	}
	if x.argsOf == nil {
		x.argsOf = map[*ast.Field]map[string]any{}
	}
	x.argsOf[f.Field] = a
	return a, nil
}

// scalar writes one scalar value.
func (x *directRun) scalar(m graphql.Marshaler) error {
	m.MarshalGQL(x.w)
	return nil
}
