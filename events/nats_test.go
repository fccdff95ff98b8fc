package events

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gqlchat/gqlchat/internal/natsserver"
)

func TestNATS_EveryInstanceGetsEveryEventOnceInPublishOrder(t *testing.T) {
	t.Parallel()
	a, b := pair(newTestNATSes(t, testNATSURL(t), NATSOptions{}, 2))
	subs := []*Subscription{a.Subscribe(200, "x"), b.Subscribe(200, "x")}
	var wg sync.WaitGroup
	for _, p := range []struct {
		bus   *NATS
		first int64
	}{{a, 1000}, {b, 2000}} {
		wg.Go(func() {
			for i := range int64(50) {
				p.bus.Publish(Event{Topic: "x", Kind: LogAppended, ID: p.first + i})
			}
		})
	}
	wg.Wait()
	for _, s := range subs {
		next := map[int64]int64{1000: 1000, 2000: 2000} // publisher -> ID expected next
		for range 100 {
			e := mustReceive(t, s)
			from := e.ID / 1000 * 1000
			if e.ID != next[from] {
				t.Fatalf("from publisher %d: got ID %d, want %d", from, e.ID, next[from])
			}
			next[from]++
		}
		mustReceiveNothing(t, s)
	}
	if st := b.Stats(); st.Received != 50 || st.Resyncs != 0 || st.Dropped != 0 {
		t.Fatalf("b's counters: %+v", st)
	}
}

// Every chat has subjects of its own; other topics map to valid subjects.
func TestNATS_EachEventGoesToASubjectOfItsTopicAndChat(t *testing.T) {
	t.Parallel()
	url := testNATSURL(t)
	a := newTestNATSes(t, url, NATSOptions{}, 1)[0]
	prefix := a.opts.Subject
	odd := strings.Repeat("ü.* >", 100)
	for _, c := range []struct {
		e       Event
		subject string
	}{
		{Event{Topic: UserTopic(42), Kind: FriendRequestCreated, ID: 7}, prefix + ".user.42"},
		{Event{Topic: LogTopic, Kind: LogAppended, ID: 9, Chat: 17, Seq: 3}, prefix + ".log.17"},
		{Event{Topic: TypingTopic, Kind: TypingStarted, ID: 42, Chat: 17}, prefix + ".typing.17"},
		{Event{Topic: PresenceTopic, Kind: PresenceChanged, ID: 42}, prefix + ".presence"},
		{Event{Topic: odd, ID: 1}, subject(prefix, Event{Topic: odd})},
	} {
		a.Publish(c.e)
		msg := lastOn(t, url, a.opts.Stream, c.subject)
		env, err := decodeEnvelope(msg.Data)
		if err != nil || env.Event == nil || *env.Event != c.e || env.From != a.id {
			t.Fatalf("%s holds %s (%v), want %+v from %s", c.subject, msg.Data, err, c.e, a.id)
		}
	}
	if s := subject(prefix, Event{Topic: odd}); !strings.HasPrefix(s, prefix+"._.") || len(s) > len(prefix)+40 {
		t.Fatalf("an odd topic's subject: %q", s)
	}
}

// A cut connection loses nothing the stream still holds: the instance
// reads on from where it was, with no resync.
func TestNATS_ReplaysWhatItMissedWhileItsConnectionWasCut(t *testing.T) {
	t.Parallel()
	url := testNATSURL(t)
	proxy := natsserver.NewProxy(t, url)
	a, b := pair(newTestNATSesVia(t, []string{url, proxy.URL}, NATSOptions{}))
	sub := b.Subscribe(10, "x")
	proxy.Cut()
	waitFor(t, "b to notice the cut", func() bool { return !b.Consuming() })
	for i := range int64(5) {
		a.Publish(Event{Topic: "x", ID: i + 1})
	}
	waitFor(t, "the stream to take the events", func() bool { return a.Stats().Published >= 5 })
	proxy.Mend()
	for i := range int64(5) {
		if e := mustReceive(t, sub); e != (Event{Topic: "x", ID: i + 1}) {
			t.Fatalf("got %+v, want ID %d", e, i+1)
		}
	}
	a.Publish(Event{Topic: "x", ID: 6})
	if e := mustReceive(t, sub); e.ID != 6 {
		t.Fatalf("got %+v, want ID 6", e)
	}
	if st := b.Stats(); st.Resyncs != 0 || st.Replays == 0 {
		t.Fatalf("b's counters after the cut: %+v", st)
	}
}

