package chat_test

import (
	"context"
	"testing"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/models"
)

func TestSendFriendRequest_CreatesAnUnreadRequestAndSetsRelations(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := mustSignUp(t, h, "amy"), mustSignUp(t, h, "ben")
	r := mustSendRequest(t, h, a, b)
	if r.Status != models.RequestUnread || r.FromID != a.ID || r.ToID != b.ID || r.RespondedAt != nil {
		t.Fatalf("request: %+v", r)
	}
	if got := relation(t, h, a, b); got != chat.FriendshipRequestSent {
		t.Errorf("a sees b as %s", got)
	}
	if got := relation(t, h, b, a); got != chat.FriendshipRequestReceived {
		t.Errorf("b sees a as %s", got)
	}
	if got := relation(t, h, a, a); got != chat.FriendshipSelf {
		t.Errorf("a sees itself as %s", got)
	}
	if got := relation(t, h, a, mustSignUp(t, h, "cat")); got != chat.FriendshipNone {
		t.Errorf("stranger: %s", got)
	}
}

func TestSendFriendRequest_RefusesSelfTheMissingAndTheAlreadyAsked(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b, c, gone := mustSignUp(t, h, "dan"), mustSignUp(t, h, "eve"), mustSignUp(t, h, "fay"), mustSignUp(t, h, "gus")
	mustDeleteAccount(t, h, gone)
	mustSendRequest(t, h, a, b)
	befriend(t, h, a, c)
	for _, c := range []struct {
		why   string
		from  user
		to    int64
		code  chat.Code
		field string
	}{
		{"oneself", a, a.ID, chat.CodeInvalid, "userId"},
		{"a deleted user", a, gone.ID, chat.CodeNotFound, ""},
		{"no such user", a, 987654, chat.CodeNotFound, ""},
		{"asked already", a, b.ID, chat.CodeConflict, ""},
		{"a friend", a, c.ID, chat.CodeConflict, ""},
		{"a friend, the other way", c, a.ID, chat.CodeConflict, ""},
		{"anonymous", user{Ctx: context.Background()}, b.ID, chat.CodeUnauthenticated, ""},
	} {
		_, err := h.SendFriendRequest(c.from.Ctx, c.to)
		mustCode(t, err, c.code, c.field)
	}
}

func TestSendFriendRequest_BackToTheSenderAcceptsTheirRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := mustSignUp(t, h, "hal"), mustSignUp(t, h, "ida")
	first := mustSendRequest(t, h, a, b)
	back := mustSendRequest(t, h, b, a)
	if back.ID != first.ID || back.Status != models.RequestAccepted || back.RespondedAt == nil {
		t.Fatalf("sending back: %+v (first %+v)", back, first)
	}
	if relation(t, h, a, b) != chat.FriendshipFriend || relation(t, h, b, a) != chat.FriendshipFriend {
		t.Fatal("not friends")
	}
}

func TestMarkFriendRequestRead_IsForTheRecipientAndIdempotent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := mustSignUp(t, h, "jo"), mustSignUp(t, h, "kim")
	r := mustSendRequest(t, h, a, b)
	_, err := h.MarkFriendRequestRead(a.Ctx, r.ID)
	mustCode(t, err, chat.CodeForbidden, "")
	for range 2 {
		got, err := h.MarkFriendRequestRead(b.Ctx, r.ID)
		if err != nil || got.Status != models.RequestRead || got.RespondedAt != nil {
			t.Fatalf("read: %+v %v", got, err)
		}
	}
	_, err = h.AcceptFriendRequest(b.Ctx, r.ID)
	must(t, err)
	_, err = h.MarkFriendRequestRead(b.Ctx, r.ID)
	mustCode(t, err, chat.CodeConflict, "")
}

// answer is one of the ways to answer a friend request.
type answer func(context.Context, int64) (*models.FriendRequest, error)

func TestAcceptFriendRequest_MakesBothFriendsAndOnlyOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b, c := mustSignUp(t, h, "lou"), mustSignUp(t, h, "max"), mustSignUp(t, h, "ned")
	r := mustSendRequest(t, h, a, b)
	_, err := h.AcceptFriendRequest(a.Ctx, r.ID)
	mustCode(t, err, chat.CodeForbidden, "")
	// A third party cannot learn that the request exists.
	for _, f := range []answer{h.AcceptFriendRequest, h.RejectFriendRequest, h.MarkFriendRequestRead, h.CancelFriendRequest} {
		_, err := f(c.Ctx, r.ID)
		mustCode(t, err, chat.CodeNotFound, "")
	}
	_, err = h.AcceptFriendRequest(b.Ctx, 424242)
	mustCode(t, err, chat.CodeNotFound, "")
	got, err := h.AcceptFriendRequest(b.Ctx, r.ID)
	if err != nil || got.Status != models.RequestAccepted || got.RespondedAt == nil {
		t.Fatalf("accepted: %+v %v", got, err)
	}
	if relation(t, h, a, b) != chat.FriendshipFriend || relation(t, h, b, a) != chat.FriendshipFriend {
		t.Fatal("not friends")
	}
	for _, c := range []struct {
		who user
		f   answer
	}{{b, h.AcceptFriendRequest}, {b, h.RejectFriendRequest}, {a, h.CancelFriendRequest}} {
		_, err := c.f(c.who.Ctx, r.ID)
		mustCode(t, err, chat.CodeConflict, "")
	}
}

