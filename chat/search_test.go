package chat_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/models"
)

// search returns the bodies u finds for query (in chatID if given), in
// the order found, failing on an error.
func search(t *testing.T, h *harness, u user, query string, chatID *int64) []string {
	t.Helper()
	n := chat.MaxPageSize
	page, err := h.SearchMessages(u.Ctx, query, chatID, chat.PageArgs{First: &n})
	if err != nil {
		t.Fatalf("search %q: %v", query, err)
	}
	return bodies(page.Items)
}

func bodies(ms []*models.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Body
	}
	return out
}

func mustFind(t *testing.T, h *harness, u user, query string, chatID *int64, want ...string) {
	t.Helper()
	if got := search(t, h, u, query, chatID); !slices.Equal(got, want) {
		t.Fatalf("%s searching %q found %q, want %q", u.Username, query, got, want)
	}
}

func TestSearchMessages_FindsOnlyWhatTheViewerMaySee(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	me := mustSignUp(t, h, "me")
	f := mustFriends(t, h, me, 2)
	befriend(t, h, f[0], f[1])
	mine := mustGroup(t, h, me, "Mine", f...)
	left := mustGroup(t, h, f[0], "Left", me)
	theirs := mustGroup(t, h, f[0], "Theirs", f[1])
	mustPost(t, h, f[0], mine.ID, "apple pie at noon")
	mustPost(t, h, f[0], left.ID, "apple cake in the chat I left")
	mustPost(t, h, f[0], theirs.ID, "apple tart in a chat I am not in")
	doomed := mustPost(t, h, me, mine.ID, "apple crumble, deleted")
	edited := mustPost(t, h, f[1], mine.ID, "banana split")
	mustPost(t, h, me, mine.ID, "pineapple is not an apple word")
	must(t, h.LeaveGroupChat(me.Ctx, left.ID))
	if _, err := h.DeleteMessage(me.Ctx, doomed.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.EditMessage(f[1].Ctx, edited.ID, "apple split now"); err != nil {
		t.Fatal(err)
	}

	mustFind(t, h, me, "apple", nil, "pineapple is not an apple word", "apple split now", "apple pie at noon")
	mustFind(t, h, me, "banana", nil)  // the edit's old text is gone
	mustFind(t, h, me, "crumble", nil) // deleted
	mustFind(t, h, me, "cake", nil)    // a chat the viewer left
	mustFind(t, h, me, "tart", nil)    // a chat the viewer is not in
	mustFind(t, h, f[1], "tart", nil, "apple tart in a chat I am not in")
	mustFind(t, h, me, "apple", &mine.ID, "pineapple is not an apple word", "apple split now", "apple pie at noon")

	for _, c := range []struct {
		name string
		ctx  context.Context
		id   int64
		code chat.Code
	}{
		{"a chat the viewer left", me.Ctx, left.ID, chat.CodeNotFound},
		{"a chat the viewer is not in", me.Ctx, theirs.ID, chat.CodeNotFound},
		{"no such chat", me.Ctx, theirs.ID + 1000, chat.CodeNotFound},
		{"anonymous", context.Background(), mine.ID, chat.CodeUnauthenticated},
	} {
		_, err := h.SearchMessages(c.ctx, "apple", &c.id, chat.PageArgs{})
		mustCode(t, err, c.code, "")
	}
}

// Members find the whole history of their chats, as they read it: a
// member invited back finds what was said while they were out.
func TestSearchMessages_AReinvitedMemberFindsTheWholeHistoryAsTheyReadIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 1)
	g := mustGroup(t, h, owner, "G", f[0])
	mustPost(t, h, owner, g.ID, "before: walrus")
	if _, err := h.RemoveFromGroupChat(owner.Ctx, g.ID, f[0].ID); err != nil {
		t.Fatal(err)
	}
	mustPost(t, h, owner, g.ID, "while out: walrus")
	mustFind(t, h, f[0], "walrus", nil)
	if _, err := h.InviteToGroupChat(owner.Ctx, g.ID, ids(f[0])); err != nil {
		t.Fatal(err)
	}
	want := bodies(history(t, h, f[0], g.ID, 10))
	slices.Reverse(want)
	mustFind(t, h, f[0], "walrus", nil, want...)
}

func TestSearchMessages_MatchesWholeWordsAndTheLastAsAPrefix(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	me := mustSignUp(t, h, "me")
	g := mustGroup(t, h, me, "G")
	for _, b := range []string{"Hello World", "helpful hints", "he said hi", "say HELLO-world to example.com, it's 3.14", "Ünïcode GRÜSSE"} {
		mustPost(t, h, me, g.ID, b)
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"hel", []string{"say HELLO-world to example.com, it's 3.14", "helpful hints", "Hello World"}},
		{"hello wor", []string{"say HELLO-world to example.com, it's 3.14", "Hello World"}},
		{"wor hello", nil}, // earlier words are whole words
		{"  HELLO,   world!  ", []string{"say HELLO-world to example.com, it's 3.14", "Hello World"}},
		{"he", []string{"he said hi"}}, // too short to be a prefix
		{"hello-wor", []string{"say HELLO-world to example.com, it's 3.14"}},
		{"example.com", []string{"say HELLO-world to example.com, it's 3.14"}},
		{"3.14", []string{"say HELLO-world to example.com, it's 3.14"}},
		{"it's", []string{"say HELLO-world to example.com, it's 3.14"}},
		{"grüsse ünï", []string{"Ünïcode GRÜSSE"}},
		{`hi & !said | (he):* \ '`, []string{"he said hi"}}, // operators are only characters
		{"nothing", nil},
	} {
		mustFind(t, h, me, c.query, nil, c.want...)
	}
}

