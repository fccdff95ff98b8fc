package graph

import (
	"context"
	"errors"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/models"
)

// A panic in a resolver the direct path calls is logged and handed to
// gqlgen (which meets it again and answers as it does), not let loose.
func TestDirect_APanicFallsBackToGqlgen(t *testing.T) {
	doc, errs := gqlparser.LoadQuery(parsedSchema, `{ viewer { id } }`)
	if errs != nil {
		t.Fatal(errs)
	}
	op := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: map[string]any{}}
	r := &Resolver{Chat: &chat.Service{}} // a service without a database: Viewer panics
	d := newDirect(NewExecutableSchema(Config{Resolvers: r}).(*executableSchema), r)
	ctx := chat.WithViewer(context.Background(), &chat.Viewer{UserID: 1})
	ctx = graphql.WithResponseContext(graphql.WithOperationContext(ctx, op), PresentError, RecoverPanic)
	fallback := &graphql.Response{Data: []byte(`{"from":"gqlgen"}`)}
	got := d.around(ctx, func(context.Context) *graphql.Response { return fallback })
	if got != fallback || d.served.Load() != 0 {
		t.Fatalf("got %+v, served %d", got, d.served.Load())
	}
	if _, err := d.runRecovered(ctx, op); err == nil || errors.Is(err, errIndirect) {
		t.Fatalf("runRecovered: %v", err)
	}
}

// So with an event: a panic while writing it is logged and the event is
// left to gqlgen's marshaller, not let loose on the subscription.
func TestDirect_APanicWritingAnEventFallsBackToGqlgen(t *testing.T) {
	doc, errs := gqlparser.LoadQuery(parsedSchema, `subscription { chatEvents { __typename ... on MessagePostedEvent { message { id sender { id } } } } }`)
	if errs != nil {
		t.Fatal(errs)
	}
	op := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: map[string]any{}}
	r := &Resolver{Chat: &chat.Service{}}
	d := newDirect(NewExecutableSchema(Config{Resolvers: r}).(*executableSchema), r)
	ctx := chat.WithViewer(context.Background(), &chat.Viewer{UserID: 1})
	ctx = graphql.WithResponseContext(graphql.WithOperationContext(ctx, op), PresentError, RecoverPanic)
	sub := &streamSub{d: d, ec: newExecutionContext(op, d.es, nil), argsOf: map[*ast.Field]map[string]any{}}
	sel := graphql.CollectFields(op, op.Operation.SelectionSet, subscriptionImplementors)[0].Selections
	// The sender is not loaded with the message: its resolver asks the
	// request's loaders, which this context lacks, and panics.
	ev := &chat.Event{Message: &models.Message{ID: 7, SenderID: 1}}
	node := &model.MessagePostedEvent{Message: (*model.Message)(ev.Message)}
	if _, err := sub.writeRecovered(ctx, sel, streamEvent{ev: ev, node: node}); err == nil || errors.Is(err, errIndirect) {
		t.Fatalf("writeRecovered: %v, want the panic as an error", err)
	}
	if d.served.Load() != 0 {
		t.Fatalf("served %d", d.served.Load())
	}
}
