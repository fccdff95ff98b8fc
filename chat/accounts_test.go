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

func TestSignUp_RejectsInvalidInputNamingTheField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pw := testPassword
	for _, c := range []struct {
		name, username, displayName, password, field string
	}{
		{"username too short", "ab", "A", pw, "username"},
		{"username too long", strings.Repeat("a", 33), "A", pw, "username"},
		{"username with a dash", "bad-name", "A", pw, "username"},
		{"username with a space", "bad name", "A", pw, "username"},
		{"blank display name", "okname1", "   ", pw, "displayName"},
		{"display name too long", "okname2", strings.Repeat("x", 65), pw, "displayName"},
		{"display name with control character", "okname3", "bad\u0007name", pw, "displayName"},
		{"password of 14 characters", "okname4", "A", strings.Repeat("p", 14), "password"},
		{"password of 129 characters", "okname5", "A", strings.Repeat("p", 129), "password"},
		{"common password", "okname6", "A", "1qaz2wsx3edc4rfv", "password"},
		{"password of one character", "okname7", "A", strings.Repeat("z", 20), "password"},
		{"password made of the username", "okname8", "A", "OKNAME8okname8okname8", "password"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.SignUp(context.Background(), chat.SignUpInput{Username: c.username, DisplayName: c.displayName, Password: c.password})
			mustCode(t, err, chat.CodeInvalid, c.field)
		})
	}
	if n := countUsers(t, h); n != 0 {
		t.Fatalf("invalid sign-ups left %d users", n)
	}
}

func TestSignUp_AcceptsTheBoundaryValues(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, in := range []chat.SignUpInput{
		{Username: "abc", DisplayName: strings.Repeat("d", 64), Password: "fifteen letters"},
		{Username: strings.Repeat("u", 32), DisplayName: "Ünïcødé ☕", Password: strings.Repeat("p", 127) + "q"},
	} {
		if _, err := h.SignUp(context.Background(), in); err != nil {
			t.Errorf("%+v: %v", in, err)
		}
	}
}

func TestSignUp_TakenUsernameIsAConflictWithoutRegardToCase(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	must(t, signUp(h, "Carol", testPassword))
	mustCode(t, signUp(h, "cAROL", testPassword), chat.CodeConflict, "username")
}

func TestSignUp_AcceptsLongPasswordsWithoutTruncating(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	long := strings.Repeat("long passphrase ", 8) // 128 characters
	must(t, signUp(h, "longpw", long))
	_, err := h.LogIn(context.Background(), "longpw", long[:127]+"b")
	mustCode(t, err, chat.CodeUnauthenticated, "")
	mustLogIn(t, h, "longpw", long)
}

func TestPasswords_AreStoredAsArgon2idAndUpgradedOnLogIn(t *testing.T) {
	t.Parallel()
	cheap := newHarness(t) // hashes with cheap test parameters
	u := mustSignUp(t, cheap, "yuri")
	strong, err := chat.NewService(cheap.DB, cheap.Bus, chat.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strong.LogIn(context.Background(), u.Username, testPassword); err != nil {
		t.Fatal(err)
	}
	var hash string
	must(t, cheap.DB.Raw(`SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&hash).Error)
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(hash, testPassword) {
		t.Fatalf("stored hash %q is not argon2id with OWASP's minimum parameters", hash)
	}
	mustLogIn(t, cheap, u.Username, testPassword) // the upgraded hash still verifies
}

func TestLogIn_WorksWithoutRegardToUsernameCase(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := mustSignUp(t, h, "Dave")
	in := mustLogIn(t, h, strings.ToUpper(u.Username), testPassword)
	if v, err := h.Viewer(in.Ctx); err != nil || v == nil || v.ID != u.ID {
		t.Fatalf("viewer: %+v %v", v, err)
	}
}

func TestLogIn_UnknownUserAndWrongPasswordGiveTheSameError(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := mustSignUp(t, h, "erin")
	var messages []string
	for _, c := range []struct{ username, password string }{
		{u.Username, "not the password at all"},
		{"nobody_here", testPassword},
		{"no such name!", testPassword},
	} {
		_, err := h.LogIn(context.Background(), c.username, c.password)
		mustCode(t, err, chat.CodeUnauthenticated, "")
		messages = append(messages, err.Error())
	}
	if messages[0] != messages[1] || messages[0] != messages[2] {
		t.Fatalf("messages differ: %q", messages)
	}
}

func TestUpdateProfile_ChangesUsernameAndDisplayName(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := mustSignUp(t, h, "ivan")
	name, display := "ivan.new", " Ivan N "
	got, err := h.UpdateProfile(u.Ctx, chat.UpdateProfileInput{Username: &name, DisplayName: &display})
	if err != nil || got.Username != "ivan.new" || got.DisplayName != "Ivan N" {
		t.Fatalf("got %+v, %v", got, err)
	}
	display = "Only Name"
	got, err = h.UpdateProfile(u.Ctx, chat.UpdateProfileInput{DisplayName: &display})
	if err != nil || got.Username != "ivan.new" || got.DisplayName != "Only Name" {
		t.Fatalf("got %+v, %v", got, err)
	}
	name = "IVAN.NEW" // own name, other case
	_, err = h.UpdateProfile(u.Ctx, chat.UpdateProfileInput{Username: &name})
	must(t, err)
}

func TestUpdateProfile_RejectsTakenAndInvalidValues(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := mustSignUp(t, h, "judy"), mustSignUp(t, h, "ken")
	taken, short, blank := strings.ToUpper(b.Username), "x", ""
	_, err := h.UpdateProfile(a.Ctx, chat.UpdateProfileInput{Username: &taken})
	mustCode(t, err, chat.CodeConflict, "username")
	_, err = h.UpdateProfile(a.Ctx, chat.UpdateProfileInput{Username: &short})
	mustCode(t, err, chat.CodeInvalid, "username")
	_, err = h.UpdateProfile(a.Ctx, chat.UpdateProfileInput{DisplayName: &blank})
	mustCode(t, err, chat.CodeInvalid, "displayName")
	anon := "Anon"
	_, err = h.UpdateProfile(context.Background(), chat.UpdateProfileInput{DisplayName: &anon})
	mustCode(t, err, chat.CodeUnauthenticated, "")
}

func TestDeleteAccount_EndsSessionsFreesUsernameAndLeavesATombstone(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, watcher := mustSignUp(t, h, "leo"), mustSignUp(t, h, "mia")
	other := mustLogIn(t, h, u.Username, testPassword)
	mustCode(t, h.DeleteAccount(u.Ctx, "not my password!!"), chat.CodeInvalid, "password")
	mustDeleteAccount(t, h, u)

	mustBeRefused(t, h, u.Token)
	mustBeRefused(t, h, other.Token)
	_, err := h.LogIn(context.Background(), u.Username, testPassword)
	mustCode(t, err, chat.CodeUnauthenticated, "")

	gone, err := h.UserByID(watcher.Ctx, u.ID)
	if err != nil || gone.DeletedAt == nil || gone.Username != "deleted-user" || gone.DisplayName != "Deleted user" {
		t.Fatalf("tombstone: %+v %v", gone, err)
	}
	if found, err := h.UserByUsername(watcher.Ctx, u.Username); err != nil || found != nil {
		t.Fatalf("a deleted user is still found by username: %+v %v", found, err)
	}
	_, err = h.SignUp(context.Background(), chat.SignUpInput{Username: u.Username, DisplayName: "New Leo", Password: testPassword})
	must(t, err)
}
