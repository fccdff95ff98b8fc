package graph_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// The authorization matrix: every field that reveals or changes a chat, a
// message, a friend request or a friend list has a case below, and every
// kind of outsider must get the expected code and learn nothing.

// caller is a kind of outsider to the fixture's objects.
type caller int

const (
	stranger  caller = iota // unrelated to everyone in the fixture
	nonMember               // the owner's friend who left the group: in no chat and party to no request
	deleted                 // a former member and friend whose account was deleted: a revoked token
	anonymous               // no token
)

func (c caller) String() string {
	return [...]string{"stranger", "nonMember", "deleted", "anonymous"}[c]
}

// outcome is the expected code per caller; "" is a success that must show
// nothing of the fixture (node: null, an empty list of one's own).
type outcome [4]string

const unauth = "UNAUTHENTICATED"

var (
	hidden    = outcome{"", "", unauth, unauth}
	notFound  = outcome{"NOT_FOUND", "NOT_FOUND", unauth, unauth}
	forbidden = outcome{"FORBIDDEN", "FORBIDDEN", unauth, unauth}
	// A cursor of a message in another's chat is as bad as one of no message.
	badCursor = outcome{"BAD_USER_INPUT", "BAD_USER_INPUT", unauth, unauth}
)

type authzCase struct {
	field string // the schema coordinate the case covers
	doc   string
	vars  authzVars
	want  outcome
}

// Fields that are public or only about the caller's own account.
var authzPublic = map[string]bool{
	"Query.viewer": true, "Query.user": true, "Query.searchUsers": true,
	"Mutation.signUp": true, "Mutation.logIn": true, "Mutation.logOut": true, "Mutation.updateProfile": true,
	"Mutation.changePassword": true, "Mutation.deleteAccount": true,
	"Query.syncToken": true, // a position in the caller's own stream
}

// Object fields that reveal something without matching the rule in
// authzFieldsToCover (arguments, or a chat, message or request type).
var authzRevealing = []string{"Chat.unreadCount", "GroupChat.owner", "PrivateChat.otherUser", "Message.sender", "User.viewerBlocked",
	"User.online", "User.lastSeenAt"}

const nodeDoc = `query($id: ID!) { node(id: $id) { __typename id } }`

// onNodes selects fragment on the nodes $ids; every node shows its id, so
// a node that should be null is caught as a leak of that id.
func onNodes(fragment string) string {
	return `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ` + fragment + ` } }`
}

// authzVars are variables in which "@name" strings stand for the fixture's
// ids (see authzFixture.resolve).
type authzVars map[string]any

