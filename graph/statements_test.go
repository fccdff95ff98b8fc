package graph_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// The SQL a request runs must not grow with the size of the page it asks
// for: lists go through batched loaders, never a query per item. The
// loaders here wait longer than in production so that batches do not
// split on a slow machine under the race detector.

func newCountingServer(t *testing.T) *apitest.Server {
	return apitest.NewServerWithLoaderWait(t, apitest.CheapConfig(), apitest.Options(), 50*time.Millisecond)
}

const inboxQuery = `query($n: Int!) { chats(first: $n) { edges { node { id unreadCount
	lastMessage { body sender { displayName } } members(first: 5) { edges { node { id displayName } } } } } } }`

func TestStatements_InboxDoesNotGrowWithThePage(t *testing.T) {
	t.Parallel()
	s := newCountingServer(t)
	me := s.SignUp(t, "me")
	f := s.FriendsOf(t, me, 3)
	for i := range 12 {
		g := createGroupChat(t, s, me, fmt.Sprint("g", i), f...)
		post(t, s, f[i%3], g.ID, "hello")
	}
	sameForAnyPage(t, s, me.Token, "chats", inboxQuery, map[string]any{}, 2, 12)
}

func TestStatements_HistoryDoesNotGrowWithThePage(t *testing.T) {
	t.Parallel()
	s := newCountingServer(t)
	me := s.SignUp(t, "me")
	f := s.FriendsOf(t, me, 5)
	g := createGroupChat(t, s, me, "G", f...)
	for i := range 30 {
		post(t, s, f[i%5], g.ID, fmt.Sprint("m", i))
	}
	q := `query($id: ID!, $n: Int!) { node(id: $id) { ... on Chat { messages(last: $n) { edges { node { id body sender { username displayName } } } } } } }`
	// The chat (node), then the page with its senders and the membership
	// check in one statement; the session is cached.
	if n := sameForAnyPage(t, s, me.Token, "messages", q, map[string]any{"id": g.ID}, 2, 30); n != 2 {
		t.Fatalf("a history page ran %d statements, want 2", n)
	}
}

func TestStatements_FriendsDoNotGrowWithThePage(t *testing.T) {
	t.Parallel()
	s := newCountingServer(t)
	me := s.SignUp(t, "me")
	s.FriendsOf(t, me, 12)
	q := `query($n: Int!) { viewer { friends(first: $n) { totalCount edges { node { id displayName friendship } } } } }`
	sameForAnyPage(t, s, me.Token, "friends", q, map[string]any{}, 2, 12)
}

// sameForAnyPage fails unless query runs as many statements with a page of
// small items (variable $n) as with a page of large ones.
func sameForAnyPage(t *testing.T, s *apitest.Server, token, name, query string, vars map[string]any, small, large int) int64 {
	t.Helper()
	counter := apitest.CountStatements(t, s.DB)
	count := func(n int) int64 {
		v := map[string]any{"n": n}
		for k, x := range vars {
			v[k] = x
		}
		// The least of three: on a loaded machine, a dataloader's batch
		// window can close before every field of the page has asked, and
		// split one batch in two; what is counted is what the page needs.
		var least int64 = math.MaxInt64
		for range 3 {
			least = min(least, counter.During(func() { s.MustDo(t, token, query, v, nil) }))
		}
		return least
	}
	few, many := count(small), count(large)
	if few != many {
		t.Fatalf("%s: %d items ran %d statements, %d items ran %d", name, small, few, large, many)
	}
	t.Logf("%s: %d statements", name, many)
	return many
}

func TestStatements_AnEventCostsTheSameForAnyNumberOfSubscribers(t *testing.T) {
	t.Parallel()
	s := newCountingServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 20)
	counter := apitest.CountStatements(t, s.DB)
	cost := func(subscribers int) int64 {
		g := createGroupChat(t, s, owner, "G", f[:subscribers]...)
		var conns []*apitest.WS
		for _, u := range f[:subscribers] {
			ws := s.Connect(t, u)
			ws.Subscribe("m", `subscription($c: ID!) { messagePosted(chatId: $c) { id body sender { displayName } chat { id } } }`, map[string]any{"c": g.ID})
			conns = append(conns, ws)
		}
		s.WaitFollowed(t, g.ID, subscribers)
		post(t, s, owner, g.ID, "warm up") // the feed's first read
		for _, ws := range conns {
			ws.Next("m", &postedEvent{})
		}
		// The least of three posts: the log reader's poll, every few
		// seconds, may fall into one of them and add its own statements.
		// (The reader's own read is one pgx pipeline of fixed statements
		// that GORM's callbacks do not see: what is counted here is the
		// work per request and per subscriber.)
		var least int64 = math.MaxInt64
		for range 3 {
			least = min(least, counter.During(func() {
				post(t, s, owner, g.ID, "counted")
				for _, ws := range conns {
					ws.Next("m", &postedEvent{})
				}
			}))
		}
		return least
	}
	few, many := cost(2), cost(20)
	if few != many {
		t.Fatalf("one event cost %d statements for 2 subscribers and %d for 20", few, many)
	}
	t.Logf("one post delivered to 20 subscribers: %d statements", many)
}

