package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver; the pool is never dialled
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/gqlchat/gqlchat/events"
)

func TestOperation_CountsRequestErrorCodesAndLatency(t *testing.T) {
	m := New(nil)
	ctx := withOperation("SendMessage", ast.Mutation, "postMessage")
	run(t, m, ctx, graphql.OneShot(&graphql.Response{
		Data:   []byte(`{"postMessage":null}`),
		Errors: gqlerror.List{coded("NOT_FOUND"), coded("NOT_FOUND"), coded("RATE_LIMITED"), {Message: "no code"}},
	}))
	run(t, m, withOperation("", ast.Query, "viewer"), graphql.OneShot(&graphql.Response{Data: []byte(`{}`)}))

	expectSeries(t, scrape(t, m),
		`gqlchat_graphql_requests_total{operation="SendMessage",type="mutation"} 1`,
		`gqlchat_graphql_errors_total{code="NOT_FOUND",operation="SendMessage",type="mutation"} 1`,
		`gqlchat_graphql_errors_total{code="RATE_LIMITED",operation="SendMessage",type="mutation"} 1`,
		`gqlchat_graphql_errors_total{code="UNKNOWN",operation="SendMessage",type="mutation"} 1`,
		`gqlchat_graphql_request_duration_seconds_count{type="mutation"} 1`,
		`gqlchat_graphql_request_duration_seconds_bucket{type="mutation",le="0.025"} 0`, // it began 30ms ago
		`gqlchat_graphql_requests_total{operation="anonymous",type="query"} 1`,
	)
}

func TestOperation_RefusedBeforeRunningIsCountedOnce(t *testing.T) {
	m := New(nil)
	ext := m.Extension().(graphql.ResponseInterceptor)
	// The client's operation "Broken" ran once before, so its name is a label.
	run(t, m, withOperation("Broken", ast.Query, "viewer"), graphql.OneShot(&graphql.Response{Data: []byte(`{}`)}))
	// A document that did not parse reaches only the response hook, with
	// the operation name the client sent.
	ctx := graphql.WithOperationContext(context.Background(), &graphql.OperationContext{OperationName: "Broken"})
	ext.InterceptResponse(ctx, func(context.Context) *graphql.Response {
		return &graphql.Response{Errors: gqlerror.List{coded("GRAPHQL_PARSE_FAILED")}}
	})
	// A request whose body was not even JSON has no operation context.
	ext.InterceptResponse(context.Background(), func(context.Context) *graphql.Response {
		return &graphql.Response{Errors: gqlerror.List{coded("GRAPHQL_PARSE_FAILED")}}
	})

	body := scrape(t, m)
	expectSeries(t, body,
		`gqlchat_graphql_requests_total{operation="Broken",type="unknown"} 1`,
		`gqlchat_graphql_errors_total{code="GRAPHQL_PARSE_FAILED",operation="Broken",type="unknown"} 1`,
		`gqlchat_graphql_requests_total{operation="anonymous",type="unknown"} 1`,
	)
	if strings.Contains(body, `request_duration_seconds_count{type="unknown"}`) {
		t.Error("refused requests should stay out of the latency histogram")
	}
}

// A request that fails to parse costs nothing to send: its name becomes a
// label only if a valid operation made it one, so that a flood of them
// cannot take the places of the application's operations.
func TestOperation_RefusedEarlyAdmitsNoNewName(t *testing.T) {
	m := New(nil)
	ext := m.Extension().(graphql.ResponseInterceptor)
	for i := range MaxOperationNames + 1 {
		ctx := graphql.WithOperationContext(context.Background(), &graphql.OperationContext{OperationName: fmt.Sprint("Junk_", i)})
		ext.InterceptResponse(ctx, func(context.Context) *graphql.Response {
			return &graphql.Response{Errors: gqlerror.List{coded("GRAPHQL_PARSE_FAILED")}}
		})
	}
	run(t, m, withOperation("RealQuery", ast.Query, "viewer"), graphql.OneShot(&graphql.Response{Data: []byte(`{}`)}))
	body := scrape(t, m)
	expectSeries(t, body,
		fmt.Sprintf(`gqlchat_graphql_requests_total{operation="other",type="unknown"} %d`, MaxOperationNames+1),
		`gqlchat_graphql_requests_total{operation="RealQuery",type="query"} 1`,
	)
}

