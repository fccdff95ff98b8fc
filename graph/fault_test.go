package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/internal/apitest"
)

// Bounds of the fault test, generous for a slow CI machine under -race.
const (
	faultRequestTimeout = 10 * time.Second // a request taking longer hangs
	faultRecoverBound   = 30 * time.Second // /healthz is 200 again within this
	faultDeliverBound   = 30 * time.Second // the subscriber has everything within this
	faultOutage         = 1500 * time.Millisecond
	faultPostEvery      = 20 * time.Millisecond
)

// The test is not parallel: it runs alone, so that the other tests do not
// eat into the bounds it checks.
func TestFault_PostgresRestartUnderLoadLosesNoAcknowledgedMessage(t *testing.T) {
	pg := apitest.StartPrivatePostgres(t)
	s := apitest.StartServer(t, pg.NewDB(t, "fault"), apitest.CheapConfig(), apitest.Options())
	owner := s.SignUp(t, "own")
	posters := append([]apitest.User{owner}, s.FriendsOf(t, owner, 1)...)
	g := createGroupChat(t, s, owner, "Fault", posters[1])

	ws := s.Connect(t, owner)
	ws.Subscribe("m", subMessages, map[string]any{"chat": g.ID})
	s.WaitFollowed(t, g.ID, 1)
	seen := collect(ws, "m")
	// A first message gives the subscriber a cursor to resume from.
	post(t, s, owner, g.ID, "before the load")
	seen.wait(t, 1)

	l := startLoad(s, g.ID, posters)
	time.Sleep(time.Second)
	o := breakPostgres(t, s, pg, l, posters[0], g.ID)
	time.Sleep(time.Second) // load after recovery
	l.stop()

	failed := checkAttempts(t, l.attempts, &o)
	committed := retryFailed(t, s, g.ID, failed)
	stored := storedMessages(t, s, g.ID)
	lost := checkStored(t, l.attempts, stored)
	how := checkDelivered(t, s, owner, g.ID, seen, stored)

	t.Logf("posts: %d attempts, %d failed (%d during the outage, %d after /healthz was 200 again), %d of the failed had committed anyway",
		len(l.attempts), len(failed), o.failedDown, o.failedAfter, committed)
	t.Logf("PostgreSQL down %v; after it was back: /healthz 200 in %v, first successful post in %v; slowest post %v",
		o.down.Round(time.Millisecond), o.healthy.Round(time.Millisecond), o.firstPost.Round(time.Millisecond), o.slowest.Round(time.Millisecond))
	t.Logf("messages lost: %d; subscriber: %s", lost, how)
}

// attempt is one postMessage call.
type attempt struct {
	user      apitest.User
	cid, body string
	id        string // the message's global id if it was acknowledged
	code      string // the error code if it failed
	err       error  // a transport failure: the server hung or went away
	at        time.Time
	took      time.Duration
}

// load posts from several users at once, each every faultPostEvery.
type load struct {
	done     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	attempts []attempt
}

func startLoad(s *apitest.Server, chatID string, users []apitest.User) *load {
	l := &load{done: make(chan struct{})}
	for i, u := range users {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			tick := time.NewTicker(faultPostEvery)
			defer tick.Stop()
			for n := 0; ; n++ {
				select {
				case <-l.done:
					return
				case <-tick.C:
				}
				l.post(s, u, chatID, fmt.Sprintf("p%d-%d", i, n))
			}
		}()
	}
	return l
}

// stop ends the load and waits for the requests in flight.
func (l *load) stop() {
	close(l.done)
	l.wg.Wait()
}

// post posts once with clientMessageId cid and records the outcome.
func (l *load) post(s *apitest.Server, u apitest.User, chatID, cid string) attempt {
	a := attempt{user: u, cid: cid, body: "load " + cid, at: time.Now()}
	a.id, a.code, a.err = tryPost(s, u, chatID, a.body, a.cid)
	a.took = time.Since(a.at)
	l.mu.Lock()
	l.attempts = append(l.attempts, a)
	l.mu.Unlock()
	return a
}

// tryPost returns the posted message's id, or the error code, or the
// transport failure.
func tryPost(s *apitest.Server, u apitest.User, chatID, body, cid string) (id, code string, err error) {
	r, err := s.Try(faultRequestTimeout, u.Token, postMessage, map[string]any{"chat": chatID, "body": body, "cid": cid})
	if err != nil {
		return "", "", err
	}
	if len(r.Errors) > 0 {
		return "", fmt.Sprintf("%s (%s)", r.Code(), r.Errors[0].Message), nil
	}
	var out struct{ PostMessage message }
	if err := json.Unmarshal(r.Data, &out); err != nil || out.PostMessage.ID == "" {
		return "", "", fmt.Errorf("no message in %s: %v", r.Data, err)
	}
	return out.PostMessage.ID, "", nil
}

// outage holds what the test saw of the time PostgreSQL was away.
type outage struct {
	stopped, back, healthyAt time.Time
	down, healthy, firstPost time.Duration
	slowest                  time.Duration
	failedDown, failedAfter  int
}

// breakPostgres stops PostgreSQL for faultOutage, checking that the server
// answers in bounded time that it is unavailable, then starts it again and
// waits until the server says it is healthy.
func breakPostgres(t *testing.T, s *apitest.Server, pg *apitest.PrivatePostgres, l *load, u apitest.User, chatID string) outage {
	t.Helper()
	var o outage
	pg.Stop(t)
	o.stopped = time.Now()
	for n := 0; n == 0 || time.Since(o.stopped) < faultOutage; n++ {
		if code, err := s.Health(faultRequestTimeout); err != nil || code != 503 {
			t.Errorf("GET /healthz while PostgreSQL is down: %d %v, want 503", code, err)
		}
		if a := l.post(s, u, chatID, fmt.Sprint("probe-", n)); a.err != nil || !isInternal(a.code) {
			t.Errorf("postMessage while PostgreSQL is down: id %q, code %q, %v; want INTERNAL_SERVER_ERROR", a.id, a.code, a.err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	pg.Start(t)
	o.back = time.Now()
	o.down = o.back.Sub(o.stopped)
	var last string
	for deadline := o.back.Add(faultRecoverBound); ; time.Sleep(50 * time.Millisecond) {
		code, err := s.Health(faultRequestTimeout)
		if err == nil && code == 200 {
			break
		}
		last = fmt.Sprint(code, " ", err)
		if time.Now().After(deadline) {
			t.Fatalf("the server did not recover: /healthz still %s %v after PostgreSQL was back", last, faultRecoverBound)
		}
	}
	o.healthyAt = time.Now()
	o.healthy = o.healthyAt.Sub(o.back)
	return o
}

func isInternal(code string) bool { return strings.HasPrefix(code, "INTERNAL_SERVER_ERROR ") }

// checkAttempts checks that every post answered in bounded time, and that
// every failure was an INTERNAL_SERVER_ERROR; it returns the failed ones.
func checkAttempts(t *testing.T, attempts []attempt, o *outage) []attempt {
	t.Helper()
	var failed []attempt
	for _, a := range attempts {
		o.slowest = max(o.slowest, a.took)
		switch {
		case a.err != nil:
			t.Errorf("post %s at %v: no answer: %v", a.cid, a.at.Sub(o.stopped), a.err)
		case a.id == "" && !isInternal(a.code):
			t.Errorf("post %s at %v: code %s, want INTERNAL_SERVER_ERROR", a.cid, a.at.Sub(o.stopped), a.code)
		}
		if a.id != "" {
			if d := a.at.Add(a.took).Sub(o.back); a.at.After(o.back) && (o.firstPost == 0 || d < o.firstPost) {
				o.firstPost = d
			}
			continue
		}
		failed = append(failed, a)
		if a.at.After(o.healthyAt) {
			o.failedAfter++
		} else {
			o.failedDown++
		}
	}
	return failed
}

// retryFailed posts every failed message again with its clientMessageId,
// as a client would, and returns how many of them had committed anyway (a
// commit whose answer was lost).
func retryFailed(t *testing.T, s *apitest.Server, chatID string, failed []attempt) (committed int) {
	t.Helper()
	before := map[string]bool{}
	for _, m := range storedMessages(t, s, chatID) {
		if m.CID != nil {
			before[*m.CID] = true
		}
	}
	for _, a := range failed {
		if before[a.cid] {
			committed++
		}
		id, code, err := tryPost(s, a.user, chatID, a.body, a.cid)
		if id == "" {
			t.Errorf("retry of %s after recovery: code %q, %v", a.cid, code, err)
		}
	}
	return committed
}

// storedMessage is a row of the messages table.
type storedMessage struct {
	ID, Seq int64
	CID     *string `gorm:"column:client_message_id"`
}

// storedMessages returns the chat's messages in sequence order.
func storedMessages(t *testing.T, s *apitest.Server, chatID string) []storedMessage {
	t.Helper()
	_, key, err := model.DecodeID(chatID)
	if err != nil {
		t.Fatal(err)
	}
	var rows []storedMessage
	if err := s.DB.Raw(`SELECT id, seq, client_message_id FROM messages WHERE chat_id = ? ORDER BY seq`, key).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// checkStored checks that every acknowledged message is stored under its
// id, and every clientMessageId once; it returns how many were lost.
func checkStored(t *testing.T, attempts []attempt, stored []storedMessage) (lost int) {
	t.Helper()
	byCID := map[string][]int64{}
	for _, m := range stored {
		if m.CID != nil {
			byCID[*m.CID] = append(byCID[*m.CID], m.ID)
		}
	}
	for _, a := range attempts {
		ids := byCID[a.cid]
		if len(ids) != 1 {
			t.Errorf("clientMessageId %s is stored %d times, want once", a.cid, len(ids))
		}
		if a.id == "" {
			continue
		}
		if len(ids) == 0 || model.EncodeID(model.KindMessage, ids[0]) != a.id {
			lost++
			t.Errorf("acknowledged message %s (%s) is not in the database: %v", a.id, a.cid, ids)
		}
	}
	return lost
}

// checkDelivered checks that the subscriber got every stored message once
// and in order: on the subscription that stayed open, or if that one
// ended, on a new one resuming after the last message it delivered.
func checkDelivered(t *testing.T, s *apitest.Server, u apitest.User, chatID string, seen *collector, stored []storedMessage) string {
	t.Helper()
	want := make([]string, len(stored))
	for i, m := range stored {
		want[i] = model.EncodeID(model.KindMessage, m.ID)
	}
	how := "stayed subscribed through the outage"
	got, cursor, ended := seen.waitAll(len(want))
	if ended != "" {
		how = fmt.Sprintf("the subscription ended (%s) after %d of %d messages; resumed with after", ended, len(got), len(want))
		ws := s.Connect(t, u)
		ws.Subscribe("r", subMessages, map[string]any{"chat": chatID, "after": cursor})
		rest, _, ended := collect(ws, "r").waitAll(len(want) - len(got))
		if ended != "" {
			t.Errorf("the resumed subscription ended too: %s", ended)
		}
		got = append(got, rest...)
	}
	if !slices.Equal(got, want) {
		i := 0
		for i < min(len(got), len(want)) && got[i] == want[i] {
			i++
		}
		t.Errorf("subscriber (%s) got %d messages, want the %d stored in order; first difference at %d:\n got %v\nwant %v",
			how, len(got), len(want), i, got[i:min(i+5, len(got))], want[i:min(i+5, len(want))])
	}
	return how
}

// collector gathers the messages of one messagePosted subscription.
type collector struct {
	mu     sync.Mutex
	ids    []string
	cursor string // of the last message delivered
	ended  string // why the subscription ended; "" while open
}

// collect reads ws in a goroutine that ends with the connection.
func collect(ws *apitest.WS, op string) *collector {
	c := &collector{}
	go func() {
		for {
			m, err := ws.Read(time.Minute)
			if apitest.IsTimeout(err) {
				continue
			}
			if why := c.add(op, m, err); why != "" {
				c.mu.Lock()
				c.ended = why
				c.mu.Unlock()
				return
			}
		}
	}()
	return c
}

// add records one message and returns why the subscription ended, if it did.
func (c *collector) add(op string, m apitest.Message, err error) string {
	switch {
	case err != nil:
		return "connection closed: " + err.Error()
	case m.ID != op:
		return ""
	case m.Type != "next":
		return strings.TrimSpace(fmt.Sprintf("%s %s", m.Type, m.Payload))
	}
	var r apitest.Response
	var ev postedEvent
	if err := json.Unmarshal(m.Payload, &r); err != nil || len(r.Errors) > 0 || json.Unmarshal(r.Data, &ev) != nil {
		return fmt.Sprintf("bad result %s", m.Payload)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ids = append(c.ids, ev.MessagePosted.ID)
	c.cursor = ev.MessagePosted.Cursor
	return ""
}

// waitAll waits until n messages arrived or the subscription ended, then
// a little longer for any extra message that should not come.
func (c *collector) waitAll(n int) (ids []string, cursor, ended string) {
	state := func() ([]string, string, string) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return slices.Clone(c.ids), c.cursor, c.ended
	}
	for deadline := time.Now().Add(faultDeliverBound); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ids, _, ended = state(); len(ids) >= n || ended != "" {
			break
		}
	}
	time.Sleep(300 * time.Millisecond)
	return state()
}

// wait waits until n messages arrived.
func (c *collector) wait(t *testing.T, n int) {
	t.Helper()
	if ids, _, ended := c.waitAll(n); len(ids) < n {
		t.Fatalf("subscriber got %d messages, want %d (ended: %q)", len(ids), n, ended)
	}
}
