package graph_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/internal/apitest"
)

const (
	blockUser      = `mutation($id: ID!) { blockUser(input: {userId: $id}) { id username viewerBlocked friendship } }`
	unblockUser    = `mutation($id: ID!) { unblockUser(input: {userId: $id}) { id viewerBlocked friendship } }`
	blockedUsersOf = `query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on User {
		blockedUsers(first: $first, after: $after) { totalCount edges { cursor node { id viewerBlocked } } pageInfo { hasNextPage endCursor } } } } }`
	byUsername = `query($name: String!) { user(username: $name) { id } }`
	subFriends = `subscription { friendsChanged { friends user { id username friendship } } }`
)

type blockedUser struct {
	ID, Username, Friendship string
	ViewerBlocked            bool
}

func block(t *testing.T, s *apitest.Server, blocker, blocked apitest.User) blockedUser {
	t.Helper()
	var out struct{ BlockUser blockedUser }
	s.MustDo(t, blocker.Token, blockUser, id(blocked.ID), &out)
	return out.BlockUser
}

// sameErrors fails unless two failed responses show a client the same errors.
func sameErrors(t *testing.T, door string, got, want *apitest.Response) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if len(want.Errors) == 0 || string(g) != string(w) {
		t.Errorf("%s: the blocked user gets\n%s\nwant what an unknown user or a stranger gets\n%s", door, g, w)
	}
}

// sameData fails unless two successful responses are the same.
func sameData(t *testing.T, door string, got, want *apitest.Response) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if len(want.Errors) > 0 || string(g) != string(w) {
		t.Errorf("%s: the blocked user gets\n%s\nwant what an unknown user gets\n%s", door, g, w)
	}
}

func TestBlockUser_BlockedUserGetsTheAnswersOfAStrangerAtEveryDoor(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	blocker, blocked, stranger, exFriend, gone := s.SignUp(t, "bk"), s.SignUp(t, "bd"), s.SignUp(t, "bs"), s.SignUp(t, "bx"), s.SignUp(t, "bg")
	s.Befriend(t, blocker, blocked)
	s.Befriend(t, blocker, exFriend)
	dm, exDM := openPrivateChat(t, s, blocked, blocker), openPrivateChat(t, s, exFriend, blocker)
	mine, exMine := post(t, s, blocked, dm.ID, "before"), post(t, s, exFriend, exDM.ID, "before")
	s.MustDo(t, blocker.Token, removeFriend, id(exFriend.ID), nil)
	s.MustDo(t, gone.Token, deleteAccount, map[string]any{"p": apitest.Password}, nil)
	if got := block(t, s, blocker, blocked); got.ID != blocked.ID || !got.ViewerBlocked || got.Friendship != "NONE" {
		t.Fatalf("blockUser returned %+v", got)
	}

	sameErrors(t, "sendFriendRequest", s.Do(t, blocked.Token, sendRequest, id(blocker.ID)), s.Do(t, blocked.Token, sendRequest, id(gone.ID)))
	sameErrors(t, "openPrivateChat", s.Do(t, blocked.Token, openPrivate, id(blocker.ID)), s.Do(t, stranger.Token, openPrivate, id(blocker.ID)))
	postIn := func(u apitest.User, chatID string) *apitest.Response {
		return s.Do(t, u.Token, postMessage, map[string]any{"chat": chatID, "body": "hello?"})
	}
	sameErrors(t, "postMessage", postIn(blocked, dm.ID), postIn(exFriend, exDM.ID))
	// What else needs the friendship in the private chat, as for an ex-friend.
	sameErrors(t, "editMessage", s.Do(t, blocked.Token, editMessage, map[string]any{"m": mine.ID, "b": "edited"}),
		s.Do(t, exFriend.Token, editMessage, map[string]any{"m": exMine.ID, "b": "edited"}))
	sameErrors(t, "addReaction", s.Do(t, blocked.Token, addReaction, map[string]any{"m": mine.ID, "e": "👍"}),
		s.Do(t, exFriend.Token, addReaction, map[string]any{"m": exMine.ID, "e": "👍"}))
	sameErrors(t, "setTyping", s.Do(t, blocked.Token, setTyping, map[string]any{"chat": dm.ID, "typing": true}),
		s.Do(t, exFriend.Token, setTyping, map[string]any{"chat": exDM.ID, "typing": true}))
	// Adding the blocker to a group of theirs, as for a stranger.
	own := createGroupChat(t, s, blocked, "mine", s.FriendsOf(t, blocked, 1)...)
	// The refusal names the user refused: the stranger's answer is compared
	// as it would name the blocker.
	invited := s.Do(t, blocked.Token, inviteGroup, map[string]any{"chat": own.ID, "ids": []string{blocker.ID}})
	asStranger := s.Do(t, blocked.Token, inviteGroup, map[string]any{"chat": own.ID, "ids": []string{stranger.ID}})
	for i := range asStranger.Errors {
		if asStranger.Errors[i].Extensions["userId"] == stranger.ID {
			asStranger.Errors[i].Extensions["userId"] = blocker.ID
		}
	}
	sameErrors(t, "inviteToGroupChat", invited, asStranger)

	var found struct{ User *struct{ ID string } }
	s.MustDo(t, blocked.Token, byUsername, map[string]any{"name": blocker.Username}, &found)
	if found.User != nil {
		t.Errorf("user(username:) found the blocker")
	}
	byID := `query($id: ID!) { node(id: $id) { id ... on User { username friendship } } nodes(ids: [$id]) { id } }`
	sameData(t, "node(id:)", s.Do(t, blocked.Token, byID, id(blocker.ID)),
		s.Do(t, blocked.Token, byID, id(model.EncodeID(model.KindUser, 1<<40))))
	var search struct{ SearchUsers struct{ TotalCount int } }
	s.MustDo(t, blocked.Token, searchQuery, map[string]any{"q": blocker.Username}, &search)
	if search.SearchUsers.TotalCount != 0 {
		t.Errorf("searchUsers found the blocker")
	}
	// The blocker knows: a plain refusal, and they still find the user.
	s.MustFail(t, blocker.Token, "FORBIDDEN", sendRequest, id(blocked.ID))
	s.MustDo(t, blocker.Token, searchQuery, map[string]any{"q": blocked.Username}, &search)
	if search.SearchUsers.TotalCount != 1 {
		t.Errorf("the blocker's search found %d", search.SearchUsers.TotalCount)
	}
}

