// Package metrics exports what operators watch, in the Prometheus text
// format at GET /metrics: GraphQL requests, errors and latency, open
// WebSockets and subscriptions, events published and delivered, the
// database pool and the Go runtime. It also answers GET /readyz.
//
// Each Metrics owns its registry rather than using Prometheus's global
// one, so that tests and several handlers in one process do not collide.
package metrics

import (
	"database/sql"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "gqlchat"

// Metrics records the server's metrics in a registry of its own.
type Metrics struct {
	reg *prometheus.Registry

	requests  *prometheus.CounterVec   // by operation name and type
	errors    *prometheus.CounterVec   // by operation name, type and code
	latency   *prometheus.HistogramVec // by operation type
	published *prometheus.CounterVec   // by event kind
	delivered *prometheus.CounterVec   // by subscription field

	names      nameSet                    // operation names used as labels
	active     atomic.Int64               // running GraphQL subscriptions
	webSockets atomic.Pointer[func() int] // set by WatchWebSockets
	bus        busCollector
}

// New returns metrics that include the statistics of db's connection pool;
// db may be nil.
func New(db *sql.DB) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), names: nameSet{max: MaxOperationNames, seen: map[string]bool{}}}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "graphql", Name: "requests_total",
		Help: "GraphQL operations received, by operation name and type (subscriptions counted once, when they start).",
	}, []string{"operation", "type"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "graphql", Name: "errors_total",
		Help: "GraphQL operations answered with errors, once per distinct extensions.code of the response.",
	}, []string{"operation", "type", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "graphql", Name: "request_duration_seconds",
		Help:    "Time from receiving an operation to its response; for a subscription, to its start.",
		Buckets: prometheus.DefBuckets,
	}, []string{"type"})
	m.published = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "events", Name: "published_total",
		Help: "Events published on the bus by this instance, by kind.",
	}, []string{"kind"})
	m.delivered = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "events", Name: "delivered_total",
		Help: "Subscription results sent to clients, by subscription field.",
	}, []string{"subscription"})
	m.reg.MustRegister(m.requests, m.errors, m.latency, m.published, m.delivered, &m.bus,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "graphql", Name: "active_subscriptions",
			Help: "GraphQL subscriptions running now.",
		}, func() float64 { return float64(m.active.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "websocket", Name: "connections",
			Help: "WebSocket connections open now.",
		}, func() float64 {
			if open := m.webSockets.Load(); open != nil {
				return float64((*open)())
			}
			return 0
		}),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if db != nil {
		m.reg.MustRegister(collectors.NewDBStatsCollector(db, namespace))
	}
	return m
}

// WatchWebSockets reports open() as the number of open WebSocket
// connections. It replaces the previous function, so that a handler built
// again (as tests do) takes over without a duplicate registration.
func (m *Metrics) WatchWebSockets(open func() int) { m.webSockets.Store(&open) }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
}

// labelName is what a client-chosen name may look like as a label value.
var labelName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// label is the label value of a client-chosen name: empty if it is "",
// itself if it looks like a name, else "other".
func label(name, empty string) string {
	switch {
	case name == "":
		return empty
	case labelName.MatchString(name):
		return name
	default:
		return "other"
	}
}

// MaxOperationNames is how many distinct operation names label the
// operation metrics; later names are counted as "other". Every new label
// value is a series kept until the process ends, and operation names are
// chosen by clients, anonymous ones included, so without a bound anyone
// could grow /metrics (and the memory behind it) at will. A real
// application has a few dozen operations, all of which it sends soon after
// a deployment.
const MaxOperationNames = 200

// nameSet admits the first MaxOperationNames operation names seen.
type nameSet struct {
	mu   sync.Mutex
	max  int
	seen map[string]bool
}

// label is the label value of the operation name: "anonymous", "other",
// or the name itself if it is one of the first max admitted. A name is
// admitted only by an operation that is valid (admit); others get their
// name only if it was admitted already.
func (s *nameSet) label(name string, admit bool) string {
	l := label(name, "anonymous")
	if l == "anonymous" || l == "other" {
		return l
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.seen[l] {
		if !admit || len(s.seen) >= s.max {
			return "other"
		}
		s.seen[l] = true
	}
	return l
}
