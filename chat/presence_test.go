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

// Presence is visible to the user, their friends and the members of a
// chat they share, in one query for a list; leaving the last shared chat
// or the friendship ends it, and anonymous callers see nobody's.
func TestPresenceVisible_FriendsAndChatMatesOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := mustSignUp(t, h, "u")
	friend := mustFriends(t, h, u, 1)[0]
	mate := mustFriends(t, h, friend, 1)[0]
	g := mustGroup(t, h, friend, "G", u, mate)
	stranger := mustSignUp(t, h, "stranger")
	check := func(viewer user, want []bool) {
		t.Helper()
		got, err := h.PresenceVisible(viewer.Ctx, ids(u, friend, mate, stranger))
		must(t, err)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s sees %v of u, friend, mate, stranger; want %v", viewer.Username, got, want)
			}
		}
	}
	check(u, []bool{true, true, true, false})
	check(mate, []bool{true, true, true, false})
	check(stranger, []bool{false, false, false, true})
	if err := h.LeaveGroupChat(mate.Ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	check(mate, []bool{false, true, true, false}) // still friend's friend
	got, err := h.PresenceVisible(chat.WithViewer(t.Context(), nil), ids(u))
	must(t, err)
	if got[0] {
		t.Fatal("an anonymous caller sees presence")
	}
}

// A private chat grants no presence by itself: once the friendship ends,
// the ex-friend sees nothing, though the chat remains.
func TestPresenceVisible_ExFriendWithOnlyAPrivateChatSeesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := mustSignUp(t, h, "u")
	ex := mustFriends(t, h, u, 1)[0]
	if _, err := h.OpenPrivateChat(u.Ctx, ex.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.RemoveFriend(u.Ctx, ex.ID); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]user{{ex, u}, {u, ex}} {
		got, err := h.PresenceVisible(pair[0].Ctx, ids(pair[1]))
		must(t, err)
		if got[0] {
			t.Fatalf("%s sees the presence of ex-friend %s through their private chat", pair[0].Username, pair[1].Username)
		}
	}
}

// A block hides presence both ways, even between members of a shared
// group; the group's other members still see both.
func TestPresenceVisible_NeverAcrossABlock(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	blocker := mustSignUp(t, h, "blocker")
	f := mustFriends(t, h, blocker, 2)
	blocked, mate := f[0], f[1]
	mustGroup(t, h, blocker, "G", blocked, mate)
	mustBlock(t, h, blocker, blocked)
	for _, tc := range []struct {
		viewer, other user
		want          bool
	}{{blocked, blocker, false}, {blocker, blocked, false}, {mate, blocker, true}, {mate, blocked, true}} {
		got, err := h.PresenceVisible(tc.viewer.Ctx, ids(tc.other))
		must(t, err)
		if got[0] != tc.want {
			t.Errorf("%s sees %s's presence: %v, want %v", tc.viewer.Username, tc.other.Username, got[0], tc.want)
		}
	}
}

// A connection's close that failed to be written is written by the next
// heartbeat, as a failed open is: else the user's row stays open and they
// stay online for good.
func TestPresence_HeartbeatRetriesAFailedClose(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := mustSignUp(t, h, "u")
	h.OpenConnection(u.Ctx)
	open := func() int64 {
		t.Helper()
		var n int64
		must(t, h.DB.Raw(`SELECT count(*) FROM presence WHERE user_id = ? AND closed_at IS NULL`, u.ID).Scan(&n).Error)
		return n
	}
	if open() != 1 {
		t.Fatal("the connection wrote no open row")
	}
	failing, cancel := context.WithCancel(context.Background())
	cancel()
	h.ClosePresenceWith(failing, u.ID)
	if open() != 1 {
		t.Fatal("the close was written; the test needs it to fail")
	}
	h.BeatPresence(t.Context())
	if open() != 0 {
		t.Fatal("the heartbeat left the failed close unwritten")
	}
}

// Presence locks the user's row only against itself: a transaction
// holding the key-share lock that inserts referencing the user take (a
// post, addMembers) does not hold up a connection's presence, nor could
// it deadlock with it.
func TestPresence_DoesNotWaitForKeyShareLocksOnTheUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := mustSignUp(t, h, "u")
	tx := h.DB.Begin()
	defer tx.Rollback()
	must(t, tx.Exec(`SELECT 1 FROM users WHERE id = ? FOR KEY SHARE`, u.ID).Error)
	h.OpenConnection(u.Ctx) // waits at most its write timeout, then gives up
	var n int64
	must(t, h.DB.Raw(`SELECT count(*) FROM presence WHERE user_id = ? AND closed_at IS NULL`, u.ID).Scan(&n).Error)
	if n != 1 {
		t.Fatal("the connection's presence waited for a key-share lock on the user")
	}
}

// A connection ends with its own session only: revoking another session
// of the user leaves it (and their presence) alone, revoking its own ends
// it, though the transport never closed it.
func TestConnection_EndsWithItsOwnSessionOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := mustSignUp(t, h, "u")
	other := mustLogIn(t, h, u.Username, testPassword)
	h.OpenConnection(u.Ctx)
	open := func() bool {
		var n int64
		must(t, h.DB.Raw(`SELECT count(*) FROM presence WHERE user_id = ? AND closed_at IS NULL`, u.ID).Scan(&n).Error)
		return n == 1
	}
	if !open() {
		t.Fatal("the connection wrote no open row")
	}
	must(t, h.LogOut(other.Ctx))
	for deadline := time.Now().Add(200 * time.Millisecond); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if !open() {
			t.Fatal("another session's logout ended the connection")
		}
	}
	must(t, h.LogOut(u.Ctx)) // proves the connection was listening
	for deadline := time.Now().Add(5 * time.Second); open(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the connection outlived its session")
		}
	}
}

