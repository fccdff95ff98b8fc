package graph_test

import (
	"fmt"
	"strings"
	"sync"
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

// history returns the newest n messages of a chat, oldest first.
func history(t *testing.T, s *apitest.Server, u apitest.User, chatID string, n int) []message {
	t.Helper()
	var out historyPage
	s.MustDo(t, u.Token, historyQuery, map[string]any{"id": chatID, "last": n}, &out)
	var msgs []message
	for _, e := range out.Node.Messages.Edges {
		msgs = append(msgs, e.Node)
	}
	return msgs
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

func TestPostMessage_MembersPostAndOthersGetNotFound(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 1)
	g := createGroupChat(t, s, owner, "G", f[0])
	m := post(t, s, f[0], g.ID, "hi there")
	if m.Body != "hi there" || m.Sender.ID != f[0].ID || m.Chat.ID != g.ID || m.ClientMessageID != nil {
		t.Fatalf("message %+v", m)
	}
	s.MustFail(t, s.SignUp(t, "x").Token, "NOT_FOUND", postMessage, map[string]any{"chat": g.ID, "body": "let me in"})
	s.MustFail(t, "", "UNAUTHENTICATED", postMessage, map[string]any{"chat": g.ID, "body": "anon"})
	s.MustFail(t, owner.Token, "BAD_USER_INPUT", postMessage, map[string]any{"chat": "junk", "body": "x"})
}

func TestPostMessage_ValidatesBodyAndClientMessageID(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	g := createGroupChat(t, s, owner, "G")
	for _, c := range []struct {
		body  string
		cid   any
		field string
	}{
		{"", nil, "body"},
		{" \n\t ", nil, "body"},
		{strings.Repeat("é", 4001), nil, "body"},
		{"ok", strings.Repeat("c", 65), "clientMessageId"},
		{"ok", "", "clientMessageId"},
	} {
		r := s.MustFail(t, owner.Token, "BAD_USER_INPUT", postMessage, map[string]any{"chat": g.ID, "body": c.body, "cid": c.cid})
		if r.Field() != c.field {
			t.Errorf("field %q, want %q", r.Field(), c.field)
		}
	}
	post(t, s, owner, g.ID, strings.Repeat("é", 4000))
	if h := history(t, s, owner, g.ID, 10); len(h) != 1 {
		t.Fatalf("%d messages stored", len(h))
	}
}

func TestPostMessage_RetryWithTheSameClientMessageIDReturnsTheOriginal(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	g := createGroupChat(t, s, owner, "G")
	vars := map[string]any{"chat": g.ID, "body": "once", "cid": "c-1"}
	var first, again struct{ PostMessage message }
	s.MustDo(t, owner.Token, postMessage, vars, &first)
	s.MustDo(t, owner.Token, postMessage, vars, &again)
	if first.PostMessage.ID != again.PostMessage.ID || *again.PostMessage.ClientMessageID != "c-1" {
		t.Fatalf("%+v vs %+v", first.PostMessage, again.PostMessage)
	}
	// Concurrent retries of another id make one message too.
	vars["cid"] = "c-2"
	codes := race(t, s, repeat(8, func() *apitest.Response { return s.Do(t, owner.Token, postMessage, vars) })...)
	for _, c := range codes {
		if c != "" {
			t.Fatalf("codes %v", codes)
		}
	}
	if h := history(t, s, owner, g.ID, 100); len(h) != 2 {
		t.Fatalf("%d messages, want 2", len(h))
	}
}

func repeat(n int, f func() *apitest.Response) []func() *apitest.Response {
	out := make([]func() *apitest.Response, n)
	for i := range out {
		out[i] = f
	}
	return out
}

func TestPostMessage_ConcurrentPostersGetGapFreeSequences(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 3)
	g := createGroupChat(t, s, owner, "G", f...)
	posters := append(f, owner)
	var wg sync.WaitGroup
	for _, u := range posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				if r := s.Do(t, u.Token, postMessage, map[string]any{"chat": g.ID, "body": fmt.Sprintf("%s#%d", u.Username, i)}); r.Code() != "" {
					t.Errorf("post: %+v", r.Errors)
				}
			}
		}()
	}
	wg.Wait()
	var seqs []int64
	s.DB.Raw(`SELECT seq FROM messages ORDER BY seq`).Scan(&seqs)
	for i, seq := range seqs {
		if seq != int64(i+1) {
			t.Fatalf("sequence has a gap: %v", seqs)
		}
	}
	if len(seqs) != 40 {
		t.Fatalf("%d messages", len(seqs))
	}
	// Each poster's messages keep the order they were posted in.
	last := map[string]int{}
	for _, m := range history(t, s, owner, g.ID, 40) {
		var i int
		fmt.Sscan(m.Body[strings.Index(m.Body, "#")+1:], &i)
		prev, seen := last[m.Sender.ID]
		if !seen {
			prev = -1
		}
		if i != prev+1 {
			t.Fatalf("%s: message %d after %d", m.Sender.ID, i, prev)
		}
		last[m.Sender.ID] = i
	}
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

