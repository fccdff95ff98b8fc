package chat_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/models"
)

// reactionsOf returns the reactions to message id as u sees them.
func reactionsOf(t *testing.T, h *harness, u user, id int64) []models.ReactionGroup {
	t.Helper()
	rs, err := h.Reactions(u.Ctx, []int64{id})
	must(t, err)
	return rs[0]
}

// mustReact makes u react to message id with emoji.
func mustReact(t *testing.T, h *harness, u user, id int64, emoji string) {
	t.Helper()
	_, err := h.AddReaction(u.Ctx, id, emoji)
	must(t, err)
}

// summary writes reaction groups as "emoji:user,user emoji:user".
func summary(gs []models.ReactionGroup, names map[int64]string) string {
	out := ""
	for _, g := range gs {
		out += " " + g.Emoji + ":"
		for i, id := range g.UserIDs {
			if i > 0 {
				out += ","
			}
			out += names[id]
		}
	}
	return out
}

func TestAddReaction_OncePerUserPerEmojiAndRemoveTakesItBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 1)
	g := mustGroup(t, h, owner, "G", f[0])
	m := mustPost(t, h, owner, g.ID, "hi")
	pos := lastPos(t, h, g.ID)
	mustReact(t, h, f[0], m.ID, "👍")
	mustReact(t, h, f[0], m.ID, "👍") // again: nothing changes
	mustLog(t, h, g.ID, pos, m, f[0], models.EventReactionsChanged)
	if got := reactionsOf(t, h, owner, m.ID); len(got) != 1 || !slices.Equal(got[0].UserIDs, []int64{f[0].ID}) {
		t.Fatalf("reactions %+v", got)
	}
	_, err := h.RemoveReaction(f[0].Ctx, m.ID, "👍")
	must(t, err)
	_, err = h.RemoveReaction(f[0].Ctx, m.ID, "👍") // none left: nothing changes
	must(t, err)
	mustLog(t, h, g.ID, pos, m, f[0], models.EventReactionsChanged, models.EventReactionsChanged)
	if got := reactionsOf(t, h, owner, m.ID); len(got) != 0 {
		t.Fatalf("reactions %+v", got)
	}
}

func TestReactions_MostUsedFirstAndAmongEqualsTheFirstReactedWith(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := mustSignUp(t, h, "a")
	f := mustFriends(t, h, a, 2)
	b, c := f[0], f[1]
	names := map[int64]string{a.ID: "a", b.ID: "b", c.ID: "c"}
	g := mustGroup(t, h, a, "G", b, c)
	m := mustPost(t, h, a, g.ID, "news")
	for _, step := range []struct {
		who   user
		emoji string
		want  string
	}{
		{a, "👍", " 👍:a"},
		{b, "🎉", " 👍:a 🎉:b"},
		{c, "🎉", " 🎉:b,c 👍:a"},
		{a, "😀", " 🎉:b,c 👍:a 😀:a"},
		{c, "😀", " 🎉:b,c 😀:a,c 👍:a"},
		{a, "🎉", " 🎉:b,c,a 😀:a,c 👍:a"},
	} {
		mustReact(t, h, step.who, m.ID, step.emoji)
		if got := summary(reactionsOf(t, h, b, m.ID), names); got != step.want {
			t.Fatalf("after %s's %s: %q, want %q", names[step.who.ID], step.emoji, got, step.want)
		}
	}
	// The streams' reader sees the same, without a viewer.
	all, err := h.ReactionsOf(context.Background(), []int64{m.ID, m.ID + 1000})
	must(t, err)
	if got := summary(all[m.ID], names); got != " 🎉:b,c,a 😀:a,c 👍:a" || all[m.ID+1000] == nil || len(all[m.ID+1000]) != 0 {
		t.Fatalf("ReactionsOf %q, %#v", got, all)
	}
}

func TestReactions_OnlyMembersSeeThemOrReact(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	g := mustGroup(t, h, owner, "G")
	m := mustPost(t, h, owner, g.ID, "private")
	mustReact(t, h, owner, m.ID, "🔒")
	stranger := mustSignUp(t, h, "x")
	if got := reactionsOf(t, h, stranger, m.ID); len(got) != 0 {
		t.Fatalf("a stranger sees %+v", got)
	}
	_, err := h.AddReaction(stranger.Ctx, m.ID, "👀")
	mustCode(t, err, chat.CodeNotFound, "")
	_, err = h.RemoveReaction(stranger.Ctx, m.ID, "🔒")
	mustCode(t, err, chat.CodeNotFound, "")
	_, err = h.AddReaction(context.Background(), m.ID, "👀")
	mustCode(t, err, chat.CodeUnauthenticated, "")
	if got := reactionsOf(t, h, owner, m.ID); len(got) != 1 || len(got[0].UserIDs) != 1 {
		t.Fatalf("reactions %+v", got)
	}
}

