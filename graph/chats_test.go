package graph_test

import (
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/internal/apitest"
)

const (
	createGroup = `mutation($name: String!, $ids: [ID!]!) { createGroupChat(input: {name: $name, memberIds: $ids}) {
		id name owner { id } members(first: 100) { totalCount edges { node { id } } } } }`
	inviteGroup = `mutation($chat: ID!, $ids: [ID!]!) { inviteToGroupChat(input: {chatId: $chat, userIds: $ids}) {
		id members(first: 100) { totalCount edges { node { id } } } } }`
	leaveGroup = `mutation($chat: ID!) { leaveGroupChat(input: {chatId: $chat}) }`
	// leaveGroupPayload is leaveGroupChat's successor, which names what changed.
	leaveGroupPayload = `mutation($chat: ID!) { leaveGroup(input: {chatId: $chat}) { leftChatId viewer { id } } }`
	removeGroup       = `mutation($chat: ID!, $user: ID!) { removeFromGroupChat(input: {chatId: $chat, userId: $user}) { id members { totalCount } } }`
	renameGroup       = `mutation($chat: ID!, $name: String!) { renameGroupChat(input: {chatId: $chat, name: $name}) { id name } }`
	openPrivate       = `mutation($id: ID!) { openPrivateChat(input: {friendId: $id}) { id otherUser { id } members { totalCount } } }`
	chatQuery         = `query($id: ID!) { node(id: $id) { id ... on GroupChat { name owner { id } members(first: 100) { totalCount edges { node { id } } } } } }`
)

type groupData struct {
	ID, Name string
	Owner    struct{ ID string }
	Members  struct {
		TotalCount int
		Edges      []struct{ Node struct{ ID string } }
	}
}

func (g groupData) memberIDs() []string {
	var ids []string
	for _, e := range g.Members.Edges {
		ids = append(ids, e.Node.ID)
	}
	return ids
}

func ids(users ...apitest.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

func createGroupChat(t *testing.T, s *apitest.Server, owner apitest.User, name string, members ...apitest.User) groupData {
	t.Helper()
	var out struct{ CreateGroupChat groupData }
	s.MustDo(t, owner.Token, createGroup, map[string]any{"name": name, "ids": ids(members...)}, &out)
	return out.CreateGroupChat
}

func groupOf(t *testing.T, s *apitest.Server, viewer apitest.User, chatID string) groupData {
	t.Helper()
	var out struct{ Node *groupData }
	s.MustDo(t, viewer.Token, chatQuery, id(chatID), &out)
	if out.Node == nil {
		t.Fatalf("%s cannot see chat %s", viewer.Username, chatID)
	}
	return *out.Node
}

// friendsOf signs up n users who are all friends of u.
func friendsOf(t *testing.T, s *apitest.Server, u apitest.User, n int) []apitest.User {
	t.Helper()
	out := make([]apitest.User, n)
	for i := range out {
		out[i] = s.SignUp(t, "pal")
		befriend(t, s, u, out[i])
	}
	return out
}

func TestCreateGroupChat_OwnerAndFriendsBecomeMembers(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 2)
	g := createGroupChat(t, s, owner, "  Trip  ", f[0], f[1], f[0], owner)
	if g.Name != "Trip" || g.Owner.ID != owner.ID || g.Members.TotalCount != 3 {
		t.Fatalf("group: %+v", g)
	}
	if got := g.memberIDs(); got[0] != owner.ID {
		t.Fatalf("members not longest-standing first: %v", got)
	}
	if got := groupOf(t, s, f[1], g.ID); got.Name != "Trip" {
		t.Fatalf("member sees %+v", got)
	}
	solo := createGroupChat(t, s, owner, "Alone")
	if solo.Members.TotalCount != 1 {
		t.Fatalf("empty member list: %+v", solo)
	}
}