func TestOperation_ClientChosenNamesAreCapped(t *testing.T) {
	for name, want := range map[string]string{
		"":                       "anonymous",
		"GetChats_2":             "GetChats_2",
		"_private":               "_private",
		"2fast":                  "other",
		"drop-table":             "other",
		"Chat\u00e9":             "other",
		strings.Repeat("a", 64):  strings.Repeat("a", 64),
		strings.Repeat("a", 65):  "other",
		`x"} 1` + "\ninjected 1": "other",
	} {
		if got := label(name, "anonymous"); got != want {
			t.Errorf("label(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestSubscription_CountsStartDeliveriesAndActive(t *testing.T) {
	m := New(nil)
	ctx, cancel := context.WithCancel(withOperation("Feed", ast.Subscription, "messagePosted"))
	defer cancel()
	results := make(chan *graphql.Response, 2)
	handle := m.Extension().(graphql.OperationInterceptor).InterceptOperation(ctx, func(context.Context) graphql.ResponseHandler {
		return func(ctx context.Context) *graphql.Response {
			return respond(ctx, m, <-results)
		}
	})
	expectSeries(t, scrape(t, m), `gqlchat_graphql_active_subscriptions 1`)

	results <- &graphql.Response{Data: []byte(`{"messagePosted":{"id":"1"}}`)}
	results <- &graphql.Response{Data: []byte(`{"messagePosted":null}`), Errors: gqlerror.List{coded("INTERNAL_SERVER_ERROR")}}
	handle(ctx)
	handle(ctx)
	close(results)
	if handle(ctx) != nil {
		t.Fatal("the stream should have ended")
	}

	body := scrape(t, m)
	expectSeries(t, body,
		`gqlchat_graphql_requests_total{operation="Feed",type="subscription"} 1`,
		`gqlchat_graphql_request_duration_seconds_count{type="subscription"} 1`,
		`gqlchat_events_delivered_total{subscription="messagePosted"} 2`,
		`gqlchat_graphql_active_subscriptions 0`,
	)
	if strings.Contains(body, "gqlchat_graphql_errors_total") {
		t.Error("an error in a later result should not count as a failed start")
	}
}

func TestSubscription_FailedStartCountsItsErrors(t *testing.T) {
	m := New(nil)
	ctx := withOperation("Feed", ast.Subscription, "messagePosted")
	run(t, m, ctx, graphql.OneShot(&graphql.Response{Errors: gqlerror.List{coded("UNAUTHENTICATED")}}))

	expectSeries(t, scrape(t, m),
		`gqlchat_graphql_requests_total{operation="Feed",type="subscription"} 1`,
		`gqlchat_graphql_errors_total{code="UNAUTHENTICATED",operation="Feed",type="subscription"} 1`,
		`gqlchat_graphql_active_subscriptions 0`,
	)
}

func TestSubscription_EndsWhenItsContextEnds(t *testing.T) {
	m := New(nil)
	ctx, cancel := context.WithCancel(withOperation("Feed", ast.Subscription, "messagePosted"))
	m.Extension().(graphql.OperationInterceptor).InterceptOperation(ctx, func(context.Context) graphql.ResponseHandler {
		return func(context.Context) *graphql.Response { return nil }
	})
	expectSeries(t, scrape(t, m), `gqlchat_graphql_active_subscriptions 1`)
	cancel() // the client completed it; the transport asks for nothing more
	deadline := time.Now().Add(5 * time.Second)
	for m.active.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the subscription is still counted as active")
		}
		time.Sleep(time.Millisecond)
	}
	expectSeries(t, scrape(t, m), `gqlchat_graphql_active_subscriptions 0`)
}

func TestGauges_ReadTheirFunctionsAtScrape(t *testing.T) {
	m := New(nil)
	expectSeries(t, scrape(t, m), `gqlchat_websocket_connections 0`)
	open := 3
	m.WatchWebSockets(func() int { return open })
	expectSeries(t, scrape(t, m), `gqlchat_websocket_connections 3`)
	open = 5
	expectSeries(t, scrape(t, m), `gqlchat_websocket_connections 5`)
}

func TestBus_CountsPublishedEventsAndStillDelivers(t *testing.T) {
	m := New(nil)
	bus := m.Bus(events.NewInMem())
	sub := bus.Subscribe(4, events.LogTopic)
	defer sub.Close()
	bus.Publish(
		events.Event{Topic: events.LogTopic, Kind: events.LogAppended, ID: 1, Chat: 1, Seq: 1},
		events.Event{Topic: events.LogTopic, Kind: events.LogAppended, ID: 2, Chat: 1, Seq: 2},
		events.Event{Topic: events.UserTopic(7), Kind: events.SessionsChanged},
	)
	if e := <-sub.C; e.ID != 1 {
		t.Fatalf("got %+v, want message 1", e)
	}

	body := scrape(t, m)
	expectSeries(t, body,
		`gqlchat_events_published_total{kind="log.appended"} 2`,
		`gqlchat_events_published_total{kind="sessions.changed"} 1`,
	)
	if strings.Contains(body, "gqlchat_event_bus_") {
		t.Error("the in-process bus has no statistics between instances to export")
	}
}

// pgLike reports statistics as events.PG does, without a database.
type pgLike struct{ *events.InMem }

func (pgLike) Stats() events.PGStats {
	return events.PGStats{Notifies: 4, Flushes: 2, Received: 9, Resyncs: 1, Dropped: 0}
}
func (pgLike) Listening() bool { return true }

func TestBus_ExportsThePostgreSQLBusStatistics(t *testing.T) {
	m := New(nil)
	m.Bus(pgLike{events.NewInMem()})
	expectSeries(t, scrape(t, m),
		`gqlchat_event_bus_notifies_total 4`,
		`gqlchat_event_bus_flushes_total 2`,
		`gqlchat_event_bus_received_total 9`,
		`gqlchat_event_bus_resyncs_total 1`,
		`gqlchat_event_bus_dropped_total 0`,
		`gqlchat_event_bus_listening 1`,
	)
}

// natsLike reports statistics as events.NATS does, without a server.
type natsLike struct{ *events.InMem }

func (natsLike) Stats() events.NATSStats {
	return events.NATSStats{Published: 12, Received: 9, Replays: 2, Resyncs: 1, Dropped: 3}
}
func (natsLike) Listening() bool { return false }

func TestBus_ExportsTheNATSBusStatistics(t *testing.T) {
	m := New(nil)
	m.Bus(natsLike{events.NewInMem()})
	body := scrape(t, m)
	expectSeries(t, body,
		`gqlchat_event_bus_published_total 12`,
		`gqlchat_event_bus_replays_total 2`,
		`gqlchat_event_bus_received_total 9`,
		`gqlchat_event_bus_resyncs_total 1`,
		`gqlchat_event_bus_dropped_total 3`,
		`gqlchat_event_bus_listening 0`,
	)
	if strings.Contains(body, "gqlchat_event_bus_notifies_total") {
		t.Error("the NATS bus sends no NOTIFY")
	}
}

func TestHandler_ServesPoolRuntimeAndProcessMetrics(t *testing.T) {
	db, err := sql.Open("pgx", "postgres://nobody@127.0.0.1:1/none")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(7)
	m := New(db)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, ct)
	}
	body, _ := io.ReadAll(resp.Body)
	expectSeries(t, string(body),
		`go_sql_max_open_connections{db_name="gqlchat"} 7`,
		`go_sql_open_connections{db_name="gqlchat"} 0`,
		`go_goroutines `,
		`process_open_fds `,
		`# TYPE gqlchat_websocket_connections gauge`,
	)
}

