package graph_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/internal/apitest"
)

const setTyping = `mutation($chat: ID!, $typing: Boolean!) { setTyping(input: {chatId: $chat, typing: $typing}) }`

// subTyping is chatEvents with what a typing indicator needs.
const subTyping = `subscription($chat: ID, $after: String) { chatEvents(chatId: $chat, after: $after) {
	__typename cursor syncToken chat { id }
	... on TypingEvent { user { id } typing }
	... on MessagePostedEvent { message { id body } }
} }`

// liveEvent is one event of subTyping.
type liveEvent struct {
	Typename  string `json:"__typename"`
	Cursor    string
	SyncToken string
	Chat      struct{ ID string }
	User      struct{ ID string }
	Typing    bool
	Message   struct{ ID, Body string }
}

func (e liveEvent) String() string {
	if e.Typename == "TypingEvent" {
		return fmt.Sprintf("typing %v by %s", e.Typing, e.User.ID)
	}
	return fmt.Sprintf("%s %s", e.Typename, e.Message.Body)
}

// liveConn is a WebSocket of either protocol for subscriptions.
type liveConn struct {
	t      *testing.T
	ws     *apitest.WS
	legacy bool
}

func dialLive(t *testing.T, s *apitest.Server, proto string, u apitest.User) *liveConn {
	t.Helper()
	ws := s.DialWS(t, proto)
	if m, err := ws.Init(u.Token); err != nil || m.Type != "connection_ack" {
		t.Fatalf("%s connection_init: %+v %v", proto, m, err)
	}
	return &liveConn{t: t, ws: ws, legacy: proto == apitest.LegacyWS}
}

func (c *liveConn) subscribe(id, query string, vars map[string]any) {
	typ := "subscribe"
	if c.legacy {
		typ = "start"
	}
	c.ws.Send(typ, id, map[string]any{"query": query, "variables": vars})
}

// next decodes the data of the next result of operation id into out.
func (c *liveConn) next(id string, out any) {
	c.t.Helper()
	m := c.ws.MustRead(5 * time.Second)
	if (m.Type != "next" && m.Type != "data") || m.ID != id {
		c.t.Fatalf("want a result of %s, got %s %s: %s", id, m.Type, m.ID, m.Payload)
	}
	var r apitest.Response
	if err := json.Unmarshal(m.Payload, &r); err != nil || len(r.Errors) > 0 {
		c.t.Fatalf("result of %s: %s (%v)", id, m.Payload, err)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		c.t.Fatal(err)
	}
}

// event is the next chatEvents event of operation id.
func (c *liveConn) event(id string) liveEvent {
	c.t.Helper()
	var out struct{ ChatEvents liveEvent }
	c.next(id, &out)
	return out.ChatEvents
}

// expectTyping fails unless the next event of id is u's typing set to on.
func (c *liveConn) expectTyping(id string, u apitest.User, on bool) liveEvent {
	c.t.Helper()
	e := c.event(id)
	if e.Typename != "TypingEvent" || e.User.ID != u.ID || e.Typing != on || e.Cursor == "" || e.SyncToken == "" {
		c.t.Fatalf("want typing %v by %s, got %+v", on, u.ID, e)
	}
	return e
}

// typingConfig is the test configuration with typing expiring after expiry.
func typingConfig(expiry time.Duration) chat.Config {
	cfg := apitest.CheapConfig()
	cfg.Typing.Expiry = expiry
	return cfg
}

// Typing set through one instance reaches the other members' chatEvents
// on both (all chats with one protocol, the one chat with the other), and
// not the typer's own; resuming after a TypingEvent misses nothing.
func TestSetTyping_ReachesTheOtherMembersOnEveryInstance(t *testing.T) {
	forEachBus(t, func(t *testing.T, c *apitest.Cluster) {
		in := startInstances(t, c, 2, apitest.CheapConfig())
		a, b := in[0].Server, in[1].Server
		owner := a.SignUp(t, "own")
		f := a.FriendsOf(t, owner, 2)
		g := createGroupChat(t, a, owner, "G", f...)
		post(t, a, owner, g.ID, "before")
		all := dialLive(t, a, apitest.TransportWS, f[0])
		all.subscribe("e", subTyping, nil)
		one := dialLive(t, b, apitest.LegacyWS, f[1])
		one.subscribe("e", subTyping, map[string]any{"chat": g.ID})
		own := dialLive(t, a, apitest.TransportWS, owner)
		own.subscribe("e", subTyping, map[string]any{"chat": g.ID})
		a.WaitFollowed(t, g.ID, 2)
		b.WaitFollowed(t, g.ID, 1)

		b.MustDo(t, owner.Token, setTyping, map[string]any{"chat": g.ID, "typing": true}, nil)
		all.expectTyping("e", owner, true)
		typed := one.expectTyping("e", owner, true)
		a.MustDo(t, owner.Token, setTyping, map[string]any{"chat": g.ID, "typing": false}, nil)
		all.expectTyping("e", owner, false)
		one.expectTyping("e", owner, false)
		post(t, b, f[0], g.ID, "after")
		for _, c := range []*liveConn{all, one, own} { // the typer got only the post
			if e := c.event("e"); e.Message.Body != "after" {
				t.Fatalf("got %s, want the post", e)
			}
		}
		// Resuming after the typing event replays what came after it, only.
		again := dialLive(t, b, apitest.TransportWS, f[1])
		again.subscribe("r", subTyping, map[string]any{"chat": g.ID, "after": typed.Cursor})
		if e := again.event("r"); e.Message.Body != "after" {
			t.Fatalf("resumed after the typing event: got %s, want the post after it", e)
		}
		again.ws.Quiet(100 * time.Millisecond)
	})
}

