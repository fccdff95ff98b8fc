package apitest

import (
	"encoding/json"
	"testing"
)

// The operations the helpers below send.
const (
	sendFriendRequest   = `mutation($id: ID!) { sendFriendRequest(input: {userId: $id}) { id } }`
	acceptFriendRequest = `mutation($id: ID!) { acceptFriendRequest(input: {requestId: $id}) { id } }`
	createGroupChat     = `mutation($name: String!, $ids: [ID!]!) { createGroupChat(input: {name: $name, memberIds: $ids}) { id name } }`
	postMessage         = `mutation($chat: ID!, $body: String!) { postMessage(input: {chatId: $chat, body: $body}) { id } }`
)

// SendFriendRequest makes from send a friend request to to and returns its id.
func (s *Server) SendFriendRequest(t testing.TB, from, to User) string {
	t.Helper()
	var out struct{ SendFriendRequest struct{ ID string } }
	s.MustDo(t, from.Token, sendFriendRequest, map[string]any{"id": to.ID}, &out)
	return out.SendFriendRequest.ID
}

// Befriend makes a and b friends: a asks, b accepts.
func (s *Server) Befriend(t testing.TB, a, b User) {
	t.Helper()
	s.MustDo(t, b.Token, acceptFriendRequest, map[string]any{"id": s.SendFriendRequest(t, a, b)}, nil)
}

// FriendsOf signs up n users who are all friends of u.
func (s *Server) FriendsOf(t testing.TB, u User, n int) []User {
	t.Helper()
	out := make([]User, n)
	for i := range out {
		out[i] = s.SignUp(t, "pal")
		s.Befriend(t, u, out[i])
	}
	return out
}

// Group is a group chat a test created.
type Group struct{ ID, Name string }

// CreateGroup makes owner create a group chat with members, who must be
// owner's friends.
func (s *Server) CreateGroup(t testing.TB, owner User, name string, members ...User) Group {
	t.Helper()
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	var out struct{ CreateGroupChat Group }
	s.MustDo(t, owner.Token, createGroupChat, map[string]any{"name": name, "ids": ids}, &out)
	return out.CreateGroupChat
}

// Post makes u post body in the chat chatID and returns the message's id.
func (s *Server) Post(t testing.TB, u User, chatID, body string) string {
	t.Helper()
	var out struct{ PostMessage struct{ ID string } }
	s.MustDo(t, u.Token, postMessage, map[string]any{"chat": chatID, "body": body}, &out)
	return out.PostMessage.ID
}

// ErrorCode is the code of an operation's failure on a WebSocket, sent
// either as an "error" message or as a result with errors ("next", or
// "data" on the legacy protocol); a message without an error fails the test.
func (w *WS) ErrorCode(m Message) string {
	w.t.Helper()
	var errs []Error
	switch m.Type {
	case "error":
		if err := json.Unmarshal(m.Payload, &errs); err != nil {
			w.t.Fatal(err)
		}
	case "next", "data":
		var r Response
		if err := json.Unmarshal(m.Payload, &r); err != nil {
			w.t.Fatal(err)
		}
		errs = r.Errors
	}
	if len(errs) == 0 {
		w.t.Fatalf("no error in %s %s", m.Type, m.Payload)
	}
	code, _ := errs[0].Extensions["code"].(string)
	return code
}
