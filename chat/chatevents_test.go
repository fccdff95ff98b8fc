package chat_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/models"
)

// mustChatEvents opens u's chatEvents stream; cancel ends it early.
func mustChatEvents(t *testing.T, h *harness, u user, chatID *int64, after *string) (<-chan chat.Delivery, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(u.Ctx)
	t.Cleanup(cancel)
	ch, err := h.ChatEvents(ctx, chatID, after, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ch, cancel
}

// describe names an event for comparisons: its kind, and whom it is about.
func describe(d chat.Delivery) string {
	s := string(d.Kind)
	switch {
	case d.Message != nil:
		s += " " + d.Message.Body
	case d.Name != nil:
		s += " " + *d.Name
	}
	if d.User != nil {
		s += " " + d.User.Username
	}
	return s
}

// mustKinds reads len(want) events and fails unless they describe as want,
// in order, with strictly increasing positions in each chat. It returns them.
func mustKinds(t *testing.T, who string, ch <-chan chat.Delivery, want ...string) []chat.Delivery {
	t.Helper()
	var got []chat.Delivery
	last := map[int64]int64{}
	for range want {
		d := next(t, ch)
		if d.Pos <= last[d.ChatID] {
			t.Fatalf("%s: event at %d of chat %d after %d", who, d.Pos, d.ChatID, last[d.ChatID])
		}
		last[d.ChatID] = d.Pos
		got = append(got, d)
	}
	var names []string
	for _, d := range got {
		names = append(names, describe(d))
	}
	if !slices.Equal(names, want) {
		t.Fatalf("%s got\n  %s\nwant\n  %s", who, strings.Join(names, "\n  "), strings.Join(want, "\n  "))
	}
	return got
}

func TestChatEvents_EveryChangeToAChatArrivesInOrderOnBothKindsOfStream(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 2)
	b, e := f[0], f[1]
	g := mustGroup(t, h, owner, "G", b)
	all, _ := mustChatEvents(t, h, b, nil, nil)
	one, _ := mustChatEvents(t, h, b, &g.ID, nil)

	m := mustPost(t, h, owner, g.ID, "hello")
	_, err := h.PostMessage(owner.Ctx, chat.PostMessageInput{ChatID: g.ID, Body: "a reply", ReplyToID: &m.ID})
	must(t, err)
	_, err = h.EditMessage(owner.Ctx, m.ID, "hello, edited")
	must(t, err)
	_, err = h.AddReaction(b.Ctx, m.ID, "👍")
	must(t, err)
	_, err = h.MarkChatRead(owner.Ctx, g.ID, m.ID) // the owner's marker is past m (they posted since): no event
	must(t, err)
	_, err = h.DeleteMessage(owner.Ctx, m.ID)
	must(t, err)
	_, err = h.RenameGroupChat(owner.Ctx, g.ID, "G2")
	must(t, err)
	_, err = h.InviteToGroupChat(owner.Ctx, g.ID, ids(e))
	must(t, err)
	_, err = h.RemoveFromGroupChat(owner.Ctx, g.ID, e.ID)
	must(t, err)
	last := mustPost(t, h, b, g.ID, "mine")
	_, err = h.MarkChatRead(b.Ctx, g.ID, last.ID) // already there: no event
	must(t, err)

	// Message events are described by kind only: the rows are read as they
	// are when the event is read, which may be after later changes.
	want := []string{"MESSAGE_POSTED", "MESSAGE_POSTED", "MESSAGE_EDITED", "REACTIONS_CHANGED", "MESSAGE_DELETED",
		"CHAT_RENAMED G2", "MEMBER_JOINED " + e.Username, "MEMBER_LEFT " + e.Username, "MESSAGE_POSTED"}
	for _, s := range []struct {
		who string
		ch  <-chan chat.Delivery
	}{{"B's stream of all chats", all}, {"B's stream of the chat", one}} {
		var got []chat.Delivery
		var kinds []string
		for range want {
			d := next(t, s.ch)
			got = append(got, d)
			if d.Message != nil {
				kinds = append(kinds, string(d.Kind))
			} else {
				kinds = append(kinds, describe(d))
			}
		}
		if !slices.Equal(kinds, want) {
			t.Fatalf("%s got %q, want %q", s.who, kinds, want)
		}
		for i, id := range []int64{m.ID, 0, m.ID, m.ID, m.ID} {
			if id != 0 && got[i].Message.ID != id {
				t.Errorf("%s: event %d is about message %d, want %d", s.who, i, got[i].Message.ID, id)
			}
		}
		if got[8].Message.ID != last.ID || got[1].Message.ReplyTo == nil || got[1].Message.ReplyTo.ID != m.ID {
			t.Errorf("%s: the last post is %d (want %d), the reply answers %v", s.who, got[8].Message.ID, last.ID, got[1].Message.ReplyTo)
		}
		if got[6].Actor == nil || got[6].Actor.ID != owner.ID || got[7].Actor == nil || got[7].Actor.ID != owner.ID {
			t.Errorf("%s: the invitation and removal name %v and %v, want the owner", s.who, got[6].Actor, got[7].Actor)
		}
		if got[5].Actor.ID != owner.ID || got[0].Chat.ID != g.ID {
			t.Errorf("%s: the rename names %d in chat %d", s.who, got[5].Actor.ID, got[0].Chat.ID)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Pos <= got[i-1].Pos {
				t.Errorf("%s: position %d after %d", s.who, got[i].Pos, got[i-1].Pos)
			}
		}
	}
}

