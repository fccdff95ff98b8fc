package graph_test

import (
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// The rules of accounts are tested in chat; these tests check the API's
// side of them: tokens in headers, the viewer, and the operations that
// other tests here use.

const (
	viewerQuery    = `{ viewer { id username displayName deleted createdAt } }`
	signUp         = `mutation($in: SignUpInput!) { signUp(input: $in) { token user { id username displayName } } }`
	changePassword = `mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) }`
	updateProfile  = `mutation($u: String, $d: String) { updateProfile(input: {username: $u, displayName: $d}) { username displayName } }`
	deleteAccount  = `mutation($p: String!) { deleteAccount(input: {password: $p}) }`
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

func TestEmptyBearerToken_IsAnonymous(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	var v viewerData
	s.MustDo(t, " ", viewerQuery, nil, &v) // sent as "Authorization: Bearer  "
	if v.Viewer != nil {
		t.Fatalf("viewer: %+v", v.Viewer)
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
