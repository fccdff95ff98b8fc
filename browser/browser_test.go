// Package browser holds tests that drive a real browser (Debian's chromium,
// headless, through the DevTools protocol with chromedp) against the real
// API handler: the playground at / and the chat client at /demo
// (client_*_test.go).
package browser

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

const chromiumPath = "/usr/bin/chromium"

// testTimeout bounds each test, browser start included.
const testTimeout = 60 * time.Second

// ensureChromium installs chromium when it is missing and the test may do
// so (as root, under CI or GQLCHAT_INSTALL_CHROMIUM); otherwise it skips.
func ensureChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err == nil {
		return
	}
	if os.Getenv("CI") == "" && os.Getenv("GQLCHAT_INSTALL_CHROMIUM") == "" {
		t.Skipf("%s is missing: install it (apt-get install -y chromium), or set GQLCHAT_INSTALL_CHROMIUM=1 to let the test install it as root", chromiumPath)
	}
	if os.Geteuid() != 0 {
		t.Skipf("%s is missing and only root can install it: run apt-get install -y chromium", chromiumPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	apt := func(args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive") // CI has no terminal to answer prompts
		return cmd
	}
	install := func() error {
		out, err := apt("install", "-y", "--no-install-recommends", "chromium").CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v\n%s", err, out)
		}
		return nil
	}
	if err := install(); err != nil { // the package lists may be missing or stale
		if out, err := apt("update").CombinedOutput(); err != nil {
			t.Fatalf("apt-get update: %v\n%s", err, out)
		}
		if err := install(); err != nil {
			t.Fatalf("apt-get install chromium: %v", err)
		}
	}
}

// newBrowser starts a headless chromium with a fresh profile and a
// 1280x800 window, bounded by testTimeout, and returns the context of its
// first tab.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserWith(t, 1280, 800, testTimeout)
}

// newBrowserWith is newBrowser with a window of width x height, bounded
// by timeout.
func newBrowserWith(t *testing.T, width, height int, timeout time.Duration) context.Context {
	t.Helper()
	ensureChromium(t)
	// Not t.TempDir: chromium's helper processes may still write to the
	// profile for a moment after the browser exits.
	profile, err := os.MkdirTemp("", "gqlchat-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; os.RemoveAll(profile) != nil && i < 50; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelTab)
	if err := chromedp.Run(ctx); err != nil { // start the browser now, to fail early
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return ctx
}

// netLog records the requests of a tab that failed, were answered with an
// error status, or went to another host than the server's.
type netLog struct {
	host string
	mu   sync.Mutex
	bad  []string
	down bool                         // the server is down on purpose: failures are expected
	sent map[network.RequestID]string // what each request was, for the log
	ws   []wsFrame                    // the WebSocket messages, both ways, in order
}

// wsFrame is a WebSocket message the page sent (or received).
type wsFrame struct {
	sent    bool
	payload string
}

// firstOf is the start of a request's body, to name it in the log.
func firstOf(entries []*network.PostDataEntry) string {
	if len(entries) == 0 {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(entries[0].Bytes)
	if err != nil {
		return entries[0].Bytes
	}
	if len(b) > 120 {
		b = b[:120]
	}
	return string(b)
}

// watchNetwork starts recording the network problems of the tab of ctx.
func watchNetwork(t *testing.T, ctx context.Context, serverURL string) *netLog {
	t.Helper()
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatal(err)
	}
	l := &netLog{host: u.Host, sent: map[network.RequestID]string{}}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			l.checkURL(ev.Request.URL)
			l.mu.Lock()
			l.sent[ev.RequestID] = ev.Request.URL + " " + firstOf(ev.Request.PostDataEntries)
			l.mu.Unlock()
		case *network.EventWebSocketCreated:
			l.checkURL(ev.URL)
		case *network.EventWebSocketFrameSent:
			l.frame(true, ev.Response.PayloadData)
		case *network.EventWebSocketFrameReceived:
			l.frame(false, ev.Response.PayloadData)
		case *network.EventResponseReceived:
			if ev.Response.Status >= 400 {
				l.failed("%s: status %d", ev.Response.URL, ev.Response.Status)
			}
		case *network.EventLoadingFailed:
			l.mu.Lock()
			what := l.sent[ev.RequestID]
			l.mu.Unlock()
			l.failed("request %s (%s) failed: %s: %s", ev.RequestID, ev.Type, ev.ErrorText, what)
		}
	})
	if err := chromedp.Run(ctx, network.Enable()); err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *netLog) checkURL(raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		l.add("unparsable URL %q", raw)
		return
	}
	if u.Scheme == "data" || u.Scheme == "blob" || u.Scheme == "about" {
		return
	}
	if u.Host != l.host {
		l.add("request to another host: %s", raw)
	}
}

func (l *netLog) frame(sent bool, payload string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ws = append(l.ws, wsFrame{sent, payload})
}

// frames returns the WebSocket messages from the nth on.
func (l *netLog) frames(n int) []wsFrame {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]wsFrame(nil), l.ws[min(n, len(l.ws)):]...)
}

// add records a problem, whenever it happens.
func (l *netLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bad = append(l.bad, fmt.Sprintf(format, args...))
}

