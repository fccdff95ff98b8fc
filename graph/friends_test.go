package graph_test

import (
	"testing"

	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/internal/apitest"
)

const (
	requestFields = `id status createdAt respondedAt from { id } to { id }`
	sendRequest   = `mutation($id: ID!) { sendFriendRequest(input: {userId: $id}) { ` + requestFields + ` } }`
	markRead      = `mutation($id: ID!) { markFriendRequestRead(input: {requestId: $id}) { ` + requestFields + ` } }`
	acceptRequest = `mutation($id: ID!) { acceptFriendRequest(input: {requestId: $id}) { ` + requestFields + ` } }`
	rejectRequest = `mutation($id: ID!) { rejectFriendRequest(input: {requestId: $id}) { ` + requestFields + ` } }`
	cancelRequest = `mutation($id: ID!) { cancelFriendRequest(input: {requestId: $id}) { ` + requestFields + ` } }`
	removeFriend  = `mutation($id: ID!) { removeFriend(input: {userId: $id}) { id friendship } }`
	relationQuery = `query($id: ID!) { node(id: $id) { ... on User { friendship } } }`
)

type request struct {
	ID, Status, CreatedAt string
	RespondedAt           *string
	From, To              struct{ ID string }
}

func id(v string) map[string]any { return map[string]any{"id": v} }

// send makes from send a friend request to to and returns it.
func send(t *testing.T, s *apitest.Server, from, to apitest.User) request {
	t.Helper()
	var out struct{ SendFriendRequest request }
	s.MustDo(t, from.Token, sendRequest, id(to.ID), &out)
	return out.SendFriendRequest
}

// decide runs one of the request mutations and returns the request.
func decide(t *testing.T, s *apitest.Server, who apitest.User, mutation, requestID string) request {
	t.Helper()
	var out map[string]request
	s.MustDo(t, who.Token, mutation, id(requestID), &out)
	for _, r := range out {
		return r
	}
	t.Fatal("no result")
	return request{}
}

func befriend(t *testing.T, s *apitest.Server, a, b apitest.User) {
	t.Helper()
	decide(t, s, b, acceptRequest, send(t, s, a, b).ID)
}

func relation(t *testing.T, s *apitest.Server, viewer, other apitest.User) string {
	t.Helper()
	var out struct{ Node struct{ Friendship string } }
	s.MustDo(t, viewer.Token, relationQuery, id(other.ID), &out)
	return out.Node.Friendship
}

func TestSendFriendRequest_CreatesAnUnreadRequestAndSetsRelations(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "amy"), s.SignUp(t, "ben")
	r := send(t, s, a, b)
	if r.Status != "UNREAD" || r.From.ID != a.ID || r.To.ID != b.ID || r.RespondedAt != nil {
		t.Fatalf("request: %+v", r)
	}
	if got := relation(t, s, a, b); got != "REQUEST_SENT" {
		t.Errorf("a sees b as %s", got)
	}
	if got := relation(t, s, b, a); got != "REQUEST_RECEIVED" {
		t.Errorf("b sees a as %s", got)
	}
	if got := relation(t, s, a, a); got != "SELF" {
		t.Errorf("a sees itself as %s", got)
	}
	if got := relation(t, s, a, s.SignUp(t, "cat")); got != "NONE" {
		t.Errorf("stranger: %s", got)
	}
}

func TestSendFriendRequest_Errors(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b, c, gone := s.SignUp(t, "dan"), s.SignUp(t, "eve"), s.SignUp(t, "fay"), s.SignUp(t, "gus")
	s.MustDo(t, gone.Token, deleteAccount, map[string]any{"p": apitest.Password}, nil)
	send(t, s, a, b)
	befriend(t, s, a, c)

	r := s.MustFail(t, a.Token, "BAD_USER_INPUT", sendRequest, id(a.ID))
	if r.Field() != "userId" {
		t.Errorf("field = %q", r.Field())
	}
	s.MustFail(t, a.Token, "NOT_FOUND", sendRequest, id(gone.ID))
	s.MustFail(t, a.Token, "NOT_FOUND", sendRequest, id(model.EncodeID(model.KindUser, 987654)))
	s.MustFail(t, a.Token, "BAD_USER_INPUT", sendRequest, id("nonsense"))
	s.MustFail(t, a.Token, "CONFLICT", sendRequest, id(b.ID))
	s.MustFail(t, a.Token, "CONFLICT", sendRequest, id(c.ID))
	s.MustFail(t, c.Token, "CONFLICT", sendRequest, id(a.ID))
	s.MustFail(t, "", "UNAUTHENTICATED", sendRequest, id(b.ID))
}

func TestSendFriendRequest_BackToTheSenderAcceptsTheirRequest(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "hal"), s.SignUp(t, "ida")
	first := send(t, s, a, b)
	back := send(t, s, b, a)
	if back.ID != first.ID || back.Status != "ACCEPTED" || back.RespondedAt == nil {
		t.Fatalf("sending back: %+v (first %+v)", back, first)
	}
	if relation(t, s, a, b) != "FRIEND" || relation(t, s, b, a) != "FRIEND" {
		t.Fatal("not friends")
	}
}

