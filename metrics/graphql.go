package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Extension returns the gqlgen handler extension that records GraphQL
// operations. Use it before every other extension and operation middleware,
// so that operations they refuse are counted too.
func (m *Metrics) Extension() graphql.HandlerExtension { return extension{m} }

// extension records operations that run in InterceptOperation and those
// refused before running (unparsable, invalid, too complex, an unknown
// persisted query) in InterceptResponse, the only hook they reach.
type extension struct{ m *Metrics }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.ResponseInterceptor
} = extension{}

// countedKey marks the context of the responses that InterceptOperation
// records, so that InterceptResponse does not record them again.
type countedKey struct{}

// ExtensionName implements graphql.HandlerExtension.
func (extension) ExtensionName() string { return "Metrics" }

// Validate implements graphql.HandlerExtension.
func (extension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor.
func (e extension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	op := e.m.describe(ctx)
	handle := next(ctx) // for a subscription, this runs its resolver
	if op.typ == string(ast.Subscription) {
		return e.m.subscription(ctx, op, handle)
	}
	first := true
	return func(ctx context.Context) *graphql.Response {
		resp := handle(context.WithValue(ctx, countedKey{}, true))
		if first { // later responses are @defer increments of the same operation
			first = false
			e.m.record(op, resp)
			e.m.latency.WithLabelValues(op.typ).Observe(time.Since(op.start).Seconds())
		}
		return resp
	}
}

// InterceptResponse implements graphql.ResponseInterceptor.
func (e extension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if ctx.Value(countedKey{}) == nil {
		e.m.record(e.m.describe(ctx), resp)
	}
	return resp
}

// subscription records a subscription when it starts, the errors of a
// start that failed, each result sent, and while it runs.
func (m *Metrics) subscription(ctx context.Context, op operation, handle graphql.ResponseHandler) graphql.ResponseHandler {
	m.requests.WithLabelValues(op.name, op.typ).Inc()
	m.latency.WithLabelValues(op.typ).Observe(time.Since(op.start).Seconds())
	m.active.Add(1)
	var once sync.Once
	end := func() { once.Do(func() { m.active.Add(-1) }) }
	// The transport may stop asking for results without a final nil (the
	// client completed it or left): the operation's context ends then.
	stop := context.AfterFunc(ctx, end)
	delivered := m.delivered.WithLabelValues(op.field)
	first := true
	return func(ctx context.Context) *graphql.Response {
		resp := handle(context.WithValue(ctx, countedKey{}, true))
		switch {
		case resp == nil:
			stop()
			end()
		case first && len(resp.Data) == 0: // refused at start: errors and no result
			m.countErrors(op, resp)
		default:
			delivered.Inc()
		}
		first = false
		return resp
	}
}

// record counts one operation and its response's errors.
func (m *Metrics) record(op operation, resp *graphql.Response) {
	m.requests.WithLabelValues(op.name, op.typ).Inc()
	m.countErrors(op, resp)
}

// countErrors counts resp once per distinct error code, so that errors
// never outnumber requests for any code.
func (m *Metrics) countErrors(op operation, resp *graphql.Response) {
	if resp == nil {
		return
	}
	seen := map[string]bool{}
	for _, err := range resp.Errors {
		c, _ := err.Extensions["code"].(string)
		code := label(c, "UNKNOWN")
		if !seen[code] {
			seen[code] = true
			m.errors.WithLabelValues(op.name, op.typ, code).Inc()
		}
	}
}

// operation is what the labels say of one operation.
type operation struct {
	name, typ string
	field     string // a subscription's field
	start     time.Time
}

// describe reads the operation of ctx; one refused early may lack its
// document or even its operation context. Only an operation that parsed
// and validated can make its name a label: a request that names one and
// fails to parse costs nothing to send.
func (m *Metrics) describe(ctx context.Context) operation {
	op := operation{name: "anonymous", typ: "unknown", field: "other", start: time.Now()}
	if !graphql.HasOperationContext(ctx) {
		return op
	}
	oc := graphql.GetOperationContext(ctx)
	if !oc.Stats.OperationStart.IsZero() {
		op.start = oc.Stats.OperationStart
	}
	name, valid := oc.OperationName, oc.Operation != nil
	if o := oc.Operation; o != nil {
		op.typ = string(o.Operation)
		if o.Name != "" { // the document's only operation, not named in the request
			name = o.Name
		}
		if o.Operation == ast.Subscription {
			if fields := graphql.CollectFields(oc, o.SelectionSet, []string{"Subscription"}); len(fields) == 1 {
				op.field = fields[0].Name
			}
		}
	}
	op.name = m.names.label(name, valid)
	return op
}