func TestBlockUser_AnswersCodesForBadInput(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, gone := s.SignUp(t, "ca"), s.SignUp(t, "cg")
	s.MustDo(t, gone.Token, deleteAccount, map[string]any{"p": apitest.Password}, nil)
	for _, m := range []string{blockUser, unblockUser} {
		if r := s.MustFail(t, a.Token, "BAD_USER_INPUT", m, id(a.ID)); r.Field() != "userId" {
			t.Errorf("self: field %q", r.Field())
		}
		s.MustFail(t, a.Token, "NOT_FOUND", m, id(gone.ID))
		s.MustFail(t, a.Token, "BAD_USER_INPUT", m, id("bm90IGFuIGlk"))
		s.MustFail(t, "", "UNAUTHENTICATED", m, id(gone.ID))
	}
}

func TestViewerBlocked_LetsTheBlockerHideMessagesInASharedGroup(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "vo")
	f := s.FriendsOf(t, owner, 2)
	g := createGroupChat(t, s, owner, "G", f...)
	block(t, s, f[0], f[1])
	post(t, s, f[1], g.ID, "from the blocked one")
	post(t, s, owner, g.ID, "from the owner")
	q := `query($id: ID!) { node(id: $id) { ... on Chat { messages(last: 10) { edges { node { body sender { viewerBlocked } } } } } } }`
	hidden := func(u apitest.User) map[string]bool {
		var out struct {
			Node struct {
				Messages struct {
					Edges []struct {
						Node struct {
							Body   string
							Sender struct{ ViewerBlocked bool }
						}
					}
				}
			}
		}
		s.MustDo(t, u.Token, q, id(g.ID), &out)
		m := map[string]bool{}
		for _, e := range out.Node.Messages.Edges {
			m[e.Node.Body] = e.Node.Sender.ViewerBlocked
		}
		return m
	}
	if got := hidden(f[0]); !got["from the blocked one"] || got["from the owner"] {
		t.Errorf("the blocker sees %v", got)
	}
	if got := hidden(owner); got["from the blocked one"] || len(got) != 2 {
		t.Errorf("the owner sees %v", got)
	}
	var self struct{ Viewer struct{ ViewerBlocked bool } }
	s.MustDo(t, f[0].Token, `{ viewer { viewerBlocked } }`, nil, &self)
	if self.Viewer.ViewerBlocked {
		t.Error("the viewer blocked themself")
	}
}

func TestBlockedUsers_PagesAndIsTheViewersOwn(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, other := s.SignUp(t, "la"), s.SignUp(t, "lo")
	var want []string
	for range 3 {
		b := s.SignUp(t, "lb")
		block(t, s, a, b)
		want = append([]string{b.ID}, want...)
	}
	type page struct {
		Node struct {
			BlockedUsers struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
	}
	var got []string
	var after any
	for range 3 {
		var p page
		s.MustDo(t, a.Token, blockedUsersOf, map[string]any{"id": a.ID, "first": 2, "after": after}, &p)
		l := p.Node.BlockedUsers
		for _, e := range l.Edges {
			got = append(got, e.Node.ID)
		}
		if l.TotalCount != 3 {
			t.Fatalf("totalCount %d", l.TotalCount)
		}
		if !l.PageInfo.HasNextPage {
			break
		}
		after = l.PageInfo.EndCursor
	}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("pages %v, want %v", got, want)
	}
	s.MustFail(t, other.Token, "FORBIDDEN", blockedUsersOf, map[string]any{"id": a.ID})
	var out struct {
		UnblockUser struct {
			ViewerBlocked bool
			Friendship    string
		}
	}
	s.MustDo(t, a.Token, unblockUser, id(want[0]), &out)
	if out.UnblockUser.ViewerBlocked || out.UnblockUser.Friendship != "NONE" {
		t.Fatalf("unblocked: %+v", out.UnblockUser)
	}
}

