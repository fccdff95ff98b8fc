package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/internal/apitest"
)

const (
	viewerQuery   = `{ viewer { id username displayName deleted createdAt } }`
	logInMutation = `mutation($u: String!, $p: String!) { logIn(input: {username: $u, password: $p}) { token user { username } } }`
)

type viewerData struct {
	Viewer *struct {
		ID, Username, DisplayName, CreatedAt string
		Deleted                              bool
	}
}

func signUpVars(username, displayName, password string) map[string]any {
	return map[string]any{"in": map[string]any{"username": username, "displayName": displayName, "password": password}}
}

const signUp = `mutation($in: SignUpInput!) { signUp(input: $in) { token user { id username displayName } } }`

func logIn(t *testing.T, s *apitest.Server, username, password string) string {
	t.Helper()
	var out struct{ LogIn struct{ Token string } }
	s.MustDo(t, "", logInMutation, map[string]any{"u": username, "p": password}, &out)
	return out.LogIn.Token
}

func TestSignUp_ReturnsATokenThatIdentifiesTheViewer(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	var out struct {
		SignUp struct {
			Token string
			User  struct{ ID, Username, DisplayName string }
		}
	}
	s.MustDo(t, "", signUp, signUpVars("Alice.B_1", "  Alice B  ", apitest.Password), &out)
	if len(out.SignUp.Token) < 22 || out.SignUp.User.DisplayName != "Alice B" {
		t.Fatalf("bad payload: %+v", out.SignUp)
	}
	var v viewerData
	s.MustDo(t, out.SignUp.Token, viewerQuery, nil, &v)
	if v.Viewer == nil || v.Viewer.ID != out.SignUp.User.ID || v.Viewer.Username != "Alice.B_1" || v.Viewer.Deleted {
		t.Fatalf("viewer: %+v", v.Viewer)
	}
	if !strings.HasSuffix(v.Viewer.CreatedAt, "Z") {
		t.Errorf("createdAt is not UTC RFC 3339: %s", v.Viewer.CreatedAt)
	}
}

func TestSignUp_RejectsInvalidInputNamingTheField(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	pw := apitest.Password
	cases := []struct {
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
	}
	for _, c := range cases {
		r := s.MustFail(t, "", "BAD_USER_INPUT", signUp, signUpVars(c.username, c.displayName, c.password))
		if r.Field() != c.field {
			t.Errorf("%s: field = %q, want %q", c.name, r.Field(), c.field)
		}
	}
	var n int64
	s.DB.Table("users").Count(&n)
	if n != 0 {
		t.Fatalf("invalid sign-ups left %d users", n)
	}
}

func TestSignUp_TakenUsernameIsAConflictWithoutRegardToCase(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	s.MustDo(t, "", signUp, signUpVars("Carol", "Carol", apitest.Password), nil)
	s.MustFail(t, "", "CONFLICT", signUp, signUpVars("cAROL", "Other", apitest.Password))
}

func TestSignUp_AcceptsLongPasswordsWithoutTruncating(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	long := strings.Repeat("long passphrase ", 8) // 128 characters
	s.MustDo(t, "", signUp, signUpVars("longpw", "L", long), nil)
	s.MustFail(t, "", "UNAUTHENTICATED", logInMutation, map[string]any{"u": "longpw", "p": long[:127] + "b"})
	logIn(t, s, "longpw", long)
}

func TestLogIn_WorksWithoutRegardToUsernameCase(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "Dave")
	token := logIn(t, s, strings.ToUpper(u.Username), apitest.Password)
	var v viewerData
	s.MustDo(t, token, viewerQuery, nil, &v)
	if v.Viewer == nil || v.Viewer.ID != u.ID {
		t.Fatalf("viewer: %+v", v.Viewer)
	}
}

func TestLogIn_UnknownUserAndWrongPasswordGiveTheSameError(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "erin")
	wrong := s.MustFail(t, "", "UNAUTHENTICATED", logInMutation, map[string]any{"u": u.Username, "p": "not the password at all"})
	unknown := s.MustFail(t, "", "UNAUTHENTICATED", logInMutation, map[string]any{"u": "nobody_here", "p": apitest.Password})
	malformed := s.MustFail(t, "", "UNAUTHENTICATED", logInMutation, map[string]any{"u": "no such name!", "p": apitest.Password})
	if wrong.Errors[0].Message != unknown.Errors[0].Message || wrong.Errors[0].Message != malformed.Errors[0].Message {
		t.Fatalf("messages differ: %q vs %q vs %q", wrong.Errors[0].Message, unknown.Errors[0].Message, malformed.Errors[0].Message)
	}
}

func TestViewer_IsNullForAnonymousCallers(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	var v viewerData
	s.MustDo(t, "", viewerQuery, nil, &v)
	if v.Viewer != nil {
		t.Fatalf("viewer: %+v", v.Viewer)
	}
}

