package graph

import (
	"context"
	"errors"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"

	"github.com/gqlchat/gqlchat/chat"
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
