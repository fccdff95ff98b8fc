package graph_test

import (
	"testing"

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

func TestCreateGroupChat_OwnerAndFriendsBecomeMembers(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 2)
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

// The domain refuses a stranger as a member; the API names them by the
// global id the client sent.
func TestCreateGroupChat_NamesTheStrangerByGlobalID(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner, stranger := s.SignUp(t, "own"), s.SignUp(t, "str")
	f := s.FriendsOf(t, owner, 1)
	r := s.MustFail(t, owner.Token, "FORBIDDEN", createGroup, map[string]any{"name": "x", "ids": ids(f[0], stranger)})
	if r.Errors[0].Extensions["userId"] != stranger.ID {
		t.Errorf("offending id not named: %+v", r.Errors[0].Extensions)
	}
}

// A client cache needs the id of the chat left (Relay's @deleteRecord,
// Apollo's cache.evict) and the viewer whose chat list changed.
func TestLeaveGroup_NamesTheChatLeftAndTheViewer(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 1)
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
	s.Befriend(t, a, b)
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

func id2(key, v string) map[string]any { return map[string]any{key: v} }