func TestCreateGroupChat_Errors(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner, stranger := s.SignUp(t, "own"), s.SignUp(t, "str")
	f := friendsOf(t, s, owner, 1)
	r := s.MustFail(t, owner.Token, "FORBIDDEN", createGroup, map[string]any{"name": "x", "ids": ids(f[0], stranger)})
	if r.Errors[0].Extensions["userId"] != stranger.ID {
		t.Errorf("offending id not named: %+v", r.Errors[0].Extensions)
	}
	for _, name := range []string{"", "   ", strings.Repeat("n", 101)} {
		if r := s.MustFail(t, owner.Token, "BAD_USER_INPUT", createGroup, map[string]any{"name": name, "ids": []string{}}); r.Field() != "name" {
			t.Errorf("field %q", r.Field())
		}
	}
	many := make([]string, 1000)
	for i := range many {
		many[i] = model.EncodeID(model.KindUser, int64(1000+i))
	}
	s.MustFail(t, owner.Token, "BAD_USER_INPUT", createGroup, map[string]any{"name": "big", "ids": many})
	s.MustFail(t, owner.Token, "BAD_USER_INPUT", createGroup, map[string]any{"name": "x", "ids": []string{"junk"}})
	var n int64
	s.DB.Table("chats").Count(&n)
	if n != 0 {
		t.Fatalf("%d chats left behind", n)
	}
}

func TestInviteToGroupChat_AddsFriendsWhoSeeTheHistory(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 3)
	g := createGroupChat(t, s, owner, "G", f[0])
	post(t, s, owner, g.ID, "before you came")
	var out struct{ InviteToGroupChat groupData }
	s.MustDo(t, f[0].Token, inviteGroup, map[string]any{"chat": g.ID, "ids": ids(owner)}, &out) // already in: ignored
	s.MustDo(t, owner.Token, inviteGroup, map[string]any{"chat": g.ID, "ids": ids(f[1], f[2], f[1], f[0])}, &out)
	if out.InviteToGroupChat.Members.TotalCount != 4 {
		t.Fatalf("members: %+v", out.InviteToGroupChat.Members)
	}
	if h := history(t, s, f[2], g.ID, 10); len(h) != 1 || h[0].Body != "before you came" {
		t.Fatalf("invitee's history: %+v", h)
	}
	outsider := s.SignUp(t, "out")
	s.MustFail(t, outsider.Token, "NOT_FOUND", inviteGroup, map[string]any{"chat": g.ID, "ids": []string{}})
	s.MustFail(t, f[1].Token, "FORBIDDEN", inviteGroup, map[string]any{"chat": g.ID, "ids": ids(outsider)})
}

func TestLeaveGroupChat_PassesOwnershipToTheLongestStandingMember(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 2)
	// f[1] joins first, although f[0] has the smaller id.
	g := createGroupChat(t, s, owner, "G", f[1], f[0])
	s.MustDo(t, owner.Token, leaveGroup, id2("chat", g.ID), nil)
	got := groupOf(t, s, f[0], g.ID)
	if got.Owner.ID != f[1].ID || got.Members.TotalCount != 2 {
		t.Fatalf("after the owner left: %+v", got)
	}
	s.MustFail(t, owner.Token, "NOT_FOUND", leaveGroup, id2("chat", g.ID))
	var none struct{ Node *struct{ ID string } }
	s.MustDo(t, owner.Token, chatQuery, id(g.ID), &none)
	if none.Node != nil {
		t.Fatal("a former member still sees the chat")
	}
}

// A client cache needs the id of the chat left (Relay's @deleteRecord,
// Apollo's cache.evict) and the viewer whose chat list changed.
func TestLeaveGroup_NamesTheChatLeftAndTheViewer(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 1)
	g := createGroupChat(t, s, owner, "G", f[0])
	var out struct {
		LeaveGroup struct {
			LeftChatID string
			Viewer     struct{ ID string }
		}
	}
	s.MustDo(t, f[0].Token, leaveGroupPayload, id2("chat", g.ID), &out)
	if out.LeaveGroup.LeftChatID != g.ID || out.LeaveGroup.Viewer.ID != f[0].ID {
		t.Fatalf("payload %+v, want chat %s and viewer %s", out.LeaveGroup, g.ID, f[0].ID)
	}
	if got := groupOf(t, s, owner, g.ID); got.Members.TotalCount != 1 {
		t.Fatalf("after leaving: %+v", got)
	}
	s.MustFail(t, f[0].Token, "NOT_FOUND", leaveGroupPayload, id2("chat", g.ID))
}

