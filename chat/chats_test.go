package chat_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/models"
)

func TestCreateGroupChat_RefusesStrangersBadNamesAndTooManyMembers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner, stranger := mustSignUp(t, h, "own"), mustSignUp(t, h, "str")
	f := mustFriends(t, h, owner, 1)
	_, err := h.CreateGroupChat(owner.Ctx, "x", ids(f[0], stranger))
	mustCode(t, err, chat.CodeForbidden, "")
	for _, name := range []string{"", "   ", strings.Repeat("n", 101)} {
		_, err := h.CreateGroupChat(owner.Ctx, name, nil)
		mustCode(t, err, chat.CodeInvalid, "name")
	}
	many := make([]int64, 1000)
	for i := range many {
		many[i] = int64(1000 + i)
	}
	_, err = h.CreateGroupChat(owner.Ctx, "big", many)
	mustCode(t, err, chat.CodeInvalid, "memberIds")
	var n int64
	must(t, h.DB.Table("chats").Count(&n).Error)
	if n != 0 {
		t.Fatalf("%d chats left behind", n)
	}
}

func TestInviteToGroupChat_AddsFriendsWhoSeeTheHistory(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 3)
	g := mustGroup(t, h, owner, "G", f[0])
	mustPost(t, h, owner, g.ID, "before you came")
	_, err := h.InviteToGroupChat(f[0].Ctx, g.ID, ids(owner)) // already in: ignored
	must(t, err)
	_, err = h.InviteToGroupChat(owner.Ctx, g.ID, ids(f[1], f[2], f[1], f[0]))
	must(t, err)
	if n := memberCount(t, h, owner, g.ID); n != 4 {
		t.Fatalf("members: %d", n)
	}
	if got := history(t, h, f[2], g.ID, 10); len(got) != 1 || got[0].Body != "before you came" {
		t.Fatalf("invitee's history: %+v", got)
	}
	outsider := mustSignUp(t, h, "out")
	_, err = h.InviteToGroupChat(outsider.Ctx, g.ID, nil)
	mustCode(t, err, chat.CodeNotFound, "")
	_, err = h.InviteToGroupChat(f[1].Ctx, g.ID, ids(outsider))
	mustCode(t, err, chat.CodeForbidden, "")
}

func TestLeaveGroupChat_PassesOwnershipToTheLongestStandingMember(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 2)
	// f[1] joins first, although f[0] has the smaller id.
	g := mustGroup(t, h, owner, "G", f[1], f[0])
	must(t, h.LeaveGroupChat(owner.Ctx, g.ID))
	if got := mustSeeChat(t, h, f[0], g.ID); *got.OwnerID != f[1].ID || memberCount(t, h, f[0], g.ID) != 2 {
		t.Fatalf("after the owner left: owner %d, %d members", *got.OwnerID, memberCount(t, h, f[0], g.ID))
	}
	mustCode(t, h.LeaveGroupChat(owner.Ctx, g.ID), chat.CodeNotFound, "")
	if seen, err := h.ChatsByIDs(owner.Ctx, []int64{g.ID}); err != nil || seen[0] != nil {
		t.Fatalf("a former member still sees the chat: %+v %v", seen, err)
	}
}

func TestRemoveFromGroupChat_IsForTheOwner(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 2)
	g := mustGroup(t, h, owner, "G", f[0], f[1])
	_, err := h.RemoveFromGroupChat(f[0].Ctx, g.ID, f[1].ID)
	mustCode(t, err, chat.CodeForbidden, "")
	_, err = h.RemoveFromGroupChat(owner.Ctx, g.ID, f[1].ID)
	must(t, err)
	_, err = h.RemoveFromGroupChat(owner.Ctx, g.ID, f[1].ID)
	mustCode(t, err, chat.CodeNotFound, "")
	_, err = h.PostMessage(f[1].Ctx, chat.PostMessageInput{ChatID: g.ID, Body: "hi"})
	mustCode(t, err, chat.CodeNotFound, "")
	if n := memberCount(t, h, f[0], g.ID); n != 2 {
		t.Fatalf("members: %d", n)
	}
}

func TestRenameGroupChat_AnyMember(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 1)
	g := mustGroup(t, h, owner, "G", f[0])
	got, err := h.RenameGroupChat(f[0].Ctx, g.ID, " New ")
	if err != nil || *got.Name != "New" {
		t.Fatalf("renamed: %+v %v", got, err)
	}
	_, err = h.RenameGroupChat(mustSignUp(t, h, "x").Ctx, g.ID, "Mine")
	mustCode(t, err, chat.CodeNotFound, "")
	_, err = h.RenameGroupChat(owner.Ctx, g.ID, " ")
	mustCode(t, err, chat.CodeInvalid, "name")
}

