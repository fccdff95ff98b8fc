package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

const (
	messageFields = `id body createdAt clientMessageId cursor sender { id displayName deleted } chat { id }`
	postMessage   = `mutation($chat: ID!, $body: String!, $cid: String) {
		postMessage(input: {chatId: $chat, body: $body, clientMessageId: $cid}) { ` + messageFields + ` } }`
	historyQuery = `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { node(id: $id) { ... on Chat {
		messages(first: $first, after: $after, last: $last, before: $before) {
			edges { cursor node { ` + messageFields + ` } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }`
	chatsQuery = `query($first: Int, $after: String) { chats(first: $first, after: $after) { totalCount
		edges { cursor node { id unreadCount lastMessage { body sender { displayName } } members(first: 5) { edges { node { id } } }
			... on GroupChat { name } ... on PrivateChat { otherUser { id } } } }
		pageInfo { hasNextPage endCursor } } }`
	markChatRead = `mutation($chat: ID!, $msg: ID!) { markChatRead(input: {chatId: $chat, messageId: $msg}) { id unreadCount } }`
)

type message struct {
	ID, Body, CreatedAt, Cursor string
	ClientMessageID             *string
	Sender                      struct {
		ID, DisplayName string
		Deleted         bool
	}
	Chat struct{ ID string }
}

func post(t *testing.T, s *apitest.Server, u apitest.User, chatID, body string) message {
	t.Helper()
	var out struct{ PostMessage message }
	s.MustDo(t, u.Token, postMessage, map[string]any{"chat": chatID, "body": body}, &out)
	return out.PostMessage
}

type historyPage struct {
	Node struct {
		Messages struct {
			Edges []struct {
				Cursor string
				Node   message
			}
			PageInfo struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       *string
			}
		}
	}
}

type chatItem struct {
	ID          string
	Name        string
	UnreadCount int
	LastMessage *struct {
		Body   string
		Sender struct{ DisplayName string }
	}
}

func chatList(t *testing.T, s *apitest.Server, u apitest.User, first int) []chatItem {
	t.Helper()
	var out struct {
		Chats struct {
			Edges []struct{ Node chatItem }
		}
	}
	s.MustDo(t, u.Token, chatsQuery, map[string]any{"first": first}, &out)
	var items []chatItem
	for _, e := range out.Chats.Edges {
		items = append(items, e.Node)
	}
	return items
}

func TestMessages_PagingBackwardAndForwardEqualsTheFullHistory(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	g := createGroupChat(t, s, owner, "G")
	var want []string
	for i := range 23 {
		want = append(want, post(t, s, owner, g.ID, fmt.Sprintf("m%02d", i)).ID)
	}
	// Backward from the newest, 5 at a time.
	var back []string
	var before any
	for {
		var page historyPage
		s.MustDo(t, owner.Token, historyQuery, map[string]any{"id": g.ID, "last": 5, "before": before}, &page)
		msgs := page.Node.Messages
		var ids []string
		for _, e := range msgs.Edges {
			ids = append(ids, e.Node.ID)
		}
		back = append(ids, back...)
		if !msgs.PageInfo.HasPreviousPage {
			break
		}
		before = *msgs.PageInfo.StartCursor
	}
	// Forward from the oldest, 7 at a time.
	var fwd []string
	var after any
	for {
		var page historyPage
		s.MustDo(t, owner.Token, historyQuery, map[string]any{"id": g.ID, "first": 7, "after": after}, &page)
		msgs := page.Node.Messages
		for _, e := range msgs.Edges {
			fwd = append(fwd, e.Node.ID)
		}
		if !msgs.PageInfo.HasNextPage {
			break
		}
		after = *msgs.PageInfo.EndCursor
	}
	if strings.Join(back, ",") != strings.Join(want, ",") || strings.Join(fwd, ",") != strings.Join(want, ",") {
		t.Fatalf("backward %v\nforward %v\nwant %v", back, fwd, want)
	}
	s.MustFail(t, owner.Token, "BAD_USER_INPUT", historyQuery, map[string]any{"id": g.ID, "first": 1, "last": 1})
	other := createGroupChat(t, s, owner, "Other")
	foreign := post(t, s, owner, other.ID, "elsewhere").Cursor
	s.MustFail(t, owner.Token, "BAD_USER_INPUT", historyQuery, map[string]any{"id": g.ID, "first": 1, "after": foreign})
	s.MustFail(t, owner.Token, "BAD_USER_INPUT", historyQuery, map[string]any{"id": g.ID, "last": 101})
}