func TestRemoveFromGroupChat_IsForTheOwner(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 2)
	g := createGroupChat(t, s, owner, "G", f[0], f[1])
	s.MustFail(t, f[0].Token, "FORBIDDEN", removeGroup, map[string]any{"chat": g.ID, "user": f[1].ID})
	s.MustDo(t, owner.Token, removeGroup, map[string]any{"chat": g.ID, "user": f[1].ID}, nil)
	s.MustFail(t, owner.Token, "NOT_FOUND", removeGroup, map[string]any{"chat": g.ID, "user": f[1].ID})
	s.MustFail(t, f[1].Token, "NOT_FOUND", postMessage, map[string]any{"chat": g.ID, "body": "hi"})
	if got := groupOf(t, s, f[0], g.ID); got.Members.TotalCount != 2 {
		t.Fatalf("members: %d", got.Members.TotalCount)
	}
}

func TestRenameGroupChat_AnyMember(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 1)
	g := createGroupChat(t, s, owner, "G", f[0])
	var out struct{ RenameGroupChat struct{ Name string } }
	s.MustDo(t, f[0].Token, renameGroup, map[string]any{"chat": g.ID, "name": " New "}, &out)
	if out.RenameGroupChat.Name != "New" {
		t.Fatalf("name %q", out.RenameGroupChat.Name)
	}
	s.MustFail(t, s.SignUp(t, "x").Token, "NOT_FOUND", renameGroup, map[string]any{"chat": g.ID, "name": "Mine"})
	s.MustFail(t, owner.Token, "BAD_USER_INPUT", renameGroup, map[string]any{"chat": g.ID, "name": " "})
}

type privateData struct {
	ID        string
	OtherUser struct{ ID string }
	Members   struct{ TotalCount int }
}

func openPrivateChat(t *testing.T, s *apitest.Server, u, friend apitest.User) privateData {
	t.Helper()
	var out struct{ OpenPrivateChat privateData }
	s.MustDo(t, u.Token, openPrivate, id(friend.ID), &out)
	return out.OpenPrivateChat
}

func TestOpenPrivateChat_IsOnePerPairAndIdempotent(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "pa"), s.SignUp(t, "pb")
	s.MustFail(t, a.Token, "FORBIDDEN", openPrivate, id(b.ID))
	befriend(t, s, a, b)
	first := openPrivateChat(t, s, a, b)
	again := openPrivateChat(t, s, a, b)
	back := openPrivateChat(t, s, b, a)
	if first.ID != again.ID || first.ID != back.ID {
		t.Fatalf("three chats: %s %s %s", first.ID, again.ID, back.ID)
	}
	if first.OtherUser.ID != b.ID || back.OtherUser.ID != a.ID || first.Members.TotalCount != 2 {
		t.Fatalf("chat: %+v / %+v", first, back)
	}
	for _, u := range []apitest.User{a, b} {
		if list := chatList(t, s, u, 10); len(list) != 1 || list[0].ID != first.ID {
			t.Fatalf("%s's chats: %+v", u.Username, list)
		}
	}
}

func TestPrivateChat_StaysReadableButClosedAfterUnfriending(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "qa"), s.SignUp(t, "qb")
	befriend(t, s, a, b)
	c := openPrivateChat(t, s, a, b)
	post(t, s, a, c.ID, "hello")
	s.MustDo(t, b.Token, removeFriend, id(a.ID), nil)
	s.MustFail(t, a.Token, "FORBIDDEN", postMessage, map[string]any{"chat": c.ID, "body": "still there?"})
	s.MustFail(t, b.Token, "FORBIDDEN", openPrivate, id(a.ID))
	if h := history(t, s, b, c.ID, 10); len(h) != 1 {
		t.Fatalf("history: %+v", h)
	}
}