func TestChatEvents_AOneChatStreamCompletesAfterTheViewersOwnDeparture(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	b := mustFriends(t, h, owner, 1)[0]
	g := mustGroup(t, h, owner, "G", b)
	one, _ := mustChatEvents(t, h, b, &g.ID, nil)
	all, _ := mustChatEvents(t, h, b, nil, nil)
	must(t, h.LeaveGroupChat(b.Ctx, g.ID))
	mustKinds(t, "B's stream of the chat", one, "MEMBER_LEFT "+b.Username)
	mustEnd(t, one)
	mustKinds(t, "B's stream of all chats", all, "MEMBER_LEFT "+b.Username)
	// Nothing more from that chat; the stream itself goes on.
	mustPost(t, h, owner, g.ID, "after B left")
	dm, err := h.OpenPrivateChat(owner.Ctx, b.ID)
	must(t, err)
	// Of a chat created with them, a member's own joining is the first
	// event they get: the creator's came before they were in it.
	mustKinds(t, "B's stream of all chats", all, "MEMBER_JOINED "+b.Username)
	mustPost(t, h, owner, dm.ID, "still here")
	mustKinds(t, "B's stream of all chats", all, "MESSAGE_POSTED still here")

	_, err = h.ChatEvents(b.Ctx, &g.ID, nil, nil)
	mustCode(t, err, chat.CodeNotFound, "")
}

// A member who was out of a chat between a removal and a re-invitation
// gets no event of that time, live or replayed.
func TestChatEvents_EventsOfATimeOutOfTheChatAreNeitherLiveNorReplayed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	b := mustFriends(t, h, owner, 1)[0]
	g := mustGroup(t, h, owner, "G", b)
	before := chat.MessageCursor(mustPost(t, h, owner, g.ID, "before"))
	token, err := h.SyncToken(b.Ctx)
	must(t, err)
	live, _ := mustChatEvents(t, h, b, nil, nil)
	_, err = h.RemoveFromGroupChat(owner.Ctx, g.ID, b.ID)
	must(t, err)
	mustPost(t, h, owner, g.ID, "while B is out")
	_, err = h.RenameGroupChat(owner.Ctx, g.ID, "renamed while out")
	must(t, err)
	_, err = h.InviteToGroupChat(owner.Ctx, g.ID, ids(b))
	must(t, err)
	mustPost(t, h, owner, g.ID, "welcome back")
	want := []string{"MEMBER_LEFT " + b.Username, "MEMBER_JOINED " + b.Username, "MESSAGE_POSTED welcome back"}
	mustKinds(t, "B live", live, want...)
	replayed, _ := mustChatEvents(t, h, b, nil, &token)
	mustKinds(t, "B replaying all chats", replayed, want...)
	// Replaying the chat from before the removal: B is a member again, so
	// its departure is history there, not the end of the stream.
	one, _ := mustChatEvents(t, h, b, &g.ID, &before)
	mustKinds(t, "B replaying the chat", one, want...)
	mustPost(t, h, owner, g.ID, "and on")
	mustKinds(t, "B replaying the chat", one, "MESSAGE_POSTED and on")
}