// The inbox's subscription: every chat event with what a chat list shows
// of its chat (unread count, last message, owner) costs the same however
// many subscribers get it: the log reader loads it once for all of them.
func TestStatements_AnInboxEventCostsTheSameForAnyNumberOfSubscribers(t *testing.T) {
	t.Parallel()
	s := newCountingServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 22)
	counter := apitest.CountStatements(t, s.DB)
	const inbox = `subscription { chatEvents { __typename syncToken chat { id unreadCount
		lastMessage { id body sender { displayName } } ... on GroupChat { name owner { displayName } } }
		... on MessagePostedEvent { message { id body sender { displayName } reactions { emoji count } } } } }`
	cost := func(us []apitest.User) int64 {
		g := createGroupChat(t, s, owner, "G", us...)
		var conns []*apitest.WS
		for _, u := range us {
			ws := s.Connect(t, u)
			ws.Subscribe("e", inbox, nil)
			conns = append(conns, ws)
		}
		s.WaitFollowed(t, g.ID, len(us))
		var least int64 = math.MaxInt64
		for range 3 { // the least: the log reader's poll may fall into one
			least = min(least, counter.During(func() {
				post(t, s, owner, g.ID, "counted")
				for _, ws := range conns {
					var ev struct {
						ChatEvents struct{ Chat struct{ UnreadCount int } }
					}
					ws.Next("e", &ev)
					if ev.ChatEvents.Chat.UnreadCount == 0 {
						t.Errorf("an unread message counted as %d", ev.ChatEvents.Chat.UnreadCount)
					}
				}
			}))
		}
		return least
	}
	few, many := cost(f[:2]), cost(f[2:])
	if few != many {
		t.Fatalf("one event cost %d statements for 2 subscribers and %d for 20", few, many)
	}
	t.Logf("one post to 20 inbox subscriptions: %d statements", many)
}

// Read receipts: seenBy reads each chat's markers once for the whole
// response, and the users of every message's page in one batch; the
// viewer's last read message is batched across chats too.
func TestStatements_SeenByDoesNotGrowWithThePage(t *testing.T) {
	t.Parallel()
	s := newCountingServer(t)
	me := s.SignUp(t, "me")
	f := s.FriendsOf(t, me, 5)
	g := createGroupChat(t, s, me, "G", f...)
	for i := range 30 { // each post moves its sender's marker: receipts vary along the history
		post(t, s, f[i%5], g.ID, fmt.Sprint("m", i))
	}
	q := `query($id: ID!, $n: Int!) { node(id: $id) { ... on Chat { viewerLastRead { id } messages(last: $n) { edges { node { id
		seenBy(first: 3) { totalCount edges { node { id displayName } } } } } } } } }`
	sameForAnyPage(t, s, me.Token, "seenBy in the history", q, map[string]any{"id": g.ID}, 2, 30)
	for i := range 11 {
		post(t, s, f[i%5], createGroupChat(t, s, me, fmt.Sprint("g", i), f...).ID, "hello")
	}
	inbox := `query($n: Int!) { chats(first: $n) { edges { node { id viewerLastRead { id }
		lastMessage { id seenBy(first: 3) { totalCount edges { node { id displayName } } } } } } } }`
	sameForAnyPage(t, s, me.Token, "seenBy in the inbox", inbox, map[string]any{}, 2, 12)
}