func TestUnreadCount_FollowsReadMarkersThatNeverMoveBack(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 1)
	g := createGroupChat(t, s, owner, "G", f[0])
	var msgs []message
	for i := range 4 {
		msgs = append(msgs, post(t, s, owner, g.ID, fmt.Sprint("m", i)))
	}
	if got := chatList(t, s, owner, 10)[0]; got.UnreadCount != 0 {
		t.Fatalf("sender's unread: %d", got.UnreadCount)
	}
	if got := chatList(t, s, f[0], 10)[0]; got.UnreadCount != 4 || got.LastMessage.Body != "m3" {
		t.Fatalf("reader's chat: %+v", got)
	}
	var out struct{ MarkChatRead struct{ UnreadCount int } }
	s.MustDo(t, f[0].Token, markChatRead, map[string]any{"chat": g.ID, "msg": msgs[2].ID}, &out)
	if out.MarkChatRead.UnreadCount != 1 {
		t.Fatalf("after reading 3: %d", out.MarkChatRead.UnreadCount)
	}
	s.MustDo(t, f[0].Token, markChatRead, map[string]any{"chat": g.ID, "msg": msgs[0].ID}, &out)
	if out.MarkChatRead.UnreadCount != 1 {
		t.Fatalf("the marker moved back: %d", out.MarkChatRead.UnreadCount)
	}
	other := createGroupChat(t, s, owner, "Other", f[0])
	elsewhere := post(t, s, owner, other.ID, "elsewhere")
	s.MustFail(t, f[0].Token, "NOT_FOUND", markChatRead, map[string]any{"chat": g.ID, "msg": elsewhere.ID})
}

func TestChats_ListsMostRecentActivityFirstAcrossPages(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	me := s.SignUp(t, "me")
	var created []string
	for i := range 5 {
		created = append(created, createGroupChat(t, s, me, fmt.Sprint("g", i)).ID)
	}
	post(t, s, me, created[1], "bump")
	want := []string{created[1], created[4], created[3], created[2], created[0]}
	var got []string
	var after any
	for {
		var out struct {
			Chats struct {
				TotalCount int
				Edges      []struct{ Node chatItem }
				PageInfo   struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
		s.MustDo(t, me.Token, chatsQuery, map[string]any{"first": 2, "after": after}, &out)
		if out.Chats.TotalCount != 5 {
			t.Fatalf("totalCount %d", out.Chats.TotalCount)
		}
		for _, e := range out.Chats.Edges {
			got = append(got, e.Node.ID)
		}
		if !out.Chats.PageInfo.HasNextPage {
			break
		}
		after = *out.Chats.PageInfo.EndCursor
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("order %v, want %v", got, want)
	}
}

func TestRace_BothOpeningThePrivateChatGetOne(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	for range 10 {
		a, b := s.SignUp(t, "oa"), s.SignUp(t, "ob")
		befriend(t, s, a, b)
		results := make([]privateData, 2)
		var wg sync.WaitGroup
		for i, pair := range [][2]apitest.User{{a, b}, {b, a}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var out struct{ OpenPrivateChat privateData }
				r := s.Do(t, pair[0].Token, openPrivate, id(pair[1].ID))
				if r.Code() != "" || jsonUnmarshal(r.Data, &out) != nil {
					t.Errorf("open: %+v", r.Errors)
				}
				results[i] = out.OpenPrivateChat
			}()
		}
		wg.Wait()
		if results[0].ID == "" || results[0].ID != results[1].ID {
			t.Fatalf("two chats: %+v", results)
		}
	}
}
