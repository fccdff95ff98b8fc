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

// streamEvent is what a direct chatEvents stream carries: the subscriber's
// own event, and the shared one behind it, which keys the templates.
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
	shape := shapeKey{op: op.Operation, vars: string(vars)}
	// The subscription's events are written one at a time: its own map.
	collected := map[collectKey][]graphql.CollectedField{}
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
		nil,
		func(ctx context.Context, sel ast.SelectionSet, v streamEvent) graphql.Marshaler {
			return d.marshalEvent(ctx, ec, shape, collected, sel, v)
		},
		true, true)
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

// marshalEvent writes v from its shape's template, or as gqlgen does.
func (d *direct) marshalEvent(ctx context.Context, ec *executionContext, shape shapeKey, collected map[collectKey][]graphql.CollectedField, sel ast.SelectionSet, v streamEvent) graphql.Marshaler {
	if b, err := d.writeEventRecovered(ctx, ec, shape, collected, sel, v); err == nil {
		d.served.Add(1)
		return rawJSON(b)
	}
	return ec.marshalNChatEvent2githubᚗcomᚋgqlchatᚋgqlchatᚋgraphᚋmodelᚐChatEvent(ctx, sel, v.node)
}

// writeEventRecovered is writeEvent with a panic logged and turned into a
// fallback, as runRecovered does for queries.
func (d *direct) writeEventRecovered(ctx context.Context, ec *executionContext, shape shapeKey, collected map[collectKey][]graphql.CollectedField, sel ast.SelectionSet, v streamEvent) (b []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = RecoverPanic(ctx, p)
		}
	}()
	op := graphql.GetOperationContext(ctx)
	key := templateKey{ev: v.ev.Shared(), shape: shape}
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
		x := &directRun{ctx: ctx, op: op, ec: ec, r: d.r, types: streamTypes, collected: collected}
		entry.t = x.writeTemplate(v.node, sel)
		d.written.Add(1)
	})
	x := &directRun{ctx: ctx, op: op, ec: ec, r: d.r, types: streamTypes, collected: collected}
	x.w.Grow(len(entry.t.text) + 64)
	if err := entry.t.fill(x, v.node); err != nil {
		return nil, err
	}
	return x.w.Bytes(), nil
}

// rawJSON is JSON written already.
type rawJSON []byte

func (r rawJSON) MarshalGQL(w io.Writer) { _, _ = w.Write(r) }
