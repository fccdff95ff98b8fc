package graph_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// A client that drops its connection again and again while others post in
// many chats at once, resuming each time after the syncToken of the last
// event it read, gets every message once.
func TestChatEvents_ResumingWhilePostersWriteInManyChatsLosesNothingAndRepeatsNothing(t *testing.T) {
	t.Parallel()
	const chats, posters, perPoster = 8, 4, 40
	s := apitest.NewServer(t)
	owner := s.SignUp(t, "own")
	bob := s.FriendsOf(t, owner, 1)[0]
	groups := make([]string, chats)
	for i := range groups {
		groups[i] = s.CreateGroup(t, owner, fmt.Sprint("G", i), bob).ID
	}
	var q struct{ SyncToken string }
	s.MustDo(t, bob.Token, `query { syncToken }`, nil, &q)

	var wg sync.WaitGroup
	errs := make(chan string, posters*perPoster)
	for p := range posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perPoster {
				chat := groups[(p*perPoster+i)%chats]
				r := s.Do(t, owner.Token, postMessage, map[string]any{"chat": chat, "body": fmt.Sprintf("p%d-%d", p, i)})
				if len(r.Errors) > 0 {
					errs <- fmt.Sprint(r.Errors)
				}
			}
		}()
	}

	want := posters * perPoster
	seen := map[string]int{}
	token := q.SyncToken
	for session := 0; len(seen) < want; session++ {
		ws := connectEvents(t, s, apitest.TransportWS, bob)
		ws.subscribe("e", "", token)
		// Read a few events, then drop the connection with the rest unread.
		for range 1 + session%7 {
			if len(seen) == want {
				break
			}
			e := ws.next("e")
			if e.Typename != "MessagePostedEvent" {
				t.Fatalf("unexpected %s", e.Typename)
			}
			if seen[e.Message.Body]++; seen[e.Message.Body] > 1 {
				t.Fatalf("%s came twice (session %d)", e.Message.Body, session)
			}
			token = e.SyncToken
		}
		ws.ws.Close()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if len(seen) != want {
		t.Fatalf("got %d messages, want %d", len(seen), want)
	}
}
