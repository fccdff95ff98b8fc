package graph_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

const subMessages = `subscription($chat: ID, $after: String) { messagePosted(chatId: $chat, after: $after) { id body cursor sender { id } chat { id } } }`

type postedEvent struct {
	MessagePosted struct {
		ID, Body, Cursor string
		Sender, Chat     struct{ ID string }
	}
}

// legacyNext reads the next "data" message of operation id on the legacy protocol.
func legacyNext(t *testing.T, ws *apitest.WS, id string, out any) {
	t.Helper()
	m := ws.MustRead(5 * time.Second)
	if m.Type != "data" || m.ID != id {
		t.Fatalf("want data for %s, got %s %s", id, m.Type, m.Payload)
	}
	var r apitest.Response
	if err := json.Unmarshal(m.Payload, &r); err != nil || len(r.Errors) > 0 {
		t.Fatalf("payload %s", m.Payload)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatal(err)
	}
}

func TestMessagePosted_EveryConnectionOfEveryMemberGetsEachMessageOnceInOrder(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 1)
	outsider := s.SignUp(t, "out")
	g := createGroupChat(t, s, owner, "G", f[0])

	modern := []*apitest.WS{s.Connect(t, owner), s.Connect(t, f[0]), s.Connect(t, f[0])}
	for _, ws := range modern {
		ws.Subscribe("m", subMessages, map[string]any{"chat": g.ID})
	}
	legacy := s.DialWS(t, apitest.LegacyWS)
	if m, err := legacy.Init(owner.Token); err != nil || m.Type != "connection_ack" {
		t.Fatalf("legacy init: %+v %v", m, err)
	}
	legacy.Send("start", "m", map[string]any{"query": subMessages, "variables": map[string]any{"chat": g.ID}})
	all := s.Connect(t, outsider)
	all.Subscribe("m", subMessages, nil)
	s.WaitFollowed(t, g.ID, 4)
	s.WaitSubscribed(t, outsider, 1)

	var sent []string
	for i := range 5 {
		poster := owner
		if i%2 == 1 {
			poster = f[0]
		}
		sent = append(sent, post(t, s, poster, g.ID, fmt.Sprint("m", i)).ID)
	}
	for _, ws := range modern {
		for _, want := range sent {
			var ev postedEvent
			ws.Next("m", &ev)
			if ev.MessagePosted.ID != want || ev.MessagePosted.Chat.ID != g.ID {
				t.Fatalf("got %s, want %s", ev.MessagePosted.ID, want)
			}
		}
		ws.Quiet(100 * time.Millisecond)
	}
	for _, want := range sent {
		var ev postedEvent
		legacyNext(t, legacy, "m", &ev)
		if ev.MessagePosted.ID != want {
			t.Fatalf("legacy got %s, want %s", ev.MessagePosted.ID, want)
		}
	}
	all.Quiet(200 * time.Millisecond)
}

func TestMessagePosted_ToAChatOfOthersIsNotFound(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner, outsider := s.SignUp(t, "own"), s.SignUp(t, "out")
	g := createGroupChat(t, s, owner, "G")
	ws := s.Connect(t, outsider)
	ws.Subscribe("m", subMessages, map[string]any{"chat": g.ID})
	if code := errorCode(t, ws.MustRead(5*time.Second)); code != "NOT_FOUND" {
		t.Fatalf("code %s", code)
	}
}

func TestMessagePosted_ARemovedMemberStopsReceiving(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 1)
	g := createGroupChat(t, s, owner, "G", f[0])
	one, all := s.Connect(t, f[0]), s.Connect(t, f[0])
	one.Subscribe("m", subMessages, map[string]any{"chat": g.ID})
	all.Subscribe("a", subMessages, nil)
	s.WaitFollowed(t, g.ID, 2)
	first := post(t, s, owner, g.ID, "still in")
	var ev postedEvent
	one.Next("m", &ev)
	all.Next("a", &ev)
	if ev.MessagePosted.ID != first.ID {
		t.Fatal("wrong message")
	}
	s.MustDo(t, owner.Token, removeGroup, map[string]any{"chat": g.ID, "user": f[0].ID}, nil)
	if m := one.MustRead(5 * time.Second); m.Type != "complete" {
		t.Fatalf("chat subscription: want complete, got %s %s", m.Type, m.Payload)
	}
	post(t, s, owner, g.ID, "you are out")
	all.Quiet(300 * time.Millisecond)
}

