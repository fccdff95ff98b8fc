package browser

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// postAs posts body in chatID as u through the API.
func postAs(t *testing.T, srv *apitest.Server, u apitest.User, chatID, body string) {
	t.Helper()
	srv.MustDo(t, u.Token, `mutation($id: ID!, $body: String!) { postMessage(input: {chatId: $id, body: $body}) { id } }`,
		map[string]any{"id": chatID, "body": body}, nil)
}

// One person on a phone-sized screen (390 px wide) with friends who use
// the API: one pane at a time, a long history paged back by scrolling,
// nothing wider than the screen, the open chat kept across a reload, and
// the rest of the social flow (requests declined and withdrawn, groups
// joined, left and removed from, a block) live.
func TestClient_OnAPhone(t *testing.T) {
	srv := apitest.NewServer(t)
	ctx := newBrowserWith(t, 390, 844, clientTimeout)
	run(t, ctx, "emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	carol := signUp(t, ctx, srv, "Carol")
	me := carol.user(t, srv)
	dave := srv.SignUp(t, "dave")
	befriend(t, srv, dave, me)

	var chat struct{ OpenPrivateChat struct{ ID string } }
	srv.MustDo(t, dave.Token, `mutation($id: ID!) { openPrivateChat(input: {friendId: $id}) { id } }`, map[string]any{"id": me.ID}, &chat)
	chatID := chat.OpenPrivateChat.ID
	const n = 45
	for i := 1; i < n; i++ {
		postAs(t, srv, dave, chatID, fmt.Sprintf("Message number %d", i))
	}
	postAs(t, srv, dave, chatID, "The plan: "+longURL)

	carol.run(t, "see the chat and its badge on the list, alone on the screen",
		waitText("#chats li .badge", fmt.Sprint(n)),
		chromedp.WaitNotVisible(".main"),
		openChat("Test "+dave.Username),
		chromedp.WaitVisible("#chat-title"),
		chromedp.WaitNotVisible(".sidebar"),
		waitText("#messages li .body", "The plan:"),
	)
	carol.noOverflow(t)
	carol.run(t, "scroll back to the start of the history",
		waitJS(`(document.querySelector(".history").scrollTop = 0, !!document.querySelector(".history .start"))`),
		waitText("#messages li .body", "Message number 1"),
	)
	for _, body := range []string{"Message number 1", "Message number 15", "Message number 16", "Message number 44"} {
		if got := carol.count(t, body); got != 1 {
			t.Errorf("%q shown %d times, want once", body, got)
		}
	}
	carol.run(t, "reload, and find the chat still open",
		chromedp.Reload(),
		waitText("#chat-title", "Test "+dave.Username),
		waitText("#messages li .body", "The plan:"),
	)
	carol.post(t, "Looks good, see you there!")
	screenshot(t, ctx, "demo-phone.png")
	carol.run(t, "go back to the list", chromedp.Click(".back"), chromedp.WaitVisible("#chats"), chromedp.WaitNotVisible(".main"))
	postAs(t, srv, dave, chatID, "Are you bringing snacks?")
	carol.run(t, "open the chat again, and find what is new marked",
		waitText("#chats li .badge", "1"),
		openChat("Test "+dave.Username),
		waitJS(`document.querySelector("#messages .divider")?.nextElementSibling?.querySelector(".body")?.textContent === "Are you bringing snacks?"`),
		waitText("#messages .divider", "New messages"),
		chromedp.Click(".back"),
	)

	phoneRequests(t, srv, carol, me)
	phoneGroups(t, srv, carol, me, dave)
	carol.run(t, "unfriend Dave",
		openTab("friends"),
		clickText("#friends li button", "Unfriend"),
		clickText("#friends li button", "Unfriend?"),
		waitText("#friends li", "No friends yet"),
	)
	carol.run(t, "find she can no longer post to him, and block him from the chat",
		openTab("chats"),
		openChat("Test "+dave.Username),
		waitText(".cannot-post", "only friends can post"),
		chromedp.Click("#details-toggle"),
		clickText("#details button", "Block"),
		clickText("#details button", "Block?"),
		waitText("#details button", "Unblock"),
		chromedp.Click(".back"),
		openTab("friends"),
		waitText("#blocked li", "Test "+dave.Username),
		clickText("#blocked li button", "Unblock"),
		chromedp.WaitNotPresent("#blocked"),
	)
	carol.noOverflow(t)

	// Her session ends elsewhere (logOut revokes the token): the page
	// notices from its subscriptions and asks her to log in again.
	srv.MustDo(t, me.Token, `mutation { logOut }`, nil, nil)
	carol.run(t, "be asked to log in again", waitText("#auth", "Your session has ended"))
	carol.net.check(t)
}

// phoneRequests: a request Carol declines and one she withdraws.
func phoneRequests(t *testing.T, srv *apitest.Server, carol *client, me apitest.User) {
	t.Helper()
	erin, frank := srv.SignUp(t, "erin"), srv.SignUp(t, "frank")
	carol.run(t, "open the friends tab", openTab("friends"), waitText("#requests li", "None"))
	srv.MustDo(t, erin.Token, `mutation($id: ID!) { sendFriendRequest(input: {userId: $id}) { id } }`, map[string]any{"id": me.ID}, nil)
	carol.run(t, "decline Erin's request, which came live",
		waitText("#requests li.incoming", "Test "+erin.Username),
		chromedp.Click("#requests li.incoming button.reject"),
		waitText("#requests li", "None"),
	)
	carol.run(t, "ask Frank, then withdraw",
		typeText("#search-q", frank.Username),
		chromedp.Click("#search button"),
		chromedp.Click("#results li button.add"),
		waitText("#requests li.outgoing", "Test "+frank.Username),
		chromedp.Click("#requests li.outgoing button.cancel"),
		waitText("#requests li", "None"),
		waitText("#results li button.add", "Add friend"),
	)
	phoneRequestsAnswered(t, srv, carol, me)
	carol.labelled(t)
	carol.readable(t)
}

// phoneRequestsAnswered: the other side withdraws a request to Carol, and
// declines one from her; each leaves her list live (friendRequestUpdated),
// with no reload.
func phoneRequestsAnswered(t *testing.T, srv *apitest.Server, carol *client, me apitest.User) {
	t.Helper()
	gus, hal := srv.SignUp(t, "gus"), srv.SignUp(t, "hal")
	var sent struct{ SendFriendRequest struct{ ID string } }
	srv.MustDo(t, gus.Token, `mutation($id: ID!) { sendFriendRequest(input: {userId: $id}) { id } }`, map[string]any{"id": me.ID}, &sent)
	carol.run(t, "see Gus's request come", waitText("#requests li.incoming", "Test "+gus.Username))
	srv.MustDo(t, gus.Token, `mutation($id: ID!) { cancelFriendRequest(input: {requestId: $id}) { id } }`,
		map[string]any{"id": sent.SendFriendRequest.ID}, nil)
	carol.run(t, "see it go when Gus withdraws it", waitText("#requests li", "None"))

	carol.run(t, "ask Hal",
		replaceText("#search-q", hal.Username),
		chromedp.Click("#search button"),
		waitText("#results li", "@"+hal.Username),
		chromedp.Click("#results li button.add"),
		waitText("#requests li.outgoing", "Test "+hal.Username),
	)
	var incoming struct {
		FriendRequests struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	srv.MustDo(t, hal.Token, `{ friendRequests(direction: INCOMING) { edges { node { id } } } }`, nil, &incoming)
	if len(incoming.FriendRequests.Edges) != 1 {
		t.Fatalf("Hal has %d incoming requests, want Carol's", len(incoming.FriendRequests.Edges))
	}
	srv.MustDo(t, hal.Token, `mutation($id: ID!) { rejectFriendRequest(input: {requestId: $id}) { id } }`,
		map[string]any{"id": incoming.FriendRequests.Edges[0].Node.ID}, nil)
	carol.run(t, "see it go when Hal declines it", waitText("#requests li", "None"))
}

// phoneGroups: Dave adds Carol to a group (it shows at once) and removes
// her (it goes at once); she leaves another herself.
func phoneGroups(t *testing.T, srv *apitest.Server, carol *client, me, dave apitest.User) {
	t.Helper()
	group := func(name string) string {
		var out struct{ CreateGroupChat struct{ ID string } }
		srv.MustDo(t, dave.Token, `mutation($name: String!, $ids: [ID!]!) { createGroupChat(input: {name: $name, memberIds: $ids}) { id } }`,
			map[string]any{"name": name, "ids": []string{me.ID}}, &out)
		return out.CreateGroupChat.ID
	}
	carol.run(t, "open the chats tab", openTab("chats"))
	removed := group("Book club")
	group("Hiking")
	carol.run(t, "see both groups appear", waitText("#chats li", "Book club"), waitText("#chats li", "Hiking"))
	srv.MustDo(t, dave.Token, `mutation($id: ID!, $user: ID!) { removeFromGroupChat(input: {chatId: $id, userId: $user}) { id } }`,
		map[string]any{"id": removed, "user": me.ID}, nil)
	carol.run(t, "make a group alone, invite Dave, then remove him",
		chromedp.Click("#new-group"),
		typeText("#group-name", "Trip"),
		clickText("#group-form button", "Create group"),
		waitText("#chat-title", "Trip"),
		chromedp.Click("#details-toggle"),
		clickText("#invite label.check", "Test "+dave.Username),
		clickText("#invite button", "Invite"),
		waitText("#members li", "Test "+dave.Username),
		waitText(".chat-head .sub", "2 members"),
		clickText("#members li button", "Remove"),
		waitJS(`document.querySelectorAll("#members li").length === 1`),
		waitText(".chat-head .sub", "1 member"),
		chromedp.Click(".back"),
	)
	carol.run(t, "see the group she was removed from go, and leave the other",
		waitJS(`![...document.querySelectorAll("#chats li")].some((li) => li.textContent.includes("Book club"))`),
		openChat("Hiking"),
		chromedp.Click("#details-toggle"),
		chromedp.Click("#leave"),
		chromedp.WaitVisible("#chats"),
		waitJS(`![...document.querySelectorAll("#chats li")].some((li) => li.textContent.includes("Hiking"))`),
	)
}