var authzCases = []authzCase{
	{"Query.node", nodeDoc, authzVars{"id": "@group"}, hidden},
	{"Query.node", nodeDoc, authzVars{"id": "@private"}, hidden},
	{"Query.node", nodeDoc, authzVars{"id": "@groupMsg"}, hidden},
	{"Query.node", nodeDoc, authzVars{"id": "@request"}, hidden},
	{"Query.nodes", onNodes(""), authzVars{"ids": "@all"}, hidden},
	{"Query.chats", `{ chats(first: 100) { totalCount edges { node { id unreadCount lastMessage { body }
		... on GroupChat { name } } } } }`, nil, hidden},
	{"Query.friendRequests", `{ in: friendRequests(direction: INCOMING) { totalCount edges { node { id status } } }
		out: friendRequests(direction: OUTGOING) { totalCount edges { node { id status } } } }`, nil, hidden},
	{"User.friends", `query($id: ID!) { node(id: $id) { ... on User { friends(first: 100) { totalCount
		edges { node { username } } } } } }`, authzVars{"id": "@owner"}, forbidden},
	{"User.blockedUsers", `query($id: ID!) { node(id: $id) { ... on User { blockedUsers(first: 100) { totalCount
		edges { node { username } } } } } }`, authzVars{"id": "@owner"}, forbidden},
	// Whether the owner blocked someone shows to the owner only: to anyone
	// else, viewerBlocked is about their own blocks (false here).
	{"User.viewerBlocked", `query($id: ID!) { node(id: $id) { ... on User { viewerBlocked } } }`, authzVars{"id": "@blocked"}, hidden},
	{"Chat.members", onNodes(`... on Chat { members(first: 100) { edges { node { username } } } }`), authzVars{"ids": "@chats"}, hidden},
	{"Chat.messages", onNodes(`... on Chat { messages(last: 100) { edges { node { body } } } }`), authzVars{"ids": "@chats"}, hidden},
	{"Chat.lastMessage", onNodes(`... on Chat { lastMessage { id body } }`), authzVars{"ids": "@chats"}, hidden},
	{"Chat.unreadCount", onNodes(`... on Chat { unreadCount }`), authzVars{"ids": "@chats"}, hidden},
	{"GroupChat.owner", onNodes(`... on GroupChat { name owner { username } }`), authzVars{"ids": "@chats"}, hidden},
	{"PrivateChat.otherUser", onNodes(`... on PrivateChat { otherUser { username } }`), authzVars{"ids": "@chats"}, hidden},
	{"Message.chat", onNodes(`... on Message { chat { id ... on GroupChat { name } } }`), authzVars{"ids": "@messages"}, hidden},
	{"Message.sender", onNodes(`... on Message { body sender { username } }`), authzVars{"ids": "@messages"}, hidden},
	{"Message.replyTo", onNodes(`... on Message { replyTo { id body } }`), authzVars{"ids": "@messages"}, hidden},
	{"Message.reactions", onNodes(`... on Message { reactions { emoji count } }`), authzVars{"ids": "@messages"}, hidden},
	{"Message.seenBy", onNodes(`... on Message { seenBy(first: 100) { totalCount edges { node { username } } } }`), authzVars{"ids": "@messages"}, hidden},
	{"Chat.viewerLastRead", onNodes(`... on Chat { viewerLastRead { id body } }`), authzVars{"ids": "@chats"}, hidden},
	{"Reaction.users", onNodes(`... on Message { reactions { users { edges { node { username } } } } }`), authzVars{"ids": "@messages"}, hidden},
	{"Query.searchMessages", searchMessages, authzVars{"q": "vault"}, hidden},
	{"Query.searchMessages", searchMessages, authzVars{"q": "mill"}, hidden},
	{"Query.searchMessages", searchMessages, authzVars{"q": "vault", "chat": "@group"}, notFound},
	{"Query.searchMessages", searchMessages, authzVars{"q": "mill", "chat": "@private"}, notFound},
	{"Query.searchMessages", searchMessages, authzVars{"q": "the", "after": "@groupCursor"}, badCursor},
	{"Mutation.sendFriendRequest", sendRequest, authzVars{"id": "@gone"}, notFound},
	{"Mutation.markFriendRequestRead", markRead, authzVars{"id": "@request"}, notFound},
	{"Mutation.acceptFriendRequest", acceptRequest, authzVars{"id": "@request"}, notFound},
	{"Mutation.rejectFriendRequest", rejectRequest, authzVars{"id": "@request"}, notFound},
	{"Mutation.cancelFriendRequest", cancelRequest, authzVars{"id": "@request"}, notFound},
	{"Mutation.removeFriend", removeFriend, authzVars{"id": "@member"}, notFound},
	{"Mutation.blockUser", blockUser, authzVars{"id": "@gone"}, notFound},
	{"Mutation.unblockUser", unblockUser, authzVars{"id": "@gone"}, notFound},
	{"Mutation.createGroupChat", createGroup, authzVars{"name": "intruders", "ids": "@members"}, forbidden},
	{"Mutation.inviteToGroupChat", inviteGroup, authzVars{"chat": "@group", "ids": "@members"}, notFound},
	{"Mutation.leaveGroupChat", leaveGroup, authzVars{"chat": "@group"}, notFound},
	{"Mutation.leaveGroup", leaveGroupPayload, authzVars{"chat": "@group"}, notFound},
	{"Mutation.removeFromGroupChat", removeGroup, authzVars{"chat": "@group", "user": "@member"}, notFound},
	{"Mutation.renameGroupChat", renameGroup, authzVars{"chat": "@group", "name": "pwned"}, notFound},
	{"Mutation.openPrivateChat", openPrivate, authzVars{"id": "@member"}, forbidden},
	{"Mutation.postMessage", postMessage, authzVars{"chat": "@group", "body": "intrusion"}, notFound},
	{"Mutation.postMessage", postMessage, authzVars{"chat": "@private", "body": "intrusion"}, notFound},
	{"Mutation.markChatRead", markChatRead, authzVars{"chat": "@group", "msg": "@groupMsg"}, notFound},
	{"Mutation.markChatRead", markChatRead, authzVars{"chat": "@private", "msg": "@privateMsg"}, notFound},
	{"Mutation.editMessage", editMessage, authzVars{"m": "@groupMsg", "b": "pwned"}, notFound},
	{"Mutation.deleteMessage", deleteMsg, authzVars{"m": "@groupMsg"}, notFound},
	{"Mutation.deleteMessage", deleteMsg, authzVars{"m": "@privateMsg"}, notFound},
	{"Mutation.addReaction", addReaction, authzVars{"m": "@privateMsg", "e": "👎"}, notFound},
	{"Mutation.removeReaction", removeReact, authzVars{"m": "@groupMsg", "e": planted}, notFound},
	{"Mutation.setTyping", setTyping, authzVars{"chat": "@group", "typing": true}, notFound},
	{"Mutation.setTyping", setTyping, authzVars{"chat": "@private", "typing": true}, notFound},
	// Presence: the member is online (the fixture connects them), and
	// neither a stranger nor the leaver (no friend of theirs, no chat in
	// common any more) may see it: null, never false.
	{"User.online", presenceOf, authzVars{"id": "@member"}, hidden},
	{"User.lastSeenAt", presenceOf, authzVars{"id": "@member"}, hidden},
}