func TestMessagePosted_WithoutChatFollowsChatsJoinedLater(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 1)
	ws := s.Connect(t, f[0])
	ws.Subscribe("a", subMessages, nil)
	s.WaitSubscribed(t, f[0], 1)
	g := createGroupChat(t, s, owner, "Later", f[0])
	m := post(t, s, owner, g.ID, "welcome")
	var ev postedEvent
	ws.Next("a", &ev)
	if ev.MessagePosted.ID != m.ID {
		t.Fatalf("got %+v", ev)
	}
}

func TestMessagePosted_ResumesAfterACursorWithNoGapOrDuplicate(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 1)
	g := createGroupChat(t, s, owner, "G", f[0])
	var want []string
	var seen message
	for i := range 150 { // more than one replay batch
		m := post(t, s, owner, g.ID, fmt.Sprint("before ", i))
		want = append(want, m.ID)
		if i == 9 {
			seen = m
		}
	}
	want = want[10:]
	// Keep posting while the subscriber replays, and after.
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 40 {
			r := s.Do(t, f[0].Token, postMessage, map[string]any{"chat": g.ID, "body": fmt.Sprint("during ", i)})
			var out struct{ PostMessage message }
			if r.Code() != "" || json.Unmarshal(r.Data, &out) != nil {
				t.Errorf("post: %+v", r.Errors)
				return
			}
			mu.Lock()
			want = append(want, out.PostMessage.ID)
			mu.Unlock()
		}
	}()
	ws := s.Connect(t, owner)
	ws.Subscribe("m", subMessages, map[string]any{"chat": g.ID, "after": seen.Cursor})
	var got []string
	for len(got) < 140+40 {
		var ev postedEvent
		ws.Next("m", &ev)
		got = append(got, ev.MessagePosted.ID)
	}
	wg.Wait()
	// And live after the replay.
	last := post(t, s, f[0], g.ID, "after")
	var ev postedEvent
	ws.Next("m", &ev)
	got, want = append(got, ev.MessagePosted.ID), append(want, last.ID)
	ws.Quiet(200 * time.Millisecond)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("resumed stream differs:\n got %v\nwant %v", got, want)
	}
}

func TestMessagePosted_ARetriedPostIsDeliveredOnce(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	g := createGroupChat(t, s, owner, "G")
	ws := s.Connect(t, owner)
	ws.Subscribe("m", subMessages, map[string]any{"chat": g.ID})
	s.WaitFollowed(t, g.ID, 1)
	vars := map[string]any{"chat": g.ID, "body": "once", "cid": "retry-me"}
	s.MustDo(t, owner.Token, postMessage, vars, nil)
	s.MustDo(t, owner.Token, postMessage, vars, nil)
	var ev postedEvent
	ws.Next("m", &ev)
	ws.Quiet(300 * time.Millisecond)
}

func TestMessagePosted_EndsWhenTheViewerLeavesOrLogsOut(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	f := friendsOf(t, s, owner, 1)
	g := createGroupChat(t, s, owner, "G", f[0])
	one := s.Connect(t, f[0])
	one.Subscribe("m", subMessages, map[string]any{"chat": g.ID})
	s.WaitFollowed(t, g.ID, 1)
	s.MustDo(t, f[0].Token, leaveGroup, id2("chat", g.ID), nil)
	if m := one.MustRead(5 * time.Second); m.Type != "complete" {
		t.Fatalf("after leaving: %s %s", m.Type, m.Payload)
	}
	all := s.Connect(t, owner)
	all.Subscribe("a", subMessages, nil)
	s.WaitFollowed(t, g.ID, 1)
	s.MustDo(t, owner.Token, `mutation { logOut }`, nil, nil)
	if m := all.MustRead(5 * time.Second); m.Type != "complete" {
		t.Fatalf("after logging out: %s %s", m.Type, m.Payload)
	}
}
