package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/httpapi"
	"github.com/gqlchat/gqlchat/internal/apitest"
)

const slow = 1.0 / 3600 // one token an hour: a used-up bucket stays empty for the test

// rateLimitedServer starts the API with only the given limits; every test
// request comes from 127.0.0.1.
func rateLimitedServer(t *testing.T, limits httpapi.RateLimits) *apitest.Server {
	t.Helper()
	opts := httpapi.DefaultOptions
	opts.RateLimits = limits
	return apitest.NewServerWith(t, apitest.CheapConfig(), opts)
}

// mustBeRateLimited checks r is RATE_LIMITED with a whole retryAfter of at
// least a second and returns it.
func mustBeRateLimited(t *testing.T, r *apitest.Response) float64 {
	t.Helper()
	if r.Code() != "RATE_LIMITED" {
		t.Fatalf("want RATE_LIMITED, got %+v", r.Errors)
	}
	after, ok := r.Errors[0].Extensions["retryAfter"].(float64)
	if !ok || after < 1 || after != float64(int(after)) {
		t.Fatalf("retryAfter: want a whole number of seconds ≥ 1, got %#v", r.Errors[0].Extensions["retryAfter"])
	}
	return after
}

func countRows(t *testing.T, s *apitest.Server, table string) int64 {
	t.Helper()
	var n int64
	if err := s.DB.Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func postVars(chatID, body string) map[string]any {
	return map[string]any{"chat": chatID, "body": body}
}

func TestRateLimit_PostMessageBurstPassesThenIsRefusedWithoutWriting(t *testing.T) {
	t.Parallel()
	s := rateLimitedServer(t, httpapi.RateLimits{PerUser: map[string]httpapi.RateLimit{"postMessage": {Rate: slow, Burst: 3}}})
	alice := s.SignUp(t, "alice")
	bob := s.FriendsOf(t, alice, 1)[0]
	group := s.CreateGroup(t, alice, "limits", bob)
	for range 3 {
		s.Post(t, alice, group.ID, "hello")
	}
	r := s.Do(t, alice.Token, postMessage, postVars(group.ID, "one too many"))
	if after := mustBeRateLimited(t, r); after < 3000 {
		t.Fatalf("retryAfter %v: want about an hour", after)
	}
	if n := countRows(t, s, "messages"); n != 3 {
		t.Fatalf("messages: want 3, got %d", n)
	}
	s.Post(t, bob, group.ID, "my bucket is my own") // another user is not affected
}

func TestRateLimit_CallsPassAgainOnceTheBucketRefills(t *testing.T) {
	t.Parallel()
	s := rateLimitedServer(t, httpapi.RateLimits{PerUser: map[string]httpapi.RateLimit{"postMessage": {Rate: 2, Burst: 2}}})
	alice := s.SignUp(t, "alice")
	group := s.CreateGroup(t, alice, "refill")
	s.Post(t, alice, group.ID, "one")
	s.Post(t, alice, group.ID, "two")
	if after := mustBeRateLimited(t, s.Do(t, alice.Token, postMessage, postVars(group.ID, "three"))); after != 1 {
		t.Fatalf("retryAfter: want 1 (rounded up from under 500ms), got %v", after)
	}
	time.Sleep(600 * time.Millisecond) // 2/s: a token every 500ms, slow enough for a loaded CI
	s.Post(t, alice, group.ID, "three")
}

func TestRateLimit_LogInBruteForceFromOneAddressIsStopped(t *testing.T) {
	t.Parallel()
	s := rateLimitedServer(t, httpapi.RateLimits{PerIP: map[string]httpapi.RateLimit{"logIn": {Rate: slow, Burst: 3}}})
	victim := s.SignUp(t, "victim")
	other := s.SignUp(t, "other")
	for range 3 {
		s.MustFail(t, "", "UNAUTHENTICATED", logInMutation, map[string]any{"u": victim.Username, "p": "guess guess guess"})
	}
	sessions := countRows(t, s, "sessions")
	// Even the right password is refused now, and so is any account from
	// this address, logged in or not.
	mustBeRateLimited(t, s.Do(t, "", logInMutation, map[string]any{"u": victim.Username, "p": apitest.Password}))
	mustBeRateLimited(t, s.Do(t, other.Token, logInMutation, map[string]any{"u": other.Username, "p": apitest.Password}))
	if n := countRows(t, s, "sessions"); n != sessions {
		t.Fatalf("sessions: want %d, got %d", sessions, n)
	}
}

func TestRateLimit_SignUpIsLimitedPerAddress(t *testing.T) {
	t.Parallel()
	s := rateLimitedServer(t, httpapi.RateLimits{PerIP: map[string]httpapi.RateLimit{"signUp": {Rate: slow, Burst: 2}}})
	s.SignUp(t, "first")
	s.SignUp(t, "second")
	mustBeRateLimited(t, s.Do(t, "", signUp, map[string]any{"in": map[string]any{"username": "third_one", "displayName": "Third", "password": apitest.Password}}))
	if n := countRows(t, s, "users"); n != 2 {
		t.Fatalf("users: want 2, got %d", n)
	}
}

func TestRateLimit_OtherMutationsShareOneBucketPerUser(t *testing.T) {
	t.Parallel()
	s := rateLimitedServer(t, httpapi.RateLimits{Other: httpapi.RateLimit{Rate: slow, Burst: 2}})
	alice, bob := s.SignUp(t, "alice"), s.SignUp(t, "bob")
	const rename = `mutation($n: String!) { updateProfile(input: {displayName: $n}) { id } }`
	s.MustDo(t, alice.Token, rename, map[string]any{"n": "Alice"}, nil)
	s.SendFriendRequest(t, alice, bob)
	mustBeRateLimited(t, s.Do(t, alice.Token, rename, map[string]any{"n": "Alice again"}))
	s.MustDo(t, bob.Token, rename, map[string]any{"n": "Bob"}, nil)
}

func TestRateLimit_CountsEachAliasedField(t *testing.T) {
	t.Parallel()
	s := rateLimitedServer(t, httpapi.RateLimits{PerIP: map[string]httpapi.RateLimit{"logIn": {Rate: slow, Burst: 2}}})
	u := s.SignUp(t, "batch")
	const batch = `mutation($u: String!) {
		a: logIn(input: {username: $u, password: "guess one!"}) { token }
		b: logIn(input: {username: $u, password: "guess two!"}) { token }
		c: logIn(input: {username: $u, password: "guess three"}) { token } }`
	r := s.Do(t, "", batch, map[string]any{"u": u.Username})
	codes := map[string]bool{}
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		codes[c] = true
	}
	if !codes["RATE_LIMITED"] || !codes["UNAUTHENTICATED"] {
		t.Fatalf("want two wrong guesses and one refusal, got %+v", r.Errors)
	}
}