// failed records a request that failed, unless the server is down on
// purpose: only failures of the network are expected then, not (say) an
// uncaught exception or a breach of the Content-Security-Policy.
func (l *netLog) failed(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down {
		return
	}
	l.bad = append(l.bad, fmt.Sprintf(format, args...))
}

// outage says whether the server is down on purpose, so that requests
// failing meanwhile are not problems.
func (l *netLog) outage(down bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down = down
}

// check fails the test if any request went wrong.
func (l *netLog) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range l.bad {
		t.Error(b)
	}
}

// run runs browser actions and fails the test on error, naming the step.
func run(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		if dir := os.Getenv("GQLCHAT_FAILURE_SHOTS"); dir != "" {
			var html string
			var png []byte
			_ = chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100), chromedp.Evaluate(`document.body.innerText`, &html))
			_ = os.WriteFile(dir+"/failure.png", png, 0o644)
			t.Logf("page text:\n%s", html)
		}
		t.Fatalf("%s: %v", step, err)
	}
}

// waitText waits until an element matching selector contains text.
func waitText(selector, text string) chromedp.Action {
	return chromedp.Poll(fmt.Sprintf(`[...document.querySelectorAll(%q)].some((e) => e.textContent.includes(%q))`, selector, text), nil,
		chromedp.WithPollingInterval(50*time.Millisecond))
}

// befriend makes a and b friends through the API.
func befriend(t *testing.T, srv *apitest.Server, a, b apitest.User) {
	t.Helper()
	var sent struct{ SendFriendRequest struct{ ID string } }
	srv.MustDo(t, a.Token, `mutation($id: ID!) { sendFriendRequest(input: {userId: $id}) { id } }`, map[string]any{"id": b.ID}, &sent)
	srv.MustDo(t, b.Token, `mutation($id: ID!) { acceptFriendRequest(input: {requestId: $id}) { id } }`, map[string]any{"id": sent.SendFriendRequest.ID}, nil)
}

// editorJS returns JavaScript that reads (or with text, sets) the
// CodeMirror 5 editor inside the element matching selector: GraphiQL 4
// keeps the editor instance on its wrapper element.
func editorJS(selector string, text ...string) string {
	cm := fmt.Sprintf(`document.querySelector(%q).CodeMirror`, selector+" .CodeMirror")
	if len(text) > 0 {
		return fmt.Sprintf(`(%s.setValue(%q), true)`, cm, text[0])
	}
	return cm + ".getValue()"
}

func TestPlayground_LoadsOfflineRunsAQueryAndASubscription(t *testing.T) {
	ctx := newBrowser(t)
	srv := apitest.NewServer(t)
	alice, bob := srv.SignUp(t, "alice"), srv.SignUp(t, "bob")
	net := watchNetwork(t, ctx, srv.URL)

	run(t, ctx, "load the playground",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(".graphiql-container .graphiql-query-editor .CodeMirror"),
		chromedp.SendKeys("#token", alice.Token),
	)

	// A query, through GraphiQL's own editor and run button.
	var ok bool
	run(t, ctx, "run a query",
		chromedp.Evaluate(editorJS(".graphiql-query-editor", "{ viewer { username } }"), &ok),
		chromedp.Sleep(time.Second), // see the subscription below
		chromedp.Click(".graphiql-execute-button"),
		chromedp.Poll(fmt.Sprintf(`%s.includes(%q)`, editorJS(".graphiql-response"), alice.Username), nil),
	)

	// A subscription, then a message posted by a friend arrives in it.
	befriend(t, srv, alice, bob)
	var chat struct{ OpenPrivateChat struct{ ID string } }
	srv.MustDo(t, bob.Token, `mutation($id: ID!) { openPrivateChat(input: {friendId: $id}) { id } }`, map[string]any{"id": alice.ID}, &chat)
	run(t, ctx, "subscribe",
		chromedp.Evaluate(editorJS(".graphiql-query-editor", "subscription { messagePosted { body sender { username } } }"), &ok),
		// GraphiQL parses the editor's text after a short debounce and
		// picks HTTP or WebSocket from that parse: clicking at once would
		// send the subscription over HTTP with the previous parse.
		chromedp.Sleep(time.Second),
		chromedp.Click(".graphiql-execute-button"),
	)
	// Followed, not merely subscribed: the stream takes its starting point
	// from the event log after it subscribes, and a message committed in
	// between is history to it, not news.
	srv.WaitFollowed(t, chat.OpenPrivateChat.ID, 1)
	srv.MustDo(t, bob.Token, `mutation($id: ID!) { postMessage(input: {chatId: $id, body: "live in GraphiQL"}) { id } }`,
		map[string]any{"id": chat.OpenPrivateChat.ID}, nil)
	run(t, ctx, "see the message live",
		chromedp.Poll(editorJS(".graphiql-response")+`.includes("live in GraphiQL")`, nil),
	)
	net.check(t)
	screenshot(t, ctx, "playground.png")
}

// screenshot writes the page to docs/name when GQLCHAT_SCREENSHOT=1, for the README.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("GQLCHAT_SCREENSHOT") != "1" {
		return
	}
	var png []byte
	run(t, ctx, "screenshot", chromedp.FullScreenshot(&png, 100))
	if err := os.WriteFile("../docs/"+name, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log("wrote docs/" + name)
}