// Over WebSocket, "" is a subscription that starts and must stay quiet
// while the fixture's users post and answer requests.
var authzSubscriptions = []authzCase{
	{"Subscription.messagePosted", subMessages, authzVars{"chat": "@group"}, notFound},
	{"Subscription.messagePosted", subMessages, authzVars{"chat": "@private"}, notFound},
	{"Subscription.messagePosted", subMessages, authzVars{"chat": "@group", "after": "@groupCursor"}, notFound},
	{"Subscription.messagePosted", subMessages, nil, hidden},
	{"Subscription.chatEvents", subChatEvents, authzVars{"chat": "@group"}, notFound},
	{"Subscription.chatEvents", subChatEvents, authzVars{"chat": "@private"}, notFound},
	{"Subscription.chatEvents", subChatEvents, authzVars{"chat": "@group", "after": "@groupCursor"}, notFound},
	{"Subscription.chatEvents", subChatEvents, nil, hidden},
	// The events' fields are reached only through chatEvents; one quiet
	// all-chats stream selecting all of them covers them.
	{"ChatEvent.chat", subChatEvents, nil, hidden},
	{"MessagePostedEvent.message", subChatEvents, nil, hidden},
	{"MessageEditedEvent.message", subChatEvents, nil, hidden},
	{"MessageDeletedEvent.message", subChatEvents, nil, hidden},
	{"ReactionsChangedEvent.message", subChatEvents, nil, hidden},
	{"ReadMarkerMovedEvent.message", subChatEvents, nil, hidden},
	{"Subscription.friendRequestReceived", subReceived, nil, hidden},
	{"Subscription.friendRequestUpdated", subUpdated, nil, hidden},
	{"Subscription.friendsChanged", subFriends, nil, hidden},
	// Quiet while the member types in both chats and comes online.
	{"Subscription.presenceChanged", subPresence, nil, hidden},
	{"TypingEvent.user", subTyping, nil, hidden},
}

