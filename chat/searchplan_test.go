package chat_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/chat"
)

// The window (the viewer's newest messages, filtered by the match) and the
// search index give the same pages, cursors and page info for every query,
// chat, page size and after cursor, on data with deleted and edited
// messages, a chat the viewer left, one they were never in, an empty one
// and more chats than the window reads. The window is made small, so
// that pages fall inside it, past it and across its edge; the test
// checks that each of those happened.
func TestSearchMessages_TheWindowAndTheIndexGiveTheSamePages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	me := mustSignUp(t, h, "me")
	f := mustFriends(t, h, me, 2)
	befriend(t, h, f[0], f[1])
	var chats []int64
	for i := range 5 {
		chats = append(chats, mustGroup(t, h, f[i%2], fmt.Sprint("G", i), me, f[(i+1)%2]).ID)
	}
	left := mustGroup(t, h, f[0], "Left", me, f[1]).ID
	theirs := mustGroup(t, h, f[0], "Theirs", f[1]).ID
	mustGroup(t, h, me, "Empty", f[0])
	rnd := rand.New(rand.NewPCG(1, 2))
	words := []struct {
		word string
		p    float64
	}{{"apple", 0.8}, {"banana", 0.3}, {"cherry", 0.06}, {"date", 0.2}, {"data", 0.1}}
	var posted []int64
	sender := map[int64]user{}
	for i := range 150 {
		chatID := chats[rnd.IntN(len(chats))]
		switch {
		case i%15 == 0:
			chatID = left
		case i%17 == 0:
			chatID = theirs
		case i < 40 && i%2 == 0:
			chatID = chats[0] // a busy chat early on, quiet later
		}
		var body []string
		for _, w := range words {
			if rnd.Float64() < w.p {
				body = append(body, w.word)
			}
		}
		body = append(body, fmt.Sprint("n", i))
		u := f[rnd.IntN(2)]
		m := mustPost(t, h, u, chatID, strings.Join(body, " "))
		posted, sender[m.ID] = append(posted, m.ID), u
	}
	for i, id := range posted {
		switch i % 11 {
		case 3:
			if _, err := h.DeleteMessage(sender[id].Ctx, id); err != nil {
				t.Fatal(err)
			}
		case 5:
			if _, err := h.EditMessage(sender[id].Ctx, id, fmt.Sprint("edited cherry banana e", i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	must(t, h.LeaveGroupChat(me.Ctx, left))

	window := chat.SearchPlan{Rows: 24, Chats: 3}
	var answered, fellBack, straddled int
	scopes := append([]*int64{nil}, func() (out []*int64) {
		for i := range chats {
			out = append(out, &chats[i])
		}
		return
	}()...)
	for _, query := range []string{"apple", "banana", "cherry", "dat", "apple ban", "edited", "n5", "nothing"} {
		for _, scope := range scopes {
			for _, size := range []int{1, 4, 20} {
				var after *string
				inWindow := false
				for pages := 0; ; pages++ {
					if pages > 200 {
						t.Fatalf("%q: no end", query)
					}
					args := chat.PageArgs{First: &size, After: after}
					index := window
					index.Strategy = chat.SearchIndexOnly
					want, err := h.SearchMessagesWith(me.Ctx, index, query, scope, args)
					if err != nil {
						t.Fatal(err)
					}
					window.Strategy = chat.SearchRecentFirst
					got, err := h.SearchMessagesWith(me.Ctx, window, query, scope, args)
					if err != nil {
						t.Fatal(err)
					}
					where := fmt.Sprintf("%q in %v, first %d after %v", query, scope, size, after)
					if !slices.Equal(got.Cursors, want.Cursors) || !slices.Equal(bodies(got.Items), bodies(want.Items)) ||
						got.HasNext != want.HasNext || got.HasPrevious != want.HasPrevious {
						t.Fatalf("%s: the window and the index differ:\n%q %v\n%q %v", where,
							bodies(got.Items), got.HasNext, bodies(want.Items), want.HasNext)
					}
					window.Strategy = chat.SearchRecentOnly
					alone, err := h.SearchMessagesWith(me.Ctx, window, query, scope, args)
					switch {
					case errors.Is(err, chat.ErrWindowTooSmall):
						fellBack++
						if inWindow {
							straddled++ // the previous page came from the window, this one not
						}
						inWindow = false
					case err != nil:
						t.Fatal(err)
					case !slices.Equal(alone.Cursors, want.Cursors):
						t.Fatalf("%s: the window alone found %q, want %q", where, bodies(alone.Items), bodies(want.Items))
					default:
						answered++
						inWindow = true
					}
					if !want.HasNext {
						break
					}
					after = &want.Cursors[len(want.Cursors)-1]
				}
			}
		}
	}
	t.Logf("pages from the window %d, from the index %d, across its edge %d", answered, fellBack, straddled)
	if answered == 0 || fellBack == 0 || straddled == 0 {
		t.Fatal("the data did not exercise both plans and the edge between them")
	}
	// What the window finds is what the viewer may see.
	for _, q := range []string{"n15", "n17", "n3", "n5"} { // in the chat left, the chat never in, deleted, edited
		mustFind(t, h, me, q, nil)
	}
}

// A query's share of messages is its rarest word's, a prefix counting
// every listed lexeme it begins; a word not listed is rare.
func TestSearchShare_IsTheRarestWordsShare(t *testing.T) {
	shares := map[string]float64{"common": 0.9, "comma": 0.05, "commute": 0.04, "x42": 0.0106, "w1": 0.001}
	for query, want := range map[string]float64{
		"common":          0.9,
		"COMMON":          0.9,
		"comm":            0.99, // the prefix: common, comma, commute
		"x42 comm":        0.0106,
		"common w1":       0.001,
		"common unlisted": 0,
		"co":              0, // too short to be a prefix, and no word
		"  ":              0,
	} {
		if got := chat.SearchShare(shares, query); got < want-1e-9 || got > want+1e-9 {
			t.Errorf("%q: %v, want %v", query, got, want)
		}
	}
	if got := chat.SearchShare(nil, "common"); got != 0 {
		t.Errorf("without statistics: %v, want 0 (the index)", got)
	}
}