// mustOpenPrivateChat opens the private chat of u and friend.
func mustOpenPrivateChat(t *testing.T, h *harness, u, friend user) *models.Chat {
	t.Helper()
	c, err := h.OpenPrivateChat(u.Ctx, friend.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPrivateChat_StaysReadableButClosedAfterUnfriending(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := mustSignUp(t, h, "qa"), mustSignUp(t, h, "qb")
	befriend(t, h, a, b)
	c := mustOpenPrivateChat(t, h, a, b)
	mustPost(t, h, a, c.ID, "hello")
	_, err := h.RemoveFriend(b.Ctx, a.ID)
	must(t, err)
	_, err = h.PostMessage(a.Ctx, chat.PostMessageInput{ChatID: c.ID, Body: "still there?"})
	mustCode(t, err, chat.CodeForbidden, "")
	_, err = h.OpenPrivateChat(b.Ctx, a.ID)
	mustCode(t, err, chat.CodeForbidden, "")
	if got := history(t, h, b, c.ID, 10); len(got) != 1 {
		t.Fatalf("history: %+v", got)
	}
}

func TestPrivateChat_StaysReadableAfterTheOtherDeletesTheirAccount(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := mustSignUp(t, h, "ra"), mustSignUp(t, h, "rb")
	befriend(t, h, a, b)
	c := mustOpenPrivateChat(t, h, a, b)
	mustPost(t, h, b, c.ID, "bye")
	mustDeleteAccount(t, h, b)
	got := history(t, h, a, c.ID, 10)
	if len(got) != 1 || got[0].Sender.DeletedAt == nil || got[0].Sender.DisplayName != "Deleted user" {
		t.Fatalf("history: %+v", got)
	}
	if other, err := h.UserByID(a.Ctx, b.ID); err != nil || other.DeletedAt == nil {
		t.Fatalf("the other user is not the tombstone: %+v %v", other, err)
	}
	_, err := h.PostMessage(a.Ctx, chat.PostMessageInput{ChatID: c.ID, Body: "hello?"})
	mustCode(t, err, chat.CodeForbidden, "")
}

func TestDeleteAccount_LeavesGroupsAndPassesOwnershipOn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 2)
	g := mustGroup(t, h, owner, "G", f[0], f[1])
	mustPost(t, h, owner, g.ID, "my last words")
	mustDeleteAccount(t, h, owner)
	if got := mustSeeChat(t, h, f[1], g.ID); *got.OwnerID != f[0].ID || memberCount(t, h, f[1], g.ID) != 2 {
		t.Fatalf("group after deletion: owner %d, %d members", *got.OwnerID, memberCount(t, h, f[1], g.ID))
	}
	if got := history(t, h, f[1], g.ID, 10); len(got) != 1 || got[0].Sender.DeletedAt == nil {
		t.Fatalf("history: %+v", got)
	}
}

func TestGroupChat_HoldsAtMost1000Members(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	// 1,000 friends made directly in the database: signing them up would take minutes.
	var keys []int64
	must(t, h.DB.Raw(`WITH u AS (INSERT INTO users (username, display_name, password_hash)
			SELECT 'bulk' || i, 'Bulk ' || i, '' FROM generate_series(1, 1000) i RETURNING id),
		f AS (INSERT INTO friendships (user_id, friend_id) SELECT ?, id FROM u UNION ALL SELECT id, ? FROM u)
		SELECT id FROM u ORDER BY id`, owner.ID, owner.ID).Scan(&keys).Error)
	_, err := h.CreateGroupChat(owner.Ctx, "too big", keys)
	mustCode(t, err, chat.CodeInvalid, "memberIds")
	g, err := h.CreateGroupChat(owner.Ctx, "full", keys[:999])
	must(t, err)
	if n := memberCount(t, h, owner, g.ID); n != 1000 {
		t.Fatalf("members %d", n)
	}
	_, err = h.InviteToGroupChat(owner.Ctx, g.ID, keys[999:])
	mustCode(t, err, chat.CodeInvalid, "userIds")
}

func TestRace_BothOpeningThePrivateChatGetOne(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for range 10 {
		a, b := mustSignUp(t, h, "oa"), mustSignUp(t, h, "ob")
		befriend(t, h, a, b)
		opened := make([]*models.Chat, 2)
		var wg sync.WaitGroup
		for i, pair := range [][2]user{{a, b}, {b, a}} {
			wg.Go(func() {
				c, err := h.OpenPrivateChat(pair[0].Ctx, pair[1].ID)
				if err != nil {
					t.Errorf("open: %v", err)
				}
				opened[i] = c
			})
		}
		wg.Wait()
		if opened[0] == nil || opened[1] == nil || opened[0].ID != opened[1].ID {
			t.Fatalf("two chats: %+v", opened)
		}
	}
}
