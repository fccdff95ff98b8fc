package chat_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/chat"
)

func TestUserByUsername_FindsWithoutRegardToCase(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := mustSignUp(t, h, "Nina")
	if got, err := h.UserByUsername(a.Ctx, strings.ToUpper(a.Username)); err != nil || got == nil || got.ID != a.ID {
		t.Fatalf("got %+v, %v", got, err)
	}
	if got, err := h.UserByUsername(a.Ctx, "nobody"); err != nil || got != nil {
		t.Fatalf("found a user that does not exist: %+v %v", got, err)
	}
	_, err := h.UserByUsername(context.Background(), a.Username)
	mustCode(t, err, chat.CodeUnauthenticated, "")
}

func TestSearchUsers_PagesThroughAllMatchesWithoutGapsOrDuplicates(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	viewer := mustSignUp(t, h, "viewer")
	want := map[string]bool{}
	for range 45 {
		want[mustSignUp(t, h, "pager").Username] = true
	}
	mustSignUp(t, h, "other")
	if n, err := h.CountSearchUsers(viewer.Ctx, "PAGER"); err != nil || n != 45 {
		t.Fatalf("count %d, %v", n, err)
	}
	seen := map[string]bool{}
	var after *string
	pages, last := 0, ""
	for {
		page, err := h.SearchUsers(viewer.Ctx, "PAGER", chat.PageArgs{First: new(10), After: after})
		if err != nil {
			t.Fatal(err)
		}
		if page.HasPrevious != (pages > 0) {
			t.Errorf("page %d: HasPrevious = %v", pages, page.HasPrevious)
		}
		for _, u := range page.Items {
			if seen[u.Username] || !want[u.Username] {
				t.Fatalf("unexpected or duplicate %s", u.Username)
			}
			if u.Username <= last {
				t.Fatalf("out of order: %s after %s", u.Username, last)
			}
			seen[u.Username], last = true, u.Username
		}
		pages++
		if !page.HasNext {
			break
		}
		after = &page.Cursors[len(page.Cursors)-1]
	}
	if len(seen) != 45 || pages != 5 {
		t.Fatalf("saw %d users in %d pages", len(seen), pages)
	}
}

func TestSearchUsers_MatchesDisplayNamePrefixAndSkipsDeletedUsers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := mustSignUp(t, h, "quinn"), mustSignUp(t, h, "rosa")
	_, err := h.UpdateProfile(b.Ctx, chat.UpdateProfileInput{DisplayName: new("Zed Zebra")})
	must(t, err)
	if page, err := h.SearchUsers(a.Ctx, "zed z", chat.PageArgs{}); err != nil || len(page.Items) != 1 || page.Items[0].ID != b.ID {
		t.Fatalf("got %+v, %v", page, err)
	}
	mustDeleteAccount(t, h, b)
	for _, q := range []string{"zed", "deleted", b.Username} {
		page, err := h.SearchUsers(a.Ctx, q, chat.PageArgs{})
		n, errCount := h.CountSearchUsers(a.Ctx, q)
		if err != nil || errCount != nil || len(page.Items) != 0 || n != 0 {
			t.Fatalf("%q finds a deleted user: %+v (%d), %v %v", q, page, n, err, errCount)
		}
	}
	_, err = h.SearchUsers(a.Ctx, strings.Repeat("é", 64), chat.PageArgs{}) // 64 characters, 128 bytes
	must(t, err)
	if page, err := h.SearchUsers(a.Ctx, "%", chat.PageArgs{}); err != nil || len(page.Items) != 0 {
		t.Fatalf("%% is a wildcard: %+v %v", page, err)
	}
}

func TestSearchUsers_RejectsBadPageArguments(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := mustSignUp(t, h, "sam")
	for _, c := range []struct {
		query string
		page  chat.PageArgs
		field string
	}{
		{"s", chat.PageArgs{First: new(101)}, "first"},
		{"s", chat.PageArgs{First: new(-1)}, "first"},
		{"s", chat.PageArgs{After: new("bm90IGEgY3Vyc29y")}, "after"},
		{"  ", chat.PageArgs{}, "query"},
	} {
		_, err := h.SearchUsers(a.Ctx, c.query, c.page)
		mustCode(t, err, chat.CodeInvalid, c.field)
	}
	_, err := h.SearchUsers(a.Ctx, "s", chat.PageArgs{First: new(100)})
	must(t, err)
}