func TestBadToken_IsRefusedNotTreatedAsAnonymous(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	r := s.MustFail(t, "not-a-token", "UNAUTHENTICATED", viewerQuery, nil)
	if string(r.Data) != "" && string(r.Data) != "null" {
		t.Fatalf("data returned with a bad token: %s", r.Data)
	}
}

func TestLogOut_RevokesOnlyTheTokenUsed(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "frank")
	other := logIn(t, s, u.Username, apitest.Password)
	s.MustDo(t, u.Token, `mutation { logOut }`, nil, nil)
	s.MustFail(t, u.Token, "UNAUTHENTICATED", viewerQuery, nil)
	s.MustDo(t, other, viewerQuery, nil, nil)
	s.MustFail(t, "", "UNAUTHENTICATED", `mutation { logOut }`, nil)
}

const changePassword = `mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) }`

func TestChangePassword_RevokesTheOtherTokens(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "grace")
	other := logIn(t, s, u.Username, apitest.Password)
	const next = "an even better passphrase"
	s.MustDo(t, u.Token, changePassword, map[string]any{"c": apitest.Password, "n": next}, nil)
	s.MustDo(t, u.Token, viewerQuery, nil, nil)
	s.MustFail(t, other, "UNAUTHENTICATED", viewerQuery, nil)
	s.MustFail(t, "", "UNAUTHENTICATED", logInMutation, map[string]any{"u": u.Username, "p": apitest.Password})
	logIn(t, s, u.Username, next)
}

func TestChangePassword_RejectsAWrongCurrentOrAShortNewPassword(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "heidi")
	r := s.MustFail(t, u.Token, "BAD_USER_INPUT", changePassword, map[string]any{"c": "wrong wrong wrong", "n": "a fine new password"})
	if r.Field() != "currentPassword" {
		t.Errorf("field = %q", r.Field())
	}
	r = s.MustFail(t, u.Token, "BAD_USER_INPUT", changePassword, map[string]any{"c": apitest.Password, "n": "short"})
	if r.Field() != "newPassword" {
		t.Errorf("field = %q", r.Field())
	}
	logIn(t, s, u.Username, apitest.Password) // unchanged
}

const updateProfile = `mutation($u: String, $d: String) { updateProfile(input: {username: $u, displayName: $d}) { username displayName } }`

func TestUpdateProfile_ChangesUsernameAndDisplayName(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "ivan")
	var out struct {
		UpdateProfile struct{ Username, DisplayName string }
	}
	s.MustDo(t, u.Token, updateProfile, map[string]any{"u": "ivan.new", "d": " Ivan N "}, &out)
	if out.UpdateProfile.Username != "ivan.new" || out.UpdateProfile.DisplayName != "Ivan N" {
		t.Fatalf("got %+v", out.UpdateProfile)
	}
	s.MustDo(t, u.Token, updateProfile, map[string]any{"d": "Only Name"}, &out)
	if out.UpdateProfile.Username != "ivan.new" || out.UpdateProfile.DisplayName != "Only Name" {
		t.Fatalf("got %+v", out.UpdateProfile)
	}
	s.MustDo(t, u.Token, updateProfile, map[string]any{"u": "IVAN.NEW"}, nil) // own name, other case
}

func TestUpdateProfile_RejectsTakenAndInvalidValues(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "judy"), s.SignUp(t, "ken")
	r := s.MustFail(t, a.Token, "CONFLICT", updateProfile, map[string]any{"u": strings.ToUpper(b.Username)})
	if r.Field() != "username" {
		t.Errorf("field = %q", r.Field())
	}
	s.MustFail(t, a.Token, "BAD_USER_INPUT", updateProfile, map[string]any{"u": "x"})
	s.MustFail(t, a.Token, "BAD_USER_INPUT", updateProfile, map[string]any{"d": ""})
	s.MustFail(t, "", "UNAUTHENTICATED", updateProfile, map[string]any{"d": "Anon"})
}

const deleteAccount = `mutation($p: String!) { deleteAccount(input: {password: $p}) }`