type friendsChanged struct {
	FriendsChanged struct {
		Friends bool
		User    struct{ ID, Username, Friendship string }
	}
}

// friendsConn is a friendsChanged subscription on either protocol.
type friendsConn struct {
	ws     *apitest.WS
	legacy bool
}

func subscribeFriends(t *testing.T, s *apitest.Server, u apitest.User, proto string) friendsConn {
	t.Helper()
	c := friendsConn{ws: s.DialWS(t, proto), legacy: proto == apitest.LegacyWS}
	if m, err := c.ws.Init(u.Token); err != nil || m.Type != "connection_ack" {
		t.Fatalf("init: %+v %v", m, err)
	}
	if c.legacy {
		c.ws.Send("start", "f", map[string]any{"query": subFriends})
	} else {
		c.ws.Subscribe("f", subFriends, nil)
	}
	return c
}

// expect reads the next change and checks it names other and friends.
func (c friendsConn) expect(t *testing.T, other apitest.User, friends bool, friendship string) {
	t.Helper()
	var ev friendsChanged
	if c.legacy {
		legacyNext(t, c.ws, "f", &ev)
	} else {
		c.ws.Next("f", &ev)
	}
	if got := ev.FriendsChanged; got.User.ID != other.ID || got.Friends != friends || got.User.Friendship != friendship {
		t.Fatalf("event %+v, want %s friends=%v (%s)", got, other.Username, friends, friendship)
	}
}

func TestFriendsChanged_BothUsersHearOfAcceptAndBlockOnBothProtocols(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b, c := s.SignUp(t, "fa"), s.SignUp(t, "fb"), s.SignUp(t, "fc")
	aPhone, aLaptop := subscribeFriends(t, s, a, apitest.TransportWS), subscribeFriends(t, s, a, apitest.LegacyWS)
	bLegacy, other := subscribeFriends(t, s, b, apitest.LegacyWS), subscribeFriends(t, s, c, apitest.TransportWS)
	s.WaitSubscribed(t, a, 2)
	s.WaitSubscribed(t, b, 1)
	s.WaitSubscribed(t, c, 1)
	s.Befriend(t, a, b)
	for _, conn := range []friendsConn{aPhone, aLaptop} {
		conn.expect(t, b, true, "FRIEND")
	}
	bLegacy.expect(t, a, true, "FRIEND")
	block(t, s, b, a)
	for _, conn := range []friendsConn{aPhone, aLaptop} {
		conn.expect(t, b, false, "NONE")
	}
	bLegacy.expect(t, a, false, "NONE")
	other.ws.Quiet(200 * time.Millisecond)
	// c's stream was live all along: c's own new friendship arrives.
	s.Befriend(t, c, a)
	other.expect(t, a, true, "FRIEND")
}

func TestFriendsChanged_RemoveFriendEndsItForBoth(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "ra"), s.SignUp(t, "rb")
	s.Befriend(t, a, b)
	sa, sb := subscribeFriends(t, s, a, apitest.TransportWS), subscribeFriends(t, s, b, apitest.LegacyWS)
	s.WaitSubscribed(t, a, 1)
	s.WaitSubscribed(t, b, 1)
	s.MustDo(t, a.Token, removeFriend, id(b.ID), nil)
	sa.expect(t, b, false, "NONE")
	sb.expect(t, a, false, "NONE")
}

func TestStatements_ViewerBlockedDoesNotGrowWithThePage(t *testing.T) {
	t.Parallel()
	s := newCountingServer(t)
	me := s.SignUp(t, "me")
	f := s.FriendsOf(t, me, 5)
	g := createGroupChat(t, s, me, "G", f...)
	block(t, s, me, f[0])
	for i := range 30 {
		post(t, s, f[i%5], g.ID, "m")
	}
	q := `query($id: ID!, $n: Int!) { node(id: $id) { ... on Chat { messages(last: $n) { edges { node { sender { viewerBlocked } } } } } } }`
	sameForAnyPage(t, s, me.Token, "sender.viewerBlocked", q, map[string]any{"id": g.ID}, 2, 30)
}