func TestAddReaction_AnEmojiIsAnEmojiSequenceStoredFullyQualified(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	g := mustGroup(t, h, owner, "G")
	m := mustPost(t, h, owner, g.ID, "react")
	pos := lastPos(t, h, g.ID)
	for _, bad := range []string{
		"", " ", "a", "lol", "1", "#", "42", "👍 ", " 👍", "\u200d", "👍\u200d", "\ufe0f", "🇫", // text, digits, stray joiners and halves
		"🏻",                     // a skin tone alone
		"❤\ufe0e",               // asked to show as text
		"👍👍👍👍👍👍👍👍👍",             // nine
		"🏴\U000E0067\U000E0062", // a tag sequence without its end
		"\xff",
	} {
		_, err := h.AddReaction(owner.Ctx, m.ID, bad)
		mustCode(t, err, chat.CodeInvalid, "emoji")
	}
	mustLog(t, h, g.ID, pos, m, owner)
	mustNoReactions(t, h, m.ID)
	for sent, stored := range map[string]string{
		"❤":               "❤\ufe0f", // shows as text without FE0F: gets it
		"👍\ufe0f":         "👍",       // shows as emoji anyway: FE0F dropped
		"👍🏽":              "👍🏽",
		"1⃣":              "1\ufe0f\u20e3",
		"🇫🇷":              "🇫🇷",
		"🏴󠁧󠁢󠁳󠁣󠁴󠁿":         "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
		"👨\u200d👩\u200d👧": "👨\u200d👩\u200d👧",
		"🏳\u200d🌈":        "🏳\ufe0f\u200d🌈",
		"👍👍👍👍👍👍👍👍":        "👍👍👍👍👍👍👍👍",
		"™":               "™\ufe0f",
		"\U0001FAE9":      "\U0001FAE9", // newer than our tables (Unicode 16): as sent
	} {
		mustReact(t, h, owner, m.ID, sent)
		if !slices.ContainsFunc(reactionsOf(t, h, owner, m.ID), func(g models.ReactionGroup) bool { return g.Emoji == stored }) {
			t.Fatalf("%+q: %+q not stored", sent, stored)
		}
	}
	// Both forms of the heart are one reaction, and take it back.
	f := mustFriends(t, h, owner, 1)
	_, err := h.InviteToGroupChat(owner.Ctx, g.ID, ids(f[0]))
	must(t, err)
	mustReact(t, h, f[0], m.ID, "❤\ufe0f")
	_, err = h.RemoveReaction(owner.Ctx, m.ID, "❤")
	must(t, err)
	for _, gr := range reactionsOf(t, h, owner, m.ID) {
		if gr.Emoji == "❤\ufe0f" && !slices.Equal(gr.UserIDs, []int64{f[0].ID}) {
			t.Fatalf("heart %+v", gr)
		}
	}
}

func TestAddReaction_AMessageHasAtMostMaxReactionKinds(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 1)
	g := mustGroup(t, h, owner, "G", f[0])
	m := mustPost(t, h, owner, g.ID, "vote")
	for i := range chat.MaxReactionKinds {
		mustReact(t, h, owner, m.ID, string(rune(0x1F600+i)))
	}
	pos := lastPos(t, h, g.ID)
	_, err := h.AddReaction(f[0].Ctx, m.ID, "🚀")
	mustCode(t, err, chat.CodeInvalid, "emoji")
	mustLog(t, h, g.ID, pos, m, f[0])
	mustReact(t, h, f[0], m.ID, "😀") // one already there
	if got := reactionsOf(t, h, owner, m.ID); len(got) != chat.MaxReactionKinds || len(got[0].UserIDs) != 2 {
		t.Fatalf("%d kinds, first %+v", len(got), got[0])
	}
}

func TestReactionUsers_PagesInReactionOrderAndSurvivesATakenBackCursor(t *testing.T) {
	t.Parallel()
	g := models.ReactionGroup{Emoji: "👍", UserIDs: []int64{5, 3, 9, 1, 7}}
	pages := func(g models.ReactionGroup, first int, after *string) (*chat.Page[int64], error) {
		return chat.ReactionUsers(42, g, chat.PageArgs{First: &first, After: after})
	}
	var seen []int64
	var after *string
	for {
		p, err := pages(g, 2, after)
		must(t, err)
		seen = append(seen, p.Items...)
		if !p.HasNext {
			break
		}
		after = &p.Cursors[len(p.Cursors)-1]
	}
	if fmt.Sprint(seen) != fmt.Sprint(g.UserIDs) {
		t.Fatalf("paged %v", seen)
	}
	first, err := pages(g, 2, nil)
	must(t, err)
	// User 3, the cursor's, takes their reaction back: the next page still starts at 9.
	shrunk := models.ReactionGroup{Emoji: "👍", UserIDs: []int64{5, 9, 1, 7}}
	next, err := pages(shrunk, 2, &first.Cursors[1])
	must(t, err)
	if fmt.Sprint(next.Items) != "[9 1]" || !next.HasPrevious || !next.HasNext {
		t.Fatalf("next page %+v", next)
	}
	_, err = pages(models.ReactionGroup{Emoji: "🎉", UserIDs: g.UserIDs}, 2, &first.Cursors[1])
	mustCode(t, err, chat.CodeInvalid, "after")
	_, err = chat.ReactionUsers(43, g, chat.PageArgs{After: &first.Cursors[1]})
	mustCode(t, err, chat.CodeInvalid, "after")
}
