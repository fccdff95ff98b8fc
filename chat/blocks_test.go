package chat_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/models"
)

// mustBlock makes blocker block blocked.
func mustBlock(t *testing.T, h *harness, blocker, blocked user) {
	t.Helper()
	if _, err := h.BlockUser(blocker.Ctx, blocked.ID); err != nil {
		t.Fatal(err)
	}
}

// mustFriendsChanges opens u's friendsChanged stream.
func mustFriendsChanges(t *testing.T, h *harness, u user) <-chan chat.FriendsChange {
	t.Helper()
	ctx, cancel := context.WithCancel(u.Ctx)
	t.Cleanup(cancel)
	ch, err := chat.FriendsChangesAs(ctx, h.Service, func(c chat.FriendsChange) chat.FriendsChange { return c }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// nextChange fails unless the next change of a stream is about other and says friends.
func nextChange(t *testing.T, ch <-chan chat.FriendsChange, other user, friends bool) {
	t.Helper()
	if got := next(t, ch); got.User.ID != other.ID || got.Friends != friends {
		t.Fatalf("change %d %v, want %d %v", got.User.ID, got.Friends, other.ID, friends)
	}
}

// sameError fails unless two refusals look the same to a client.
func sameError(t *testing.T, what string, got, want error) {
	t.Helper()
	if got == nil || want == nil || chat.ErrorCode(got) != chat.ErrorCode(want) || got.Error() != want.Error() {
		t.Fatalf("%s: %v, want the same as %v", what, got, want)
	}
}

func TestBlockUser_EndsTheFriendshipAndSettlesRequestsBothWays(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, friend, asked, asker := mustSignUp(t, h, "ba"), mustSignUp(t, h, "bf"), mustSignUp(t, h, "bq"), mustSignUp(t, h, "br")
	befriend(t, h, a, friend)
	sent, received := mustSendRequest(t, h, a, asked), mustSendRequest(t, h, asker, a)
	fa, ff := mustFriendsChanges(t, h, a), mustFriendsChanges(t, h, friend)
	ra, rq, rr := mustRequestEvents(t, h, a, events.FriendRequestUpdated), mustRequestEvents(t, h, asked, events.FriendRequestUpdated),
		mustRequestEvents(t, h, asker, events.FriendRequestUpdated)
	for _, u := range []user{friend, asked, asker} {
		mustBlock(t, h, a, u)
	}
	nextChange(t, fa, friend, false)
	nextChange(t, ff, a, false)
	for _, u := range []user{friend, asked, asker} {
		if got, back := relation(t, h, a, u), relation(t, h, u, a); got != chat.FriendshipNone || back != chat.FriendshipNone {
			t.Errorf("after the block: %s and %s", got, back)
		}
	}
	// The blocker's own request is withdrawn; the blocked user's request
	// to them is declined, as any could be: no cancel they did not make.
	want := map[int64]models.FriendRequestStatus{sent.ID: models.RequestCanceled, received.ID: models.RequestRejected}
	for range want {
		if got := next(t, ra); got.Status != want[got.ID] {
			t.Fatalf("blocker's event %+v, want %v", got, want)
		}
	}
	for stream, req := range map[<-chan *models.FriendRequest]*models.FriendRequest{rq: sent, rr: received} {
		if got := next(t, stream); got.ID != req.ID || got.Status != want[req.ID] {
			t.Fatalf("other party's event %+v, want %d %s", got, req.ID, want[req.ID])
		}
	}
}

func TestBlockUser_BlockedUserIsRefusedAsIfTheBlockerDidNotExist(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	blocker, blocked, stranger, exFriend := mustSignUp(t, h, "bk"), mustSignUp(t, h, "bd"), mustSignUp(t, h, "bs"), mustSignUp(t, h, "bx")
	befriend(t, h, blocker, blocked)
	befriend(t, h, blocker, exFriend)
	dm, err := h.OpenPrivateChat(blocked.Ctx, blocker.ID)
	must(t, err)
	exDM, err := h.OpenPrivateChat(exFriend.Ctx, blocker.ID)
	must(t, err)
	_, err = h.RemoveFriend(blocker.Ctx, exFriend.ID)
	must(t, err)
	mustBlock(t, h, blocker, blocked)

	_, got := h.SendFriendRequest(blocked.Ctx, blocker.ID)
	_, want := h.SendFriendRequest(blocked.Ctx, 987654)
	sameError(t, "friend request", got, want)
	_, got = h.OpenPrivateChat(blocked.Ctx, blocker.ID)
	_, want = h.OpenPrivateChat(stranger.Ctx, blocker.ID)
	sameError(t, "opening the private chat", got, want)
	_, got = h.PostMessage(blocked.Ctx, chat.PostMessageInput{ChatID: dm.ID, Body: "hello?"})
	_, want = h.PostMessage(exFriend.Ctx, chat.PostMessageInput{ChatID: exDM.ID, Body: "hello?"})
	sameError(t, "posting in the private chat", got, want)
	got = h.SetTyping(blocked.Ctx, dm.ID, true)
	sameError(t, "typing in the private chat", got, want)
	sameError(t, "an ex-friend typing in the private chat", h.SetTyping(exFriend.Ctx, exDM.ID, true), want)
	_, got = h.CreateGroupChat(blocked.Ctx, "g", []int64{blocker.ID})
	_, want = h.CreateGroupChat(stranger.Ctx, "g", []int64{blocker.ID})
	sameError(t, "adding to a group", got, want)

	u, err := h.UserByUsername(blocked.Ctx, blocker.Username)
	if err != nil || u != nil {
		t.Fatalf("by username: %+v %v", u, err)
	}
	page, err := h.SearchUsers(blocked.Ctx, blocker.Username, chat.PageArgs{})
	must(t, err)
	n, err := h.CountSearchUsers(blocked.Ctx, blocker.Username)
	must(t, err)
	if len(page.Items) != 0 || n != 0 {
		t.Fatalf("search found %d (count %d)", len(page.Items), n)
	}
	// Anyone else still finds the blocker.
	if u, err := h.UserByUsername(stranger.Ctx, blocker.Username); err != nil || u == nil {
		t.Fatalf("a stranger by username: %+v %v", u, err)
	}
}

func TestBlockUser_BlockerIsRefusedButStillFindsThem(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	blocker, blocked := mustSignUp(t, h, "ck"), mustSignUp(t, h, "cd")
	befriend(t, h, blocker, blocked)
	dm, err := h.OpenPrivateChat(blocker.Ctx, blocked.ID)
	must(t, err)
	mustBlock(t, h, blocker, blocked)
	_, err = h.SendFriendRequest(blocker.Ctx, blocked.ID)
	mustCode(t, err, chat.CodeForbidden, "")
	_, err = h.OpenPrivateChat(blocker.Ctx, blocked.ID)
	mustCode(t, err, chat.CodeForbidden, "")
	_, err = h.PostMessage(blocker.Ctx, chat.PostMessageInput{ChatID: dm.ID, Body: "one more thing"})
	mustCode(t, err, chat.CodeForbidden, "")
	// Blocked both ways, the blocker hears of their own block only.
	mustBlock(t, h, blocked, blocker)
	_, err = h.SendFriendRequest(blocker.Ctx, blocked.ID)
	mustCode(t, err, chat.CodeForbidden, "")
	_, err = h.SendFriendRequest(blocked.Ctx, blocker.ID)
	mustCode(t, err, chat.CodeForbidden, "")

	page, err := h.SearchUsers(blocker.Ctx, blocked.Username, chat.PageArgs{})
	must(t, err)
	if len(page.Items) != 0 { // blocked both ways now: each was blocked by the other
		t.Fatalf("search found %d", len(page.Items))
	}
	_, err = h.UnblockUser(blocked.Ctx, blocker.ID)
	must(t, err)
	if page, err = h.SearchUsers(blocker.Ctx, blocked.Username, chat.PageArgs{}); err != nil || len(page.Items) != 1 {
		t.Fatalf("the blocker's search: %v %v", page, err)
	}
	flags, err := h.BlockedByViewer(blocker.Ctx, []int64{blocked.ID, blocker.ID})
	must(t, err)
	back, err := h.BlockedByViewer(blocked.Ctx, []int64{blocker.ID})
	must(t, err)
	anon, err := h.BlockedByViewer(context.Background(), []int64{blocked.ID})
	must(t, err)
	if !slices.Equal(flags, []bool{true, false}) || back[0] || anon[0] {
		t.Fatalf("viewerBlocked: blocker %v, blocked %v, anonymous %v", flags, back, anon)
	}
}

func TestBlockUser_BothStayInSharedGroups(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "go")
	f := mustFriends(t, h, owner, 2)
	g := mustGroup(t, h, owner, "together", f...)
	mustBlock(t, h, f[0], f[1])
	mustPost(t, h, f[1], g.ID, "still here")
	mustPost(t, h, f[0], g.ID, "me too")
	if n := memberCount(t, h, f[0], g.ID); n != 3 {
		t.Fatalf("%d members", n)
	}
}

func TestBlockUser_RefusesSelfTheMissingAndAnonymous(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, gone := mustSignUp(t, h, "da"), mustSignUp(t, h, "dg")
	mustDeleteAccount(t, h, gone)
	for _, change := range []func(context.Context, int64) (*models.User, error){h.BlockUser, h.UnblockUser} {
		for _, c := range []struct {
			why   string
			ctx   context.Context
			id    int64
			code  chat.Code
			field string
		}{
			{"oneself", a.Ctx, a.ID, chat.CodeInvalid, "userId"},
			{"a deleted user", a.Ctx, gone.ID, chat.CodeNotFound, ""},
			{"no such user", a.Ctx, 987654, chat.CodeNotFound, ""},
			{"anonymous", context.Background(), a.ID, chat.CodeUnauthenticated, ""},
		} {
			_, err := change(c.ctx, c.id)
			mustCode(t, err, c.code, c.field)
		}
	}
}

func TestBlockUser_TwiceIsFineAndUnblockingTwiceToo(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := mustSignUp(t, h, "ea"), mustSignUp(t, h, "eb")
	mustBlock(t, h, a, b)
	u, err := h.BlockUser(a.Ctx, b.ID)
	if err != nil || u.ID != b.ID {
		t.Fatalf("blocking again: %+v %v", u, err)
	}
	if n, err := h.CountBlockedUsers(a.Ctx, a.ID); err != nil || n != 1 {
		t.Fatalf("%d blocked, %v", n, err)
	}
	for range 2 {
		if u, err := h.UnblockUser(a.Ctx, b.ID); err != nil || u.ID != b.ID {
			t.Fatalf("unblocking: %+v %v", u, err)
		}
	}
	if n, err := h.CountBlockedUsers(a.Ctx, a.ID); err != nil || n != 0 {
		t.Fatalf("%d blocked, %v", n, err)
	}
}

func TestUnblockUser_RestoresNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := mustSignUp(t, h, "ua"), mustSignUp(t, h, "ub")
	befriend(t, h, a, b)
	r := mustSendRequest(t, h, a, mustSignUp(t, h, "uc"))
	mustBlock(t, h, a, b)
	_, err := h.UnblockUser(a.Ctx, b.ID)
	must(t, err)
	if rel := relation(t, h, a, b); rel != chat.FriendshipNone {
		t.Fatalf("after unblocking: %s", rel)
	}
	reqs, err := h.FriendRequestsByIDs(a.Ctx, []int64{r.ID})
	must(t, err)
	if !reqs[0].Status.Pending() {
		t.Fatalf("an unrelated request changed: %+v", reqs[0])
	}
	// Either may ask again, as strangers do.
	befriend(t, h, b, a)
}