func TestDeleteAccount_EndsSessionsFreesUsernameAndLeavesATombstone(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u, watcher := s.SignUp(t, "leo"), s.SignUp(t, "mia")
	other := logIn(t, s, u.Username, apitest.Password)
	s.MustFail(t, u.Token, "BAD_USER_INPUT", deleteAccount, map[string]any{"p": "not my password!!"})
	s.MustDo(t, u.Token, deleteAccount, map[string]any{"p": apitest.Password}, nil)

	s.MustFail(t, u.Token, "UNAUTHENTICATED", viewerQuery, nil)
	s.MustFail(t, other, "UNAUTHENTICATED", viewerQuery, nil)
	s.MustFail(t, "", "UNAUTHENTICATED", logInMutation, map[string]any{"u": u.Username, "p": apitest.Password})

	var node struct {
		Node struct {
			Username, DisplayName string
			Deleted               bool
		}
	}
	s.MustDo(t, watcher.Token, `query($id: ID!) { node(id: $id) { ... on User { username displayName deleted } } }`, map[string]any{"id": u.ID}, &node)
	if !node.Node.Deleted || node.Node.Username != "deleted-user" || node.Node.DisplayName != "Deleted user" {
		t.Fatalf("tombstone: %+v", node.Node)
	}
	var found struct{ User *struct{ ID string } }
	s.MustDo(t, watcher.Token, `query($u: String!) { user(username: $u) { id } }`, map[string]any{"u": u.Username}, &found)
	if found.User != nil {
		t.Fatal("a deleted user is still found by username")
	}
	s.MustDo(t, "", signUp, signUpVars(u.Username, "New Leo", apitest.Password), nil)
}

func TestExpiredToken_IsRefused(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "xena")
	if err := s.DB.Exec(`UPDATE sessions SET expires_at = now() - interval '1 second'`).Error; err != nil {
		t.Fatal(err)
	}
	s.MustFail(t, u.Token, "UNAUTHENTICATED", viewerQuery, nil)
}

func TestPasswords_AreStoredAsArgon2idAndUpgradedOnLogIn(t *testing.T) {
	t.Parallel()
	cheap := apitest.NewServer(t) // hashes with cheap test parameters
	u := cheap.SignUp(t, "yuri")
	strong := apitest.StartServer(t, cheap.DSN, chat.DefaultConfig, apitest.Options())
	logIn(t, strong, u.Username, apitest.Password)
	var hash string
	strong.DB.Raw(`SELECT password_hash FROM users WHERE id = (SELECT user_id FROM sessions ORDER BY id DESC LIMIT 1)`).Scan(&hash)
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(hash, apitest.Password) {
		t.Fatalf("stored hash %q is not argon2id with OWASP's minimum parameters", hash)
	}
	logIn(t, cheap, u.Username, apitest.Password) // the upgraded hash still verifies
}

func TestEmptyBearerToken_IsAnonymous(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	var v viewerData
	s.MustDo(t, " ", viewerQuery, nil, &v) // sent as "Authorization: Bearer  "
	if v.Viewer != nil {
		t.Fatalf("viewer: %+v", v.Viewer)
	}
}

func TestSignUp_AcceptsTheBoundaryValues(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	for _, v := range []map[string]any{
		signUpVars("abc", strings.Repeat("d", 64), "fifteen letters"),
		signUpVars(strings.Repeat("u", 32), "Ünïcødé ☕", strings.Repeat("p", 127)+"q"),
	} {
		s.MustDo(t, "", signUp, v, nil)
	}
}

func TestSignUp_PayloadIsResolvedAsTheNewUser(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	var out struct {
		SignUp struct{ User struct{ Friendship string } }
	}
	s.MustDo(t, "", `mutation { signUp(input: {username: "newbie", displayName: "N", password: "a long enough password"}) {
		user { friendship friends { totalCount } } } }`, nil, &out)
	if out.SignUp.User.Friendship != "SELF" {
		t.Fatalf("friendship %q", out.SignUp.User.Friendship)
	}
	var v viewerData
	s.MustDo(t, "", viewerQuery, nil, &v) // the next request is anonymous again
	if v.Viewer != nil {
		t.Fatal("the sign-up leaked into another request")
	}
}

func TestInvalidDocuments_AreBadUserInput(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	for _, q := range []string{`{ viewer { nope } }`, `{ viewer { `, `query($n: Int!) { viewer { id } }`} {
		r := s.MustFail(t, "", "BAD_USER_INPUT", q, nil)
		if r.Errors[0].Extensions["reason"] == nil {
			t.Errorf("%s: no reason: %+v", q, r.Errors[0])
		}
	}
	s.MustFail(t, "", "BAD_USER_INPUT", `subscription { friendRequestReceived { id } }`, nil) // needs a WebSocket
}

func TestRace_LogInCannotOutrunChangePassword(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	for i := range 10 {
		u := s.SignUp(t, "lr")
		var token string
		race(t, s,
			func() *apitest.Response {
				r := s.Do(t, "", logInMutation, map[string]any{"u": u.Username, "p": apitest.Password})
				var out struct{ LogIn struct{ Token string } }
				if r.Code() == "" && jsonUnmarshal(r.Data, &out) == nil {
					token = out.LogIn.Token
				}
				return r
			},
			func() *apitest.Response {
				return s.Do(t, u.Token, changePassword, map[string]any{"c": apitest.Password, "n": fmt.Sprint("brand new password ", i)})
			})
		if token != "" {
			s.MustFail(t, token, "UNAUTHENTICATED", viewerQuery, nil)
		}
	}
}
