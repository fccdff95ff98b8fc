package chat_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/models"
)

func TestPostMessage_MembersPostAndOthersGetNotFound(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 1)
	g := mustGroup(t, h, owner, "G", f[0])
	m := mustPost(t, h, f[0], g.ID, "hi there")
	if m.Body != "hi there" || m.SenderID != f[0].ID || m.ChatID != g.ID || m.ClientMessageID != nil {
		t.Fatalf("message %+v", m)
	}
	_, err := h.PostMessage(mustSignUp(t, h, "x").Ctx, chat.PostMessageInput{ChatID: g.ID, Body: "let me in"})
	mustCode(t, err, chat.CodeNotFound, "")
	_, err = h.PostMessage(context.Background(), chat.PostMessageInput{ChatID: g.ID, Body: "anon"})
	mustCode(t, err, chat.CodeUnauthenticated, "")
}

func TestPostMessage_ValidatesBodyAndClientMessageID(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	g := mustGroup(t, h, owner, "G")
	for _, c := range []struct {
		body  string
		cid   *string
		field string
	}{
		{"", nil, "body"},
		{" \n\t ", nil, "body"},
		{strings.Repeat("é", 4001), nil, "body"},
		{"ok", new(strings.Repeat("c", 65)), "clientMessageId"},
		{"ok", new(""), "clientMessageId"},
	} {
		_, err := h.PostMessage(owner.Ctx, chat.PostMessageInput{ChatID: g.ID, Body: c.body, ClientMessageID: c.cid})
		mustCode(t, err, chat.CodeInvalid, c.field)
	}
	mustPost(t, h, owner, g.ID, strings.Repeat("é", 4000))
	if got := history(t, h, owner, g.ID, 10); len(got) != 1 {
		t.Fatalf("%d messages stored", len(got))
	}
}

func TestPostMessage_RetryWithTheSameClientMessageIDReturnsTheOriginal(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	g := mustGroup(t, h, owner, "G")
	in := chat.PostMessageInput{ChatID: g.ID, Body: "once", ClientMessageID: new("c-1")}
	first, err := h.PostMessage(owner.Ctx, in)
	must(t, err)
	again, err := h.PostMessage(owner.Ctx, in)
	must(t, err)
	if first.ID != again.ID || *again.ClientMessageID != "c-1" {
		t.Fatalf("%+v vs %+v", first, again)
	}
	// Concurrent retries of another id make one message too.
	in.ClientMessageID = new("c-2")
	post := func() error { _, err := h.PostMessage(owner.Ctx, in); return err }
	codes := race(post, post, post, post, post, post, post, post)
	for _, c := range codes {
		if c != "" {
			t.Fatalf("codes %v", codes)
		}
	}
	if got := history(t, h, owner, g.ID, 100); len(got) != 2 {
		t.Fatalf("%d messages, want 2", len(got))
	}
}

func TestPostMessage_ConcurrentPostersGetGapFreeSequences(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 3)
	g := mustGroup(t, h, owner, "G", f...)
	var wg sync.WaitGroup
	for _, u := range append(f, owner) {
		wg.Go(func() {
			for i := range 10 {
				in := chat.PostMessageInput{ChatID: g.ID, Body: fmt.Sprintf("%s#%d", u.Username, i)}
				if _, err := h.PostMessage(u.Ctx, in); err != nil {
					t.Errorf("post: %v", err)
				}
			}
		})
	}
	wg.Wait()
	var seqs []int64
	must(t, h.DB.Raw(`SELECT seq FROM messages ORDER BY seq`).Scan(&seqs).Error)
	for i, seq := range seqs {
		if seq != int64(i+1) {
			t.Fatalf("sequence has a gap: %v", seqs)
		}
	}
	if len(seqs) != 40 {
		t.Fatalf("%d messages", len(seqs))
	}
	// Each poster's messages keep the order they were posted in.
	last := map[int64]int{}
	for _, m := range history(t, h, owner, g.ID, 40) {
		var i int
		fmt.Sscan(m.Body[strings.Index(m.Body, "#")+1:], &i)
		prev, seen := last[m.SenderID]
		if !seen {
			prev = -1
		}
		if i != prev+1 {
			t.Fatalf("%d: message %d after %d", m.SenderID, i, prev)
		}
		last[m.SenderID] = i
	}
}

