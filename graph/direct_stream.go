package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
)

// A chatEvents subscription the direct path knows is opened by gqlgen's
// own code (graphql.ResolveFieldStream: field context, arguments, field
// middleware, errors, as for any subscription) with a marshaller of ours:
// each event is written from a template shared by every subscriber of the
// same shape (direct_template.go), and by gqlgen when anything is not
// plain, as the direct path does for queries. One event posted to a chat
// of 1,000 members is then written once and copied 1,000 times, instead of
// walked field by field 1,000 times (see the README's Performance section).

// streamEvent is what a direct chatEvents stream carries: the event as
// the subscriber reads it (ev.Shared() keys the templates), and its
// GraphQL node, with the subscriber's sync token.
type streamEvent struct {
	ev   *chat.Event
	node model.ChatEvent
}

// shapeKey says which subscriptions write an event the same way: the
// same parsed operation (gqlgen's query cache hands out one per text) with
// the same variables.
type shapeKey struct {
	op   *ast.OperationDefinition
	vars string
}

// templateKey is one event written for one shape.
type templateKey struct {
	ev    *chat.Event
	shape shapeKey
}

// templateEntry is written once, by whichever subscriber comes first.
type templateEntry struct {
	once sync.Once
	t    *template
}

// templateCacheSize bounds the templates kept: an event's are needed only
// while it is being handed to its subscribers, a burst of milliseconds.
const templateCacheSize = 1024

func newTemplateCache() *lru.Cache[templateKey, *templateEntry] {
	c, err := lru.New[templateKey, *templateEntry](templateCacheSize)
	if err != nil {
		panic(err) // only for a size that is not positive
	}
	return c
}

// Exec is the executable schema's, but for a chatEvents subscription the
// direct path knows, which it writes as above.
func (s *Schema) Exec(ctx context.Context) graphql.ResponseHandler {
	if s.direct != nil {
		if h := s.direct.subscribe(ctx); h != nil {
			return h
		}
	}
	return s.ExecutableSchema.Exec(ctx)
}

// subscribe opens the operation of ctx as the generated Exec does, if it
// is a chatEvents subscription whose every field the direct path knows;
// nil otherwise.
func (d *direct) subscribe(ctx context.Context) graphql.ResponseHandler {
	op := graphql.GetOperationContext(ctx)
	if op.Operation == nil || op.Operation.Operation != ast.Subscription || !d.knows(op) {
		return nil
	}
	ec := newExecutionContext(op, d.es, nil)
	fields := graphql.CollectFields(op, op.Operation.SelectionSet, subscriptionImplementors)
	if len(fields) != 1 || fields[0].Name != "chatEvents" {
		return nil
	}
	vars, err := json.Marshal(op.Variables) // map keys sorted: one text per set of values
	if err != nil {
		return nil
	}
	sub := &streamSub{d: d, ec: ec, shape: shapeKey{op: op.Operation, vars: string(vars)}, argsOf: map[*ast.Field]map[string]any{}}
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: "Subscription"})
	next := graphql.ResolveFieldStream(ctx, op, fields[0],
		func(ctx context.Context, f graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext_Subscription_chatEvents(ctx, f)
		},
		func(ctx context.Context) (any, error) {
			fc := graphql.GetFieldContext(ctx)
			return chatEvents(ctx, d.r, fc.Args["chatId"].(*string), fc.Args["after"].(*string),
				func(e *chat.Event, token string) streamEvent { return streamEvent{e, chatEventNode(e, token)} })
		},
		nil, sub.marshal, true, true)
	if next == nil { // it failed to open: the errors are in ctx, and no response is asked for
		return func(context.Context) *graphql.Response { return nil }
	}
	var buf bytes.Buffer
	return func(ctx context.Context) *graphql.Response {
		buf.Reset()
		data := next(ctx)
		if data == nil {
			return nil
		}
		data.MarshalGQL(&buf)
		return &graphql.Response{Data: buf.Bytes()}
	}
}

// streamSub is one direct chatEvents subscription. Its events are written
// one at a time, so what it keeps between them needs no lock: the
// arguments parsed, by field of the query, the same for every event since
// the variables are.
type streamSub struct {
	d      *direct
	ec     *executionContext
	shape  shapeKey
	argsOf map[*ast.Field]map[string]any
}

// marshal writes v from its shape's template, or as gqlgen does.
func (s *streamSub) marshal(ctx context.Context, sel ast.SelectionSet, v streamEvent) graphql.Marshaler {
	if b, err := s.writeRecovered(ctx, sel, v); err == nil {
		s.d.served.Add(1)
		return &pooledJSON{b}
	}
	return s.ec.marshalNChatEvent2githubᚗcomᚋgqlchatᚋgqlchatᚋgraphᚋmodelᚐChatEvent(ctx, sel, v.node)
}

// writeRecovered is write with a panic logged and turned into a fallback,
// as runRecovered does for queries.
func (s *streamSub) writeRecovered(ctx context.Context, sel ast.SelectionSet, v streamEvent) (b *bytes.Buffer, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = RecoverPanic(ctx, p)
		}
	}()
	return s.write(ctx, sel, v)
}

// write fills v's template, writing it first if this subscriber is the
// first of its shape to get the event.
func (s *streamSub) write(ctx context.Context, sel ast.SelectionSet, v streamEvent) (*bytes.Buffer, error) {
	d := s.d
	shared, ok := v.ev.Shared()
	if !ok { // this stream's own event: no one to share a template with
		return s.into(ctx, func(x *directRun) error { return x.object(v.node, sel) })
	}
	key := templateKey{ev: shared, shape: s.shape}
	entry, ok := d.templates.Get(key)
	if !ok {
		entry = &templateEntry{}
		if prev, found, _ := d.templates.PeekOrAdd(key, entry); found {
			entry = prev
		}
	}
	entry.once.Do(func() {
		defer func() {
			if p := recover(); p != nil {
				entry.t = &template{failed: true} // for the others: the first one logs it
				panic(p)
			}
		}()
		entry.t = s.run(ctx, nil).writeTemplate(v.node, sel)
		d.written.Add(1)
	})
	return s.into(ctx, func(x *directRun) error { return entry.t.fill(x, v.node) })
}

// into runs write into a buffer of outputs, which it returns unless write
// fails.
func (s *streamSub) into(ctx context.Context, write func(*directRun) error) (*bytes.Buffer, error) {
	x := s.run(ctx, output())
	if err := write(x); err != nil {
		outputs.Put(x.w)
		return nil, err
	}
	return x.w, nil
}

// run is a directRun of the subscription's, writing into w.
func (s *streamSub) run(ctx context.Context, w *bytes.Buffer) *directRun {
	return &directRun{ctx: ctx, op: graphql.GetOperationContext(ctx), ec: s.ec, r: s.d.r, types: streamTypes,
		w: w, argsOf: s.argsOf}
}

// outputs are the buffers events are filled into: each is copied into the
// response once, then back here.
var outputs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// output is an empty buffer of outputs.
func output() *bytes.Buffer {
	b := outputs.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

// pooledJSON is an event's JSON in a buffer of outputs, which it returns
// there once written (gqlgen writes a marshaler once).
type pooledJSON struct{ b *bytes.Buffer }

func (p *pooledJSON) MarshalGQL(w io.Writer) {
	if p.b == nil {
		return
	}
	_, _ = w.Write(p.b.Bytes())
	outputs.Put(p.b)
	p.b = nil
}
