package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// Read receipts in a group of five: seenBy names only three members, so
// once they are taken the page cannot tell from the names whether a
// reader whose marker moves was counted already. Two members read twice
// (one of them not among the names), and "and 1 more" stays 1.
func TestClient_ReadReceiptsCountEachReaderOnce(t *testing.T) {
	srv := apitest.NewServer(t)
	ann := signUp(t, newBrowserWith(t, 1280, 800, clientTimeout), srv, "Ann")
	me := ann.user(t, srv)
	bo, cy, di, ed := srv.SignUp(t, "bo"), srv.SignUp(t, "cy"), srv.SignUp(t, "di"), srv.SignUp(t, "ed")
	for _, u := range []apitest.User{me, cy, di, ed} {
		befriend(t, srv, bo, u)
	}
	var group struct{ CreateGroupChat struct{ ID string } }
	srv.MustDo(t, bo.Token, `mutation($ids: [ID!]!) { createGroupChat(input: {name: "Readers", memberIds: $ids}) { id } }`,
		map[string]any{"ids": []string{me.ID, cy.ID, di.ID}}, &group)
	chatID := group.CreateGroupChat.ID
	// Ed joins last, so the three longest-standing members fill the names.
	srv.MustDo(t, bo.Token, `mutation($id: ID!, $ids: [ID!]!) { inviteToGroupChat(input: {chatId: $id, userIds: $ids}) { id } }`,
		map[string]any{"id": chatID, "ids": []string{ed.ID}}, nil)

	ann.run(t, "open the group", waitText("#chats li", "Readers"), openChat("Readers"), waitText("#chat-title", "Readers"))
	first := postID(t, srv, me, chatID, "Who has read this?")
	ann.run(t, "see her message", waitText("#messages li.mine .body", "Who has read this?"))
	for _, u := range []apitest.User{bo, cy, di, ed} {
		markRead(t, srv, u, chatID, first)
	}
	ann.run(t, "see it seen by three names and 1 more", waitText("#messages li.mine .status", "and 1 more"))

	// Ed's and Cy's markers move again (a post moves its poster's marker
	// without an event), and Di posts last: once that shows, every
	// earlier event was handled.
	next := postID(t, srv, bo, chatID, "Me too")
	markRead(t, srv, ed, chatID, next)
	markRead(t, srv, cy, chatID, next)
	postAs(t, srv, di, chatID, "Done")
	ann.run(t, "see the last post", waitText("#messages li .body", "Done"))
	var status string
	ann.run(t, "read the status", chromedp.Text("#messages li.mine .status", &status))
	if want := "Seen by Test " + bo.Username; !strings.HasPrefix(status, want) {
		t.Errorf("status %q, want it to start %q", status, want)
	}
	if !strings.HasSuffix(status, " and 1 more") {
		t.Errorf("status %q, want it to end with \" and 1 more\": each of four readers counted once", status)
	}
	ann.net.check(t)
}

// postID posts body in chatID as u through the API and returns its id.
func postID(t *testing.T, srv *apitest.Server, u apitest.User, chatID, body string) string {
	t.Helper()
	var out struct{ PostMessage struct{ ID string } }
	srv.MustDo(t, u.Token, `mutation($id: ID!, $body: String!) { postMessage(input: {chatId: $id, body: $body}) { id } }`,
		map[string]any{"id": chatID, "body": body}, &out)
	return out.PostMessage.ID
}

// markRead moves u's read marker in chatID to messageID through the API.
func markRead(t *testing.T, srv *apitest.Server, u apitest.User, chatID, messageID string) {
	t.Helper()
	srv.MustDo(t, u.Token, `mutation($id: ID!, $m: ID!) { markChatRead(input: {chatId: $id, messageId: $m}) { id } }`,
		map[string]any{"id": chatID, "m": messageID}, nil)
}