// authzFieldsToCover lists, from the schema, the root fields that are not
// public and the object fields that take arguments or lead to a chat, a
// message or a friend request (fields of an interface are listed once, on
// the interface), plus authzRevealing.
func authzFieldsToCover(t *testing.T) (need []string, schema *ast.Schema) {
	raw, err := os.ReadFile("../schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	schema, gqlErr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(raw)})
	if gqlErr != nil {
		t.Fatal(gqlErr)
	}
	leadsTo := map[string]bool{"Chat": true, "GroupChat": true, "PrivateChat": true, "Message": true, "FriendRequest": true,
		"ChatConnection": true, "MessageConnection": true, "FriendRequestConnection": true}
	for name, def := range schema.Types {
		root := name == "Query" || name == "Mutation" || name == "Subscription"
		if def.BuiltIn || strings.HasPrefix(name, "__") || strings.HasSuffix(name, "Connection") || strings.HasSuffix(name, "Edge") ||
			(def.Kind != ast.Object && def.Kind != ast.Interface) {
			continue
		}
	fields:
		for _, fd := range def.Fields {
			coord := name + "." + fd.Name
			for _, iface := range def.Interfaces {
				if schema.Types[iface].Fields.ForName(fd.Name) != nil {
					continue fields
				}
			}
			if (root && !authzPublic[coord] && !strings.HasPrefix(fd.Name, "__")) || (!root && (len(fd.Arguments) > 0 || leadsTo[fd.Type.Name()])) {
				need = append(need, coord)
			}
		}
	}
	need = append(need, authzRevealing...)
	slices.Sort(need)
	return need, schema
}

func TestAuthz_EveryProtectedFieldHasACase(t *testing.T) {
	t.Parallel()
	need, schema := authzFieldsToCover(t)
	covered := map[string]bool{}
	for _, c := range append(authzCases, authzSubscriptions...) {
		typ, field, _ := strings.Cut(c.field, ".")
		if def := schema.Types[typ]; def == nil || def.Fields.ForName(field) == nil {
			t.Errorf("the authorization table names %s, which is not in the schema", c.field)
		}
		covered[c.field] = true
	}
	for _, coord := range need {
		if !covered[coord] {
			t.Errorf("%s has no authorization case: add one to authzCases (or to authzPublic if it is public or about the caller's own account)", coord)
		}
	}
}

// planted is the owner's reaction to the group's message.
const planted = "🦩"

// authzFixture is an owner with three friends: member, in a group chat
// with a planted name and message and in a private chat with the owner;
// leaver, who left the group; gone, who deleted their account. The owner
// has a pending request to invitee, reacted to the group's message and
// blocked blocked; stranger knows nobody.
type authzFixture struct {
	s                                              *apitest.Server
	owner, member, leaver, gone, invitee, stranger apitest.User
	blocked                                        apitest.User
	group, private, request                        string
	groupMsg, privateMsg                           message
	secrets                                        []string
}

func newAuthzFixture(t *testing.T) *authzFixture {
	s := apitest.NewServer(t)
	f := &authzFixture{s: s, owner: s.SignUp(t, "azowner"), member: s.SignUp(t, "azmember"), leaver: s.SignUp(t, "azleaver"),
		gone: s.SignUp(t, "azgone"), invitee: s.SignUp(t, "azinvitee"), stranger: s.SignUp(t, "azstranger"), blocked: s.SignUp(t, "azblocked")}
	for _, u := range []apitest.User{f.member, f.leaver, f.gone} {
		s.Befriend(t, f.owner, u)
	}
	const name, groupBody, privateBody = "Secret Garden 7f3a", "the vault code is 4921", "meet me at the old mill"
	f.group = createGroupChat(t, s, f.owner, name, f.member, f.leaver, f.gone).ID
	f.groupMsg = post(t, s, f.member, f.group, groupBody)
	f.private = openPrivateChat(t, s, f.owner, f.member).ID
	f.privateMsg = post(t, s, f.member, f.private, privateBody)
	react(t, s, f.owner, f.groupMsg.ID, planted)
	f.request = send(t, s, f.owner, f.invitee).ID
	block(t, s, f.owner, f.blocked)
	s.MustDo(t, f.leaver.Token, leaveGroup, id2("chat", f.group), nil)
	s.MustDo(t, f.gone.Token, deleteAccount, map[string]any{"p": apitest.Password}, nil)
	f.secrets = []string{name, groupBody, privateBody, f.owner.Username, f.member.Username, f.gone.Username, f.invitee.Username,
		f.group, f.private, f.groupMsg.ID, f.privateMsg.ID, f.request, planted, f.blocked.Username,
		`"online":true`, `"online":false`, `"lastSeenAt":"`} // presence shows as null only
	return f
}

// memberOnline connects the fixture's member, for presence to show.
func (f *authzFixture) memberOnline(t *testing.T) {
	f.s.Connect(t, f.member)
	var got struct{ Node struct{ Online *bool } }
	for deadline := time.Now().Add(5 * time.Second); got.Node.Online == nil || !*got.Node.Online; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the member did not come online")
		}
		f.s.MustDo(t, f.owner.Token, presenceOf, map[string]any{"id": f.member.ID}, &got)
	}
}