func TestRejectAndCancel_EndTheRequestAndDoNotBlockANewOne(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := mustSignUp(t, h, "ola"), mustSignUp(t, h, "pia")
	r := mustSendRequest(t, h, a, b)
	_, err := h.RejectFriendRequest(a.Ctx, r.ID)
	mustCode(t, err, chat.CodeForbidden, "")
	if got, err := h.RejectFriendRequest(b.Ctx, r.ID); err != nil || got.Status != models.RequestRejected || got.RespondedAt == nil {
		t.Fatalf("rejected: %+v %v", got, err)
	}
	if relation(t, h, a, b) != chat.FriendshipNone {
		t.Fatal("a rejected request still counts")
	}
	r2 := mustSendRequest(t, h, a, b)
	_, err = h.CancelFriendRequest(b.Ctx, r2.ID)
	mustCode(t, err, chat.CodeForbidden, "")
	if got, err := h.CancelFriendRequest(a.Ctx, r2.ID); err != nil || got.Status != models.RequestCanceled {
		t.Fatalf("canceled: %+v %v", got, err)
	}
	for _, c := range []struct {
		f  answer
		id int64
	}{{h.AcceptFriendRequest, r2.ID}, {h.MarkFriendRequestRead, r2.ID}, {h.MarkFriendRequestRead, r.ID}} {
		_, err := c.f(b.Ctx, c.id)
		mustCode(t, err, chat.CodeConflict, "")
	}
	mustSendRequest(t, h, b, a)
}

func TestDeleteAccount_RemovesFriendshipsAndCancelsPendingRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	gone, friend, asked, asker := mustSignUp(t, h, "yara"), mustSignUp(t, h, "zack"), mustSignUp(t, h, "abe"), mustSignUp(t, h, "bea")
	befriend(t, h, gone, friend)
	toAsked := mustSendRequest(t, h, gone, asked)
	fromAsker := mustSendRequest(t, h, asker, gone)
	mustDeleteAccount(t, h, gone)

	if n, err := h.CountFriends(friend.Ctx, friend.ID); err != nil || n != 0 {
		t.Fatalf("the deleted user is still a friend (%d, %v)", n, err)
	}
	for _, c := range []struct {
		who user
		req *models.FriendRequest
	}{{asked, toAsked}, {asker, fromAsker}} {
		got, err := h.FriendRequestsByIDs(c.who.Ctx, []int64{c.req.ID})
		if err != nil || got[0] == nil || got[0].Status != models.RequestCanceled || got[0].RespondedAt == nil {
			t.Fatalf("request after deletion: %+v %v", got, err)
		}
	}
}

// countRequests counts the requests between a and b (either way) in statuses.
func countRequests(t *testing.T, h *harness, a, b user, statuses ...models.FriendRequestStatus) int64 {
	t.Helper()
	var n int64
	must(t, h.DB.Raw(`SELECT count(*) FROM friend_requests
		WHERE ((from_id = ? AND to_id = ?) OR (from_id = ? AND to_id = ?)) AND status IN ?`,
		a.ID, b.ID, b.ID, a.ID, statuses).Scan(&n).Error)
	return n
}

func TestRace_MutualRequestsEndAsFriendsWithOneAcceptedRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for range 15 {
		a, b := mustSignUp(t, h, "ra"), mustSignUp(t, h, "rb")
		codes := race(
			func() error { _, err := h.SendFriendRequest(a.Ctx, b.ID); return err },
			func() error { _, err := h.SendFriendRequest(b.Ctx, a.ID); return err })
		if codes[0] != "" || codes[1] != "" {
			t.Fatalf("codes %v", codes)
		}
		if relation(t, h, a, b) != chat.FriendshipFriend || relation(t, h, b, a) != chat.FriendshipFriend {
			t.Fatal("not friends")
		}
		if n := countRequests(t, h, a, b, models.RequestAccepted); n != 1 {
			t.Fatalf("%d accepted requests", n)
		}
		if n := countRequests(t, h, a, b, models.RequestUnread, models.RequestRead); n != 0 {
			t.Fatalf("%d pending requests", n)
		}
	}
}

func TestRace_DoubleAcceptSucceedsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for range 15 {
		a, b := mustSignUp(t, h, "da"), mustSignUp(t, h, "db")
		r := mustSendRequest(t, h, a, b)
		accept := func() error { _, err := h.AcceptFriendRequest(b.Ctx, r.ID); return err }
		codes := race(accept, accept)
		if !(codes[0] == "" && codes[1] == chat.CodeConflict) && !(codes[0] == chat.CodeConflict && codes[1] == "") {
			t.Fatalf("codes %v", codes)
		}
		var n int64
		must(t, h.DB.Raw(`SELECT count(*) FROM friendships WHERE user_id IN (?, ?)`, a.ID, b.ID).Scan(&n).Error)
		if n != 2 {
			t.Fatalf("%d friendship rows", n)
		}
	}
}

func TestRace_AcceptVersusCancelLeavesOneConsistentOutcome(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	accepted, canceled := 0, 0
	for range 20 {
		a, b := mustSignUp(t, h, "ca"), mustSignUp(t, h, "cb")
		r := mustSendRequest(t, h, a, b)
		codes := race(
			func() error { _, err := h.AcceptFriendRequest(b.Ctx, r.ID); return err },
			func() error { _, err := h.CancelFriendRequest(a.Ctx, r.ID); return err })
		rel := relation(t, h, a, b)
		switch {
		case codes[0] == "" && codes[1] == chat.CodeConflict && rel == chat.FriendshipFriend && countRequests(t, h, a, b, models.RequestAccepted) == 1:
			accepted++
		case codes[0] == chat.CodeConflict && codes[1] == "" && rel == chat.FriendshipNone && countRequests(t, h, a, b, models.RequestCanceled) == 1:
			canceled++
		default:
			t.Fatalf("inconsistent: codes %v, relation %s", codes, rel)
		}
	}
	t.Logf("accept won %d times, cancel %d times", accepted, canceled)
}
