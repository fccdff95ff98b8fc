package chat_test

import (
	"context"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/chat"
)

// waitForLockWait waits until some session of this database waits on a lock.
func waitForLockWait(t *testing.T, h *harness) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var n int
		must(t, h.DB.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n).Error)
		if n > 0 {
			return
		}
	}
	t.Fatal("nobody waits on a lock")
}

// A writer that took its transaction id before it locked the chat's row
// (an account deletion: the user's row and the password hash first) logs
// an event at a higher position than a younger transaction's, so ids do
// not follow positions. The sync token of an event replayed for its chat
// alone must still resume all chats exactly: nothing committed before the
// event comes again, nothing after it is skipped.
func TestChatEvents_AOneChatReplaysTokenResumesAllChatsExactly(t *testing.T) {
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 2)
	s, d := f[0], f[1]
	p, err := h.OpenPrivateChat(owner.Ctx, d.ID) // where D's deletion will wait
	must(t, err)
	y := mustGroup(t, h, owner, "Y", s)
	x := mustGroup(t, h, owner, "X", s, d)
	before := mustPost(t, h, owner, y.ID, "before")

	l := h.DB.Begin() // holds P's row: D's deletion takes its id, then waits
	must(t, l.Exec(`SELECT 1 FROM chats WHERE id = ? FOR UPDATE`, p.ID).Error)
	deleted := make(chan error, 1)
	go func() { deleted <- h.DeleteAccount(d.Ctx, testPassword) }()
	waitForLockWait(t, h)
	c := h.DB.Begin() // younger than D's, still running when E is written
	must(t, c.Exec(`SELECT pg_current_xact_id()`).Error)
	_, err = h.RenameGroupChat(owner.Ctx, x.ID, "X renamed") // younger still, at position n of X
	must(t, err)
	l.Rollback()
	must(t, <-deleted) // D's MEMBER_LEFT: position n+1 of X, an older id
	mustPost(t, h, owner, y.ID, "E")
	c.Rollback()

	cursor := chat.MessageCursor(before)
	one, _ := mustChatEvents(t, h, s, &y.ID, &cursor)
	e := mustKinds(t, "S replaying Y", one, "MESSAGE_POSTED E")[0]
	all, _ := mustChatEvents(t, h, s, nil, &e.SyncToken)
	mustPost(t, h, owner, x.ID, "after E")
	mustKinds(t, "S resuming all chats from E", all, "MESSAGE_POSTED after E")
}

// Pruning while a replay is under way must not leave a silent gap: the
// stream ends (and resuming from where it began is CURSOR_EXPIRED), or
// it gets everything.
func TestChatEvents_PruningDuringAReplayEndsItRatherThanSkip(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *chat.Config) { c.EventRetention = 300 * time.Millisecond })
	owner := mustSignUp(t, h, "own")
	b := mustFriends(t, h, owner, 1)[0]
	g := mustGroup(t, h, owner, "G", b)
	token, err := h.SyncToken(b.Ctx)
	must(t, err)
	const n = 150 // more than one page of a replay
	for range n {
		mustPost(t, h, owner, g.ID, "old")
	}
	time.Sleep(400 * time.Millisecond) // all prunable now
	ch, _ := mustChatEvents(t, h, b, nil, &token)
	next(t, ch) // the replay has read its first page, and waits for the reader
	_, err = h.PruneLog(context.Background())
	must(t, err)
	mustPost(t, h, owner, g.ID, "marker")
	got := 1
	for d := range ch {
		if d.Message != nil && d.Message.Body == "marker" {
			if got != n {
				t.Fatalf("got %d of the %d missed posts, then live: a silent gap", got, n)
			}
			break
		}
		got++
	}
	_, err = h.ChatEvents(b.Ctx, nil, &token, nil)
	mustCode(t, err, chat.CodeCursorExpired, "")
}

// Editing in a private chat locks the chat's row, then the friendship;
// deleting the friend's account must take them in the same order.
func TestDeleteAccount_DoesNotDeadlockWithAnEditInAPrivateChat(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := mustSignUp(t, h, "a")
	d := mustFriends(t, h, a, 1)[0]
	p, err := h.OpenPrivateChat(a.Ctx, d.ID)
	must(t, err)
	m := mustPost(t, h, a, p.ID, "hi")
	tx := h.DB.Begin() // the edit's statements, held open
	defer tx.Rollback()
	must(t, tx.Exec(`SELECT 1 FROM chats WHERE id = (SELECT chat_id FROM messages WHERE id = ?) FOR UPDATE`, m.ID).Error)
	deleted := make(chan error, 1)
	go func() { deleted <- h.DeleteAccount(d.Ctx, testPassword) }()
	waitForLockWait(t, h)
	err = tx.Exec(`SELECT count(*) FROM (SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ? FOR KEY SHARE) f`, a.ID, d.ID).Error
	tx.Rollback()
	if derr := <-deleted; err != nil || derr != nil {
		t.Fatalf("edit: %v; delete account: %v", err, derr)
	}
}
