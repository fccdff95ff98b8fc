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