func (f *authzFixture) token(c caller) string {
	return [...]string{f.stranger.Token, f.leaver.Token, f.gone.Token, ""}[c]
}

// leaks fails the test for every planted secret that raw contains.
func (f *authzFixture) leaks(t *testing.T, raw []byte) {
	t.Helper()
	for _, secret := range f.secrets {
		if strings.Contains(string(raw), secret) {
			t.Errorf("leaks %q: %s", secret, raw)
		}
	}
}

// resolve replaces the "@name" values of v by the fixture's ids.
func (f *authzFixture) resolve(v authzVars) map[string]any {
	refs := map[string]any{"@group": f.group, "@private": f.private, "@request": f.request,
		"@groupMsg": f.groupMsg.ID, "@privateMsg": f.privateMsg.ID, "@groupCursor": f.groupMsg.Cursor,
		"@owner": f.owner.ID, "@member": f.member.ID, "@members": []string{f.member.ID}, "@gone": f.gone.ID, "@blocked": f.blocked.ID,
		"@chats": []string{f.group, f.private}, "@messages": []string{f.groupMsg.ID, f.privateMsg.ID},
		"@all": []string{f.group, f.private, f.groupMsg.ID, f.privateMsg.ID, f.request}}
	out := map[string]any{}
	for k, x := range v {
		if ref, ok := refs[fmt.Sprint(x)]; ok {
			x = ref
		}
		out[k] = x
	}
	return out
}

