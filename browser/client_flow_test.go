package browser

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

const longURL = "https://example.com/a/very/long/path/that/goes/on/and/on/without/any/spaces/to/break/it/" +
	"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz?and=a&query=string"

// Two people in two browsers (each with its own profile: two users who
// share nothing; a second browser context in one chromium fails in
// headless chromium 156) use the client as people would, and everything
// the other does shows live, with no reload.
func TestClient_TwoUsersBefriendChatAndMakeAGroupLive(t *testing.T) {
	srv := apitest.NewServer(t)
	alice := signUp(t, newBrowserWith(t, 1280, 800, clientTimeout), srv, "Alice")
	bob := signUp(t, newBrowserWith(t, 1280, 800, clientTimeout), srv, "Bob")

	alice.run(t, "find Bob and ask him to be friends",
		openTab("friends"),
		typeText("#search-q", "bo"),
		chromedp.Click("#search button"),
		waitText("#results li", "@bob"),
		chromedp.Click("#results li button.add"),
		waitText("#results li", "Request sent"),
		waitText("#requests li.outgoing", "Bob"),
	)
	bob.run(t, "see the request live and accept it",
		openTab("friends"),
		waitText("#requests li.incoming", "Alice"),
		chromedp.Click("#requests li.incoming button.accept"),
		waitText("#friends li.friend", "Alice"),
		waitText("#requests li", "None"),
	)
	alice.run(t, "see Bob become a friend live and open a chat",
		waitText("#friends li.friend", "Bob"),
		waitText("#results li", "Friend"),
		waitText("#requests li", "None"),
		chromedp.Click("#friends li.friend button.message"),
		waitText("#chat-title", "Bob"),
	)
	bob.run(t, "see the new chat in the list before anyone posts, and open it",
		openTab("chats"),
		waitText("#chats li", "Alice"),
		openChat("Alice"),
		waitText("#chat-title", "Alice"),
	)

	alice.post(t, "Hi Bob! Lunch at noon?")
	bob.run(t, "see Alice's message live", waitText("#messages li .body", "Hi Bob! Lunch at noon?"))
	alice.run(t, "see that Bob has seen it", waitText("#messages li.mine .status", "Seen"))

	bob.run(t, "type", typeText("#body", "Sure"))
	alice.run(t, "see Bob typing", waitText(".typing", "Bob is typing"))
	bob.run(t, "send with a long link", typeText("#body", ", see "+longURL+"\r"))
	alice.run(t, "see the link, and the indicator end",
		waitJS(fmt.Sprintf(`[...document.querySelectorAll("#messages a")].some((a) => a.href === %q && a.rel.includes("noopener"))`, longURL)),
		waitJS(`document.querySelector(".typing").textContent === ""`),
	)
	alice.noOverflow(t)
	alice.labelled(t)
	alice.readable(t)

	alice.run(t, "react to Bob's message", clickText("#messages li:not(.mine) .actions button", "👍"))
	bob.run(t, "see the reaction in place", waitText("#messages li.mine .reaction", "👍 1"))
	alice.run(t, "react again",
		clickText("#messages li:not(.mine) .actions button", "❤️"),
		waitText("#messages li:not(.mine) .reaction", "❤️ 1"),
	)
	bob.run(t, "see the second reaction", waitText("#messages li.mine .reaction", "❤️ 1"))
	alice.run(t, "take it back",
		clickText("#messages li:not(.mine) .reaction", "❤️"),
		waitJS(`![...document.querySelectorAll("#messages .reaction")].some((b) => b.textContent.includes("❤️"))`),
	)
	bob.run(t, "see only the first reaction left",
		waitJS(`[...document.querySelectorAll("#messages li.mine .reaction")].map((b) => b.textContent).join() === "👍 1"`),
	)
	bob.run(t, "edit his message",
		clickText("#messages li.mine .actions button", "Edit"),
		replaceText("#messages li.mine .edit textarea", "Sure, see you there."),
		clickText("#messages li.mine .edit button", "Save"),
		waitText("#messages li.mine .body", "Sure, see you there."),
	)
	alice.run(t, "see the edit in place",
		waitText("#messages li .body", "Sure, see you there."),
		waitText("#messages li .meta", "edited"),
		waitText("#chats li", "Bob: Sure, see you there."),
	)
	alice.post(t, "Oops, wrong chat")
	alice.run(t, "delete her message",
		clickText("#messages li.mine:last-child .actions button", "Delete"),
		clickText("#messages li.mine:last-child .actions button", "Yes"),
		waitText("#messages li.mine:last-child .body", "Message deleted"),
	)
	bob.run(t, "see it deleted in place", waitText("#messages li .body", "Message deleted"))
	bob.run(t, "answer Alice's first message, from the keyboard",
		waitJS(`(document.querySelector("#messages li:not(.mine) .bubble").focus(), document.activeElement.classList.contains("bubble"))`),
		waitJS(`getComputedStyle(document.querySelector("#messages li:not(.mine) .actions")).opacity === "1"`),
		chromedp.KeyEvent(kb.Tab),
		waitJS(`document.activeElement.textContent === "Reply"`),
		chromedp.KeyEvent(kb.Enter),
		waitText(".replying", "Replying to Alice"),
		waitJS(`document.activeElement.id === "body"`),
	)
	bob.post(t, "Noon works")
	alice.run(t, "see Bob's answer with what it answers",
		waitJS(`[...document.querySelectorAll("#messages li")].some((li) => li.querySelector(".body")?.textContent === "Noon works" && li.querySelector(".quote")?.textContent.includes("Hi Bob! Lunch at noon?"))`),
	)

	groupFlow(t, srv, alice, bob)
	restartFlow(t, srv, alice, bob)

	alice.run(t, "find her friends list read afresh after the restart",
		openTab("friends"),
		waitText("#friends li.friend", "Bob"),
	)
	alice.run(t, "search her messages",
		openTab("search"),
		typeText("#message-q", "lunch"),
		chromedp.Click("#message-search button"),
		waitText("#hits li", "Hi Bob! Lunch at noon?"),
		openTab("chats"),
	)
	screenshot(t, alice.ctx, "demo.png")
	alice.run(t, "log out from an open chat, which the address no longer names",
		clickText("#chats li a", "Bob"),
		waitJS(`location.hash.startsWith("#/chat/")`),
		clickText(".me button", "Log out"),
		chromedp.WaitVisible("#auth"),
		waitJS(`location.hash === "#/"`),
	)
	alice.net.check(t)
	bob.net.check(t)
}

