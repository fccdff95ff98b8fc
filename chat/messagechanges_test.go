package chat_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/models"
)

// Replies, edits and deletions, and the events they log.

// logOf returns the events of a chat after position pos, in order.
func logOf(t *testing.T, h *harness, chatID, pos int64) []models.ChatEvent {
	t.Helper()
	var evs []models.ChatEvent
	must(t, h.DB.Where("chat_id = ? AND pos > ?", chatID, pos).Order("pos").Find(&evs).Error)
	return evs
}

// lastPos is the position of the chat's last event.
func lastPos(t *testing.T, h *harness, chatID int64) int64 {
	t.Helper()
	var c models.Chat
	must(t, h.DB.Take(&c, chatID).Error)
	return c.LastPos
}

// mustLog fails the test unless the events of chatID after pos are exactly
// one per kind in kinds, at the next positions, about message m, by actor.
func mustLog(t *testing.T, h *harness, chatID, pos int64, m *models.Message, actor user, kinds ...models.ChatEventKind) {
	t.Helper()
	evs := logOf(t, h, chatID, pos)
	if len(evs) != len(kinds) {
		t.Fatalf("%d events after %d, want %v: %+v", len(evs), pos, kinds, evs)
	}
	for i, e := range evs {
		if e.Kind != kinds[i] || e.Pos != pos+int64(i)+1 || e.MessageID == nil || *e.MessageID != m.ID ||
			e.ActorID == nil || *e.ActorID != actor.ID || e.UserID != nil {
			t.Fatalf("event %d: %+v, want %s at %d about message %d by %d", i, e, kinds[i], pos+int64(i)+1, m.ID, actor.ID)
		}
	}
	if got := lastPos(t, h, chatID); got != pos+int64(len(kinds)) {
		t.Fatalf("chat's last_pos %d, want %d", got, pos+int64(len(kinds)))
	}
}

// message returns message id as u sees it now.
func message(t *testing.T, h *harness, u user, id int64) *models.Message {
	t.Helper()
	ms, err := h.MessagesByIDs(u.Ctx, []int64{id})
	must(t, err)
	if ms[0] == nil {
		t.Fatalf("%s cannot see message %d", u.Username, id)
	}
	return ms[0]
}

func TestEditMessage_TheSenderEditsAndOneEventIsLogged(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 1)
	g := mustGroup(t, h, owner, "G", f[0])
	m := mustPost(t, h, f[0], g.ID, "helo")
	pos := lastPos(t, h, g.ID)
	edited, err := h.EditMessage(f[0].Ctx, m.ID, "hello")
	must(t, err)
	if edited.Body != "hello" || edited.EditedAt == nil || edited.Seq != m.Seq || edited.Deleted() {
		t.Fatalf("edited %+v", edited)
	}
	mustLog(t, h, g.ID, pos, m, f[0], models.EventMessageEdited)
	if got := history(t, h, owner, g.ID, 10); got[0].Body != "hello" || got[0].EditedAt == nil {
		t.Fatalf("history shows %+v", got[0])
	}
	// The same body again changes nothing and tells nobody.
	again, err := h.EditMessage(f[0].Ctx, m.ID, "hello")
	must(t, err)
	if !again.EditedAt.Equal(*edited.EditedAt) {
		t.Fatalf("editedAt moved from %v to %v", edited.EditedAt, again.EditedAt)
	}
	mustLog(t, h, g.ID, pos, m, f[0], models.EventMessageEdited)
}

func TestEditMessage_OnlyTheSenderWhileAMemberWithAValidBody(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 2)
	g := mustGroup(t, h, owner, "G", f...)
	m := mustPost(t, h, f[0], g.ID, "mine")
	other := mustPost(t, h, owner, mustGroup(t, h, owner, "Other").ID, "elsewhere")
	pos := lastPos(t, h, g.ID)
	for _, c := range []struct {
		name string
		ctx  context.Context
		id   int64
		body string
		code chat.Code
		fld  string
	}{
		{"another member, the owner", owner.Ctx, m.ID, "theirs now", chat.CodeForbidden, ""},
		{"a stranger", mustSignUp(t, h, "x").Ctx, m.ID, "hijack", chat.CodeNotFound, ""},
		{"anonymous", context.Background(), m.ID, "anon", chat.CodeUnauthenticated, ""},
		{"a message of a chat they are not in", f[0].Ctx, other.ID, "x", chat.CodeNotFound, ""},
		{"no such message", f[0].Ctx, other.ID + 1000, "x", chat.CodeNotFound, ""},
		{"an empty body", f[0].Ctx, m.ID, " \u200b ", chat.CodeInvalid, "body"},
		{"a long body", f[0].Ctx, m.ID, strings.Repeat("é", chat.MaxMessageLength+1), chat.CodeInvalid, "body"},
	} {
		_, err := h.EditMessage(c.ctx, c.id, c.body)
		mustCode(t, err, c.code, c.fld)
	}
	// A sender who left can no longer edit what they wrote there.
	must(t, h.LeaveGroupChat(f[0].Ctx, g.ID))
	pos++ // their MEMBER_LEFT
	_, err := h.EditMessage(f[0].Ctx, m.ID, "from outside")
	mustCode(t, err, chat.CodeNotFound, "")
	if got := message(t, h, owner, m.ID); got.Body != "mine" || got.EditedAt != nil {
		t.Fatalf("message %+v", got)
	}
	mustLog(t, h, g.ID, pos, m, owner)
}

