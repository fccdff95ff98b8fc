package graph_test

import (
	"testing"

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

func relation(t *testing.T, s *apitest.Server, viewer, other apitest.User) string {
	t.Helper()
	var out struct{ Node struct{ Friendship string } }
	s.MustDo(t, viewer.Token, relationQuery, id(other.ID), &out)
	return out.Node.Friendship
}

func TestRemoveFriend_EndsTheFriendshipOnBothSides(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "quin"), s.SignUp(t, "ray")
	s.Befriend(t, a, b)
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

const requestsQuery = `query($dir: FriendRequestDirection!, $status: [FriendRequestStatus!], $first: Int, $after: String) {
	friendRequests(direction: $dir, status: $status, first: $first, after: $after) {
		totalCount edges { node { id status from { id } } } pageInfo { hasNextPage endCursor } } }`
