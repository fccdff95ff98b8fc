package graph_test

import (
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

const (
	subReceived = `subscription { friendRequestReceived { id status from { id username } } }`
	subUpdated  = `subscription { friendRequestUpdated { id status } }`
)

type receivedEvent struct {
	FriendRequestReceived struct {
		ID, Status string
		From       struct{ ID, Username string }
	}
}

type updatedEvent struct {
	FriendRequestUpdated struct{ ID, Status string }
}

func TestSubscription_NewRequestReachesEveryConnectionOfTheRecipientOnly(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b, c := s.SignUp(t, "sa"), s.SignUp(t, "sb"), s.SignUp(t, "sc")
	phone, laptop, other := s.Connect(t, b), s.Connect(t, b), s.Connect(t, c)
	for _, ws := range []*apitest.WS{phone, laptop, other} {
		ws.Subscribe("r", subReceived, nil)
	}
	s.WaitSubscribed(t, b, 2)
	s.WaitSubscribed(t, c, 1)
	r := send(t, s, a, b)
	for _, ws := range []*apitest.WS{phone, laptop} {
		var ev receivedEvent
		ws.Next("r", &ev)
		if got := ev.FriendRequestReceived; got.ID != r.ID || got.From.Username != a.Username || got.Status != "UNREAD" {
			t.Fatalf("event %+v", got)
		}
	}
	other.Quiet(300 * time.Millisecond)
}

func TestSubscription_BothPartiesGetStatusChangesAndOthersNothing(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b, c := s.SignUp(t, "ua"), s.SignUp(t, "ub"), s.SignUp(t, "uc")
	wa, wb, wc := s.Connect(t, a), s.Connect(t, b), s.Connect(t, c)
	for _, ws := range []*apitest.WS{wa, wb, wc} {
		ws.Subscribe("u", subUpdated, nil)
	}
	for _, u := range []apitest.User{a, b, c} {
		s.WaitSubscribed(t, u, 1)
	}
	r := send(t, s, a, b)
	decide(t, s, b, markRead, r.ID)
	decide(t, s, b, acceptRequest, r.ID)
	for _, ws := range []*apitest.WS{wa, wb} {
		for _, want := range []string{"READ", "ACCEPTED"} {
			var ev updatedEvent
			ws.Next("u", &ev)
			if ev.FriendRequestUpdated.ID != r.ID {
				t.Fatalf("event for %s", ev.FriendRequestUpdated.ID)
			}
			// The event carries the request as it is when delivered, so a
			// quick READ then ACCEPTED may both show ACCEPTED.
			if got := ev.FriendRequestUpdated.Status; got != want && got != "ACCEPTED" {
				t.Fatalf("status %s, want %s", got, want)
			}
		}
	}
	wc.Quiet(300 * time.Millisecond)
}

func TestSubscription_RolledBackChangePublishesNothing(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "va"), s.SignUp(t, "vb")
	// A deferred trigger fails the commit itself, after the request row
	// (and its event) were made inside the transaction.
	err := s.DB.Exec(`
		CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
		CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT ON friend_requests
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_commit();`).Error
	if err != nil {
		t.Fatal(err)
	}
	wb := s.Connect(t, b)
	wb.Subscribe("r", subReceived, nil)
	s.WaitSubscribed(t, b, 1)
	s.MustFail(t, a.Token, "INTERNAL_SERVER_ERROR", sendRequest, id(b.ID))
	wb.Quiet(400 * time.Millisecond)
	var n int64
	s.DB.Raw(`SELECT count(*) FROM friend_requests`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d requests stored", n)
	}
}

func TestSubscription_EndsWhenItsTokenIsRevoked(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "wa"), s.SignUp(t, "wb")
	wb := s.Connect(t, b)
	wb.Subscribe("r", subReceived, nil)
	s.WaitSubscribed(t, b, 1)
	s.MustDo(t, b.Token, `mutation { logOut }`, nil, nil)
	if m := wb.MustRead(5 * time.Second); m.Type != "complete" || m.ID != "r" {
		t.Fatalf("want complete, got %s %s", m.Type, m.Payload)
	}
	send(t, s, a, b)
	wb.Quiet(300 * time.Millisecond)
	// New operations on the connection are refused too.
	wb.Subscribe("again", subReceived, nil)
	if code := errorCode(t, wb.MustRead(5*time.Second)); code != "UNAUTHENTICATED" {
		t.Fatalf("new subscription after revocation: %s", code)
	}
}