// groupFlow: Alice makes a group with Bob, renames it, posts; Bob sees
// each change live, and an unread badge that clears when he reads the
// message on another device.
func groupFlow(t *testing.T, srv *apitest.Server, alice, bob *client) {
	t.Helper()
	alice.run(t, "make a group with Bob",
		openTab("chats"),
		chromedp.Click("#new-group"),
		typeText("#group-name", "Lunch crew"),
		clickText("#group-form label.check", "Bob"),
		clickText("#group-form button", "Create group"),
		waitText("#chat-title", "Lunch crew"),
	)
	bob.run(t, "see the group in his list before anyone posts", waitText("#chats li", "Lunch crew"))
	alice.run(t, "rename it",
		chromedp.Click("#details-toggle"),
		replaceText("#rename", "Lunch club"),
		clickText("#details button", "Rename"),
		waitText("#chat-title", "Lunch club"),
	)
	bob.run(t, "see the new name live", waitText("#chats li", "Lunch club"))
	alice.post(t, "Noon at the usual place")
	bob.run(t, "see an unread badge on the group", waitJS(groupBadge("1")))

	// Bob reads it on another device: the badge clears here too.
	groupID, bobUser := openChatID(t, alice), bob.user(t, srv)
	var group struct {
		Node struct{ LastMessage struct{ ID string } }
	}
	srv.MustDo(t, bobUser.Token, `query($id: ID!) { node(id: $id) { ... on Chat { lastMessage { id } } } }`, map[string]any{"id": groupID}, &group)
	srv.MustDo(t, bobUser.Token, `mutation($chat: ID!, $msg: ID!) { markChatRead(input: {chatId: $chat, messageId: $msg}) { id } }`,
		map[string]any{"chat": groupID, "msg": group.Node.LastMessage.ID}, nil)
	bob.run(t, "see the badge clear, read elsewhere", waitJS(groupBadge("")))

	bob.run(t, "open the group", openChat("Lunch club"), waitText("#messages li .body", "Noon at the usual place"))
	alice.run(t, "see that Bob has seen it", waitText("#messages li.mine .status", "Seen by Bob"))
	alice.labelled(t) // the group's panel is open
	alice.readable(t)
	alice.run(t, "see Bob among the members, online",
		waitJS(`[...document.querySelectorAll("#members li")].some((li) => li.textContent.includes("Bob") && li.querySelector(".dot.online"))`),
	)
}

// groupBadge is true when the badge of Lunch club in the chat list reads
// text ("": it has none).
func groupBadge(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#chats li")].some((li) => li.textContent.includes("Lunch club") && (li.querySelector(".badge")?.textContent ?? "") === %q)`, text)
}

