package browser

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// clientTimeout bounds a test of the chat client at /demo: several
// browsers, and many steps that each wait for the other side.
const clientTimeout = 3 * time.Minute

// client is one person using the chat client at /demo in a browser.
type client struct {
	ctx  context.Context
	name string // display name; the username is its lower case
	net  *netLog
}

// signUp opens /demo in the browser of ctx and signs name up there.
func signUp(t *testing.T, ctx context.Context, srv *apitest.Server, name string) *client {
	t.Helper()
	c := &client{ctx: ctx, name: name, net: watchNetwork(t, ctx, srv.URL)}
	watchConsole(t, ctx, c.net)
	c.run(t, "sign up",
		chromedp.Navigate(srv.URL+"/demo"),
		chromedp.WaitVisible("#auth"),
		typeText("#username", strings.ToLower(name)),
		typeText("#display-name", name),
		typeText("#password", apitest.Password),
		chromedp.Click("#submit"),
		chromedp.WaitVisible("#live.live"),
	)
	return c
}

// watchConsole records in l the page's uncaught exceptions and the errors
// the browser logs, such as a breach of the Content-Security-Policy (an
// inline style or script would be one).
func watchConsole(t *testing.T, ctx context.Context, l *netLog) {
	t.Helper()
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			l.add("uncaught exception: %s", ev.ExceptionDetails.Error())
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError {
				l.add("console.error: %s", argsText(ev.Args))
			}
		case *cdplog.EventEntryAdded:
			switch {
			case ev.Entry.Level != cdplog.LevelError:
			case ev.Entry.Source == cdplog.SourceNetwork: // a request that failed, which the browser logs too
				l.failed("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			default:
				l.add("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		}
	})
	if err := chromedp.Run(ctx, cdplog.Enable()); err != nil {
		t.Fatal(err)
	}
}

func argsText(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		if a.Description != "" {
			parts = append(parts, a.Description)
		} else {
			parts = append(parts, string(a.Value))
		}
	}
	return strings.Join(parts, " ")
}

// run runs actions in c's browser, naming the step after c.
func (c *client) run(t *testing.T, step string, actions ...chromedp.Action) {
	t.Helper()
	run(t, c.ctx, c.name+": "+step, actions...)
}

// token is the token the page keeps.
func (c *client) token(t *testing.T) string {
	t.Helper()
	var token string
	c.run(t, "read the token", chromedp.Evaluate(`sessionStorage.getItem("gqlchat:token")`, &token))
	return token
}

// user is c's account, asked of the API with the page's token.
func (c *client) user(t *testing.T, srv *apitest.Server) apitest.User {
	t.Helper()
	token := c.token(t)
	var out struct{ Viewer struct{ ID, Username string } }
	srv.MustDo(t, token, `{ viewer { id username } }`, nil, &out)
	return apitest.User{ID: out.Viewer.ID, Username: out.Viewer.Username, Token: token}
}

// post sends body in the open chat with the Send button and waits until
// the server has it. (Enter sends too, but a key event sent through the
// DevTools protocol types its newline even though the page cancels the
// keydown.)
func (c *client) post(t *testing.T, body string) {
	t.Helper()
	c.run(t, "post "+body,
		typeText("#body", body),
		chromedp.Click("#post button.primary"),
		waitText("#messages li.mine:not(.sending) .body", body),
	)
}

// clickText clicks the first element matching selector whose text
// contains text, once there is one.
func clickText(selector, text string) chromedp.Action {
	js := fmt.Sprintf(`(() => { const e = [...document.querySelectorAll(%q)].find((e) => e.textContent.includes(%q)); if (e) e.click(); return !!e; })()`, selector, text)
	return chromedp.Poll(js, nil, chromedp.WithPollingInterval(50*time.Millisecond))
}

// openTab shows a tab of the sidebar.
func openTab(name string) chromedp.Action {
	return waitJS(fmt.Sprintf(`(() => { const b = document.querySelector("#tab-%s"); b?.click(); return b?.getAttribute("aria-selected") === "true"; })()`, name))
}

// count is how many messages of the open chat have exactly body.
func (c *client) count(t *testing.T, body string) int {
	t.Helper()
	var n int
	c.run(t, "count "+body, chromedp.Evaluate(fmt.Sprintf(
		`[...document.querySelectorAll("#messages li .body")].filter((e) => e.textContent === %q).length`, body), &n))
	return n
}