func TestNew_RegistriesAreIndependent(t *testing.T) {
	a, b := New(nil), New(nil)
	run(t, a, withOperation("Me", ast.Query, "viewer"), graphql.OneShot(&graphql.Response{Data: []byte(`{}`)}))
	if strings.Contains(scrape(t, b), `operation="Me"`) {
		t.Error("one Metrics' operations showed in another's")
	}
}

// withOperation is the context gqlgen gives an operation of typ named name
// (empty: anonymous) selecting field, received 30ms ago.
func withOperation(name string, typ ast.Operation, field string) context.Context {
	return graphql.WithOperationContext(context.Background(), &graphql.OperationContext{
		OperationName: name,
		Operation: &ast.OperationDefinition{Operation: typ, Name: name, SelectionSet: ast.SelectionSet{
			&ast.Field{Name: field, Alias: field},
		}},
		Stats: graphql.Stats{OperationStart: time.Now().Add(-30 * time.Millisecond)},
	})
}

// run passes one operation through the extension, whose next yields the
// responses of handle through the response hook as gqlgen's executor does,
// and reads every response.
func run(t *testing.T, m *Metrics, ctx context.Context, handle graphql.ResponseHandler) {
	t.Helper()
	h := m.Extension().(graphql.OperationInterceptor).InterceptOperation(ctx, func(context.Context) graphql.ResponseHandler {
		return func(ctx context.Context) *graphql.Response { return respond(ctx, m, handle(ctx)) }
	})
	for i := 0; h(ctx) != nil; i++ {
		if i > 10 {
			t.Fatal("the operation never ended")
		}
	}
}

// respond passes resp through the response hook, as the executor does.
func respond(ctx context.Context, m *Metrics, resp *graphql.Response) *graphql.Response {
	if resp == nil {
		return nil
	}
	return m.Extension().(graphql.ResponseInterceptor).InterceptResponse(ctx, func(context.Context) *graphql.Response { return resp })
}

func coded(code string) *gqlerror.Error {
	return &gqlerror.Error{Message: strings.ToLower(code), Extensions: map[string]any{"code": code}}
}

// scrape reads m's metrics over HTTP.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// expectSeries fails unless every line of want starts a line of body.
func expectSeries(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.HasPrefix(body, w) && !strings.Contains(body, "\n"+w) {
			t.Errorf("missing %q in:\n%s", w, grepGQLChat(body))
		}
	}
}

func grepGQLChat(body string) string {
	var b strings.Builder
	for line := range strings.Lines(body) {
		if strings.HasPrefix(line, "gqlchat_") {
			b.WriteString(line)
		}
	}
	return b.String()
}
