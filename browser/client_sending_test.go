package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// A message that arrives while the viewer's own is on its way shows at
// once: a pending send must not freeze the history (an optimistic
// response did, holding the whole list in Apollo's optimistic layer).
// The page's post is held in the browser (the DevTools Fetch domain)
// until Bo's message has shown.
func TestClient_MessagesArriveWhileASendIsOnItsWay(t *testing.T) {
	srv := apitest.NewServer(t)
	ann := signUp(t, newBrowserWith(t, 1280, 800, clientTimeout), srv, "Ann")
	me := ann.user(t, srv)
	bo := srv.SignUp(t, "bo")
	befriend(t, srv, bo, me)
	var chat struct{ OpenPrivateChat struct{ ID string } }
	srv.MustDo(t, bo.Token, `mutation($id: ID!) { openPrivateChat(input: {friendId: $id}) { id } }`, map[string]any{"id": me.ID}, &chat)
	ann.run(t, "open the chat with Bo", openChat("Test "+bo.Username), waitText("#chat-title", "Test "+bo.Username))

	held := holdPosts(t, ann.ctx)
	ann.run(t, "send, and see it on its way",
		typeText("#body", "On my way"),
		chromedp.Click("#post button.primary"),
		waitText("#messages li.sending .status", "Sending…"),
	)
	var post fetch.RequestID
	select {
	case post = <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the page's post never reached the network")
	}
	postAs(t, srv, bo, chat.OpenPrivateChat.ID, "Where are you?")
	ann.run(t, "see Bo's message while hers is still on its way",
		waitText("#messages li .body", "Where are you?"),
		waitText("#messages li.sending .body", "On my way"),
	)
	ann.run(t, "let the post go, and see it sent once",
		fetch.ContinueRequest(post),
		waitText("#messages li.mine:not(.sending) .body", "On my way"),
		chromedp.WaitNotPresent("#messages li.sending"),
		fetch.Disable(),
	)
	for _, body := range []string{"On my way", "Where are you?"} {
		if n := ann.count(t, body); n != 1 {
			t.Errorf("%q shown %d times, want once", body, n)
		}
	}
	ann.net.check(t)
}

// holdPosts pauses the page's postMessage requests (the first is sent on
// the channel, to be continued by the test) and lets every other request
// of the tab of ctx go on.
func holdPosts(t *testing.T, ctx context.Context) <-chan fetch.RequestID {
	t.Helper()
	held := make(chan fetch.RequestID, 1)
	chromedp.ListenTarget(ctx, func(ev any) {
		e, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		if strings.Contains(firstOf(e.Request.PostDataEntries), `"operationName":"Post"`) {
			select {
			case held <- e.RequestID:
				return
			default: // one is held already
			}
		}
		go chromedp.Run(ctx, fetch.ContinueRequest(e.RequestID)) //nolint:errcheck // the tab may be closing
	})
	run(t, ctx, "hold posts", fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/query", RequestStage: fetch.RequestStageRequest}}))
	return held
}