func TestBlockedUsers_PagesTheLatestFirstForTheViewerOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, other := mustSignUp(t, h, "pa"), mustSignUp(t, h, "po")
	var blocked []int64
	for range 3 {
		b := mustSignUp(t, h, "pb")
		mustBlock(t, h, a, b)
		blocked = append([]int64{b.ID}, blocked...)
	}
	two := 2
	p1, err := h.BlockedUsers(a.Ctx, a.ID, chat.PageArgs{First: &two})
	must(t, err)
	p2, err := h.BlockedUsers(a.Ctx, a.ID, chat.PageArgs{First: &two, After: &p1.Cursors[1]})
	must(t, err)
	var got []int64
	for _, u := range append(p1.Items, p2.Items...) {
		got = append(got, u.ID)
	}
	if !slices.Equal(got, blocked) || !p1.HasNext || p2.HasNext || !p2.HasPrevious {
		t.Fatalf("pages %v (next %v, %v), want %v", got, p1.HasNext, p2.HasNext, blocked)
	}
	_, err = h.BlockedUsers(other.Ctx, a.ID, chat.PageArgs{})
	mustCode(t, err, chat.CodeForbidden, "")
	_, err = h.CountBlockedUsers(other.Ctx, a.ID)
	mustCode(t, err, chat.CodeForbidden, "")
	bad := "nonsense"
	_, err = h.BlockedUsers(a.Ctx, a.ID, chat.PageArgs{After: &bad})
	mustCode(t, err, chat.CodeInvalid, "after")
}