func TestDeleteMessage_LeavesATombstoneInItsPlace(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 1)
	g := mustGroup(t, h, owner, "G", f[0])
	mustPost(t, h, owner, g.ID, "before")
	in := chat.PostMessageInput{ChatID: g.ID, Body: "regret", ClientMessageID: new("c-1")}
	m, err := h.PostMessage(f[0].Ctx, in)
	must(t, err)
	_, err = h.AddReaction(owner.Ctx, m.ID, "😮")
	must(t, err)
	pos := lastPos(t, h, g.ID)
	del, err := h.DeleteMessage(f[0].Ctx, m.ID)
	must(t, err)
	if !del.Deleted() || del.Body != "" || del.Seq != m.Seq || *del.ClientMessageID != "c-1" {
		t.Fatalf("tombstone %+v", del)
	}
	mustLog(t, h, g.ID, pos, m, f[0], models.EventMessageDeleted)
	// In history: still between its neighbours, and also the last message.
	mustPost(t, h, owner, g.ID, "after")
	got := history(t, h, owner, g.ID, 10)
	if len(got) != 3 || got[1].ID != m.ID || got[1].Body != "" || !got[1].Deleted() || got[2].Body != "after" {
		t.Fatalf("history %+v", got)
	}
	mustNoReactions(t, h, m.ID)
	// A retry of the post finds its tombstone, not a new message.
	again, err := h.PostMessage(f[0].Ctx, in)
	must(t, err)
	if again.ID != m.ID || !again.Deleted() {
		t.Fatalf("retry gave %+v", again)
	}
	// Deleting it again returns it and tells nobody.
	pos = lastPos(t, h, g.ID)
	del, err = h.DeleteMessage(f[0].Ctx, m.ID)
	must(t, err)
	if !del.Deleted() {
		t.Fatalf("second delete %+v", del)
	}
	mustLog(t, h, g.ID, pos, m, f[0])
	last, err := h.LastMessages(owner.Ctx, []int64{g.ID})
	must(t, err)
	_, err = h.DeleteMessage(owner.Ctx, last[0].ID)
	must(t, err)
	if last, _ = h.LastMessages(owner.Ctx, []int64{g.ID}); !last[0].Deleted() || last[0].Body != "" {
		t.Fatalf("last message %+v", last[0])
	}
}

// mustNoReactions fails the test if message id has any reaction stored.
func mustNoReactions(t *testing.T, h *harness, id int64) {
	t.Helper()
	var n int64
	must(t, h.DB.Model(&models.MessageReaction{}).Where("message_id = ?", id).Count(&n).Error)
	if n != 0 {
		t.Fatalf("message %d has %d reactions", id, n)
	}
}

func TestDeleteMessage_TheSenderOrTheGroupsOwner(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 2)
	g := mustGroup(t, h, owner, "G", f...)
	m := mustPost(t, h, f[0], g.ID, "spam")
	_, err := h.DeleteMessage(f[1].Ctx, m.ID)
	mustCode(t, err, chat.CodeForbidden, "")
	_, err = h.DeleteMessage(mustSignUp(t, h, "x").Ctx, m.ID)
	mustCode(t, err, chat.CodeNotFound, "")
	pos := lastPos(t, h, g.ID)
	_, err = h.DeleteMessage(owner.Ctx, m.ID)
	must(t, err)
	mustLog(t, h, g.ID, pos, m, owner, models.EventMessageDeleted)
	// A private chat has no owner: only the sender deletes there.
	p, err := h.OpenPrivateChat(owner.Ctx, f[0].ID)
	must(t, err)
	pm := mustPost(t, h, f[0], p.ID, "just us")
	_, err = h.DeleteMessage(owner.Ctx, pm.ID)
	mustCode(t, err, chat.CodeForbidden, "")
}

func TestEditMessage_ADeletedMessageIsAConflict(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	g := mustGroup(t, h, owner, "G")
	m := mustPost(t, h, owner, g.ID, "gone")
	_, err := h.DeleteMessage(owner.Ctx, m.ID)
	must(t, err)
	pos := lastPos(t, h, g.ID)
	_, err = h.EditMessage(owner.Ctx, m.ID, "back")
	mustCode(t, err, chat.CodeConflict, "")
	_, err = h.AddReaction(owner.Ctx, m.ID, "👍")
	mustCode(t, err, chat.CodeConflict, "")
	// Taking back a reaction finds none to take back.
	_, err = h.RemoveReaction(owner.Ctx, m.ID, "👍")
	must(t, err)
	mustLog(t, h, g.ID, pos, m, owner)
	mustNoReactions(t, h, m.ID)
}