// A client calling setTyping on every keystroke costs one event.
func TestSetTyping_BurstGivesOneEvent(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 1)
	g := createGroupChat(t, s, owner, "G", f...)
	c := dialLive(t, s, apitest.TransportWS, f[0])
	c.subscribe("e", subTyping, nil)
	s.WaitFollowed(t, g.ID, 1)
	bus := s.Bus.Subscribe(64, events.TypingTopic)
	defer bus.Close()
	start := time.Now()
	for range 20 {
		s.MustDo(t, owner.Token, setTyping, map[string]any{"chat": g.ID, "typing": true}, nil)
	}
	took := time.Since(start)
	c.expectTyping("e", owner, true)
	s.MustDo(t, owner.Token, setTyping, map[string]any{"chat": g.ID, "typing": false}, nil)
	c.expectTyping("e", owner, false) // next: nothing came in between
	started := 0
	for e := range bus.C {
		if e.Kind == events.TypingStopped {
			break
		}
		started++
	}
	if most := 1 + int(took/chat.DefaultTypingTimings.Throttle); started > most {
		t.Fatalf("%d calls in %v published %d events, want at most %d", 20, took, started, most)
	}
}

// An indicator nobody renews ends by itself with typing: false.
func TestSetTyping_ExpiresWithoutRenewal(t *testing.T) {
	t.Parallel()
	const expiry = 300 * time.Millisecond
	s := apitest.NewServerWith(t, typingConfig(expiry), apitest.Options())
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 1)
	dm := openPrivateChat(t, s, owner, f[0])
	c := dialLive(t, s, apitest.LegacyWS, f[0])
	c.subscribe("e", subTyping, map[string]any{"chat": dm.ID})
	s.WaitFollowed(t, dm.ID, 1)
	s.MustDo(t, owner.Token, setTyping, map[string]any{"chat": dm.ID, "typing": true}, nil)
	start := time.Now()
	c.expectTyping("e", owner, true)
	c.expectTyping("e", owner, false)
	if waited := time.Since(start); waited < expiry*9/10 {
		t.Fatalf("expired after %v, want %v", waited, expiry)
	}
}

// Posting in the chat ends the poster's typing there.
func TestSetTyping_PostingClearsIt(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 1)
	g := createGroupChat(t, s, owner, "G", f...)
	c := dialLive(t, s, apitest.TransportWS, f[0])
	c.subscribe("e", subTyping, map[string]any{"chat": g.ID})
	s.WaitFollowed(t, g.ID, 1)
	s.MustDo(t, owner.Token, setTyping, map[string]any{"chat": g.ID, "typing": true}, nil)
	c.expectTyping("e", owner, true)
	post(t, s, owner, g.ID, "done typing")
	got := map[string]bool{}
	for range 2 { // two channels: either may come first
		got[c.event("e").String()] = true
	}
	if want := fmt.Sprintf("typing false by %s", owner.ID); !got[want] || !got["MessagePostedEvent done typing"] {
		t.Fatalf("got %v, want %q and the post", got, want)
	}
}

// Closing the WebSocket that set typing ends it.
func TestSetTyping_ClosingTheConnectionClearsIt(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 1)
	g := createGroupChat(t, s, owner, "G", f...)
	c := dialLive(t, s, apitest.TransportWS, f[0])
	c.subscribe("e", subTyping, nil)
	s.WaitFollowed(t, g.ID, 1)
	typer := dialLive(t, s, apitest.LegacyWS, owner)
	typer.subscribe("t", setTyping, map[string]any{"chat": g.ID, "typing": true})
	var out struct{ SetTyping bool }
	typer.next("t", &out)
	c.expectTyping("e", owner, true)
	typer.ws.Close()
	c.expectTyping("e", owner, false)
}

