package chat_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/models"
)

// Read receipts: every member gets every read marker, live and replayed,
// and seenBy follows the markers.

func TestChatEvents_AReadMarkerGoesToEveryMemberLiveAndReplayed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	b := mustFriends(t, h, owner, 1)[0]
	g := mustGroup(t, h, owner, "G", b)
	m := mustPost(t, h, owner, g.ID, "read me")
	mustPost(t, h, owner, g.ID, "unread")
	start := chat.MessageCursor(m)
	token, err := h.SyncToken(owner.Ctx)
	must(t, err)
	ownerAll, _ := mustChatEvents(t, h, owner, nil, nil)
	ownerOne, _ := mustChatEvents(t, h, owner, &g.ID, nil)
	bAll, _ := mustChatEvents(t, h, b, nil, nil)
	bOne, _ := mustChatEvents(t, h, b, &g.ID, nil)

	_, err = h.MarkChatRead(b.Ctx, g.ID, m.ID)
	must(t, err)
	want := "READ_MARKER_MOVED read me " + b.Username
	for who, ch := range map[string]<-chan chat.Delivery{"the owner (all chats)": ownerAll, "the owner (the chat)": ownerOne,
		"B (all chats)": bAll, "B (the chat)": bOne} {
		d := mustKinds(t, who, ch, want)[0]
		// The inbox data stays the subscriber's own: B's marker moving
		// leaves the owner's unread count (0: they posted both) alone.
		reader := owner.ID
		if who[0] == 'B' {
			reader = b.ID
		}
		mustReadSeq(t, who, d.Event, readSeqOf(t, h, reader, g.ID))
	}
	// Replays agree: after a sync token, and after a message's cursor.
	replayed, _ := mustChatEvents(t, h, owner, nil, &token)
	mustReadSeq(t, "the owner replaying all chats", mustKinds(t, "the owner replaying all chats", replayed, want)[0].Event, 2)
	one, _ := mustChatEvents(t, h, owner, &g.ID, &start)
	mustKinds(t, "the owner replaying the chat", one, "MESSAGE_POSTED unread", want)
}

// mustReadSeq fails unless the event's chat carries the subscriber's read marker seq.
func mustReadSeq(t *testing.T, who string, e *chat.Event, seq int64) {
	t.Helper()
	if e.Chat == nil || e.Chat.ViewerReadSeq == nil || *e.Chat.ViewerReadSeq != seq {
		t.Errorf("%s: the event's chat has the viewer's marker at %v, want %d", who, e.Chat.ViewerReadSeq, seq)
	}
}

func readSeqOf(t *testing.T, h *harness, userID, chatID int64) int64 {
	t.Helper()
	var m models.ChatMember
	must(t, h.DB.Where("chat_id = ? AND user_id = ?", chatID, userID).Take(&m).Error)
	return m.LastReadSeq
}

// seenBy is who u sees as having seen m (user ids, in order) and how many.
func seenBy(t *testing.T, h *harness, u user, m *models.Message, page chat.PageArgs) (*chat.Page[int64], int) {
	t.Helper()
	rs, err := h.ChatReceipts(u.Ctx, []int64{m.ChatID})
	must(t, err)
	p, total, err := rs[0].SeenBy(m, page)
	must(t, err)
	return p, total
}

func mustSeenBy(t *testing.T, h *harness, u user, m *models.Message, want ...user) {
	t.Helper()
	p, total := seenBy(t, h, u, m, chat.PageArgs{})
	if !slices.Equal(p.Items, ids(want...)) || total != len(want) {
		t.Errorf("%s sees %q seen by %v (%d in all), want %v", u.Username, m.Body, p.Items, total, ids(want...))
	}
}