// unread is how many messages of a chat u has not read, as the API counts
// them: the chat's last sequence number past u's read marker.
func unread(t *testing.T, h *harness, u user, chatID int64) int64 {
	t.Helper()
	c := mustSeeChat(t, h, u, chatID)
	read, err := h.ReadMarkers(u.Ctx, []int64{chatID})
	if err != nil {
		t.Fatal(err)
	}
	return c.LastSeq - read[0]
}

func TestUnreadCount_FollowsReadMarkersThatNeverMoveBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 1)
	g := mustGroup(t, h, owner, "G", f[0])
	var msgs []*models.Message
	for i := range 4 {
		msgs = append(msgs, mustPost(t, h, owner, g.ID, fmt.Sprint("m", i)))
	}
	if n := unread(t, h, owner, g.ID); n != 0 {
		t.Fatalf("sender's unread: %d", n)
	}
	last, err := h.LastMessages(f[0].Ctx, []int64{g.ID})
	if n := unread(t, h, f[0], g.ID); err != nil || n != 4 || last[0].Body != "m3" {
		t.Fatalf("reader's chat: %d unread, last %+v, %v", n, last[0], err)
	}
	_, err = h.MarkChatRead(f[0].Ctx, g.ID, msgs[2].ID)
	must(t, err)
	if n := unread(t, h, f[0], g.ID); n != 1 {
		t.Fatalf("after reading 3: %d", n)
	}
	_, err = h.MarkChatRead(f[0].Ctx, g.ID, msgs[0].ID)
	must(t, err)
	if n := unread(t, h, f[0], g.ID); n != 1 {
		t.Fatalf("the marker moved back: %d", n)
	}
	other := mustGroup(t, h, owner, "Other", f[0])
	elsewhere := mustPost(t, h, owner, other.ID, "elsewhere")
	_, err = h.MarkChatRead(f[0].Ctx, g.ID, elsewhere.ID)
	mustCode(t, err, chat.CodeNotFound, "")
}

// A post that waits for the chat while its sender leaves must not go in:
// its membership check was read before the wait. Both ways of posting: a
// plain post (one statement) and one with a clientMessageId.
func TestPostMessage_RefusedWhenTheSenderLeftWhileItWaited(t *testing.T) {
	t.Parallel()
	for _, clientID := range []*string{nil, new(string)} {
		h := newHarness(t)
		owner := mustSignUp(t, h, "own")
		f := mustFriends(t, h, owner, 1)
		g := mustGroup(t, h, owner, "G", f[0])
		if clientID != nil {
			*clientID = "c-1"
		}
		var before models.Chat
		must(t, h.DB.First(&before, g.ID).Error)
		// What leaving does, held open: the chat's row, then the membership.
		tx := h.DB.Begin()
		must(t, tx.Exec(`SELECT id FROM chats WHERE id = ? FOR UPDATE`, g.ID).Error)
		must(t, tx.Exec(`DELETE FROM chat_members WHERE chat_id = ? AND user_id = ?`, g.ID, f[0].ID).Error)
		done := make(chan error, 1)
		go func() {
			_, err := h.PostMessage(f[0].Ctx, chat.PostMessageInput{ChatID: g.ID, Body: "after leaving", ClientMessageID: clientID})
			done <- err
		}()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			var waiting int64
			must(t, h.DB.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting).Error)
			if waiting > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the post never waited for the chat")
			}
		}
		must(t, tx.Commit().Error)
		mustCode(t, <-done, chat.CodeNotFound, "")
		var c models.Chat
		must(t, h.DB.First(&c, g.ID).Error)
		var messages int64
		must(t, h.DB.Model(&models.Message{}).Where("chat_id = ?", g.ID).Count(&messages).Error)
		if messages != 0 || c.LastSeq != before.LastSeq || c.LastPos != before.LastPos {
			t.Fatalf("clientMessageId %v: %d messages, last_seq %d, last_pos %d (was %d)", clientID, messages, c.LastSeq, c.LastPos, before.LastPos)
		}
	}
}