// restartFlow: the server restarts while the two are chatting. Bob posts
// through another instance while Alice is cut off, and Alice's own post
// fails; once the server is back, Alice's client resumes with its sync
// token and shows each message once, and her retry posts hers once.
func restartFlow(t *testing.T, srv *apitest.Server, alice, bob *client) {
	t.Helper()
	bobUser := bob.user(t, srv)
	alice.run(t, "open the chat with Bob", openChat("Bob"), waitText("#chat-title", "Bob"))
	bob.run(t, "open the chat with Alice", openChat("Alice"), waitText("#chat-title", "Alice"))
	chatID := openChatID(t, alice)

	// Requests fail while the server is down: that is the point.
	alice.net.outage(true)
	bob.net.outage(true)
	srv.Stop(t)
	// What Alice's page had received before is in frames(0); what it
	// sends from now on (after stopMark) is how it resumes.
	stopMark := len(alice.net.frames(0))
	alice.run(t, "see the connection lost", chromedp.WaitVisible(".banner"))
	other := apitest.StartServer(t, srv.DSN, apitest.CheapConfig(), apitest.Options())
	for i := 1; i <= 2; i++ {
		other.MustDo(t, bobUser.Token, `mutation($id: ID!, $body: String!) { postMessage(input: {chatId: $id, body: $body}) { id } }`,
			map[string]any{"id": chatID, "body": fmt.Sprintf("Posted while you were away %d", i)}, nil)
	}
	alice.run(t, "post while the server is down, and see it fail",
		typeText("#body", "Are you there?"),
		chromedp.Click("#post button.primary"),
		waitText("#messages li.failed", "Not sent"),
	)
	srv.Restart(t)
	alice.run(t, "get the messages posted while away, once the server is back",
		chromedp.WaitVisible("#live.live"),
		waitText("#messages li .body", "Posted while you were away 2"),
		clickText("#messages li.failed button.retry", "Retry"),
		waitText("#messages li.mine:not(.sending):not(.failed) .body", "Are you there?"),
	)
	checkResumed(t, alice.net, stopMark)
	bob.run(t, "get the messages, and Alice's retry",
		chromedp.WaitVisible("#live.live"),
		waitText("#messages li .body", "Are you there?"),
	)
	alice.net.outage(false)
	bob.net.outage(false)
	bob.post(t, "Yes, back now")
	alice.run(t, "see Bob's new message live", waitText("#messages li .body", "Yes, back now"))
	for _, c := range []*client{alice, bob} {
		for _, body := range []string{"Posted while you were away 1", "Posted while you were away 2", "Are you there?", "Yes, back now", "Hi Bob! Lunch at noon?"} {
			if n := c.count(t, body); n != 1 {
				t.Errorf("%s sees %q %d times, want once", c.name, body, n)
			}
		}
	}
}

// checkResumed checks that each chatEvents subscription the page sent
// from the stopMark-th WebSocket message on (once the server was stopped)
// resumes after the syncToken of the last event it had received: there is
// at least one, and none starts over from now (after: null).
func checkResumed(t *testing.T, l *netLog, stopMark int) {
	t.Helper()
	var last *string // the syncToken of the last (non-typing) event received
	resumed := 0
	for i, f := range l.frames(0) {
		var msg struct {
			Type    string
			Payload struct {
				Query     string
				Variables struct{ After *string }
				Data      struct {
					ChatEvents *struct {
						Typename  string `json:"__typename"`
						SyncToken *string
					}
				}
			}
		}
		if err := json.Unmarshal([]byte(f.payload), &msg); err != nil {
			continue // not a graphql-ws message
		}
		switch {
		case !f.sent && msg.Type == "next" && msg.Payload.Data.ChatEvents != nil && msg.Payload.Data.ChatEvents.Typename != "TypingEvent":
			last = msg.Payload.Data.ChatEvents.SyncToken
		case f.sent && msg.Type == "subscribe" && strings.Contains(msg.Payload.Query, "chatEvents") && i >= stopMark:
			resumed++
			switch after := msg.Payload.Variables.After; {
			case after == nil:
				t.Errorf("chatEvents resubscribed after the restart with after: null, not from its sync token")
			case last == nil:
				t.Errorf("chatEvents resubscribed after %q, but no event had come before", *after)
			case *after != *last:
				t.Errorf("chatEvents resubscribed after %q, want the last event's syncToken %q", *after, *last)
			}
		}
	}
	if resumed == 0 {
		t.Errorf("no chatEvents subscription sent after the restart (of %d WebSocket messages, %d before it)", len(l.frames(0)), stopMark)
	}
}

// openChatID is the id of the chat open in c's page, from its URL.
func openChatID(t *testing.T, c *client) string {
	t.Helper()
	var id string
	c.run(t, "read the open chat's id", chromedp.Evaluate(`decodeURIComponent(location.hash.replace("#/chat/", ""))`, &id))
	return id
}
