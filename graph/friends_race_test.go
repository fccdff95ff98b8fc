package graph_test

import (
	"sync"
	"testing"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// race runs fns at the same instant and returns their error codes ("" for success).
func race(t *testing.T, s *apitest.Server, calls ...func() *apitest.Response) []string {
	t.Helper()
	codes := make([]string, len(calls))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			codes[i] = call().Code()
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

func countRequests(t *testing.T, s *apitest.Server, a, b apitest.User, statuses ...string) int64 {
	t.Helper()
	var n int64
	err := s.DB.Raw(`SELECT count(*) FROM friend_requests r JOIN users f ON f.id = r.from_id JOIN users t ON t.id = r.to_id
		WHERE ((f.username = ? AND t.username = ?) OR (f.username = ? AND t.username = ?)) AND r.status IN ?`,
		a.Username, b.Username, b.Username, a.Username, statuses).Scan(&n).Error
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRace_MutualRequestsEndAsFriendsWithOneAcceptedRequest(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	for range 15 {
		a, b := s.SignUp(t, "ra"), s.SignUp(t, "rb")
		codes := race(t, s,
			func() *apitest.Response { return s.Do(t, a.Token, sendRequest, id(b.ID)) },
			func() *apitest.Response { return s.Do(t, b.Token, sendRequest, id(a.ID)) })
		if codes[0] != "" || codes[1] != "" {
			t.Fatalf("codes %v", codes)
		}
		if relation(t, s, a, b) != "FRIEND" || relation(t, s, b, a) != "FRIEND" {
			t.Fatal("not friends")
		}
		if n := countRequests(t, s, a, b, "ACCEPTED"); n != 1 {
			t.Fatalf("%d accepted requests", n)
		}
		if n := countRequests(t, s, a, b, "UNREAD", "READ"); n != 0 {
			t.Fatalf("%d pending requests", n)
		}
	}
}

func TestRace_DoubleAcceptSucceedsOnce(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	for range 15 {
		a, b := s.SignUp(t, "da"), s.SignUp(t, "db")
		r := send(t, s, a, b)
		accept := func() *apitest.Response { return s.Do(t, b.Token, acceptRequest, id(r.ID)) }
		codes := race(t, s, accept, accept)
		if !(codes[0] == "" && codes[1] == "CONFLICT") && !(codes[0] == "CONFLICT" && codes[1] == "") {
			t.Fatalf("codes %v", codes)
		}
		var n int64
		s.DB.Raw(`SELECT count(*) FROM friendships f JOIN users u ON u.id = f.user_id WHERE u.username IN (?, ?)`, a.Username, b.Username).Scan(&n)
		if n != 2 {
			t.Fatalf("%d friendship rows", n)
		}
	}
}

func TestRace_AcceptVersusCancelLeavesOneConsistentOutcome(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	accepted, canceled := 0, 0
	for range 20 {
		a, b := s.SignUp(t, "ca"), s.SignUp(t, "cb")
		r := send(t, s, a, b)
		codes := race(t, s,
			func() *apitest.Response { return s.Do(t, b.Token, acceptRequest, id(r.ID)) },
			func() *apitest.Response { return s.Do(t, a.Token, cancelRequest, id(r.ID)) })
		rel := relation(t, s, a, b)
		switch {
		case codes[0] == "" && codes[1] == "CONFLICT" && rel == "FRIEND" && countRequests(t, s, a, b, "ACCEPTED") == 1:
			accepted++
		case codes[0] == "CONFLICT" && codes[1] == "" && rel == "NONE" && countRequests(t, s, a, b, "CANCELED") == 1:
			canceled++
		default:
			t.Fatalf("inconsistent: codes %v, relation %s", codes, rel)
		}
	}
	t.Logf("accept won %d times, cancel %d times", accepted, canceled)
}