func TestPrivateChat_StaysReadableAfterTheOtherDeletesTheirAccount(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	a, b := s.SignUp(t, "ra"), s.SignUp(t, "rb")
	befriend(t, s, a, b)
	c := openPrivateChat(t, s, a, b)
	post(t, s, b, c.ID, "bye")
	s.MustDo(t, b.Token, deleteAccount, map[string]any{"p": apitest.Password}, nil)
	h := history(t, s, a, c.ID, 10)
	if len(h) != 1 || !h[0].Sender.Deleted || h[0].Sender.DisplayName != "Deleted user" {
		t.Fatalf("history: %+v", h)
	}
	var out struct {
		Node struct{ OtherUser struct{ Deleted bool } }
	}
	s.MustDo(t, a.Token, `query($id: ID!) { node(id: $id) { ... on PrivateChat { otherUser { deleted } } } }`, id(c.ID), &out)
	if !out.Node.OtherUser.Deleted {
		t.Fatal("otherUser is not the tombstone")
	}
	s.MustFail(t, a.Token, "FORBIDDEN", postMessage, map[string]any{"chat": c.ID, "body": "hello?"})
}

func TestDeleteAccount_LeavesGroupsAndPassesOwnershipOn(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 2)
	g := createGroupChat(t, s, owner, "G", f[0], f[1])
	post(t, s, owner, g.ID, "my last words")
	s.MustDo(t, owner.Token, deleteAccount, map[string]any{"p": apitest.Password}, nil)
	got := groupOf(t, s, f[1], g.ID)
	if got.Owner.ID != f[0].ID || got.Members.TotalCount != 2 {
		t.Fatalf("group after deletion: %+v", got)
	}
	if h := history(t, s, f[1], g.ID, 10); len(h) != 1 || !h[0].Sender.Deleted {
		t.Fatalf("history: %+v", h)
	}
}

func id2(key, v string) map[string]any { return map[string]any{key: v} }

func TestGroupChat_HoldsAtMost1000Members(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	_, ownerKey, _ := model.DecodeID(owner.ID)
	// 1,000 friends made directly in the database: the API would take minutes.
	var keys []int64
	err := s.DB.Raw(`WITH u AS (INSERT INTO users (username, display_name, password_hash)
			SELECT 'bulk' || i, 'Bulk ' || i, '' FROM generate_series(1, 1000) i RETURNING id),
		f AS (INSERT INTO friendships (user_id, friend_id) SELECT ?, id FROM u UNION ALL SELECT id, ? FROM u)
		SELECT id FROM u ORDER BY id`, ownerKey, ownerKey).Scan(&keys).Error
	if err != nil {
		t.Fatal(err)
	}
	gids := make([]string, len(keys))
	for i, k := range keys {
		gids[i] = model.EncodeID(model.KindUser, k)
	}
	s.MustFail(t, owner.Token, "BAD_USER_INPUT", createGroup, map[string]any{"name": "too big", "ids": gids})
	var out struct{ CreateGroupChat groupData }
	s.MustDo(t, owner.Token, createGroup, map[string]any{"name": "full", "ids": gids[:999]}, &out)
	if out.CreateGroupChat.Members.TotalCount != 1000 {
		t.Fatalf("members %d", out.CreateGroupChat.Members.TotalCount)
	}
	r := s.MustFail(t, owner.Token, "BAD_USER_INPUT", inviteGroup, map[string]any{"chat": out.CreateGroupChat.ID, "ids": gids[999:]})
	if r.Field() != "userIds" {
		t.Errorf("field %q", r.Field())
	}
}

func TestMembers_PagesLongestStandingFirst(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 6)
	g := createGroupChat(t, s, owner, "G", f[3], f[1], f[5], f[0], f[2], f[4])
	want := ids(owner, f[3], f[1], f[5], f[0], f[2], f[4])
	var got []string
	var after any
	for {
		var out struct {
			Node struct {
				Members struct {
					TotalCount int
					Edges      []struct{ Node struct{ ID string } }
					PageInfo   struct {
						HasNextPage bool
						EndCursor   *string
					}
				}
			}
		}
		s.MustDo(t, f[0].Token, `query($id: ID!, $after: String) { node(id: $id) { ... on Chat {
			members(first: 3, after: $after) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } } } }`,
			map[string]any{"id": g.ID, "after": after}, &out)
		for _, e := range out.Node.Members.Edges {
			got = append(got, e.Node.ID)
		}
		if !out.Node.Members.PageInfo.HasNextPage {
			break
		}
		after = *out.Node.Members.PageInfo.EndCursor
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("members %v, want %v", got, want)
	}
}