func TestSeenBy_MembersWhoseMarkerIsAtOrAfterTheMessageButNotItsSenderNorTheViewer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 3)
	b, c, d := f[0], f[1], f[2]
	g := mustGroup(t, h, owner, "G", b, c, d)
	m1 := mustPost(t, h, owner, g.ID, "m1")
	m2 := mustPost(t, h, owner, g.ID, "m2")
	m3 := mustPost(t, h, owner, g.ID, "m3")
	mustSeenBy(t, h, owner, m1)
	_, err := h.MarkChatRead(b.Ctx, g.ID, m2.ID)
	must(t, err)
	_, err = h.MarkChatRead(c.Ctx, g.ID, m3.ID)
	must(t, err)

	mustSeenBy(t, h, owner, m1, b, c) // at or after: B read up to m2, C up to m3
	mustSeenBy(t, h, owner, m2, b, c)
	mustSeenBy(t, h, owner, m3, c)
	mustSeenBy(t, h, b, m1, c) // not the viewer, not the sender
	// Posting marks the chat read up to the post: D has seen m1 to m3, and
	// nobody but D (the sender) has seen D's message.
	m4 := mustPost(t, h, d, g.ID, "m4")
	mustSeenBy(t, h, owner, m3, c, d)
	mustSeenBy(t, h, b, m4)
	// A member who leaves is no longer listed.
	must(t, h.LeaveGroupChat(c.Ctx, g.ID))
	mustSeenBy(t, h, owner, m1, b, d)
}

func TestSeenBy_InAPrivateChatTheSenderSeesTheOtherOnceTheirMarkerPassesTheMessage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := mustSignUp(t, h, "a")
	b := mustFriends(t, h, a, 1)[0]
	dm, err := h.OpenPrivateChat(a.Ctx, b.ID)
	must(t, err)
	m1 := mustPost(t, h, a, dm.ID, "hi")
	m2 := mustPost(t, h, a, dm.ID, "there")
	mustSeenBy(t, h, a, m1)
	_, err = h.MarkChatRead(b.Ctx, dm.ID, m1.ID)
	must(t, err)
	mustSeenBy(t, h, a, m1, b)
	mustSeenBy(t, h, a, m2)
	mustPost(t, h, b, dm.ID, "answer") // replying reads everything before
	mustSeenBy(t, h, a, m2, b)
}

func TestSeenBy_PagesInMemberOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 5)
	g := mustGroup(t, h, owner, "G", f...)
	m := mustPost(t, h, owner, g.ID, "m")
	for _, u := range f {
		_, err := h.MarkChatRead(u.Ctx, g.ID, m.ID)
		must(t, err)
	}
	var got []int64
	var after *string
	two := 2
	for {
		p, total := seenBy(t, h, owner, m, chat.PageArgs{First: &two, After: after})
		if total != 5 {
			t.Fatalf("totalCount %d, want 5", total)
		}
		got = append(got, p.Items...)
		if !p.HasNext {
			break
		}
		after = &p.Cursors[len(p.Cursors)-1]
	}
	members, err := h.Members(owner.Ctx, g.ID, chat.PageArgs{})
	must(t, err)
	var want []int64
	for _, u := range members.Items {
		if u.ID != owner.ID {
			want = append(want, u.ID)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages gave %v, want the members' order %v", got, want)
	}
	tooMany := chat.MaxPageSize + 1
	rs, err := h.ChatReceipts(owner.Ctx, []int64{g.ID})
	must(t, err)
	_, _, err = rs[0].SeenBy(m, chat.PageArgs{First: &tooMany})
	mustCode(t, err, chat.CodeInvalid, "first")
}

func TestSeenBy_ShowsNothingToThoseNotInTheChat(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 2)
	b, leaver := f[0], f[1]
	stranger := mustSignUp(t, h, "stranger")
	g := mustGroup(t, h, owner, "G", b, leaver)
	m := mustPost(t, h, owner, g.ID, "m")
	_, err := h.MarkChatRead(b.Ctx, g.ID, m.ID)
	must(t, err)
	_, err = h.MarkChatRead(leaver.Ctx, g.ID, m.ID)
	must(t, err)
	must(t, h.LeaveGroupChat(leaver.Ctx, g.ID))
	mustSeenBy(t, h, stranger, m)
	mustSeenBy(t, h, leaver, m)
	read, err := h.LastReadMessages(stranger.Ctx, []chat.ChatSeq{{ChatID: g.ID, Seq: m.Seq}})
	must(t, err)
	if read[0] != nil {
		t.Errorf("a stranger read the message at a marker: %+v", read[0])
	}
}