func TestDeleteAccount_ForgetsTheBlocksBothWays(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b, c := mustSignUp(t, h, "fa"), mustSignUp(t, h, "fb"), mustSignUp(t, h, "fc")
	mustBlock(t, h, a, b)
	mustBlock(t, h, c, a)
	mustDeleteAccount(t, h, a)
	if n, err := h.CountBlockedUsers(c.Ctx, c.ID); err != nil || n != 0 {
		t.Fatalf("c still lists %d blocked, %v", n, err)
	}
	var n int64
	must(t, h.DB.Model(&models.UserBlock{}).Count(&n).Error)
	if n != 0 {
		t.Fatalf("%d blocks left", n)
	}
}

func TestBlockedEitherWay_AndTheQueryConditionSeeBothDirections(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b, c, d := mustSignUp(t, h, "ha"), mustSignUp(t, h, "hb"), mustSignUp(t, h, "hc"), mustSignUp(t, h, "hd")
	mustBlock(t, h, a, b)
	mustBlock(t, h, c, a)
	for _, pair := range []struct {
		x, y user
		want bool
	}{{a, b, true}, {b, a, true}, {a, c, true}, {c, a, true}, {a, d, false}, {b, c, false}} {
		if got, err := chat.BlockedEitherWay(h.DB, pair.x.ID, pair.y.ID); err != nil || got != pair.want {
			t.Errorf("%s and %s: %v %v", pair.x.Username, pair.y.Username, got, err)
		}
	}
	got, err := chat.UsersNotBlockedWith(h.DB, a.ID, ids(a, b, c, d))
	must(t, err)
	if !slices.Equal(got, ids(a, d)) {
		t.Fatalf("not blocked with a: %v", got)
	}
}