func TestPrivateChat_WithAFormerFriendEditingAndReactingAreForbiddenButTakingBackIsNot(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := mustSignUp(t, h, "a")
	b := mustSignUp(t, h, "b")
	befriend(t, h, a, b)
	p, err := h.OpenPrivateChat(a.Ctx, b.ID)
	must(t, err)
	m := mustPost(t, h, a, p.ID, "we were friends")
	_, err = h.AddReaction(a.Ctx, m.ID, "🥲")
	must(t, err)
	_, err = h.RemoveFriend(b.Ctx, a.ID)
	must(t, err)
	pos := lastPos(t, h, p.ID)
	_, err = h.EditMessage(a.Ctx, m.ID, "we are not")
	mustCode(t, err, chat.CodeForbidden, "")
	_, err = h.AddReaction(b.Ctx, m.ID, "👋")
	mustCode(t, err, chat.CodeForbidden, "")
	mustLog(t, h, p.ID, pos, m, a)
	_, err = h.RemoveReaction(a.Ctx, m.ID, "🥲")
	must(t, err)
	_, err = h.DeleteMessage(a.Ctx, m.ID)
	must(t, err)
	mustLog(t, h, p.ID, pos, m, a, models.EventReactionsChanged, models.EventMessageDeleted)
}

func TestPostMessage_ARepliesToAMessageOfTheSameChatThatIsNotDeleted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 1)
	g := mustGroup(t, h, owner, "G", f[0])
	q := mustPost(t, h, owner, g.ID, "lunch?")
	reply, err := h.PostMessage(f[0].Ctx, chat.PostMessageInput{ChatID: g.ID, Body: "yes", ReplyToID: &q.ID})
	must(t, err)
	if reply.ReplyToID == nil || *reply.ReplyToID != q.ID || *message(t, h, owner, reply.ID).ReplyToID != q.ID {
		t.Fatalf("reply %+v", reply)
	}
	elsewhere := mustPost(t, h, owner, mustGroup(t, h, owner, "Other").ID, "not here")
	gone := mustPost(t, h, owner, g.ID, "oops")
	_, err = h.DeleteMessage(owner.Ctx, gone.ID)
	must(t, err)
	pos, seq := lastPos(t, h, g.ID), mustSeeChat(t, h, owner, g.ID).LastSeq
	for _, target := range []int64{elsewhere.ID, gone.ID, gone.ID + 1000} {
		_, err := h.PostMessage(f[0].Ctx, chat.PostMessageInput{ChatID: g.ID, Body: "re", ReplyToID: &target})
		mustCode(t, err, chat.CodeInvalid, "replyToId")
	}
	// Nothing of the refused posts stays: no message, no number, no event.
	if got := mustSeeChat(t, h, owner, g.ID); got.LastSeq != seq || got.LastPos != pos {
		t.Fatalf("seq %d pos %d, want %d %d", got.LastSeq, got.LastPos, seq, pos)
	}
	if got := history(t, h, owner, g.ID, 10); len(got) != 3 {
		t.Fatalf("%d messages, want 3", len(got))
	}
	// An original deleted after the reply keeps the reply, which points at its tombstone.
	_, err = h.DeleteMessage(owner.Ctx, q.ID)
	must(t, err)
	if got := message(t, h, f[0], reply.ID); *got.ReplyToID != q.ID || !message(t, h, f[0], q.ID).Deleted() {
		t.Fatalf("reply %+v", got)
	}
}

func TestMessageChanges_ConcurrentChangesOfAMessageAreLoggedInOrderWithoutGaps(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 6)
	g := mustGroup(t, h, owner, "G", f...)
	m := mustPost(t, h, owner, g.ID, "react!")
	pos := lastPos(t, h, g.ID)
	var calls []func() error
	for i, u := range f {
		calls = append(calls,
			func() error { _, err := h.AddReaction(u.Ctx, m.ID, "👍"); return err },
			func() error {
				_, err := h.PostMessage(u.Ctx, chat.PostMessageInput{ChatID: g.ID, Body: "me too"})
				return err
			},
		)
		if i%2 == 0 {
			calls = append(calls, func() error { _, err := h.EditMessage(owner.Ctx, m.ID, "react! "+u.Username); return err })
		}
	}
	for _, c := range race(calls...) {
		if c != "" {
			t.Fatalf("codes %v", c)
		}
	}
	evs := logOf(t, h, g.ID, pos)
	if len(evs) != len(calls) {
		t.Fatalf("%d events for %d changes", len(evs), len(calls))
	}
	for i, e := range evs {
		if e.Pos != pos+int64(i)+1 {
			t.Fatalf("event %d at %d", i, e.Pos)
		}
	}
	groups, err := h.ReactionsOf(context.Background(), []int64{m.ID})
	must(t, err)
	if gs := groups[m.ID]; len(gs) != 1 || len(gs[0].UserIDs) != len(f) {
		t.Fatalf("reactions %+v", gs)
	}
}
