package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gqlchat/gqlchat/events"
)

// Bus returns b counting the events published through it. When b is the
// PostgreSQL bus (it has Stats and Listening, as events.PG does), its
// traffic between instances is exported as well; a later call replaces it.
func (m *Metrics) Bus(b events.Bus) events.Bus {
	if pg, ok := b.(pgBus); ok {
		m.bus.pg.Store(&pg)
	}
	return countingBus{Bus: b, published: m.published}
}

// pgBus is what events.PG tells of itself.
type pgBus interface {
	Stats() events.PGStats
	Listening() bool
}

// countingBus counts what is published.
type countingBus struct {
	events.Bus
	published *prometheus.CounterVec
}

// Publish implements events.Bus.
func (b countingBus) Publish(evs ...events.Event) {
	b.Bus.Publish(evs...)
	for _, e := range evs {
		b.published.WithLabelValues(string(e.Kind)).Inc()
	}
}

// busCollector exports the statistics of the PostgreSQL bus, or nothing
// while there is none.
type busCollector struct {
	pg atomic.Pointer[pgBus]
}

var (
	busNotifies  = busDesc("notifies_total", "NOTIFY payloads sent to the other instances.")
	busFlushes   = busDesc("flushes_total", "Round trips to the database that sent NOTIFY payloads.")
	busReceived  = busDesc("received_total", "Events received from the other instances.")
	busResyncs   = busDesc("resyncs_total", "Times the local subscriptions were told to re-read their state, events having been missed.")
	busDropped   = busDesc("dropped_total", "Events that never reached the other instances.")
	busListening = busDesc("listening", "1 while events from the other instances arrive (the LISTEN connection is up), else 0.")
)

func busDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "event_bus", name), help, nil, nil)
}

// Describe implements prometheus.Collector.
func (c *busCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{busNotifies, busFlushes, busReceived, busResyncs, busDropped, busListening} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *busCollector) Collect(ch chan<- prometheus.Metric) {
	p := c.pg.Load()
	if p == nil {
		return
	}
	st := (*p).Stats()
	for d, v := range map[*prometheus.Desc]int64{
		busNotifies: st.Notifies, busFlushes: st.Flushes, busReceived: st.Received, busResyncs: st.Resyncs, busDropped: st.Dropped,
	} {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	listening := 0.0
	if (*p).Listening() {
		listening = 1
	}
	ch <- prometheus.MustNewConstMetric(busListening, prometheus.GaugeValue, listening)
}