func TestMarkFriendRequestRead_IsForTheRecipientAndIdempotent(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "jo"), s.SignUp(t, "kim")
	r := send(t, s, a, b)
	s.MustFail(t, a.Token, "FORBIDDEN", markRead, id(r.ID))
	if got := decide(t, s, b, markRead, r.ID); got.Status != "READ" || got.RespondedAt != nil {
		t.Fatalf("read: %+v", got)
	}
	if got := decide(t, s, b, markRead, r.ID); got.Status != "READ" {
		t.Fatalf("read twice: %+v", got)
	}
	decide(t, s, b, acceptRequest, r.ID)
	s.MustFail(t, b.Token, "CONFLICT", markRead, id(r.ID))
}

func TestAcceptFriendRequest_MakesBothFriendsAndOnlyOnce(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b, c := s.SignUp(t, "lou"), s.SignUp(t, "max"), s.SignUp(t, "ned")
	r := send(t, s, a, b)
	s.MustFail(t, a.Token, "FORBIDDEN", acceptRequest, id(r.ID))
	// A third party cannot learn that the request exists.
	s.MustFail(t, c.Token, "NOT_FOUND", acceptRequest, id(r.ID))
	s.MustFail(t, c.Token, "NOT_FOUND", rejectRequest, id(r.ID))
	s.MustFail(t, c.Token, "NOT_FOUND", markRead, id(r.ID))
	s.MustFail(t, c.Token, "NOT_FOUND", cancelRequest, id(r.ID))
	s.MustFail(t, b.Token, "NOT_FOUND", acceptRequest, id(model.EncodeID(model.KindFriendRequest, 424242)))
	got := decide(t, s, b, acceptRequest, r.ID)
	if got.Status != "ACCEPTED" || got.RespondedAt == nil {
		t.Fatalf("accepted: %+v", got)
	}
	if relation(t, s, a, b) != "FRIEND" || relation(t, s, b, a) != "FRIEND" {
		t.Fatal("not friends")
	}
	s.MustFail(t, b.Token, "CONFLICT", acceptRequest, id(r.ID))
	s.MustFail(t, b.Token, "CONFLICT", rejectRequest, id(r.ID))
	s.MustFail(t, a.Token, "CONFLICT", cancelRequest, id(r.ID))
}

func TestRejectAndCancel_EndTheRequestAndDoNotBlockANewOne(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "ola"), s.SignUp(t, "pia")
	r := send(t, s, a, b)
	s.MustFail(t, a.Token, "FORBIDDEN", rejectRequest, id(r.ID))
	if got := decide(t, s, b, rejectRequest, r.ID); got.Status != "REJECTED" || got.RespondedAt == nil {
		t.Fatalf("rejected: %+v", got)
	}
	if relation(t, s, a, b) != "NONE" {
		t.Fatal("a rejected request still counts")
	}
	r2 := send(t, s, a, b)
	s.MustFail(t, b.Token, "FORBIDDEN", cancelRequest, id(r2.ID))
	if got := decide(t, s, a, cancelRequest, r2.ID); got.Status != "CANCELED" {
		t.Fatalf("canceled: %+v", got)
	}
	s.MustFail(t, b.Token, "CONFLICT", acceptRequest, id(r2.ID))
	s.MustFail(t, b.Token, "CONFLICT", markRead, id(r2.ID))
	s.MustFail(t, b.Token, "CONFLICT", markRead, id(r.ID))
	send(t, s, b, a)
}

func TestRemoveFriend_EndsTheFriendshipOnBothSides(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "quin"), s.SignUp(t, "ray")
	befriend(t, s, a, b)
	var out struct {
		RemoveFriend struct{ ID, Friendship string }
	}
	s.MustDo(t, a.Token, removeFriend, id(b.ID), &out)
	if out.RemoveFriend.ID != b.ID || out.RemoveFriend.Friendship != "NONE" || relation(t, s, b, a) != "NONE" {
		t.Fatalf("after removal: %+v", out.RemoveFriend)
	}
	s.MustFail(t, a.Token, "NOT_FOUND", removeFriend, id(b.ID))
	send(t, s, b, a)
}

const friendsQuery = `query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on User {
	friends(first: $first, after: $after) { totalCount edges { cursor node { id displayName friendship } } pageInfo { hasNextPage endCursor } } } } }`