func TestSubscription_EndsWhenTheAccountIsDeleted(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	b := s.SignUp(t, "xb")
	wb := s.Connect(t, b)
	wb.Subscribe("u", subUpdated, nil)
	s.WaitSubscribed(t, b, 1)
	s.MustDo(t, b.Token, deleteAccount, map[string]any{"p": apitest.Password}, nil)
	if m := wb.MustRead(5 * time.Second); m.Type != "complete" {
		t.Fatalf("want complete, got %s %s", m.Type, m.Payload)
	}
}

func TestSubscription_NeedsALoggedInConnection(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	ws := s.DialWS(t, apitest.TransportWS)
	if m, err := ws.Init(""); err != nil || m.Type != "connection_ack" {
		t.Fatalf("anonymous init: %+v %v", m, err)
	}
	ws.Subscribe("r", subReceived, nil)
	if code := errorCode(t, ws.MustRead(5*time.Second)); code != "UNAUTHENTICATED" {
		t.Fatalf("anonymous subscription: %s", code)
	}
}

// errorCode is the code of an operation's failure, sent either as an
// "error" message or as a result with errors.
func errorCode(t *testing.T, m apitest.Message) string {
	t.Helper()
	var errs []apitest.Error
	switch m.Type {
	case "error":
		if err := jsonUnmarshal(m.Payload, &errs); err != nil {
			t.Fatal(err)
		}
	case "next":
		var r apitest.Response
		if err := jsonUnmarshal(m.Payload, &r); err != nil {
			t.Fatal(err)
		}
		errs = r.Errors
	}
	if len(errs) == 0 {
		t.Fatalf("no error in %s %s", m.Type, m.Payload)
	}
	code, _ := errs[0].Extensions["code"].(string)
	return code
}

func TestSubscription_EndsWhenThePasswordChangesElsewhere(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	b := s.SignUp(t, "yb")
	other := logIn(t, s, b.Username, apitest.Password)
	wb := s.Connect(t, b)
	wb.Subscribe("u", subUpdated, nil)
	s.WaitSubscribed(t, b, 1)
	s.MustDo(t, other, changePassword, map[string]any{"c": apitest.Password, "n": "another long password"}, nil)
	if m := wb.MustRead(5 * time.Second); m.Type != "complete" {
		t.Fatalf("want complete, got %s %s", m.Type, m.Payload)
	}
}

func TestSubscription_DeletingAnAccountPushesCanceledRequests(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	gone, other := s.SignUp(t, "za"), s.SignUp(t, "zb")
	r := send(t, s, gone, other)
	ws := s.Connect(t, other)
	ws.Subscribe("u", subUpdated, nil)
	s.WaitSubscribed(t, other, 1)
	s.MustDo(t, gone.Token, deleteAccount, map[string]any{"p": apitest.Password}, nil)
	var ev updatedEvent
	ws.Next("u", &ev)
	if ev.FriendRequestUpdated.ID != r.ID || ev.FriendRequestUpdated.Status != "CANCELED" {
		t.Fatalf("event %+v", ev)
	}
}

func TestSubscription_RejectAndCancelReachBothParties(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "ja"), s.SignUp(t, "jb")
	wa, wb := s.Connect(t, a), s.Connect(t, b)
	wa.Subscribe("u", subUpdated, nil)
	wb.Subscribe("u", subUpdated, nil)
	s.WaitSubscribed(t, a, 1)
	s.WaitSubscribed(t, b, 1)
	rejected := send(t, s, a, b)
	decide(t, s, b, rejectRequest, rejected.ID)
	canceled := send(t, s, a, b)
	decide(t, s, a, cancelRequest, canceled.ID)
	for _, ws := range []*apitest.WS{wa, wb} {
		for _, want := range []request{{ID: rejected.ID, Status: "REJECTED"}, {ID: canceled.ID, Status: "CANCELED"}} {
			var ev updatedEvent
			ws.Next("u", &ev)
			if ev.FriendRequestUpdated.ID != want.ID || ev.FriendRequestUpdated.Status != want.Status {
				t.Fatalf("event %+v, want %+v", ev.FriendRequestUpdated, want)
			}
		}
	}
}