// Read receipts live: a read marker goes to every member, each selecting
// its message's seenBy, for the same statements however many they are:
// the markers and the first readers' users come with the event.
func TestStatements_AReceiptCostsTheSameForAnyNumberOfSubscribers(t *testing.T) {
	t.Parallel()
	s := newCountingServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 23)
	reader := f[0]
	counter := apitest.CountStatements(t, s.DB)
	const receipts = `subscription { chatEvents { __typename chat { id unreadCount } ... on ReadMarkerMovedEvent {
		user { id } message { id seenBy(first: 3) { totalCount edges { node { id displayName } } } } } } }`
	cost := func(us []apitest.User) int64 {
		g := createGroupChat(t, s, owner, "G", append([]apitest.User{reader}, us...)...)
		var msgs []string
		for range 3 {
			msgs = append(msgs, post(t, s, owner, g.ID, "read me").ID)
		}
		var conns []*apitest.WS
		for _, u := range us {
			ws := s.Connect(t, u)
			ws.Subscribe("e", receipts, nil)
			conns = append(conns, ws)
		}
		s.WaitFollowed(t, g.ID, len(us))
		var least int64 = math.MaxInt64
		for _, m := range msgs { // the least: the log reader's poll may fall into one
			least = min(least, counter.During(func() {
				s.MustDo(t, reader.Token, markChatRead, map[string]any{"chat": g.ID, "msg": m}, nil)
				for _, ws := range conns {
					var ev struct {
						ChatEvents struct {
							Message struct {
								SeenBy struct {
									TotalCount int
									Edges      []struct{ Node struct{ DisplayName string } }
								}
							}
						}
					}
					ws.Next("e", &ev)
					if sb := ev.ChatEvents.Message.SeenBy; sb.TotalCount != 1 || len(sb.Edges) != 1 || sb.Edges[0].Node.DisplayName == "" {
						t.Errorf("seen by %+v, want the reader", sb)
					}
				}
			}))
		}
		return least
	}
	few, many := cost(f[1:3]), cost(f[3:])
	if few != many {
		t.Fatalf("one read marker cost %d statements for 2 subscribers and %d for 20", few, many)
	}
	t.Logf("one read marker to 20 subscribers with seenBy: %d statements", many)
}

// A plain post to a group is one statement (chat/messages.go postToGroup):
// the numbering, the message, its event and the read marker, with the
// membership checked; a private chat's or a reply takes the general path.
func TestStatements_APlainPostToAGroupIsOneStatement(t *testing.T) {
	t.Parallel()
	s := newCountingServer(t)
	me := s.SignUp(t, "me")
	f := s.FriendsOf(t, me, 2)
	g := createGroupChat(t, s, me, "G", f...)
	first := s.Post(t, me, g.ID, "warm the session cache")
	s.Post(t, f[0], g.ID, "and f[0]'s")
	counter := apitest.CountStatements(t, s.DB)
	if n := counter.During(func() { s.Post(t, f[0], g.ID, "hello") }); n != 1 {
		t.Fatalf("a plain post to a group ran %d statements, want 1", n)
	}
	var reply struct{ PostMessage struct{ ID string } }
	if n := counter.During(func() {
		s.MustDo(t, f[0].Token, `mutation($c: ID!, $r: ID!) { postMessage(input: {chatId: $c, body: "re", replyToId: $r}) { id } }`,
			map[string]any{"c": g.ID, "r": first}, &reply)
	}); n <= 1 {
		t.Fatalf("a reply ran %d statements: not the general path", n)
	}
}

// The same on the direct path (which does not serve viewerLastRead, so
// these leave it out): the page's receipts and their users are loaded
// before its messages are written, each in one batch, and the chat list's
// member counts with its members.
func TestStatements_SeenByServedDirectlyDoesNotGrowWithThePage(t *testing.T) {
	t.Parallel()
	s := newCountingServer(t)
	me := s.SignUp(t, "me")
	f := s.FriendsOf(t, me, 5)
	g := createGroupChat(t, s, me, "G", f...)
	for i := range 30 {
		post(t, s, f[i%5], g.ID, fmt.Sprint("m", i))
	}
	q := `query($id: ID!, $n: Int!) { node(id: $id) { ... on Chat { messages(last: $n) { edges { node { id
		seenBy(first: 3) { totalCount edges { node { id displayName } } } } } } } } }`
	if n := sameForAnyPage(t, s, me.Token, "seenBy in the history", q, map[string]any{"id": g.ID}, 2, 30); n != 4 {
		t.Errorf("seenBy in the history ran %d statements, want 4 (the chat, the page, the markers, the users)", n)
	}
	for i := range 11 {
		post(t, s, f[i%5], createGroupChat(t, s, me, fmt.Sprint("g", i), f...).ID, "hello")
	}
	inbox := `query($n: Int!) { chats(first: $n) { edges { node { id members(first: 2) { totalCount edges { node { id } } }
		lastMessage { id seenBy(first: 3) { totalCount edges { node { id displayName } } } } } } } }`
	sameForAnyPage(t, s, me.Token, "seenBy in the inbox", inbox, map[string]any{}, 2, 12)
}
