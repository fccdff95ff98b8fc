package chat_test

import (
	"context"
	"fmt"
	"testing"

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
	h := newHarness(t)
	u := mustSignUp(t, h, "xena")
	must(t, h.DB.Exec(`UPDATE sessions SET expires_at = now() - interval '1 second'`).Error)
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