// One sweep turns offline every user of an instance that died, batch
// after batch, though the lowest ids are of users whom the debounce holds
// back: a sweep that took the first ids again would never reach the rest.
func TestPresence_OneSweepTurnsOfflineMoreThanABatchOfADeadInstance(t *testing.T) {
	t.Parallel()
	const batch = 2
	dead := newHarness(t)
	var held, gone []int64 // held back by the debounce; turned offline
	for i := range 4*batch + 1 {
		u := mustSignUp(t, dead, "u")
		dead.OpenConnection(u.Ctx)
		if i < batch+1 {
			held = append(held, u.ID)
		} else {
			gone = append(gone, u.ID)
		}
	}
	dead.BeatPresence(t.Context())
	// The instance died a minute ago, its users connected before that, and
	// all but the held ones last changed before that too.
	must(t, dead.DB.Exec(`UPDATE presence_instances SET heartbeat_at = now() - interval '1 minute', expires_at = now() - interval '30 seconds'`).Error)
	must(t, dead.DB.Exec(`UPDATE presence SET opened_at = now() - interval '2 minutes'`).Error)
	must(t, dead.DB.Exec(`UPDATE users SET presence_changed_at = now() - interval '1 minute' WHERE id IN ?`, gone).Error)
	bus := events.NewInMem()
	live := startHarness(t, dead.DB, bus, bus, testConfig())
	must(t, live.SweepPresence(t.Context(), batch))
	var online, seen []int64
	must(t, dead.DB.Raw(`SELECT id FROM users WHERE online ORDER BY id`).Scan(&online).Error)
	if !slices.Equal(online, held) {
		t.Fatalf("online after one sweep: %v, want only the held back %v", online, held)
	}
	must(t, dead.DB.Raw(`SELECT id FROM users WHERE last_seen_at BETWEEN now() - interval '61 seconds' AND now() - interval '59 seconds' ORDER BY id`).Scan(&seen).Error)
	if !slices.Equal(seen, gone) {
		t.Fatalf("last seen at the dead instance's last heartbeat: %v, want %v", seen, gone)
	}
}

// A user who connected to an instance after its last heartbeat was last
// seen when they connected, not before.
func TestPresence_ADeadInstancesLateComerWasLastSeenWhenTheyConnected(t *testing.T) {
	t.Parallel()
	dead := newHarness(t)
	early, late := mustSignUp(t, dead, "e"), mustSignUp(t, dead, "l")
	dead.OpenConnection(early.Ctx)
	dead.OpenConnection(late.Ctx)
	dead.BeatPresence(t.Context())
	must(t, dead.DB.Exec(`UPDATE presence_instances SET heartbeat_at = now() - interval '60 seconds', expires_at = now() - interval '30 seconds'`).Error)
	must(t, dead.DB.Exec(`UPDATE presence SET opened_at = now() - interval '90 seconds' WHERE user_id = ?`, early.ID).Error)
	must(t, dead.DB.Exec(`UPDATE presence SET opened_at = now() - interval '40 seconds' WHERE user_id = ?`, late.ID).Error)
	must(t, dead.DB.Exec(`UPDATE users SET presence_changed_at = now() - interval '90 seconds'`).Error)
	bus := events.NewInMem()
	live := startHarness(t, dead.DB, bus, bus, testConfig())
	must(t, live.SweepPresence(t.Context(), 10))
	var ago []int64
	must(t, dead.DB.Raw(`SELECT round(extract(epoch FROM now() - last_seen_at))::bigint FROM users WHERE id IN ? ORDER BY id`,
		[]int64{early.ID, late.ID}).Scan(&ago).Error)
	if !slices.Equal(ago, []int64{60, 40}) {
		t.Fatalf("last seen %v seconds ago, want the heartbeat's 60 and the late connection's 40", ago)
	}
}

// A resync sends again every visible change of its window, more than a
// subscription's buffer of events here (300 friends): each is delivered,
// once, and the subscription stays open.
func TestPresence_AResyncOfManyChangesKeepsTheSubscription(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	me := mustSignUp(t, h, "me")
	mustFriends(t, h, me, 300)
	ch, err := chat.PresenceEventsAs(me.Ctx, h.Service, func(u *models.User) int64 { return u.ID }, nil)
	must(t, err)
	must(t, h.DB.Exec(`UPDATE users SET presence_changed_at = now() - interval '1 minute' WHERE id <> ?`, me.ID).Error)
	for deadline := time.Now().Add(5 * time.Second); h.PresenceSubscribers(me.ID) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("presenceChanged did not start")
		}
	}
	h.Bus.Publish(events.Event{Topic: events.PresenceTopic, Kind: events.Resync})
	seen := map[int64]bool{}
	for len(seen) < 300 {
		select {
		case id, ok := <-ch:
			if !ok {
				t.Fatalf("the subscription ended after %d changes", len(seen))
			}
			if seen[id] {
				t.Fatalf("user %d twice", id)
			}
			seen[id] = true
			time.Sleep(50 * time.Microsecond) // a client's write
		case <-time.After(5 * time.Second):
			t.Fatalf("%d changes of 300 arrived", len(seen))
		}
	}
	// Still open: a live change arrives after.
	friend := mustSignUp(t, h, "late")
	befriend(t, h, me, friend)
	h.Bus.Publish(events.Event{Topic: events.PresenceTopic, Kind: events.PresenceChanged, ID: friend.ID})
	select {
	case id, ok := <-ch:
		if !ok || id != friend.ID {
			t.Fatalf("after the resync got %d (open %v), want %d", id, ok, friend.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no live change after the resync")
	}
}
