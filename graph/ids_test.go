package graph_test

import (
	"time"

	"testing"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// An id of another kind of object is a mistake in the request: like a
// malformed id, it is BAD_USER_INPUT naming the field.
func TestIDs_OfAnotherKindAreBadUserInputNamingTheField(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 1)
	g := createGroupChat(t, s, owner, "G", f[0])
	m := post(t, s, owner, g.ID, "hello")
	for _, c := range []struct {
		name, query, field string
		vars               map[string]any
	}{
		{"a user as the chat to post to", postMessage, "chatId", map[string]any{"chat": f[0].ID, "body": "x"}},
		{"a user as the group to rename", renameGroup, "chatId", map[string]any{"chat": owner.ID, "name": "x"}},
		{"a user as the group to leave", leaveGroupPayload, "chatId", id2("chat", f[0].ID)},
		{"a message as the group to invite to", inviteGroup, "chatId", map[string]any{"chat": m.ID, "ids": ids(f[0])}},
		{"a chat as a user to invite", inviteGroup, "userIds", map[string]any{"chat": g.ID, "ids": []string{g.ID}}},
		{"a chat as the member to remove", removeGroup, "userId", map[string]any{"chat": g.ID, "user": g.ID}},
		{"a chat as the message read", markChatRead, "messageId", map[string]any{"chat": g.ID, "msg": g.ID}},
		{"a chat as the friend", openPrivate, "friendId", id(g.ID)},
		{"a chat as the user to befriend", sendRequest, "userId", id(g.ID)},
		{"a user as the request to accept", acceptRequest, "requestId", id(f[0].ID)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if r := s.MustFail(t, owner.Token, "BAD_USER_INPUT", c.query, c.vars); r.Field() != c.field {
				t.Fatalf("field %q, want %q", r.Field(), c.field)
			}
		})
	}
	ws := s.Connect(t, owner)
	ws.Subscribe("m", subMessages, map[string]any{"chat": owner.ID})
	if code := ws.ErrorCode(ws.MustRead(5 * time.Second)); code != "BAD_USER_INPUT" {
		t.Fatalf("messagePosted with a user as the chat: %s", code)
	}
}

// A malformed id never reaches the domain: it is BAD_USER_INPUT naming the field.
func TestIDs_MalformedAreBadUserInputNamingTheField(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	for _, c := range []struct {
		name, query, field string
		vars               map[string]any
	}{
		{"the user to befriend", sendRequest, "userId", id("nonsense")},
		{"a member of a new group", createGroup, "memberIds", map[string]any{"name": "x", "ids": []string{"junk"}}},
		{"the chat to post to", postMessage, "chatId", map[string]any{"chat": "junk", "body": "x"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if r := s.MustFail(t, owner.Token, "BAD_USER_INPUT", c.query, c.vars); r.Field() != c.field {
				t.Fatalf("field %q, want %q", r.Field(), c.field)
			}
		})
	}
}
