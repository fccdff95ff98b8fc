package events

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gqlchat/gqlchat/internal/pgserver"
)

func TestPG_EveryInstanceGetsEveryEventOnceInPublishOrder(t *testing.T) {
	t.Parallel()
	a, b := newTestPGs(t)
	subs := []*Subscription{a.Subscribe(200, "x"), b.Subscribe(200, "x")}
	var wg sync.WaitGroup
	for _, p := range []struct {
		bus   *PG
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
}

func TestPG_BatchesManyEventsIntoFewNotifies(t *testing.T) {
	t.Parallel()
	a, b := newTestPGs(t)
	sub := b.Subscribe(1000, LogTopic)
	for seq := range int64(1000) {
		a.Publish(Event{Topic: LogTopic, Kind: LogAppended, ID: 500 + seq, Chat: 1, Seq: seq + 1})
	}
	for seq := range int64(1000) {
		if e := mustReceive(t, sub); e.Seq != seq+1 {
			t.Fatalf("got seq %d, want %d", e.Seq, seq+1)
		}
	}
	if n := a.Stats().Notifies; n > 50 {
		t.Fatalf("1000 events took %d NOTIFYs, want at most 50", n)
	}
	if st := b.Stats(); st.Received != 1000 {
		t.Fatalf("receiver counted %d events, want 1000", st.Received)
	}
}

func TestPG_ListenerReconnectsAfterItsConnectionIsKilledAndTellsSubscribersToResync(t *testing.T) {
	t.Parallel()
	a, b := newTestPGs(t)
	chat, user := b.Subscribe(10, "chat:1"), b.Subscribe(10, "user:1", "user:2")
	pid := backendPID(t, b.opts.AppName+" listen")
	if pid != b.ListenerPID() {
		t.Fatalf("pg_stat_activity says the listener is %d, the bus says %d", pid, b.ListenerPID())
	}
	terminate(t, pid)

	for _, s := range []*Subscription{chat, user} {
		if e := mustReceive(t, s); e != (Event{Kind: Resync}) {
			t.Fatalf("got %+v, want a Resync", e)
		}
		mustReceiveNothing(t, s) // one Resync per subscription, whatever its topics
	}
	if !b.Listening() || b.ListenerPID() == pid {
		t.Fatalf("not listening on a new connection: listening %v, pid %d", b.Listening(), b.ListenerPID())
	}
	a.Publish(Event{Topic: "chat:1", ID: 7})
	if e := mustReceive(t, chat); e.ID != 7 {
		t.Fatalf("got %+v after reconnecting, want ID 7", e)
	}
}

func TestPG_NotifyIsRetriedOnANewConnectionWhenItsConnectionIsKilled(t *testing.T) {
	t.Parallel()
	a, b := newTestPGs(t)
	sub := b.Subscribe(10, "x")
	terminate(t, backendPID(t, a.opts.AppName+" notify"))

	a.Publish(Event{Topic: "x", ID: 1})
	if e := mustReceive(t, sub); e.ID != 1 {
		t.Fatalf("got %+v, want ID 1", e)
	}
	if st := a.Stats(); st.Dropped != 0 {
		t.Fatalf("dropped %d events", st.Dropped)
	}
}

func TestPG_EventsNearThePayloadLimitAreSplitAcrossNotifies(t *testing.T) {
	t.Parallel()
	a, b := newTestPGs(t)
	// The largest event that fits: its payload is exactly PostgreSQL's limit.
	fitting := Event{Topic: "t", Kind: LogAppended}
	fitting.Topic += strings.Repeat("x", maxEvent-encodedLen(t, fitting))
	if n := len(pack(a.id, true, [][]byte{mustEncode(t, fitting)})[0].body); n != maxPayload {
		t.Fatalf("the largest event makes a payload of %d bytes, want %d", n, maxPayload)
	}
	want := []Event{fitting}
	for i := range 9 {
		want = append(want, Event{Topic: fmt.Sprintf("%d%s", i, strings.Repeat("y", 3000)), ID: int64(i)})
	}
	sub := b.Subscribe(len(want))
	for _, e := range want {
		sub.Add(e.Topic)
	}
	a.Publish(want...)
	for _, w := range want {
		if e := mustReceive(t, sub); e != w {
			t.Fatalf("got topic %.10q ID %d, want topic %.10q ID %d", e.Topic, e.ID, w.Topic, w.ID)
		}
	}
	// The sender counts once PostgreSQL has answered, maybe after delivery.
	st := eventually(t, a, func(st PGStats) bool { return st.Notifies >= 6 })
	if st.Dropped != 0 {
		t.Fatalf("dropped %d events", st.Dropped)
	}
}

func TestPG_AnEventTooLargeForANotifyIsLocalAndMakesOtherInstancesResync(t *testing.T) {
	t.Parallel()
	a, b := newTestPGs(t)
	huge := Event{Topic: strings.Repeat("z", maxPayload)}
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

func TestPG_CloseSendsWhatIsStillQueued(t *testing.T) {
	t.Parallel()
	a, b := newTestPGs(t)
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

// newTestPGs returns two buses, as on two server instances, sharing a
// channel of their own so that tests running in parallel do not meet.
func newTestPGs(t *testing.T) (*PG, *PG) {
	t.Helper()
	name := "test_" + strings.ToLower(rand.Text()[:16])
	var buses []*PG
	for _, instance := range []string{"a", "b"} {
		p, err := NewPG(t.Context(), testURL(t), PGOptions{
			Channel: name, AppName: name + " " + instance,
			HealthCheck: 100 * time.Millisecond, // exercised in every test
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		buses = append(buses, p)
	}
	return buses[0], buses[1]
}

var (
	urlOnce sync.Once
	url     string
	urlErr  error
)

// testURL is the PostgreSQL server the tests share, found as the API
// tests find theirs: LISTEN/NOTIFY needs no database of its own.
func testURL(t *testing.T) string {
	urlOnce.Do(func() {
		if url = os.Getenv("TEST_DATABASE_URL"); url == "" {
			url, urlErr = pgserver.AdminURL(context.Background(), pgserver.Options{
				DataDir: filepath.Join(os.TempDir(), "gqlchat-test-postgres"),
			})
		}
	})
	if urlErr != nil {
		t.Fatalf("no PostgreSQL for tests: %v", urlErr)
	}
	return url
}

// backendPID finds the one connection named appName.
func backendPID(t *testing.T, appName string) uint32 {
	t.Helper()
	var pid uint32
	err := adminConn(t).QueryRow(t.Context(),
		"SELECT pid FROM pg_stat_activity WHERE application_name = $1", appName).Scan(&pid)
	if err != nil {
		t.Fatalf("finding connection %q: %v", appName, err)
	}
	return pid
}

// terminate kills a connection as a failover or an administrator would.
func terminate(t *testing.T, pid uint32) {
	t.Helper()
	var ok bool
	if err := adminConn(t).QueryRow(t.Context(), "SELECT pg_terminate_backend($1)", int32(pid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminating backend %d: %v %v", pid, ok, err)
	}
}

func adminConn(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func mustReceive(t *testing.T, s *Subscription) Event {
	t.Helper()
	select {
	case e, open := <-s.C:
		if !open {
			t.Fatalf("subscription closed (overflowed %v)", s.Overflowed())
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
		return Event{}
	}
}

// mustReceiveNothing waits long enough for a stray event, such as a
// duplicate coming back through the database, to arrive.
func mustReceiveNothing(t *testing.T, s *Subscription) {
	t.Helper()
	select {
	case e := <-s.C:
		t.Fatalf("unexpected event %+v", e)
	case <-time.After(200 * time.Millisecond):
	}
}

// eventually waits for p's counters to satisfy ok, and returns them.
func eventually(t *testing.T, p *PG, ok func(PGStats) bool) PGStats {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		st := p.Stats()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("counters never got there: %+v", st)
		}
	}
}

func mustEncode(t *testing.T, e Event) []byte {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encodedLen(t *testing.T, e Event) int { return len(mustEncode(t, e)) }

// NewPG returns only once the bus listens, and says so at once.
func TestPG_ListensWhenNewPGReturns(t *testing.T) {
	t.Parallel()
	a, _ := newTestPGs(t)
	if !a.Listening() || a.ListenerPID() == 0 {
		t.Fatalf("right after NewPG: listening %v, pid %d", a.Listening(), a.ListenerPID())
	}
}
