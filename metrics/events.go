package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gqlchat/gqlchat/events"
)

// Bus returns b counting the events published through it. When b is a
// bus between instances (PostgreSQL's has Stats and Listening, as
// events.PG does; NATS's as events.NATS does), its traffic is exported as
// well; a later call replaces it.
func (m *Metrics) Bus(b events.Bus) events.Bus {
	var sample func() busSample
	switch bus := b.(type) {
	case pgBus:
		sample = func() busSample {
			st := bus.Stats()
			return busSample{listening: bus.Listening(), counters: map[*prometheus.Desc]int64{
				busNotifies: st.Notifies, busFlushes: st.Flushes, busReceived: st.Received, busResyncs: st.Resyncs, busDropped: st.Dropped,
			}}
		}
	case natsBus:
		sample = func() busSample {
			st := bus.Stats()
			return busSample{listening: bus.Listening(), counters: map[*prometheus.Desc]int64{
				busPublished: st.Published, busReplays: st.Replays, busReceived: st.Received, busResyncs: st.Resyncs, busDropped: st.Dropped,
			}}
		}
	}
	if sample != nil {
		m.bus.sample.Store(&sample)
	}
	return countingBus{Bus: b, published: m.published}
}

// pgBus is what events.PG tells of itself.
type pgBus interface {
	Stats() events.PGStats
	Listening() bool
}

// natsBus is what events.NATS tells of itself.
type natsBus interface {
	Stats() events.NATSStats
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

// busCollector exports the statistics of the bus between instances, or
// nothing while there is none.
type busCollector struct {
	sample atomic.Pointer[func() busSample]
}

// busSample is what a bus between instances says of itself at a scrape.
type busSample struct {
	counters  map[*prometheus.Desc]int64
	listening bool
}

var (
	busNotifies  = busDesc("notifies_total", "NOTIFY payloads sent to the other instances (EVENT_BUS=postgres).")
	busFlushes   = busDesc("flushes_total", "Round trips to the database that sent NOTIFY payloads (EVENT_BUS=postgres).")
	busPublished = busDesc("published_total", "Messages the NATS stream took from this instance (EVENT_BUS=nats).")
	busReplays   = busDesc("replays_total", "Times this instance read the NATS stream on from where it was after an interruption, missing nothing (EVENT_BUS=nats).")
	busReceived  = busDesc("received_total", "Events received from the other instances.")
	busResyncs   = busDesc("resyncs_total", "Times the local subscriptions were told to re-read their state, events having been missed.")
	busDropped   = busDesc("dropped_total", "Events that never reached the other instances.")
	busListening = busDesc("listening", "1 while events from the other instances arrive (the LISTEN connection, or the NATS connection and its consumer, is up), else 0.")
)

func busDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "event_bus", name), help, nil, nil)
}

// Describe implements prometheus.Collector.
func (c *busCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{busNotifies, busFlushes, busPublished, busReplays, busReceived, busResyncs, busDropped, busListening} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *busCollector) Collect(ch chan<- prometheus.Metric) {
	sample := c.sample.Load()
	if sample == nil {
		return
	}
	s := (*sample)()
	for d, v := range s.counters {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	listening := 0.0
	if s.listening {
		listening = 1
	}
	ch <- prometheus.MustNewConstMetric(busListening, prometheus.GaugeValue, listening)
}