// What the stream no longer holds when the instance is back is resynced.
func TestNATS_ResyncsWhenWhatItMissedAgedOut(t *testing.T) {
	t.Parallel()
	url := testNATSURL(t)
	proxy := natsserver.NewProxy(t, url)
	a, b := pair(newTestNATSesVia(t, []string{url, proxy.URL}, NATSOptions{Replay: time.Second}))
	chat, user := b.Subscribe(10, "x"), b.Subscribe(10, "user:1", "user:2")
	proxy.Cut()
	waitFor(t, "b to notice the cut", func() bool { return !b.Consuming() })
	a.Publish(Event{Topic: "x", ID: 1}, Event{Topic: "user:1", ID: 2})
	waitFor(t, "the stream to take the events", func() bool { return a.Stats().Published >= 2 })
	waitFor(t, "the events to age out", func() bool { return streamInfo(t, url, a.opts.Stream).State.Msgs == 0 })
	proxy.Mend()
	for _, s := range []*Subscription{chat, user} {
		if e := mustReceive(t, s); e != (Event{Kind: Resync}) {
			t.Fatalf("got %+v, want a Resync", e)
		}
	}
	a.Publish(Event{Topic: "x", ID: 3})
	if e := mustReceive(t, chat); e.ID != 3 {
		t.Fatalf("got %+v after the resync, want ID 3", e)
	}
	mustReceiveNothing(t, user) // one Resync per subscription
	if st := b.Stats(); st.Resyncs != 1 || st.Received != 1 {
		t.Fatalf("b's counters: %+v", st)
	}
}

// A stream deleted under the instances (an operator, a server that lost
// its store) is made again, and everyone resyncs: what was in the old one
// is gone.
func TestNATS_ANewStreamMakesEveryInstanceResync(t *testing.T) {
	t.Parallel()
	url := testNATSURL(t)
	a, b := pair(newTestNATSes(t, url, NATSOptions{HealthCheck: time.Second}, 2))
	subs := []*Subscription{a.Subscribe(10, "x"), b.Subscribe(10, "x")}
	a.Publish(Event{Topic: "x", ID: 1})
	for _, s := range subs {
		mustReceive(t, s)
	}
	if err := jetStream(t, url).DeleteStream(t.Context(), a.opts.Stream); err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		if e := mustReceive(t, s); e != (Event{Kind: Resync}) {
			t.Fatalf("got %+v, want a Resync", e)
		}
	}
	waitFor(t, "both to read the new stream", func() bool { return a.Consuming() && b.Consuming() })
	b.Publish(Event{Topic: "x", ID: 2})
	for _, s := range subs {
		if e := mustReceive(t, s); e.ID != 2 {
			t.Fatalf("got %+v, want ID 2", e)
		}
	}
}

