package chat_test

import (
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/models"
)

func TestFriendRequestEvents_BothPartiesGetStatusChangesAndOthersNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b, c := mustSignUp(t, h, "ua"), mustSignUp(t, h, "ub"), mustSignUp(t, h, "uc")
	sa, sb, sc := mustRequestEvents(t, h, a, events.FriendRequestUpdated),
		mustRequestEvents(t, h, b, events.FriendRequestUpdated), mustRequestEvents(t, h, c, events.FriendRequestUpdated)
	r := mustSendRequest(t, h, a, b)
	_, err := h.MarkFriendRequestRead(b.Ctx, r.ID)
	must(t, err)
	_, err = h.AcceptFriendRequest(b.Ctx, r.ID)
	must(t, err)
	for _, stream := range []<-chan *models.FriendRequest{sa, sb} {
		for _, want := range []models.FriendRequestStatus{models.RequestRead, models.RequestAccepted} {
			got := next(t, stream)
			if got.ID != r.ID {
				t.Fatalf("event for %d", got.ID)
			}
			// The event carries the request as it is when delivered, so a
			// quick READ then ACCEPTED may both show ACCEPTED.
			if got.Status != want && got.Status != models.RequestAccepted {
				t.Fatalf("status %s, want %s", got.Status, want)
			}
		}
	}
	quiet(t, sc, 300*time.Millisecond)
}

func TestFriendRequestEvents_RejectAndCancelReachBothParties(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := mustSignUp(t, h, "ja"), mustSignUp(t, h, "jb")
	sa, sb := mustRequestEvents(t, h, a, events.FriendRequestUpdated), mustRequestEvents(t, h, b, events.FriendRequestUpdated)
	rejected := mustSendRequest(t, h, a, b)
	_, err := h.RejectFriendRequest(b.Ctx, rejected.ID)
	must(t, err)
	canceled := mustSendRequest(t, h, a, b)
	_, err = h.CancelFriendRequest(a.Ctx, canceled.ID)
	must(t, err)
	for _, stream := range []<-chan *models.FriendRequest{sa, sb} {
		for _, want := range []models.FriendRequest{{ID: rejected.ID, Status: models.RequestRejected}, {ID: canceled.ID, Status: models.RequestCanceled}} {
			if got := next(t, stream); got.ID != want.ID || got.Status != want.Status {
				t.Fatalf("event %+v, want %+v", got, want)
			}
		}
	}
}

func TestFriendRequestEvents_RolledBackChangePublishesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := mustSignUp(t, h, "va"), mustSignUp(t, h, "vb")
	// A deferred trigger fails the commit itself, after the request row
	// (and its event) were made inside the transaction.
	must(t, h.DB.Exec(`
		CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
		CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT ON friend_requests
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_commit();`).Error)
	received := mustRequestEvents(t, h, b, events.FriendRequestCreated)
	_, err := h.SendFriendRequest(a.Ctx, b.ID)
	mustCode(t, err, chat.CodeInternal, "")
	quiet(t, received, 400*time.Millisecond)
	var n int64
	must(t, h.DB.Raw(`SELECT count(*) FROM friend_requests`).Scan(&n).Error)
	if n != 0 {
		t.Fatalf("%d requests stored", n)
	}
}

func TestFriendRequestEvents_DeletingAnAccountPushesCanceledRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	gone, other := mustSignUp(t, h, "za"), mustSignUp(t, h, "zb")
	r := mustSendRequest(t, h, gone, other)
	updated := mustRequestEvents(t, h, other, events.FriendRequestUpdated)
	mustDeleteAccount(t, h, gone)
	if got := next(t, updated); got.ID != r.ID || got.Status != models.RequestCanceled {
		t.Fatalf("event %+v", got)
	}
}

func TestFriendRequestEvents_EndWhenTheirTokenIsRevoked(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := mustSignUp(t, h, "wa"), mustSignUp(t, h, "wb")
	received := mustRequestEvents(t, h, b, events.FriendRequestCreated)
	must(t, h.LogOut(b.Ctx))
	mustEnd(t, received)
	mustSendRequest(t, h, a, b)
	// New subscriptions of the revoked session are refused too.
	_, err := h.FriendRequestEvents(b.Ctx, events.FriendRequestCreated, nil)
	mustCode(t, err, chat.CodeUnauthenticated, "")
}

func TestFriendRequestEvents_EndWhenTheAccountIsDeleted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := mustSignUp(t, h, "xb")
	updated := mustRequestEvents(t, h, b, events.FriendRequestUpdated)
	mustDeleteAccount(t, h, b)
	mustEnd(t, updated)
}

func TestFriendRequestEvents_EndWhenThePasswordChangesElsewhere(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := mustSignUp(t, h, "yb")
	other := mustLogIn(t, h, b.Username, testPassword)
	updated := mustRequestEvents(t, h, b, events.FriendRequestUpdated)
	must(t, h.ChangePassword(other.Ctx, testPassword, "another long password"))
	mustEnd(t, updated)
}