func TestAuthz_OutsidersGetTheRightCodeAndLearnNothing(t *testing.T) {
	t.Parallel()
	f := newAuthzFixture(t)
	f.memberOnline(t)
	for _, tc := range authzCases {
		for c := stranger; c <= anonymous; c++ {
			t.Run(tc.field+"/"+c.String(), func(t *testing.T) {
				r := f.s.Do(t, f.token(c), tc.doc, f.resolve(tc.vars))
				if got, want := r.Code(), tc.want[c]; got != want {
					t.Errorf("code %q, want %q; errors %+v", got, want, r.Errors)
				}
				if tc.want[c] != "" && !onlyNulls(r.Data) {
					t.Errorf("data beside the error: %s", r.Data)
				}
				raw, _ := json.Marshal(r)
				f.leaks(t, raw)
			})
		}
	}
	// Nothing changed: every attempt above was refused.
	var got struct {
		G struct {
			Name     string
			Members  struct{ TotalCount int }
			Messages struct {
				Edges []struct {
					Node struct {
						Body      string
						Reactions []struct{ Emoji string }
					}
				}
			}
		}
		R struct{ Status string }
		M struct{ Friendship string }
	}
	f.s.MustDo(t, f.owner.Token, `query($g: ID!, $r: ID!, $m: ID!) {
		g: node(id: $g) { ... on GroupChat { name members { totalCount } messages(last: 10) { edges { node { body reactions { emoji } } } } } }
		r: node(id: $r) { ... on FriendRequest { status } } m: node(id: $m) { ... on User { friendship } } }`,
		map[string]any{"g": f.group, "r": f.request, "m": f.member.ID}, &got)
	if got.G.Name != f.secrets[0] || got.G.Members.TotalCount != 2 || len(got.G.Messages.Edges) != 1 ||
		got.G.Messages.Edges[0].Node.Body != f.secrets[1] || len(got.G.Messages.Edges[0].Node.Reactions) != 1 ||
		got.R.Status != "UNREAD" || got.M.Friendship != "FRIEND" {
		t.Errorf("the fixture changed: %+v", got)
	}
}

func TestAuthz_OutsidersCannotSubscribeToOthersEvents(t *testing.T) {
	t.Parallel()
	f := newAuthzFixture(t)
	var quiet []*apitest.WS
	live := map[caller]int{}
	for _, tc := range authzSubscriptions {
		for c := stranger; c <= anonymous; c++ {
			want := tc.want[c]
			ws := f.s.DialWS(t, apitest.TransportWS)
			m, err := ws.Init(f.token(c))
			for err == nil && m.Type == "connection_error" {
				m, err = ws.Read(5 * time.Second)
			}
			if err != nil { // a revoked token cannot even open a connection
				if code := apitest.CloseStatus(err); code != 4403 || want != unauth {
					t.Errorf("%s/%s: init closed with %d (%v), want %q", tc.field, c, code, err, want)
				}
				continue
			}
			ws.Subscribe("s", tc.doc, f.resolve(tc.vars))
			if want == "" {
				quiet, live[c] = append(quiet, ws), live[c]+1
				continue
			}
			m = ws.MustRead(5 * time.Second)
			if got := ws.ErrorCode(m); got != want {
				t.Errorf("%s/%s: code %q, want %q", tc.field, c, got, want)
			}
			f.leaks(t, m.Payload)
		}
	}
	f.s.WaitSubscribed(t, f.stranger, live[stranger])
	f.s.WaitSubscribed(t, f.leaver, live[nonMember])
	f.s.MustDo(t, f.member.Token, setTyping, map[string]any{"chat": f.group, "typing": true}, nil)
	f.s.MustDo(t, f.member.Token, setTyping, map[string]any{"chat": f.private, "typing": true}, nil)
	f.memberOnline(t)
	late := post(t, f.s, f.owner, f.group, "posted while they listen")
	// A read receipt goes to the members only.
	f.s.MustDo(t, f.member.Token, markChatRead, map[string]any{"chat": f.group, "msg": late.ID}, nil)
	post(t, f.s, f.member, f.private, "posted while they listen")
	send(t, f.s, f.s.SignUp(t, "azlate"), f.owner)
	decide(t, f.s, f.invitee, markRead, f.request)
	f.s.MustDo(t, f.owner.Token, removeFriend, id(f.member.ID), nil) // friendsChanged of the owner and member only
	for _, ws := range quiet {
		ws.Quiet(300 * time.Millisecond)
	}
}

// onlyNulls reports whether data holds nothing but nulls (the failed fields).
func onlyNulls(data json.RawMessage) bool {
	var v any
	if len(data) > 0 && json.Unmarshal(data, &v) != nil {
		return false
	}
	return isNulls(v)
}

func isNulls(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case map[string]any:
		return isNulls(slices.Collect(maps.Values(v)))
	case []any:
		return !slices.ContainsFunc(v, func(x any) bool { return !isNulls(x) })
	}
	return false
}