// waitJS waits until the JavaScript expression is true.
func waitJS(expr string) chromedp.Action {
	return chromedp.Poll(expr, nil, chromedp.WithPollingInterval(50*time.Millisecond))
}

// noOverflow fails unless the page and every message fit their width.
func (c *client) noOverflow(t *testing.T) {
	t.Helper()
	var bad []string
	c.run(t, "check that nothing overflows", chromedp.Evaluate(`(() => {
		const bad = [];
		const de = document.documentElement;
		if (de.scrollWidth > de.clientWidth) bad.push("page " + de.scrollWidth + " > " + de.clientWidth);
		for (const e of document.querySelectorAll(".history, .panel, .bubble, .chat-item, .sidebar"))
			if (e.scrollWidth > e.clientWidth + 1) bad.push(e.className + " " + e.scrollWidth + " > " + e.clientWidth);
		return bad;
	})()`, &bad))
	for _, b := range bad {
		t.Errorf("%s: overflows: %s", c.name, b)
	}
}

// replaceText types text into the field matching selector in place of
// what it holds, as a user would (select all, type): React's inputs
// ignore a value set from JavaScript.
func replaceText(selector, text string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.WaitVisible(selector),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).select()`, selector), nil),
		chromedp.KeyEvent(text),
	}
}

// typeText types text into the field matching selector, key by key.
// (chromedp.SendKeys reads the node's attributes without the lock that
// chromedp's DOM event handler writes them under: a data race whenever
// the page changes an attribute meanwhile, as React does.)
func typeText(selector, text string) chromedp.Action {
	return chromedp.Tasks{chromedp.Focus(selector), chromedp.KeyEvent(text)}
}

// openChat opens the chat called name from the chat list.
func openChat(name string) chromedp.Action {
	return waitJS(fmt.Sprintf(`(() => { const e = [...document.querySelectorAll("#chats .chat-name")].find((e) => e.textContent === %q); e?.closest("a").click(); return !!e; })()`, name))
}

// labelled fails unless every control on the page has a name a screen
// reader can say: its text, aria-label, or a <label>.
func (c *client) labelled(t *testing.T) {
	t.Helper()
	var bad []string
	c.run(t, "check that every control has a name", chromedp.Evaluate(`(() => {
		const name = (e) => (e.getAttribute("aria-label") || e.textContent || [...(e.labels ?? [])].map((l) => l.textContent).join("")).trim();
		return [...document.querySelectorAll("button, a[href], input, textarea, select, [role=img]")]
			.filter((e) => !name(e)).map((e) => e.outerHTML.slice(0, 120));
	})()`, &bad))
	for _, b := range bad {
		t.Errorf("%s: a control without a name: %s", c.name, b)
	}
}

// contrastJS lists the visible texts whose contrast with their background
// is below WCAG AA: 4.5:1, or 3:1 for large text. Disabled controls are
// exempt, as WCAG has them.
const contrastJS = `(() => {
	const rgba = (c) => (c.match(/[\d.]+/g) || []).map(Number);
	const lum = ([r, g, b]) => {
		const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
		return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
	};
	const background = (e) => {
		for (; e; e = e.parentElement) {
			const c = rgba(getComputedStyle(e).backgroundColor);
			if (c.length === 3 || c[3] > 0) return c;
		}
		return [255, 255, 255];
	};
	const bad = [];
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walker.nextNode(); n; n = walker.nextNode()) {
		const e = n.parentElement;
		if (!n.textContent.trim() || !e.checkVisibility({ opacityProperty: true, visibilityProperty: true }) || e.closest(":disabled, .sr-only")) continue;
		const s = getComputedStyle(e);
		const fg = rgba(s.color), bg = background(e);
		const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
		const ratio = (a + 0.05) / (b + 0.05);
		const size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
		const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
		if (ratio < need) bad.push(n.textContent.trim().slice(0, 40) + ": " + ratio.toFixed(2) + " < " + need);
	}
	return bad;
})()`

// readable fails if any visible text has too little contrast.
func (c *client) readable(t *testing.T) {
	t.Helper()
	var bad []string
	c.run(t, "check the contrast of every text", chromedp.Evaluate(contrastJS, &bad))
	for _, b := range bad {
		t.Errorf("%s: low contrast: %s", c.name, b)
	}
}
