package httpapi_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/gqlchat/gqlchat/httpapi"
	"github.com/gqlchat/gqlchat/internal/apitest"
)

// accountLimitedServer starts the API with only a limit of failed log-ins
// per account, and takes the client address from X-Forwarded-For, so one
// test speaks from many addresses. Sign-ups (apitest's) come from 127.0.0.1.
func accountLimitedServer(t *testing.T, burst int) *apitest.Server {
	t.Helper()
	opts := httpapi.DefaultOptions
	opts.RateLimits = httpapi.RateLimits{LogInPerAccount: httpapi.RateLimit{Rate: slow, Burst: burst}}
	opts.TrustForwardedFor = true
	return apitest.NewServerWith(t, apitest.CheapConfig(), opts)
}

// guessFrom fails a log-in to username from n addresses of 203.0.113.0/24
// starting at first, each of which must be refused as a wrong guess.
func guessFrom(t *testing.T, s *apitest.Server, username string, first, n int) {
	t.Helper()
	for i := first; i < first+n; i++ {
		if r := logInFrom(t, s, fmt.Sprintf("203.0.113.%d", i), username); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("guess %d: want UNAUTHENTICATED, got %+v", i, r.Errors)
		}
	}
}

func TestLogInLimit_FailuresAreCountedPerAccountAcrossAddresses(t *testing.T) {
	t.Parallel()
	s := accountLimitedServer(t, 3)
	victim, other := s.SignUp(t, "victim"), s.SignUp(t, "other")
	guessFrom(t, s, victim.Username, 1, 3)
	sessions := countRows(t, s, "sessions")
	// A fourth address, a new spelling of the name, and even the right
	// password (which would otherwise tell the guesser it was right).
	mustBeRateLimited(t, logInFrom(t, s, "203.0.113.4", victim.Username))
	mustBeRateLimited(t, logInWith(t, s, "198.51.100.1", "VICTIM"+victim.Username[len("victim"):], apitest.Password))
	if after := mustBeRateLimited(t, logInWith(t, s, "198.51.100.2", victim.Username, apitest.Password)); after < 3000 {
		t.Fatalf("retryAfter %v: want about an hour", after)
	}
	if n := countRows(t, s, "sessions"); n != sessions {
		t.Fatalf("sessions: want %d, got %d", sessions, n)
	}
	// The guessers' addresses are not blocked for other accounts.
	if r := logInWith(t, s, "203.0.113.1", other.Username, apitest.Password); r.Code() != "" {
		t.Fatalf("another account from a guesser's address: %+v", r.Errors)
	}
}

func TestLogInLimit_OnlyFailuresCount(t *testing.T) {
	t.Parallel()
	s := accountLimitedServer(t, 2)
	u := s.SignUp(t, "often")
	for i := range 5 {
		if r := logInWith(t, s, fmt.Sprintf("198.51.100.%d", i), u.Username, apitest.Password); r.Code() != "" {
			t.Fatalf("log-in %d: %+v", i, r.Errors)
		}
	}
	guessFrom(t, s, u.Username, 1, 2)
	mustBeRateLimited(t, logInFrom(t, s, "203.0.113.3", u.Username))
}

// Guesses from elsewhere cannot lock the owner out of the addresses they
// signed up or logged in from; those addresses have a limit of their own.
func TestLogInLimit_KnownAddressesKeepTheirOwnBucket(t *testing.T) {
	t.Parallel()
	s := accountLimitedServer(t, 2)
	u := s.SignUp(t, "owner") // from 127.0.0.1
	logInWith(t, s, "198.51.100.7", u.Username, apitest.Password)
	guessFrom(t, s, u.Username, 1, 2)
	mustBeRateLimited(t, logInWith(t, s, "198.51.100.8", u.Username, apitest.Password))
	for _, known := range []string{"127.0.0.1", "198.51.100.7"} {
		if r := logInWith(t, s, known, u.Username, apitest.Password); r.Code() != "" {
			t.Fatalf("the owner from %s: %+v", known, r.Errors)
		}
	}
	// A guesser behind a known address is limited there too.
	for range 2 {
		if r := logInFrom(t, s, "198.51.100.7", u.Username); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("want UNAUTHENTICATED, got %+v", r.Errors)
		}
	}
	mustBeRateLimited(t, logInWith(t, s, "198.51.100.7", u.Username, apitest.Password))
	if r := logInWith(t, s, "127.0.0.1", u.Username, apitest.Password); r.Code() != "" {
		t.Fatalf("the owner from 127.0.0.1: %+v", r.Errors)
	}
}

func TestLogInLimit_ParallelGuessesCannotOverdrawTheBucket(t *testing.T) {
	t.Parallel()
	s := accountLimitedServer(t, 3)
	u := s.SignUp(t, "parallel")
	var wg sync.WaitGroup
	codes := make([]string, 12)
	for i := range codes {
		wg.Go(func() {
			r, err := postLogIn(s, fmt.Sprintf("203.0.113.%d", i+1), u.Username, "wrong password")
			if err != nil {
				t.Error(err)
				return
			}
			codes[i] = r.Code()
		})
	}
	wg.Wait()
	count := map[string]int{}
	for _, c := range codes {
		count[c]++
	}
	if count["UNAUTHENTICATED"] != 3 || count["RATE_LIMITED"] != 9 {
		t.Fatalf("want 3 guesses checked and 9 refused, got %v", count)
	}
}

func TestLogInLimit_BothLimitsApply(t *testing.T) {
	t.Parallel()
	opts := httpapi.DefaultOptions
	opts.RateLimits = httpapi.RateLimits{
		PerIP:           map[string]httpapi.RateLimit{"logIn": {Rate: slow, Burst: 2}},
		LogInPerAccount: httpapi.RateLimit{Rate: slow, Burst: 2},
	}
	opts.TrustForwardedFor = true
	s := apitest.NewServerWith(t, apitest.CheapConfig(), opts)
	a, b := s.SignUp(t, "a"), s.SignUp(t, "b")
	// One address is stopped by its own limit, whichever account it tries.
	guessFrom(t, s, a.Username, 1, 1)
	guessFrom(t, s, b.Username, 1, 1)
	mustBeRateLimited(t, logInFrom(t, s, "203.0.113.1", a.Username))
	// That refusal spent nothing of a's limit: one more guess from
	// elsewhere is checked before a's bucket is empty.
	guessFrom(t, s, a.Username, 2, 1)
	mustBeRateLimited(t, logInFrom(t, s, "203.0.113.3", a.Username))
}
