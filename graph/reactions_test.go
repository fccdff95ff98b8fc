package graph_test

import (
	"fmt"
	"testing"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// Replies, edits, deletions and reactions as GraphQL shows them.

const (
	changeFields = `id body deleted editedAt replyTo { id body deleted }
		reactions { emoji count viewerReacted users(first: $n) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`
	messageNode  = `query($id: ID!, $n: Int) { node(id: $id) { ... on Message { ` + changeFields + ` } } }`
	addReaction  = `mutation($m: ID!, $e: String!) { addReaction(input: {messageId: $m, emoji: $e}) { id reactions { emoji count } } }`
	editMessage  = `mutation($m: ID!, $b: String!) { editMessage(input: {messageId: $m, body: $b}) { id body editedAt } }`
	deleteMsg    = `mutation($m: ID!) { deleteMessage(input: {messageId: $m}) { id body deleted reactions { emoji } } }`
	postReply    = `mutation($chat: ID!, $body: String!, $re: ID) { postMessage(input: {chatId: $chat, body: $body, replyToId: $re}) { id replyTo { id } } }`
	removeReact  = `mutation($m: ID!, $e: String!) { removeReaction(input: {messageId: $m, emoji: $e}) { id reactions { emoji count } } }`
	reactionPage = `query($id: ID!, $e: String, $after: String) { node(id: $id) { ... on Message { reactions(emoji: $e) {
		users(first: 1, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } } } } }`
)

type changedMessage struct {
	ID, Body string
	Deleted  bool
	EditedAt *string
	ReplyTo  *struct {
		ID, Body string
		Deleted  bool
	}
	Reactions []struct {
		Emoji         string
		Count         int
		ViewerReacted bool
		Users         struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID string } }
			PageInfo   struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
}

func messageAs(t *testing.T, s *apitest.Server, u apitest.User, id string, n int) changedMessage {
	t.Helper()
	var out struct{ Node changedMessage }
	s.MustDo(t, u.Token, messageNode, map[string]any{"id": id, "n": n}, &out)
	return out.Node
}

func react(t *testing.T, s *apitest.Server, u apitest.User, msg, emoji string) {
	t.Helper()
	s.MustDo(t, u.Token, addReaction, map[string]any{"m": msg, "e": emoji}, nil)
}

func TestReactions_EachViewerSeesWhetherTheyReacted(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 1)
	g := s.CreateGroup(t, owner, "G", f[0])
	msg := s.Post(t, owner, g.ID, "pizza tonight?")
	react(t, s, owner, msg, "👍")
	react(t, s, f[0], msg, "👍\ufe0f") // the same reaction in another form
	react(t, s, f[0], msg, "❤")
	for _, c := range []struct {
		viewer      apitest.User
		heartReacts bool
	}{{owner, false}, {f[0], true}} {
		m := messageAs(t, s, c.viewer, msg, 1)
		if len(m.Reactions) != 2 {
			t.Fatalf("reactions %+v", m.Reactions)
		}
		up, heart := m.Reactions[0], m.Reactions[1]
		if up.Emoji != "👍" || up.Count != 2 || !up.ViewerReacted || up.Users.TotalCount != 2 ||
			len(up.Users.Edges) != 1 || up.Users.Edges[0].Node.ID != owner.ID || !up.Users.PageInfo.HasNextPage {
			t.Fatalf("%s sees 👍 as %+v", c.viewer.Username, up)
		}
		if heart.Emoji != "❤\ufe0f" || heart.Count != 1 || heart.ViewerReacted != c.heartReacts {
			t.Fatalf("%s sees ❤️ as %+v", c.viewer.Username, heart)
		}
	}
	// The second page of 👍's users is the friend's.
	first := messageAs(t, s, owner, msg, 1).Reactions[0].Users.PageInfo.EndCursor
	var next struct {
		Node struct {
			Reactions []struct {
				Users struct {
					Edges []struct{ Node struct{ ID string } }
				}
			}
		}
	}
	s.MustDo(t, owner.Token, reactionPage, map[string]any{"id": msg, "e": "👍", "after": first}, &next)
	if r := next.Node.Reactions; len(r) != 1 || len(r[0].Users.Edges) != 1 || r[0].Users.Edges[0].Node.ID != f[0].ID {
		t.Fatalf("second page %+v", next)
	}
	// The cursor is of 👍's users, not of the heart's.
	r := s.MustFail(t, owner.Token, "BAD_USER_INPUT", reactionPage, map[string]any{"id": msg, "e": "❤", "after": first})
	if r.Field() != "after" {
		t.Fatalf("field %q", r.Field())
	}
	s.MustFail(t, owner.Token, "BAD_USER_INPUT", reactionPage, map[string]any{"id": msg, "e": "love"})
	var out struct{ RemoveReaction changedMessage }
	s.MustDo(t, f[0].Token, removeReact, map[string]any{"m": msg, "e": "❤️"}, &out)
	if r := out.RemoveReaction.Reactions; len(r) != 1 || r[0].Emoji != "👍" {
		t.Fatalf("after removing ❤️: %+v", r)
	}
}

