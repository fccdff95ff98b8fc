package chat_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/events"
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
	cfg := chat.DefaultConfig
	cfg.Argon2 = cheapArgon2
	for _, f := range change {
		f(&cfg)
	}
	db, bus := testdb.Open(t, testdb.New(t)), events.NewInMem()
	svc, err := chat.NewService(db, bus, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{Service: svc, DB: db, Bus: bus}
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