type friendsData struct {
	Node struct {
		Friends struct {
			TotalCount int
			Edges      []struct {
				Node struct{ ID, DisplayName, Friendship string }
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
}

func TestFriends_ListsTheViewersFriendsByDisplayNameAcrossPages(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	me := s.SignUp(t, "sue")
	names := []string{"delta", "Alpha", "charlie", "Bravo", "echo", "alpha"}
	for _, n := range names {
		f := s.SignUp(t, "f")
		s.MustDo(t, f.Token, updateProfile, map[string]any{"d": n}, nil)
		befriend(t, s, me, f)
	}
	send(t, s, me, s.SignUp(t, "pending")) // not a friend yet
	var got []string
	var after any
	for {
		var out friendsData
		s.MustDo(t, me.Token, friendsQuery, map[string]any{"id": me.ID, "first": 4, "after": after}, &out)
		fr := out.Node.Friends
		if fr.TotalCount != len(names) {
			t.Fatalf("totalCount %d", fr.TotalCount)
		}
		for _, e := range fr.Edges {
			if e.Node.Friendship != "FRIEND" {
				t.Errorf("%s: friendship %s", e.Node.DisplayName, e.Node.Friendship)
			}
			got = append(got, e.Node.DisplayName)
		}
		if !fr.PageInfo.HasNextPage {
			break
		}
		after = *fr.PageInfo.EndCursor
	}
	want := []string{"Alpha", "alpha", "Bravo", "charlie", "delta", "echo"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		// "Alpha" and "alpha" tie on the display name; the id breaks the tie.
		if got[i] != want[i] && !(i < 2 && (got[i] == "alpha" || got[i] == "Alpha")) {
			t.Fatalf("order: got %v, want %v", got, want)
		}
	}
}

func TestFriends_OfAnotherUserIsForbidden(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "tom"), s.SignUp(t, "uli")
	befriend(t, s, a, b)
	s.MustFail(t, a.Token, "FORBIDDEN", friendsQuery, map[string]any{"id": b.ID})
}

const requestsQuery = `query($dir: FriendRequestDirection!, $status: [FriendRequestStatus!], $first: Int, $after: String) {
	friendRequests(direction: $dir, status: $status, first: $first, after: $after) {
		totalCount edges { node { id status from { id } } } pageInfo { hasNextPage endCursor } } }`

type requestsData struct {
	FriendRequests struct {
		TotalCount int
		Edges      []struct{ Node request }
		PageInfo   struct {
			HasNextPage bool
			EndCursor   *string
		}
	}
}

func TestFriendRequests_ListsNewestFirstFilteredAndPaged(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	me := s.SignUp(t, "vera")
	var sent []request
	for range 7 {
		sent = append(sent, send(t, s, s.SignUp(t, "w"), me))
	}
	decide(t, s, me, rejectRequest, sent[2].ID)
	out := send(t, s, me, s.SignUp(t, "x"))

	var ids []string
	var after any
	for {
		var page requestsData
		s.MustDo(t, me.Token, requestsQuery, map[string]any{"dir": "INCOMING", "first": 3, "after": after}, &page)
		if page.FriendRequests.TotalCount != 7 {
			t.Fatalf("totalCount %d", page.FriendRequests.TotalCount)
		}
		for _, e := range page.FriendRequests.Edges {
			ids = append(ids, e.Node.ID)
		}
		if !page.FriendRequests.PageInfo.HasNextPage {
			break
		}
		after = *page.FriendRequests.PageInfo.EndCursor
	}
	if len(ids) != 7 {
		t.Fatalf("got %d requests", len(ids))
	}
	for i := range ids {
		if ids[i] != sent[6-i].ID {
			t.Fatalf("not newest first: %v", ids)
		}
	}
	var pending requestsData
	s.MustDo(t, me.Token, requestsQuery, map[string]any{"dir": "INCOMING", "status": []string{"UNREAD", "READ"}}, &pending)
	if pending.FriendRequests.TotalCount != 6 {
		t.Fatalf("pending: %d", pending.FriendRequests.TotalCount)
	}
	var outgoing requestsData
	s.MustDo(t, me.Token, requestsQuery, map[string]any{"dir": "OUTGOING"}, &outgoing)
	if len(outgoing.FriendRequests.Edges) != 1 || outgoing.FriendRequests.Edges[0].Node.ID != out.ID {
		t.Fatalf("outgoing: %+v", outgoing)
	}
}

func TestDeleteAccount_RemovesFriendshipsAndCancelsPendingRequests(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	gone, friend, asked, asker := s.SignUp(t, "yara"), s.SignUp(t, "zack"), s.SignUp(t, "abe"), s.SignUp(t, "bea")
	befriend(t, s, gone, friend)
	toAsked := send(t, s, gone, asked)
	fromAsker := send(t, s, asker, gone)
	s.MustDo(t, gone.Token, deleteAccount, map[string]any{"p": apitest.Password}, nil)

	var out friendsData
	s.MustDo(t, friend.Token, friendsQuery, map[string]any{"id": friend.ID}, &out)
	if out.Node.Friends.TotalCount != 0 {
		t.Fatal("the deleted user is still a friend")
	}
	for _, c := range []struct {
		who apitest.User
		req request
	}{{asked, toAsked}, {asker, fromAsker}} {
		var node struct{ Node request }
		s.MustDo(t, c.who.Token, `query($id: ID!) { node(id: $id) { ... on FriendRequest { id status respondedAt } } }`, id(c.req.ID), &node)
		if node.Node.Status != "CANCELED" || node.Node.RespondedAt == nil {
			t.Fatalf("request after deletion: %+v", node.Node)
		}
	}
}
