package chat_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/chat"
)

// mustBeInvalid fails unless err is BAD_USER_INPUT naming field, with a
// message that does not repeat secret.
func mustBeInvalid(t *testing.T, what string, err error, field, secret string) {
	t.Helper()
	var e *chat.Error
	if !errors.As(err, &e) || e.Code != chat.CodeInvalid || e.Field != field {
		t.Fatalf("%s: got %#v, want BAD_USER_INPUT on %q", what, err, field)
	}
	if secret != "" && strings.Contains(strings.ToLower(e.Message), strings.ToLower(secret)) {
		t.Fatalf("%s: the message %q repeats the input", what, e.Message)
	}
}

// serviceWithMinPassword starts the service with a lower minimum length,
// as an operator may set it, so that the short entries of the list of
// common passwords are long enough to be tried.
func serviceWithMinPassword(t *testing.T, n int) *harness {
	return newHarness(t, func(c *chat.Config) { c.MinPasswordLength = n })
}

func signUp(s *harness, username, password string) error {
	_, err := s.SignUp(context.Background(), chat.SignUpInput{Username: username, DisplayName: "D", Password: password})
	return err
}

func TestSignUp_RefusesWeakPasswordsNamingThePasswordField(t *testing.T) {
	t.Parallel()
	s := serviceWithMinPassword(t, 8)
	for _, c := range []struct{ why, username, password string }{
		{"a most common password", "user1", "baseball"},
		{"a common password, capitalised", "user2", "Password1"},
		{"a common password, shouted", "user3", "ILOVEYOU"},
		{"a common password of 16 characters", "user4", "1qaz2wsx3edc4rfv"},
		{"one character repeated", "user5", "aaaaaaaaaaaaaaaa"},
		{"one character repeated, in both cases", "user6", "ZzZzZzZzZzZzZzZz"},
		{"a short group repeated", "user7", "abc!abc!abc!abc!"},
		{"a run of letters", "user8", "abcdefghijklmnop"},
		{"a run of digits down, wrapping", "user9", "3210987654321098"},
		{"the username", "correcthorse", "CorrectHorse"},
		{"the username repeated", "bob.smith", "bob.smithbob.smithbob.smith"},
		{"the username with digits", "walter", "Walter1234"},
		{"the username and a common password", "zoe_k", "zoe_kpassword1"},
	} {
		mustBeInvalid(t, c.why, signUp(s, c.username, c.password), "password", c.password)
	}
	if n := countUsers(t, s); n != 0 {
		t.Fatalf("weak passwords made %d accounts", n)
	}
	// The same users with passwords of their own.
	for _, c := range []struct{ username, password string }{
		{"user1", "my password is long"}, // a common word in a phrase is fine
		{"correcthorse", "correct horse battery staple"},
		{"walter", "walter likes trains"}, // the name in a phrase is fine
		{"user9", "7890a7890b7890c"},
	} {
		if err := signUp(s, c.username, c.password); err != nil {
			t.Errorf("%s / %q: %v", c.username, c.password, err)
		}
	}
}

func TestSignUp_CommonPasswordsAreRefusedAtTheDefaultLengthToo(t *testing.T) {
	t.Parallel()
	s := newHarness(t)
	mustBeInvalid(t, "common", signUp(s, "longlist", "Qwertyuiop12345"), "password", "Qwertyuiop12345")
}

func TestChangePassword_AppliesTheRulesOfSignUp(t *testing.T) {
	t.Parallel()
	s := serviceWithMinPassword(t, 8)
	u := mustSignUp(t, s, "frank")
	ctx := u.Ctx
	for _, next := range []string{"princess", "11111111111", strings.ToUpper(u.Username) + "123", u.Username + u.Username} {
		mustBeInvalid(t, next, s.ChangePassword(ctx, testPassword, next), "newPassword", next)
	}
	if _, err := s.LogIn(context.Background(), u.Username, testPassword); err != nil {
		t.Fatalf("the password changed: %v", err)
	}
	if err := s.ChangePassword(ctx, testPassword, "frank's new phrase"); err != nil {
		t.Fatal(err)
	}
}

func countUsers(t *testing.T, s *harness) int64 {
	t.Helper()
	var n int64
	if err := s.DB.Table("users").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