func TestRateLimit_AppliesToMutationsOverWebSocket(t *testing.T) {
	t.Parallel()
	s := rateLimitedServer(t, httpapi.RateLimits{PerUser: map[string]httpapi.RateLimit{"postMessage": {Rate: slow, Burst: 1}}})
	alice := s.SignUp(t, "alice")
	group := s.CreateGroup(t, alice, "ws")
	s.Post(t, alice, group.ID, "over HTTP")
	ws := s.Connect(t, alice)
	ws.Subscribe("1", postMessage, postVars(group.ID, "over WebSocket"))
	m := ws.MustRead(5 * time.Second)
	var r apitest.Response
	if err := json.Unmarshal(m.Payload, &r); err != nil || m.Type != "next" {
		t.Fatalf("want next, got %s %s (%v)", m.Type, m.Payload, err)
	}
	mustBeRateLimited(t, &r)
}

// logInFrom posts a logIn with a wrong password and the given X-Forwarded-For header.
func logInFrom(t *testing.T, s *apitest.Server, forwardedFor, username string) *apitest.Response {
	t.Helper()
	return logInWith(t, s, forwardedFor, username, "wrong password")
}

// logInWith posts a logIn with the given X-Forwarded-For header.
func logInWith(t testing.TB, s *apitest.Server, forwardedFor, username, password string) *apitest.Response {
	t.Helper()
	r, err := postLogIn(s, forwardedFor, username, password)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// postLogIn is logInWith for goroutines: it reports failures.
func postLogIn(s *apitest.Server, forwardedFor, username, password string) (*apitest.Response, error) {
	body, _ := json.Marshal(map[string]any{"query": logInMutation, "variables": map[string]any{"u": username, "p": password}})
	req, err := http.NewRequest(http.MethodPost, s.URL+"/query", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", forwardedFor)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var r apitest.Response
	return &r, json.NewDecoder(res.Body).Decode(&r)
}

func TestRateLimit_ForwardedForIsTrustedOnlyWhenConfigured(t *testing.T) {
	t.Parallel()
	limits := httpapi.RateLimits{PerIP: map[string]httpapi.RateLimit{"logIn": {Rate: slow, Burst: 1}}}
	for _, trust := range []bool{false, true} {
		opts := httpapi.DefaultOptions
		opts.RateLimits, opts.TrustForwardedFor = limits, trust
		s := apitest.NewServerWith(t, apitest.CheapConfig(), opts)
		logInFrom(t, s, "203.0.113.1", "someone")
		// The proxy appended 203.0.113.2; the client wrote the first entry.
		second := logInFrom(t, s, "203.0.113.1, 203.0.113.2", "someone")
		if limited := second.Code() == "RATE_LIMITED"; limited == trust {
			t.Fatalf("trust %v: second address got %+v", trust, second.Errors)
		}
		if trust { // the last address of the list is the client; what comes before cannot dodge the limit
			mustBeRateLimited(t, logInFrom(t, s, "203.0.113.2", "someone"))
			mustBeRateLimited(t, logInFrom(t, s, "198.51.100.7, 203.0.113.2", "someone"))
		}
	}
}

func TestRateLimit_BucketTableIsBoundedByDroppingTheLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	s := rateLimitedServer(t, httpapi.RateLimits{MaxBuckets: 1, PerUser: map[string]httpapi.RateLimit{"postMessage": {Rate: slow, Burst: 1}}})
	alice := s.SignUp(t, "alice")
	bob := s.FriendsOf(t, alice, 1)[0]
	group := s.CreateGroup(t, alice, "bounded", bob)
	s.Post(t, alice, group.ID, "one")
	mustBeRateLimited(t, s.Do(t, alice.Token, postMessage, postVars(group.ID, "two")))
	s.Post(t, bob, group.ID, "takes the only bucket")
	s.Post(t, alice, group.ID, "a fresh bucket") // the price of bounded memory
}
