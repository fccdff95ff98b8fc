package chat_test

import (
	"reflect"
	"testing"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/models"
)

// A page of history is scanned by hand (chat/history.go): it must hold
// every column GORM's load holds (but the sender's password hash, which a
// page has no use for), whatever the message's state.
func TestMessages_PageHoldsWhatGORMLoads(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 2)
	g := mustGroup(t, h, owner, "G", f...)
	cid := "client-1"
	first, err := h.PostMessage(owner.Ctx, chat.PostMessageInput{ChatID: g.ID, Body: "with a client id", ClientMessageID: &cid})
	must(t, err)
	reply, err := h.PostMessage(f[0].Ctx, chat.PostMessageInput{ChatID: g.ID, Body: "a reply", ReplyToID: &first.ID})
	must(t, err)
	_, err = h.EditMessage(f[0].Ctx, reply.ID, "an edited reply")
	must(t, err)
	gone := mustPost(t, h, f[1], g.ID, "to be deleted")
	_, err = h.DeleteMessage(f[1].Ctx, gone.ID)
	must(t, err)
	mustPost(t, h, f[1], g.ID, "before leaving")
	mustDeleteAccount(t, h, f[1])

	last := 10
	page, err := h.Messages(owner.Ctx, g.ID, chat.PageArgs{Last: &last})
	must(t, err)
	var want []*models.Message
	must(t, h.DB.Joins("Sender").Where("messages.chat_id = ?", g.ID).Order("messages.seq").Find(&want).Error)
	if len(page.Items) != 4 || len(want) != 4 {
		t.Fatalf("%d messages in the page, %d in the table", len(page.Items), len(want))
	}
	for i, m := range want {
		m.Sender.PasswordHash = ""
		if !reflect.DeepEqual(page.Items[i], m) {
			t.Errorf("message %d:\npage %+v sender %+v\nGORM %+v sender %+v", i, page.Items[i], page.Items[i].Sender, m, m.Sender)
		}
	}
}

// ChatsByIDs is scanned by hand too: it must hold what GORM loads.
func TestChatsByIDs_HoldWhatGORMLoads(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 1)
	g := mustGroup(t, h, owner, "G", f...)
	mustPost(t, h, f[0], g.ID, "hello")
	private, err := h.OpenPrivateChat(owner.Ctx, f[0].ID)
	must(t, err)
	other := mustGroup(t, h, f[0], "not the owner's", mustFriends(t, h, f[0], 1)...)
	got, err := h.ChatsByIDs(owner.Ctx, []int64{private.ID, other.ID, g.ID})
	must(t, err)
	var want []*models.Chat
	must(t, h.DB.Where("id IN ?", []int64{private.ID, g.ID}).Order("id DESC").Find(&want).Error)
	if len(got) != 3 || got[1] != nil || !reflect.DeepEqual(got[0], want[0]) || !reflect.DeepEqual(got[2], want[1]) {
		t.Fatalf("got %+v %+v %+v\nwant %+v %+v", got[0], got[1], got[2], want[0], want[1])
	}
}

// The chat list and what it shows are scanned by hand too.
func TestInboxReads_HoldWhatGORMLoads(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 3)
	var ids []int64
	for i := range 4 {
		g := mustGroup(t, h, owner, "G", f[:1+i%3]...)
		ids = append(ids, g.ID)
		if i > 0 {
			mustPost(t, h, f[0], g.ID, "hello")
		}
	}
	mustDeleteAccount(t, h, f[2])
	noUser := func(u *models.User) *models.User { u.PasswordHash = ""; return u }

	two := 2
	page, err := h.Chats(owner.Ctx, chat.PageArgs{First: &two})
	must(t, err)
	rest, err := h.Chats(owner.Ctx, chat.PageArgs{After: &page.Cursors[1]})
	must(t, err)
	var chats []*models.Chat
	must(t, h.DB.Where("id IN ?", ids).Order("activity_at DESC, id DESC").Find(&chats).Error)
	if got := append(page.Items, rest.Items...); !reflect.DeepEqual(got, chats) || !page.HasNext || rest.HasNext {
		t.Errorf("chats %+v then %+v, want %+v", page.Items, rest.Items, chats)
	}

	last, err := h.LastMessages(owner.Ctx, ids)
	must(t, err)
	for i, id := range ids {
		var want []*models.Message
		must(t, h.DB.Where("chat_id = ?", id).Order("seq DESC").Limit(1).Find(&want).Error)
		if (len(want) == 0) != (last[i] == nil) || len(want) == 1 && !reflect.DeepEqual(last[i], want[0]) {
			t.Errorf("last message of chat %d: %+v, want %+v", id, last[i], want)
		}
	}

	userIDs := []int64{f[2].ID, owner.ID, -1, f[0].ID}
	users, err := h.UsersByIDs(owner.Ctx, userIDs)
	must(t, err)
	for i, id := range userIDs {
		var want []*models.User
		must(t, h.DB.Where("id = ?", id).Find(&want).Error)
		if (len(want) == 0) != (users[i] == nil) || len(want) == 1 && !reflect.DeepEqual(users[i], noUser(want[0])) {
			t.Errorf("user %d: %+v, want %+v", id, users[i], want)
		}
	}

	pages, err := h.FirstMembers(owner.Ctx, ids, &two)
	must(t, err)
	for i, id := range ids {
		var want []*models.User
		must(t, h.DB.Raw(`SELECT u.* FROM chat_members m JOIN users u ON u.id = m.user_id WHERE m.chat_id = ?
			ORDER BY m.joined_at, m.user_id`, id).Scan(&want).Error)
		for _, u := range want {
			noUser(u)
		}
		if !reflect.DeepEqual(pages[i].Items, want[:min(2, len(want))]) || pages[i].HasNext != (len(want) > 2) {
			t.Errorf("members of chat %d: %+v, want %+v", id, pages[i].Items, want)
		}
	}
	markers, err := h.ReadMarkers(f[0].Ctx, ids)
	must(t, err)
	for i, id := range ids {
		var want int64
		must(t, h.DB.Raw(`SELECT last_read_seq FROM chat_members WHERE chat_id = ? AND user_id = ?`, id, f[0].ID).Scan(&want).Error)
		if markers[i] != want {
			t.Errorf("read marker in chat %d: %d, want %d", id, markers[i], want)
		}
	}
}