func TestLastReadMessages_IsTheMessageAtTheViewersMarker(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	b := mustFriends(t, h, owner, 1)[0]
	g := mustGroup(t, h, owner, "G", b)
	m1 := mustPost(t, h, owner, g.ID, "m1")
	mustPost(t, h, owner, g.ID, "m2")
	_, err := h.MarkChatRead(b.Ctx, g.ID, m1.ID)
	must(t, err)
	seqs, err := h.ReadMarkers(b.Ctx, []int64{g.ID})
	must(t, err)
	read, err := h.LastReadMessages(b.Ctx, []chat.ChatSeq{{ChatID: g.ID, Seq: seqs[0]}, {ChatID: g.ID, Seq: 0}})
	must(t, err)
	if read[0] == nil || read[0].ID != m1.ID || read[1] != nil {
		t.Errorf("the messages at the markers are %+v, want m1 and nothing", read)
	}
}

// Counts and pages agree with the markers read back by SQL in a group of
// many members whose markers tie (several at each message) and some of
// whose joining times tie too: every page, of one or of three, resumes
// right after its cursor, and every page has the whole count.
func TestSeenBy_CountsAndPagesAgreeWithTheMarkersInAGroupOfMany(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 36)
	g := mustGroup(t, h, owner, "G", f[:24]...)
	var msgs []*models.Message
	for i := range 6 {
		msgs = append(msgs, mustPost(t, h, f[i*4], g.ID, fmt.Sprint("m", i)))
	}
	_, err := h.InviteToGroupChat(owner.Ctx, g.ID, ids(f[24:]...)) // later: their own joining time
	must(t, err)
	for i, u := range f {
		if i%7 != 6 { // some read nothing
			_, err := h.MarkChatRead(u.Ctx, g.ID, msgs[i%len(msgs)].ID)
			must(t, err)
		}
	}
	// Members who joined in the same microsecond (as a group's first
	// members could), which the user id orders.
	tied := h.DB.Exec(`UPDATE chat_members SET joined_at = (SELECT joined_at FROM chat_members WHERE chat_id = ? AND user_id = ?)
		WHERE chat_id = ? AND user_id IN ?`, g.ID, f[0].ID, g.ID, ids(f[:12]...))
	if must(t, tied.Error); tied.RowsAffected != 12 {
		t.Fatalf("tied %d members' joining times, want 12", tied.RowsAffected)
	}
	for _, viewer := range []user{owner, f[0], f[30]} {
		for _, m := range msgs {
			var want []int64
			must(t, h.DB.Raw(`SELECT user_id FROM chat_members WHERE chat_id = ? AND last_read_seq >= ?
				AND user_id <> ? AND user_id <> ? ORDER BY joined_at, user_id`, g.ID, m.Seq, m.SenderID, viewer.ID).Scan(&want).Error)
			all, total := seenBy(t, h, viewer, m, chat.PageArgs{First: ptr(chat.MaxPageSize)})
			if !slices.Equal(all.Items, want) || total != len(want) || all.HasNext {
				t.Errorf("%s sees %q seen by %v (%d in all), want %v", viewer.Username, m.Body, all.Items, total, want)
			}
			for _, size := range []int{1, 3} {
				var got []int64
				var after *string
				for {
					p, total := seenBy(t, h, viewer, m, chat.PageArgs{First: &size, After: after})
					if total != len(want) || p.HasPrevious != (after != nil) {
						t.Fatalf("%s, %q, pages of %d: total %d and previous %v after %v, want %d", viewer.Username, m.Body, size, total, p.HasPrevious, after, len(want))
					}
					got = append(got, p.Items...)
					if !p.HasNext || len(got) > len(want) {
						break
					}
					after = &p.Cursors[len(p.Cursors)-1]
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s sees %q in pages of %d seen by %v, want %v", viewer.Username, m.Body, size, got, want)
				}
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }
