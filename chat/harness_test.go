package chat_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/internal/testbus"
	"github.com/gqlchat/gqlchat/internal/testdb"
	"github.com/gqlchat/gqlchat/models"
)

// The domain's tests run a real chat.Service on a fresh PostgreSQL
// database, with an in-process bus, and no HTTP.

// cheapArgon2 keeps password hashing fast in tests; the stored hash records
// its parameters, so verifying it is the same code.
var cheapArgon2 = chat.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}

// testPassword is long enough for the default rules.
const testPassword = "a long test passphrase, 2026"

// harness is one test's service and what it was built on.
type harness struct {
	*chat.Service
	DB  *gorm.DB
	Bus *events.InMem
	seq atomic.Int64
}

// user is an account of the test with the context of a request made by it.
type user struct {
	*models.User
	Ctx   context.Context
	Token string
}

// newHarness starts a service on a fresh database with the default rules
// (and cheap password hashes), changed by change if given.
func newHarness(t *testing.T, change ...func(*chat.Config)) *harness {
	t.Helper()
	bus := events.NewInMem()
	return startHarness(t, testdb.Open(t, testdb.New(t)), bus, bus, testConfig(change...))
}

// newInstances starts two services on one fresh database that share events
// through a bus of kind (testbus.Kinds), as two instances of the server do.
func newInstances(t *testing.T, kind string, change ...func(*chat.Config)) [2]*harness {
	t.Helper()
	dsn := testdb.New(t)
	shared := testbus.NewShared(t, kind, dsn, "")
	var out [2]*harness
	for i := range out {
		bus := shared.Start(t)
		out[i] = startHarness(t, testdb.Open(t, dsn), bus, bus.Local, testConfig(change...))
	}
	return out
}

// eachBus runs test, in parallel, once per kind of bus between instances.
func eachBus(t *testing.T, test func(t *testing.T, kind string)) {
	t.Parallel()
	for _, kind := range testbus.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			test(t, kind)
		})
	}
}

// testConfig is the default configuration with cheap password hashes,
// changed by change.
func testConfig(change ...func(*chat.Config)) chat.Config {
	cfg := chat.DefaultConfig
	cfg.Argon2 = cheapArgon2
	for _, f := range change {
		f(&cfg)
	}
	return cfg
}

// startHarness starts a service on db that publishes on bus, whose local
// subscriptions local holds.
func startHarness(t *testing.T, db *gorm.DB, bus events.Bus, local *events.InMem, cfg chat.Config) *harness {
	t.Helper()
	svc, err := chat.NewService(db, bus, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{Service: svc, DB: db, Bus: local}
}

// mustSignUp creates an account with a unique username starting with prefix.
func mustSignUp(t *testing.T, h *harness, prefix string) user {
	t.Helper()
	name := fmt.Sprintf("%s_%d", prefix, h.seq.Add(1))
	res, err := h.SignUp(context.Background(), chat.SignUpInput{Username: name, DisplayName: "Test " + name, Password: testPassword})
	if err != nil {
		t.Fatalf("sign up %s: %v", name, err)
	}
	return user{User: res.User, Ctx: mustAuthenticate(t, h, res.Token), Token: res.Token}
}

// mustLogIn logs in as username and returns the new session's user.
func mustLogIn(t *testing.T, h *harness, username, password string) user {
	t.Helper()
	res, err := h.LogIn(context.Background(), username, password)
	if err != nil {
		t.Fatalf("log in %s: %v", username, err)
	}
	return user{User: res.User, Ctx: mustAuthenticate(t, h, res.Token), Token: res.Token}
}

// mustBeRefused fails the test unless token is refused as UNAUTHENTICATED,
// as it is when its session was revoked or expired.
func mustBeRefused(t *testing.T, h *harness, token string) {
	t.Helper()
	_, err := h.Authenticate(context.Background(), token)
	mustCode(t, err, chat.CodeUnauthenticated, "")
}

// mustDeleteAccount deletes u's account.
func mustDeleteAccount(t *testing.T, h *harness, u user) {
	t.Helper()
	must(t, h.DeleteAccount(u.Ctx, testPassword))
}

// mustAuthenticate returns the context of a request carrying token.
func mustAuthenticate(t *testing.T, h *harness, token string) context.Context {
	t.Helper()
	v, err := h.Authenticate(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return chat.WithViewer(context.Background(), v)
}

// befriend makes a and b friends.
func befriend(t *testing.T, h *harness, a, b user) {
	t.Helper()
	req, err := h.SendFriendRequest(a.Ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.AcceptFriendRequest(b.Ctx, req.ID); err != nil {
		t.Fatal(err)
	}
}

// mustSendRequest makes from ask to to be friends and returns the request.
func mustSendRequest(t *testing.T, h *harness, from, to user) *models.FriendRequest {
	t.Helper()
	req, err := h.SendFriendRequest(from.Ctx, to.ID)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// relation is how other stands to viewer.
func relation(t *testing.T, h *harness, viewer, other user) chat.FriendshipStatus {
	t.Helper()
	rel, err := h.FriendshipStatuses(viewer.Ctx, []int64{other.ID})
	if err != nil {
		t.Fatal(err)
	}
	return rel[0]
}

// mustFriends signs up n friends of u.
func mustFriends(t *testing.T, h *harness, u user, n int) []user {
	t.Helper()
	out := make([]user, n)
	for i := range out {
		out[i] = mustSignUp(t, h, "friend")
		befriend(t, h, u, out[i])
	}
	return out
}

// mustGroup creates a group chat of owner with members.
func mustGroup(t *testing.T, h *harness, owner user, name string, members ...user) *models.Chat {
	t.Helper()
	g, err := h.CreateGroupChat(owner.Ctx, name, ids(members...))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// mustPost posts body to chatID as u.
func mustPost(t *testing.T, h *harness, u user, chatID int64, body string) *models.Message {
	t.Helper()
	m, err := h.PostMessage(u.Ctx, chat.PostMessageInput{ChatID: chatID, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mustSeeChat returns chat chatID as u sees it, failing if u cannot.
func mustSeeChat(t *testing.T, h *harness, u user, chatID int64) *models.Chat {
	t.Helper()
	chats, err := h.ChatsByIDs(u.Ctx, []int64{chatID})
	if err != nil {
		t.Fatal(err)
	}
	if chats[0] == nil {
		t.Fatalf("%s cannot see chat %d", u.Username, chatID)
	}
	return chats[0]
}

// memberCount is the number of members of a chat u is in.
func memberCount(t *testing.T, h *harness, u user, chatID int64) int {
	t.Helper()
	n, err := h.MemberCounts(u.Ctx, []int64{chatID})
	if err != nil {
		t.Fatal(err)
	}
	return n[0]
}

// history returns the newest n messages of a chat, oldest first.
func history(t *testing.T, h *harness, u user, chatID int64, n int) []*models.Message {
	t.Helper()
	page, err := h.Messages(u.Ctx, chatID, chat.PageArgs{Last: &n})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func ids(users ...user) []int64 {
	out := make([]int64, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

// mustCode fails the test unless err is a chat error with code, naming
// field ("" for none).
func mustCode(t *testing.T, err error, code chat.Code, field string) {
	t.Helper()
	if got := chat.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	var e *chat.Error
	if errors.As(err, &e) && e.Field != field {
		t.Fatalf("error %v: field %q, want %q", err, e.Field, field)
	}
}

// must fails the test if err is set.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// race runs calls at the same instant and returns their error codes ("" for success).
func race(calls ...func() error) []chat.Code {
	codes := make([]chat.Code, len(calls))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Go(func() {
			<-start
			if err := call(); err != nil {
				codes[i] = chat.ErrorCode(err)
			}
		})
	}
	close(start)
	wg.Wait()
	return codes
}

// The streams of a test end with it.

// mustMessageEvents opens u's stream of new messages (see MessageEvents).
func mustMessageEvents(t *testing.T, h *harness, u user, chatID *int64, after *string) <-chan *models.Message {
	t.Helper()
	ctx, cancel := context.WithCancel(u.Ctx)
	t.Cleanup(cancel)
	ch, err := h.MessageEvents(ctx, chatID, after, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// mustRequestEvents opens u's stream of friend requests of kind.
func mustRequestEvents(t *testing.T, h *harness, u user, kind events.Kind) <-chan *models.FriendRequest {
	t.Helper()
	ctx, cancel := context.WithCancel(u.Ctx)
	t.Cleanup(cancel)
	ch, err := h.FriendRequestEvents(ctx, kind, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// next returns the next value of a stream, failing if it ends or stays
// silent for 5 seconds.
func next[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v, open := <-ch:
		if !open {
			t.Fatal("the stream ended")
		}
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("nothing arrived in 5s")
	}
	var none T
	return none
}

// mustEnd fails the test unless the stream ends, with nothing more, within 5 seconds.
func mustEnd[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	select {
	case v, open := <-ch:
		if open {
			t.Fatalf("want the end of the stream, got %+v", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end in 5s")
	}
}

// quiet fails the test if the stream delivers anything or ends within d.
func quiet[T any](t *testing.T, ch <-chan T, d time.Duration) {
	t.Helper()
	select {
	case v, open := <-ch:
		if open {
			t.Fatalf("unexpected %+v", v)
		}
		t.Fatal("the stream ended")
	case <-time.After(d):
	}
}