func TestBlockUser_RacingAnAcceptLeavesThemStrangers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for range 5 {
		a, b := mustSignUp(t, h, "ra"), mustSignUp(t, h, "rb")
		r := mustSendRequest(t, h, a, b)
		race(func() error { _, err := h.AcceptFriendRequest(b.Ctx, r.ID); return err },
			func() error { _, err := h.BlockUser(a.Ctx, b.ID); return err })
		if rel := relation(t, h, a, b); rel != chat.FriendshipNone {
			t.Fatalf("after the race: %s", rel)
		}
	}
}

func TestFriendsChanges_BothHearOfAFriendshipBeginningAndEndingAndOthersNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b, c := mustSignUp(t, h, "ga"), mustSignUp(t, h, "gb"), mustSignUp(t, h, "gc")
	sa, sa2, sb, sc := mustFriendsChanges(t, h, a), mustFriendsChanges(t, h, a), mustFriendsChanges(t, h, b), mustFriendsChanges(t, h, c)
	befriend(t, h, a, b)
	_, err := h.RemoveFriend(b.Ctx, a.ID)
	must(t, err)
	for _, s := range []<-chan chat.FriendsChange{sa, sa2} {
		nextChange(t, s, b, true)
		nextChange(t, s, b, false)
	}
	nextChange(t, sb, a, true)
	nextChange(t, sb, a, false)
	quiet(t, sc, 200*time.Millisecond)
	// The quiet stream was live: c's own friendship arrives.
	befriend(t, h, c, a)
	nextChange(t, sc, a, true)
	nextChange(t, sa, c, true)
	// An account deletion ends it too.
	mustDeleteAccount(t, h, a)
	nextChange(t, sc, a, false)
}

func TestFriendsChanges_CrossInstances(t *testing.T) {
	eachBus(t, func(t *testing.T, kind string) {
		in := newInstances(t, kind)
		a, b := mustSignUp(t, in[0], "ia"), mustSignUp(t, in[0], "ib")
		sa, sb := mustFriendsChanges(t, in[0], a), mustFriendsChanges(t, in[1], b)
		befriend(t, in[1], a, b)
		mustBlock(t, in[1], b, a)
		nextChange(t, sa, b, true)
		nextChange(t, sa, b, false)
		nextChange(t, sb, a, true)
		nextChange(t, sb, a, false)
	})
}