func TestMessages_ARepliesOriginalShowsAsATombstoneOnceDeleted(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 1)
	g := s.CreateGroup(t, owner, "G", f[0])
	orig := s.Post(t, owner, g.ID, "see you at 8")
	var reply struct {
		PostMessage struct {
			ID      string
			ReplyTo struct{ ID string }
		}
	}
	s.MustDo(t, f[0].Token, postReply, map[string]any{"chat": g.ID, "body": "ok!", "re": orig}, &reply)
	if reply.PostMessage.ReplyTo.ID != orig {
		t.Fatalf("reply %+v", reply)
	}
	s.MustDo(t, owner.Token, editMessage, map[string]any{"m": orig, "b": "see you at 9"}, nil)
	if m := messageAs(t, s, f[0], reply.PostMessage.ID, 5); m.ReplyTo == nil || m.ReplyTo.Body != "see you at 9" {
		t.Fatalf("reply shows %+v", m.ReplyTo)
	}
	react(t, s, f[0], orig, "⏰")
	var del struct{ DeleteMessage changedMessage }
	s.MustDo(t, owner.Token, deleteMsg, map[string]any{"m": orig}, &del)
	if d := del.DeleteMessage; !d.Deleted || d.Body != "" || len(d.Reactions) != 0 {
		t.Fatalf("deleted %+v", d)
	}
	m := messageAs(t, s, f[0], reply.PostMessage.ID, 5)
	if m.ReplyTo == nil || m.ReplyTo.ID != orig || !m.ReplyTo.Deleted || m.ReplyTo.Body != "" || m.Deleted || m.EditedAt != nil {
		t.Fatalf("reply shows %+v", m)
	}
	if o := messageAs(t, s, f[0], orig, 5); !o.Deleted || o.EditedAt == nil || len(o.Reactions) != 0 {
		t.Fatalf("the original shows as %+v", o)
	}
}

func TestMessageChanges_ErrorCodes(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 1)
	g := s.CreateGroup(t, owner, "G", f[0])
	msg := s.Post(t, owner, g.ID, "mine")
	gone := s.Post(t, owner, g.ID, "gone")
	s.MustDo(t, owner.Token, deleteMsg, map[string]any{"m": gone}, nil)
	stranger := s.SignUp(t, "x")
	for _, c := range []struct {
		name, token, code, field, query string
		vars                            map[string]any
	}{
		{"edit another's", f[0].Token, "FORBIDDEN", "", editMessage, map[string]any{"m": msg, "b": "x"}},
		{"delete another's", f[0].Token, "FORBIDDEN", "", deleteMsg, map[string]any{"m": msg}},
		{"edit a deleted one", owner.Token, "CONFLICT", "", editMessage, map[string]any{"m": gone, "b": "x"}},
		{"react to a deleted one", f[0].Token, "CONFLICT", "", addReaction, map[string]any{"m": gone, "e": "👍"}},
		{"react as a stranger", stranger.Token, "NOT_FOUND", "", addReaction, map[string]any{"m": msg, "e": "👍"}},
		{"react with text", f[0].Token, "BAD_USER_INPUT", "emoji", addReaction, map[string]any{"m": msg, "e": "lol"}},
		{"a chat's id for a message's", f[0].Token, "BAD_USER_INPUT", "messageId", addReaction, map[string]any{"m": g.ID, "e": "👍"}},
		{"reply to a deleted one", f[0].Token, "BAD_USER_INPUT", "replyToId", postReply, map[string]any{"chat": g.ID, "body": "re", "re": gone}},
		{"reply to a chat", f[0].Token, "BAD_USER_INPUT", "replyToId", postReply, map[string]any{"chat": g.ID, "body": "re", "re": g.ID}},
		{"edit anonymously", "", "UNAUTHENTICATED", "", editMessage, map[string]any{"m": msg, "b": "x"}},
	} {
		r := s.MustFail(t, c.token, c.code, c.query, c.vars)
		if r.Field() != c.field {
			t.Errorf("%s: field %q, want %q", c.name, r.Field(), c.field)
		}
	}
	if m := messageAs(t, s, owner, msg, 5); m.Body != "mine" || len(m.Reactions) != 0 || m.EditedAt != nil {
		t.Fatalf("after the refusals: %+v", m)
	}
}

func TestStatements_HistoryWithRepliesAndReactionsDoesNotGrowWithThePage(t *testing.T) {
	t.Parallel()
	s := newCountingServer(t)
	me := s.SignUp(t, "me")
	f := s.FriendsOf(t, me, 3)
	g := createGroupChat(t, s, me, "G", f...)
	prev := post(t, s, me, g.ID, "first").ID
	for i := range 20 {
		var out struct{ PostMessage struct{ ID string } }
		s.MustDo(t, f[i%3].Token, postReply, map[string]any{"chat": g.ID, "body": fmt.Sprint("m", i), "re": prev}, &out)
		prev = out.PostMessage.ID
		react(t, s, f[(i+1)%3], prev, "👍")
		react(t, s, me, prev, "🎉")
	}
	q := `query($id: ID!, $n: Int!) { node(id: $id) { ... on Chat { messages(last: $n) { edges { node {
		id replyTo { id body sender { displayName } } reactions { emoji count viewerReacted users(first: 2) { edges { node { displayName } } } } } } } } } }`
	sameForAnyPage(t, s, me.Token, "messages", q, map[string]any{"id": g.ID}, 2, 20)
}
