package chat_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/chat"
)

func TestLogOut_RevokesOnlyTheTokenUsed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := mustSignUp(t, h, "frank")
	other := mustLogIn(t, h, u.Username, testPassword)
	must(t, h.LogOut(u.Ctx))
	mustBeRefused(t, h, u.Token)
	mustAuthenticate(t, h, other.Token)
	mustCode(t, h.LogOut(context.Background()), chat.CodeUnauthenticated, "")
}

func TestExpiredToken_IsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *chat.Config) { c.SessionCacheTTL = 0 })
	u := mustSignUp(t, h, "xena")
	must(t, h.DB.Exec(`UPDATE sessions SET expires_at = now() - interval '1 second'`).Error)
	mustBeRefused(t, h, u.Token)
}

// The cache of checked tokens keeps each session's expiry: a token it
// remembers is refused once its session expires.
func TestExpiredToken_IsRefusedThoughRemembered(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *chat.Config) { c.TokenTTL, c.SessionCacheTTL = 500*time.Millisecond, time.Hour })
	u := mustSignUp(t, h, "xena") // authenticated, so remembered
	v, err := h.Authenticate(context.Background(), u.Token)
	must(t, err)
	time.Sleep(time.Until(v.ExpiresAt)) // a rule about time: the time must pass
	mustBeRefused(t, h, u.Token)
}

func TestChangePassword_RevokesTheOtherTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := mustSignUp(t, h, "grace")
	other := mustLogIn(t, h, u.Username, testPassword)
	const next = "an even better passphrase"
	must(t, h.ChangePassword(u.Ctx, testPassword, next))
	mustAuthenticate(t, h, u.Token)
	mustBeRefused(t, h, other.Token)
	_, err := h.LogIn(context.Background(), u.Username, testPassword)
	mustCode(t, err, chat.CodeUnauthenticated, "")
	mustLogIn(t, h, u.Username, next)
}

func TestChangePassword_RejectsAWrongCurrentOrAShortNewPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := mustSignUp(t, h, "heidi")
	mustCode(t, h.ChangePassword(u.Ctx, "wrong wrong wrong", "a fine new password"), chat.CodeInvalid, "currentPassword")
	mustCode(t, h.ChangePassword(u.Ctx, testPassword, "short"), chat.CodeInvalid, "newPassword")
	mustLogIn(t, h, u.Username, testPassword) // unchanged
}

func TestRace_LogInCannotOutrunChangePassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for i := range 10 {
		u := mustSignUp(t, h, "lr")
		var token string
		race(
			func() error {
				res, err := h.LogIn(context.Background(), u.Username, testPassword)
				if err == nil {
					token = res.Token
				}
				return err
			},
			func() error { return h.ChangePassword(u.Ctx, testPassword, fmt.Sprint("brand new password ", i)) })
		if token != "" {
			mustBeRefused(t, h, token)
		}
	}
}

// A revocation reaches the other instances' caches through the bus: with
// a cache that would trust the token for an hour, the other instance
// refuses it as soon as the note arrives.
func TestLogOut_RevokesTheTokenOnEveryInstanceAtOnce(t *testing.T) {
	eachBus(t, func(t *testing.T, kind string) {
		in := newInstances(t, kind, func(c *chat.Config) { c.SessionCacheTTL = time.Hour })
		u := mustSignUp(t, in[0], "yves")
		mustAuthenticate(t, in[1], u.Token) // remembered there
		must(t, in[0].LogOut(u.Ctx))
		mustBeRefused(t, in[0], u.Token) // the revoking instance: before LogOut returned
		waitRefused(t, in[1], u.Token, 10*time.Second)
	})
}

// A revocation whose note never came (here, made behind the service's
// back) takes effect within the cache's time to live.
func TestSessionCache_TrustsATokenForAtMostItsTTL(t *testing.T) {
	t.Parallel()
	const ttl = 2 * time.Second
	h := newHarness(t, func(c *chat.Config) { c.SessionCacheTTL = ttl })
	u := mustSignUp(t, h, "zoe")
	mustAuthenticate(t, h, u.Token)
	revoked := time.Now()
	must(t, h.DB.Exec(`UPDATE sessions SET revoked_at = now()`).Error)
	if _, err := h.Authenticate(context.Background(), u.Token); err != nil {
		t.Fatalf("a remembered token was checked again at once: %v", err) // the cache is not in use
	}
	waitRefused(t, h, u.Token, ttl+5*time.Second)
	t.Logf("refused %v after the revocation (ttl %v)", time.Since(revoked).Round(time.Millisecond), ttl)
}

// waitRefused waits until token is refused, for at most d.
func waitRefused(t *testing.T, h *harness, token string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		_, err := h.Authenticate(context.Background(), token)
		if chat.ErrorCode(err) == chat.CodeUnauthenticated {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("token still accepted %v after its revocation (err %v)", d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