// Whatever reaches the stream, a subscriber never gets a sender's event
// twice, nor after a later one, nor after one it missed without a Resync
// in between. The messages are written by hand, as a sender whose
// publishes failed would leave them.
func TestNATS_ASendersRepeatsAndGapsAreNeverDeliveredOutOfOrder(t *testing.T) {
	t.Parallel()
	url := testNATSURL(t)
	b := newTestNATSes(t, url, NATSOptions{}, 1)[0]
	sub := b.Subscribe(20, "x")
	js := jetStream(t, url)
	for _, env := range []envelope{
		{From: "X", Seq: 1, Event: &Event{Topic: "x", ID: 1}},
		{From: "X", Seq: 1, Event: &Event{Topic: "x", ID: 1}}, // repeated
		{From: "X", Seq: 3, Event: &Event{Topic: "x", ID: 3}}, // 2 is missing: resync first
		{From: "X", Seq: 2, Event: &Event{Topic: "x", ID: 2}}, // late: its gap was resynced
		{From: "X", Seq: 4, Resync: true},                     // X says it lost some
		{From: "X", Seq: 5, Event: &Event{Topic: "x", ID: 5}},
	} {
		var event []byte
		if env.Event != nil {
			event = mustEncode(t, *env.Event)
		}
		data := env.encode(event)
		if _, err := js.Publish(t.Context(), b.opts.Subject+".x", data); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []Event{{Topic: "x", ID: 1}, {Kind: Resync}, {Topic: "x", ID: 3}, {Kind: Resync}, {Topic: "x", ID: 5}} {
		if e := mustReceive(t, sub); e != want {
			t.Fatalf("got %+v, want %+v", e, want)
		}
	}
	mustReceiveNothing(t, sub)
}

func TestNATS_AnEventTooLargeForAMessageIsLocalAndMakesOtherInstancesResync(t *testing.T) {
	t.Parallel()
	a, b := pair(newTestNATSes(t, testNATSURL(t), NATSOptions{}, 2))
	huge := Event{Topic: strings.Repeat("z", int(a.nc.MaxPayload()))}
	local, remote := a.Subscribe(10, huge.Topic, "x"), b.Subscribe(10, huge.Topic, "x")
	a.Publish(huge, Event{Topic: "x", ID: 1})

	if e := mustReceive(t, local); e.Topic != huge.Topic {
		t.Fatalf("publisher's subscriber got %.10q, want the large event", e.Topic)
	}
	for _, want := range []Event{{Kind: Resync}, {Topic: "x", ID: 1}} {
		if e := mustReceive(t, remote); e != want {
			t.Fatalf("other instance got %+v, want %+v", e, want)
		}
	}
	if st := a.Stats(); st.Dropped != 1 {
		t.Fatalf("Dropped = %d, want 1", st.Dropped)
	}
}

func TestNATS_CloseSendsWhatIsStillQueued(t *testing.T) {
	t.Parallel()
	a, b := pair(newTestNATSes(t, testNATSURL(t), NATSOptions{}, 2))
	sub := b.Subscribe(10, "x")
	a.Publish(Event{Topic: "x", ID: 1})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if e := mustReceive(t, sub); e.ID != 1 {
		t.Fatalf("got %+v, want ID 1", e)
	}
	a.Publish(Event{Topic: "x", ID: 2}) // local only now, and harmless
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	mustReceiveNothing(t, sub)
}

func TestNATS_NewNATSFailsWhenNoServerAnswers(t *testing.T) {
	t.Parallel()
	if _, err := NewNATS(t.Context(), "nats://127.0.0.1:1", NATSOptions{}); err == nil {
		t.Fatal("a bus without a server")
	}
}

var (
	natsOnce   sync.Once
	sharedNATS string
	natsErr    error
)

// testNATSURL is the NATS server the tests share.
func testNATSURL(t *testing.T) string {
	natsOnce.Do(func() { sharedNATS, natsErr = natsserver.URL(context.Background()) })
	if natsErr != nil {
		t.Fatalf("no NATS for tests: %v", natsErr)
	}
	return sharedNATS
}

// newTestNATSes returns k buses, as on k server instances, on a stream and
// subjects of their own so that tests running in parallel do not meet.
func newTestNATSes(t *testing.T, url string, opts NATSOptions, k int) []*NATS {
	t.Helper()
	urls := make([]string, k)
	for i := range urls {
		urls[i] = url
	}
	return newTestNATSesVia(t, urls, opts)
}

// newTestNATSesVia returns a bus connected to each URL, sharing a stream
// made for the test, which ends with it.
func newTestNATSesVia(t *testing.T, urls []string, opts NATSOptions) []*NATS {
	t.Helper()
	name := "test_" + strings.ToLower(rand.Text()[:16])
	opts.Stream, opts.Subject = name, name
	if opts.HealthCheck == 0 {
		opts.HealthCheck = time.Second
	}
	opts.ReconnectWait = 50 * time.Millisecond
	opts.MaxBytes = testStreamBytes
	// Registered first, so that it runs once the buses are closed: a bus
	// still running would make the stream again.
	t.Cleanup(func() { _ = jetStream(t, urls[0]).DeleteStream(context.Background(), name) })
	var buses []*NATS
	for _, url := range urls {
		n, err := NewNATS(t.Context(), url, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = n.Close() })
		buses = append(buses, n)
	}
	return buses
}

// testStreamBytes bounds test streams, which the server reserves room for.
const testStreamBytes = 16 << 20

func pair(buses []*NATS) (*NATS, *NATS) { return buses[0], buses[1] }

// jetStream is a client of the server at url of the test's own.
func jetStream(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func streamInfo(t *testing.T, url, stream string) *jetstream.StreamInfo {
	t.Helper()
	s, err := jetStream(t, url).Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	return s.CachedInfo()
}

// lastOn waits for a message on subject and returns the latest.
func lastOn(t *testing.T, url, stream, subject string) *jetstream.RawStreamMsg {
	t.Helper()
	js := jetStream(t, url)
	var msg *jetstream.RawStreamMsg
	waitFor(t, "a message on "+subject, func() bool {
		s, err := js.Stream(context.Background(), stream)
		if err != nil {
			t.Fatal(err)
		}
		msg, err = s.GetLastMsgForSubject(context.Background(), subject)
		return err == nil
	})
	return msg
}

// waitFor polls ok until it holds, for at most 10 s.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
	}
}
