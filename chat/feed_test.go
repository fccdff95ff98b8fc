package chat_test

import (
	"fmt"
	"testing"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/internal/testbus"
	"github.com/gqlchat/gqlchat/models"
)

// Membership changes while others already follow the chat on the same
// instance, whose shared feed then remembers the old member list. Each case
// runs on one instance and across two: there every member follows on both,
// so each instance has a feed to get wrong.

// eachTopology runs test on the same service twice, and on two services
// of one database that share events through each kind of bus.
func eachTopology(t *testing.T, test func(t *testing.T, srv [2]*harness)) {
	t.Run("1 instance", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		test(t, [2]*harness{h, h})
	})
	for _, kind := range testbus.Kinds {
		t.Run("2 instances on "+kind, func(t *testing.T) {
			t.Parallel()
			test(t, newInstances(t, kind))
		})
	}
}

// onBoth streams u's new messages of chatID (nil for all) on each service.
func onBoth(t *testing.T, srv [2]*harness, u user, chatID *int64) [2]<-chan *models.Message {
	return [2]<-chan *models.Message{mustMessageEvents(t, srv[0], u, chatID, nil), mustMessageEvents(t, srv[1], u, chatID, nil)}
}

// mustIDs reads n messages of a stream and fails unless they are want.
func mustIDs(t *testing.T, who string, stream <-chan *models.Message, want ...int64) {
	t.Helper()
	got := make([]int64, len(want))
	for i := range got {
		got[i] = next(t, stream).ID
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s got %v, want %v", who, got, want)
	}
}

func TestMessageEvents_AMemberInvitedWhileOthersFollowGetsTheNewMessages(t *testing.T) {
	t.Parallel()
	eachTopology(t, func(t *testing.T, srv [2]*harness) {
		owner := mustSignUp(t, srv[0], "own")
		f := mustFriends(t, srv[0], owner, 2)
		b, e := f[0], f[1]
		g := mustGroup(t, srv[0], owner, "G", b)
		bs, es := onBoth(t, srv, b, nil), onBoth(t, srv, e, nil)
		before := mustPost(t, srv[0], owner, g.ID, "before E").ID // the feeds now know the members without E
		for _, stream := range bs {
			mustIDs(t, "B", stream, before)
		}
		_, err := srv[0].InviteToGroupChat(owner.Ctx, g.ID, ids(e))
		must(t, err)
		m1 := mustPost(t, srv[0], owner, g.ID, "one").ID
		m2 := mustPost(t, srv[1], b, g.ID, "two").ID
		for _, stream := range bs {
			mustIDs(t, "B", stream, m1, m2)
		}
		for _, stream := range es {
			mustIDs(t, "E", stream, m1, m2)
		}
	})
}

func TestMessageEvents_AMemberReinvitedAfterPostsFollowsTheChatAgain(t *testing.T) {
	t.Parallel()
	eachTopology(t, func(t *testing.T, srv [2]*harness) {
		owner := mustSignUp(t, srv[0], "own")
		f := mustFriends(t, srv[0], owner, 2)
		b, e := f[0], f[1]
		g := mustGroup(t, srv[0], owner, "G", b, e)
		onBoth(t, srv, b, &g.ID)                         // each service has a feed of the chat
		all := mustMessageEvents(t, srv[1], e, nil, nil) // E's stream of all chats lives through the removal
		_, err := srv[0].RemoveFromGroupChat(owner.Ctx, g.ID, e.ID)
		must(t, err)
		mustPost(t, srv[0], owner, g.ID, "while E is out")
		_, err = srv[0].InviteToGroupChat(owner.Ctx, g.ID, ids(e))
		must(t, err)

		one := mustMessageEvents(t, srv[1], e, &g.ID, nil) // a new stream of the chat alone, after the re-invitation
		back := mustPost(t, srv[0], owner, g.ID, "welcome back").ID
		mustIDs(t, "E's chat stream", one, back)
		// The first message after the re-invitation, not the one posted while out.
		mustIDs(t, "E's stream of all chats", all, back)
	})
}

func TestMessageEvents_AMemberWhoLeavesWhileOthersFollowGetsNothingMore(t *testing.T) {
	t.Parallel()
	eachTopology(t, func(t *testing.T, srv [2]*harness) {
		owner := mustSignUp(t, srv[0], "own")
		f := mustFriends(t, srv[0], owner, 2)
		b, e := f[0], f[1]
		g := mustGroup(t, srv[0], owner, "G", b, e)
		dm, err := srv[0].OpenPrivateChat(owner.Ctx, e.ID)
		must(t, err)
		onBoth(t, srv, b, &g.ID)
		one, all := mustMessageEvents(t, srv[1], e, &g.ID, nil), mustMessageEvents(t, srv[1], e, nil, nil)
		first := mustPost(t, srv[0], owner, g.ID, "all here").ID
		mustIDs(t, "E's chat stream", one, first)
		mustIDs(t, "E's stream of all chats", all, first)

		must(t, srv[0].LeaveGroupChat(e.Ctx, g.ID))
		mustEnd(t, one)
		mustPost(t, srv[0], owner, g.ID, "E has gone")
		// E's next message is the private one: the group's never came.
		private := mustPost(t, srv[0], owner, dm.ID, "still friends").ID
		mustIDs(t, "E's stream of all chats", all, private)
	})
}

// A message posted between a join and the moment the joiner's stream
// follows the chat brings that stream no event, and the chat's shared feed
// may not have read it yet: the stream must deliver it all the same.
func TestMessageEvents_AChatJoinedDeliversWhatWasPostedBeforeTheStreamFollowedIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// elsewhere is a second service on the same database whose events this
	// one never sees: what it does stands for what happens in the window.
	elsewhereBus := events.NewInMem()
	elsewhere := startHarness(t, h.DB, elsewhereBus, elsewhereBus, testConfig())
	owner := mustSignUp(t, h, "own")
	f := mustFriends(t, h, owner, 2)
	b, e := f[0], f[1]
	g := mustGroup(t, h, owner, "G", b)
	bs := mustMessageEvents(t, h, b, &g.ID, nil) // the chat's feed on h
	first := mustPost(t, h, owner, g.ID, "first")
	if got := next(t, bs); got.ID != first.ID {
		t.Fatalf("B got %d, want %d", got.ID, first.ID)
	}
	es := mustMessageEvents(t, h, e, nil, nil)

	if _, err := elsewhere.InviteToGroupChat(owner.Ctx, g.ID, []int64{e.ID}); err != nil {
		t.Fatal(err)
	}
	missed := mustPost(t, elsewhere, owner, g.ID, "while E's stream was joining")
	h.Bus.Publish(events.Event{Topic: events.LogTopic, Kind: events.LogAppended}) // the news of elsewhere's commits arrives
	if got := next(t, es); got.ID != missed.ID {
		t.Fatalf("E got %d (%q), want %d", got.ID, got.Body, missed.ID)
	}
}