func TestSearchMessages_PagesNewestFirstWithoutGapsOrDuplicates(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	me := mustSignUp(t, h, "me")
	f := mustFriends(t, h, me, 1)
	a, b := mustGroup(t, h, me, "A", f[0]), mustGroup(t, h, me, "B", f[0])
	var want []string
	for i := range 7 {
		chatID := []int64{a.ID, b.ID}[i%2]
		want = append(want, mustPost(t, h, f[0], chatID, "match "+strings.Repeat("x", i+1)).Body)
		mustPost(t, h, f[0], chatID, "other")
	}
	slices.Reverse(want)
	two := 2
	var got []string
	var after *string
	for {
		page, err := h.SearchMessages(me.Ctx, "match", nil, chat.PageArgs{First: &two, After: after})
		if err != nil {
			t.Fatal(err)
		}
		if page.HasPrevious != (after != nil) {
			t.Fatalf("hasPrevious %v after %v", page.HasPrevious, after)
		}
		got = append(got, bodies(page.Items)...)
		for i, m := range page.Items {
			if page.Cursors[i] != chat.MessageCursor(m) {
				t.Fatalf("edge cursor %q is not the message's cursor %q", page.Cursors[i], chat.MessageCursor(m))
			}
		}
		if !page.HasNext {
			break
		}
		after = &page.Cursors[len(page.Cursors)-1]
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged %q, want %q", got, want)
	}
}

func TestSearchMessages_RefusesBadInputNamingTheField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	me := mustSignUp(t, h, "me")
	f := mustFriends(t, h, me, 1)
	a, b := mustGroup(t, h, me, "A", f[0]), mustGroup(t, h, f[0], "B")
	inA := chat.MessageCursor(mustPost(t, h, me, a.ID, "word"))
	notMine := chat.MessageCursor(mustPost(t, h, f[0], b.ID, "word"))
	missing := chat.MessageCursor(&models.Message{ChatID: a.ID, Seq: 1000})
	big, neg, bad := chat.MaxPageSize+1, -1, "not a cursor"
	for _, c := range []struct {
		name, query string
		chatID      *int64
		page        chat.PageArgs
		field       string
	}{
		{"an empty query", "", nil, chat.PageArgs{}, "query"},
		{"white space", " \t\n ", nil, chat.PageArgs{}, "query"},
		{"punctuation only", "?! ... --- &|:*()'", nil, chat.PageArgs{}, "query"},
		{"a NUL", "\x00", nil, chat.PageArgs{}, "query"},
		{"too long", strings.Repeat("a ", chat.MaxSearchLength/2) + "b", nil, chat.PageArgs{}, "query"},
		{"first too large", "word", nil, chat.PageArgs{First: &big}, "first"},
		{"first negative", "word", nil, chat.PageArgs{First: &neg}, "first"},
		{"a malformed cursor", "word", nil, chat.PageArgs{After: &bad}, "after"},
		{"a cursor of a chat the viewer is not in", "word", nil, chat.PageArgs{After: &notMine}, "after"},
		{"a cursor of no message", "word", nil, chat.PageArgs{After: &missing}, "after"},
		{"a cursor of another chat than chatId", "word", &b.ID, chat.PageArgs{After: &inA}, "after"},
	} {
		viewer := me
		if c.chatID != nil {
			viewer = f[0]
		}
		_, err := h.SearchMessages(viewer.Ctx, c.query, c.chatID, c.page)
		if chat.ErrorCode(err) != chat.CodeInvalid {
			t.Fatalf("%s: %v", c.name, err)
		}
		mustCode(t, err, chat.CodeInvalid, c.field)
	}
	mustFind(t, h, me, strings.Repeat("a ", chat.MaxSearchLength/2-2)+"word", nil)
}

// Whatever a user types, PostgreSQL gets a valid query: it is answered or
// refused as BAD_USER_INPUT, never an internal error.
func TestSearchMessages_OddTextIsSearchedOrRefusedNeverAnError(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	me := mustSignUp(t, h, "me")
	g := mustGroup(t, h, me, "G")
	mustPost(t, h, me, g.ID, `odd: it's a\b 'quoted' :* & | ! <-> (x) 👨‍👩‍👧 ‮evil‬ 日本語`)
	for _, q := range []string{`'`, `''`, `\`, `a\`, `\'`, `it's`, `'quoted'`, `a'':*`, `x' | 'y`, `a:*`, `a:A`, `a<->b`, `a <-> b`,
		"!a", "(a", "a)", "a\x00b", "\xff\xfeodd", "a\u202eevil", "👨\u200d👩\u200d👧", "日本", "e\u0301", "\u0301x", "x\u0301",
		strings.Repeat("é", chat.MaxSearchLength), strings.Repeat("x", 2100), "odd 日本語:*", "a\\b", "odd:*"} {
		n := 5
		_, err := h.SearchMessages(me.Ctx, q, nil, chat.PageArgs{First: &n})
		if err != nil {
			mustCode(t, err, chat.CodeInvalid, "query")
		}
	}
	mustFind(t, h, me, `it's a\b`, &g.ID, `odd: it's a\b 'quoted' :* & | ! <-> (x) 👨‍👩‍👧 ‮evil‬ 日本語`)
}