// In a shared group, a member who blocked the typist gets none of their
// TypingEvents; the other members do.
func TestSetTyping_NotDeliveredToMembersWhoBlockedTheTypist(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 2)
	blocker, mate := f[0], f[1]
	g := createGroupChat(t, s, owner, "G", f...)
	s.MustDo(t, blocker.Token, blockUser, id(owner.ID), nil)
	b := dialLive(t, s, apitest.TransportWS, blocker)
	b.subscribe("e", subTyping, map[string]any{"chat": g.ID})
	m := dialLive(t, s, apitest.LegacyWS, mate)
	m.subscribe("e", subTyping, nil)
	s.WaitFollowed(t, g.ID, 2)
	s.MustDo(t, owner.Token, setTyping, map[string]any{"chat": g.ID, "typing": true}, nil)
	m.expectTyping("e", owner, true)
	s.MustDo(t, owner.Token, setTyping, map[string]any{"chat": g.ID, "typing": false}, nil)
	m.expectTyping("e", owner, false)
	post(t, s, mate, g.ID, "live") // the blocker's next event: the post
	if e := b.event("e"); e.Message.Body != "live" {
		t.Fatalf("the blocker got %s, want only the post", e)
	}
}

// Flipping typing on and off as fast as a client can costs one publication
// per throttle window at most: the first start goes out at once, and the
// state the typist last asked for goes out when the window ends (a renewal
// if on), the flips in between collapsed. The other member sees the start,
// then the state as it stands at the end: a stop when the burst ends with
// false, nothing more when it ends with true.
func TestSetTyping_FlippingIsThrottled(t *testing.T) {
	for _, last := range []bool{false, true} {
		t.Run(fmt.Sprintf("ending %v", last), func(t *testing.T) {
			t.Parallel()
			flipTyping(t, last)
		})
	}
}

func flipTyping(t *testing.T, last bool) {
	const pairs = 10
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := s.FriendsOf(t, owner, 1)
	g := createGroupChat(t, s, owner, "G", f...)
	c := dialLive(t, s, apitest.TransportWS, f[0])
	c.subscribe("e", subTyping, map[string]any{"chat": g.ID})
	s.WaitFollowed(t, g.ID, 1)
	bus := s.Bus.Subscribe(256, events.TypingTopic)
	defer bus.Close()
	typing := func(u apitest.User, on bool) {
		s.MustDo(t, u.Token, setTyping, map[string]any{"chat": g.ID, "typing": on}, nil)
	}
	start := time.Now()
	for range pairs {
		typing(owner, true)
		typing(owner, false)
	}
	if last {
		typing(owner, true)
	}
	if took, window := time.Since(start), chat.DefaultTypingTimings.Throttle; took >= window {
		t.Fatalf("%d pairs took %v, more than one window (%v)", pairs, took, window)
	}
	// The bus carries the start, then at the window's end the last state.
	ownerID := userKey(t, owner)
	for i, want := range []bool{true, last} {
		if e := published(t, bus); e.ID != ownerID || (e.Kind == events.TypingStarted) != want {
			t.Fatalf("publication %d: got %+v, want the owner typing %v", i, e, want)
		}
	}
	// The other member got the start and the final state, then the post:
	// nothing in between.
	c.expectTyping("e", owner, true)
	if !last {
		c.expectTyping("e", owner, false)
	}
	post(t, s, f[0], g.ID, "mark")
	if e := c.event("e"); e.Message.Body != "mark" {
		t.Fatalf("got %s, want the post", e)
	}
	// Nothing more of the owner, even once a second window would have
	// ended (a renewal that repeats would publish by then): the next
	// publication is the other member's. A wait is what the claim is about.
	time.Sleep(time.Until(start.Add(2*chat.DefaultTypingTimings.Throttle + 200*time.Millisecond)))
	typing(f[0], true)
	if e := published(t, bus); e.ID == ownerID {
		t.Fatalf("published %+v after the window's end", e)
	}
}

// published is the next event on bus, failing after 10 s.
func published(t *testing.T, bus *events.Subscription) events.Event {
	t.Helper()
	select {
	case e := <-bus.C:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("nothing published")
		return events.Event{}
	}
}

// userKey is u's key in the database, which the bus carries.
func userKey(t *testing.T, u apitest.User) int64 {
	t.Helper()
	_, id, err := model.DecodeID(u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