// The case: a client disconnected while it was added to one chat,
// removed from another, and messages were posted, edited and deleted in a
// third; resuming from its last sync token gets exactly the missed events.
func TestChatEvents_ResumingAllChatsGetsExactlyWhatWasMissed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	v := mustFriends(t, h, owner, 1)[0]
	leaving := mustGroup(t, h, owner, "leaving", v)
	busy := mustGroup(t, h, owner, "busy", v)
	all, cancel := mustChatEvents(t, h, v, nil, nil)
	old := mustPost(t, h, owner, busy.ID, "seen before the disconnect")
	token := mustKinds(t, "V", all, "MESSAGE_POSTED seen before the disconnect")[0].SyncToken
	cancel()

	_, err := h.RemoveFromGroupChat(owner.Ctx, leaving.ID, v.ID)
	must(t, err)
	mustPost(t, h, owner, leaving.ID, "after V was removed")
	joined := mustGroup(t, h, owner, "joined", v)
	mustPost(t, h, owner, joined.ID, "in the new chat")
	p := mustPost(t, h, owner, busy.ID, "posted")
	_, err = h.EditMessage(owner.Ctx, p.ID, "posted and edited")
	must(t, err)
	_, err = h.DeleteMessage(owner.Ctx, old.ID)
	must(t, err)

	resumed, _ := mustChatEvents(t, h, v, nil, &token)
	got := map[int64][]string{}
	for range 6 {
		d := next(t, resumed)
		got[d.ChatID] = append(got[d.ChatID], describe(d))
	}
	want := map[int64][]string{
		leaving.ID: {"MEMBER_LEFT " + v.Username},
		joined.ID:  {"MEMBER_JOINED " + v.Username, "MESSAGE_POSTED in the new chat"},
		busy.ID:    {"MESSAGE_POSTED posted and edited", "MESSAGE_EDITED posted and edited", "MESSAGE_DELETED "},
	}
	for id, w := range want {
		if !slices.Equal(got[id], w) {
			t.Errorf("chat %d: got %q, want %q", id, got[id], w)
		}
	}
	// Nothing else: the next event is the next change.
	mustPost(t, h, owner, joined.ID, "live again")
	mustKinds(t, "V", resumed, "MESSAGE_POSTED live again")
}

