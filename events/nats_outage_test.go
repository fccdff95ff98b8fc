package events

import (
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/internal/natsserver"
)

// NATS going away under load, cleanly or in a crash, and coming back: a
// subscriber on another instance gets each event at most once and in
// order, any it missed is followed by a Resync before the next, and events
// flow again once the server is back. The stream is in files, so it
// outlives the restart.
func TestNATS_ServerStoppedOrKilledUnderLoadLosesNothingUnannounced(t *testing.T) {
	t.Parallel()
	for _, crash := range []bool{false, true} {
		name := map[bool]string{false: "stopped", true: "killed"}[crash]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := natsserver.Start(t)
			a, b := pair(newTestNATSes(t, srv.URL, NATSOptions{}, 2))
			const total = 2000
			sub := b.Subscribe(total+100, "x")
			published := make(chan struct{})
			go func() {
				defer close(published)
				tick := time.NewTicker(500 * time.Microsecond) // a steady load, about 2,000 events/s
				defer tick.Stop()
				for id := int64(1); id <= total; id++ {
					a.Publish(Event{Topic: "x", ID: id})
					<-tick.C
				}
			}()
			check := orderChecker{t: t}
			for check.delivered < 300 { // well under way
				check.take(mustReceive(t, sub))
			}
			if crash {
				srv.Kill(t)
			} else {
				srv.Stop(t)
			}
			srv.Restart(t)
			<-published
			waitFor(t, "both buses to be back", func() bool { return a.Consuming() && b.Consuming() })
			a.Publish(Event{Topic: "x", ID: total + 1}) // proves the stream live
			for check.last != total+1 {
				check.take(mustReceive(t, sub))
			}
			t.Logf("%d of %d events delivered, %d resyncs; a: %+v; b: %+v",
				check.delivered, total+1, check.resyncs, a.Stats(), b.Stats())
		})
	}
}

// orderChecker follows the events of one publisher, numbered from 1,
// through a subscription.
type orderChecker struct {
	t         *testing.T
	last      int64 // the ID of the last event delivered
	resynced  bool  // a Resync came since it
	delivered int
	resyncs   int
}

// take fails the test if e repeats an event, comes after a later one, or
// comes after a gap without a Resync since the last event delivered.
func (c *orderChecker) take(e Event) {
	c.t.Helper()
	if e.Kind == Resync {
		c.resynced = true
		c.resyncs++
		return
	}
	switch {
	case e.ID <= c.last:
		c.t.Fatalf("event %d after event %d", e.ID, c.last)
	case e.ID > c.last+1 && !c.resynced:
		c.t.Fatalf("event %d after event %d without a Resync", e.ID, c.last)
	}
	c.last, c.resynced = e.ID, false
	c.delivered++
}
