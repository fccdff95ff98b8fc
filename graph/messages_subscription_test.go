package graph_test

import (
	"encoding/json"
	"fmt"
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
	f := s.FriendsOf(t, owner, 1)
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

// subChatEvents selects every kind of chat event with the fields that lead
// to chats, messages and users. The by fields need aliases: GraphQL does
// not merge fields of one name whose types differ in nullability.
const subChatEvents = `subscription($chat: ID, $after: String) { chatEvents(chatId: $chat, after: $after) {
	__typename cursor syncToken at chat { id ... on GroupChat { name } }
	... on MessagePostedEvent { message { id body cursor sender { id } replyTo { id } } }
	... on MessageEditedEvent { message { id body editedAt } }
	... on MessageDeletedEvent { message { id deleted body } }
	... on ReactionsChangedEvent { message { id reactions { emoji count viewerReacted } } reactedBy: by { id } }
	... on MemberJoinedEvent { user { id } invitedBy: by { id } }
	... on MemberLeftEvent { user { id } removedBy { id } }
	... on ChatRenamedEvent { name renamedBy: by { id } }
	... on ReadMarkerMovedEvent { user { id } message { id } }
	... on TypingEvent { user { id } typing }
} }`