// Clients that disconnect and resume over and over, from the token of the
// last event they read, while others post in many chats: every message
// arrives exactly once.
func TestChatEvents_ConcurrentPostersLoseNothingWhileAClientKeepsResuming(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	v := mustSignUp(t, h, "v")
	posters := mustFriends(t, h, v, 4)
	var chats []*models.Chat
	for i := range 8 {
		chats = append(chats, mustGroup(t, h, posters[i%4], fmt.Sprintf("c%d", i), v))
	}
	token, err := h.SyncToken(v.Ctx)
	must(t, err)

	const perPoster = 60
	var wg sync.WaitGroup
	for i, p := range posters {
		wg.Go(func() {
			for n := range perPoster {
				c := chats[(i+4*(n%2))%8] // each poster writes in two chats of its own
				if _, err := h.PostMessage(p.Ctx, chat.PostMessageInput{ChatID: c.ID, Body: fmt.Sprintf("%d/%d", i, n)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	seen := map[string]bool{}
	deadline := time.Now().Add(60 * time.Second)
	for len(seen) < len(posters)*perPoster && time.Now().Before(deadline) {
		ch, cancel := mustChatEvents(t, h, v, nil, &token)
		for range 1 + rand.IntN(25) {
			d := next(t, ch)
			if d.Kind != models.EventMessagePosted {
				continue
			}
			if seen[d.Message.Body] {
				t.Fatalf("%q arrived twice", d.Message.Body)
			}
			seen[d.Message.Body] = true
			token = d.SyncToken
			if len(seen) == len(posters)*perPoster {
				break
			}
		}
		cancel()
	}
	wg.Wait()
	if len(seen) != len(posters)*perPoster {
		t.Fatalf("got %d messages, want %d", len(seen), len(posters)*perPoster)
	}
}

// A subscriber that stops reading falls behind what the log reader keeps
// for it; when it reads again, it gets everything from the database.
func TestChatEvents_ASubscriberFarBehindGetsEverythingInOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	b := mustFriends(t, h, owner, 1)[0]
	g := mustGroup(t, h, owner, "G", b)
	all, _ := mustChatEvents(t, h, b, nil, nil)
	one, _ := mustChatEvents(t, h, b, &g.ID, nil)
	const n = 1500 // more than a listener holds
	for i := range n {
		mustPost(t, h, owner, g.ID, fmt.Sprint(i))
	}
	for _, ch := range []<-chan chat.Delivery{all, one} {
		for i := range n {
			if d := next(t, ch); d.Message == nil || d.Message.Body != fmt.Sprint(i) {
				t.Fatalf("event %d is %s", i, describe(d))
			}
		}
	}
}

// A token made on an instance whose log reader is ahead of this one's is
// not answered with what it had already seen.
func TestChatEvents_ATokenFromAnInstanceAheadIsNotRepeated(t *testing.T) {
	eachBus(t, func(t *testing.T, kind string) {
		srv := newInstances(t, kind)
		owner := mustSignUp(t, srv[0], "own")
		b := mustFriends(t, srv[0], owner, 1)[0]
		g := mustGroup(t, srv[0], owner, "G", b)
		for i := range 20 {
			mustPost(t, srv[1], owner, g.ID, fmt.Sprint("before ", i))
			token, err := srv[1].SyncToken(b.Ctx)
			must(t, err)
			ch, cancel := mustChatEvents(t, srv[0], b, nil, &token)
			mustPost(t, srv[1], owner, g.ID, fmt.Sprint("after ", i))
			mustKinds(t, "B", ch, fmt.Sprint("MESSAGE_POSTED after ", i))
			cancel()
		}
	})
}

func TestChatEvents_AMalformedPositionIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	g := mustGroup(t, h, owner, "G")
	beyond := chat.EventCursor(g.ID, 1000)
	_, err := h.ChatEvents(owner.Ctx, &g.ID, &beyond, nil)
	mustCode(t, err, chat.CodeInvalid, "after")
	for _, bad := range []string{"", "nope", "AQ", "AQIDBAUGBwg"} {
		_, err = h.ChatEvents(owner.Ctx, nil, &bad, nil)
		mustCode(t, err, chat.CodeInvalid, "after")
		_, err = h.ChatEvents(owner.Ctx, &g.ID, &bad, nil)
		mustCode(t, err, chat.CodeInvalid, "after")
	}
}

// Pruned events cannot be replayed: a resume from before them is refused
// with CURSOR_EXPIRED, never answered with a gap; one from after is served.
func TestChatEvents_AResumeFromBeforeThePrunedLogIsExpired(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *chat.Config) { c.EventRetention = 50 * time.Millisecond })
	owner := mustSignUp(t, h, "own")
	b := mustFriends(t, h, owner, 1)[0]
	g := mustGroup(t, h, owner, "G", b)
	old := mustPost(t, h, owner, g.ID, "old")
	oldCursor := chat.MessageCursor(old)
	oldToken, err := h.SyncToken(b.Ctx)
	must(t, err)
	mustPost(t, h, owner, g.ID, "will be pruned")
	time.Sleep(60 * time.Millisecond) // the age that makes an event prunable
	n, err := h.PruneLog(context.Background())
	must(t, err)
	if n == 0 {
		t.Fatal("nothing was pruned")
	}
	fresh := mustPost(t, h, owner, g.ID, "kept")

	_, err = h.ChatEvents(b.Ctx, nil, &oldToken, nil)
	mustCode(t, err, chat.CodeCursorExpired, "")
	_, err = h.ChatEvents(b.Ctx, &g.ID, &oldCursor, nil)
	mustCode(t, err, chat.CodeCursorExpired, "")
	_, err = h.MessageEvents(b.Ctx, &g.ID, &oldCursor, nil)
	mustCode(t, err, chat.CodeCursorExpired, "")

	// From the newest pruned message on, nothing is missing.
	latest := history(t, h, b, g.ID, 2)[0]
	cursor := chat.MessageCursor(latest)
	one, _ := mustChatEvents(t, h, b, &g.ID, &cursor)
	if d := next(t, one); d.Message == nil || d.Message.ID != fresh.ID {
		t.Fatalf("resumed with %s, want the kept message", describe(d))
	}
	// The history itself is whole.
	if got := history(t, h, b, g.ID, 10); len(got) != 3 {
		t.Fatalf("the history holds %d messages, want 3", len(got))
	}
}

// A token claiming transactions the database has not run yet was not made
// by it: refused at once rather than waited for.
func TestChatEvents_ATokenFromTheFutureIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	v := mustSignUp(t, h, "v")
	future := chat.TokenOf(1<<40, 1<<40+1)
	_, err := h.ChatEvents(v.Ctx, nil, &future, nil)
	mustCode(t, err, chat.CodeInvalid, "after")
}

// Changes made on one instance reach streams on another, through the
// database's log and the bus's notes that it moved on.
func TestChatEvents_ChangesOnOneInstanceReachStreamsOnAnother(t *testing.T) {
	eachBus(t, func(t *testing.T, kind string) {
		srv := newInstances(t, kind)
		owner := mustSignUp(t, srv[0], "own")
		f := mustFriends(t, srv[0], owner, 2)
		b, e := f[0], f[1]
		g := mustGroup(t, srv[0], owner, "G", b)
		all, _ := mustChatEvents(t, srv[1], b, nil, nil)
		m := mustPost(t, srv[0], owner, g.ID, "hello")
		_, err := srv[0].AddReaction(owner.Ctx, m.ID, "🎉")
		must(t, err)
		_, err = srv[0].RenameGroupChat(owner.Ctx, g.ID, "G2")
		must(t, err)
		_, err = srv[0].InviteToGroupChat(owner.Ctx, g.ID, ids(e))
		must(t, err)
		got := mustKinds(t, "B on the other instance", all,
			"MESSAGE_POSTED hello", "REACTIONS_CHANGED hello", "CHAT_RENAMED G2", "MEMBER_JOINED "+e.Username)
		if r := got[1].Message.Reactions; len(r) != 1 || r[0].Emoji != "🎉" {
			t.Errorf("the reactions arrived as %+v", r)
		}
	})
}
