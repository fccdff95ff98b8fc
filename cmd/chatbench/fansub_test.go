package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// cursor makes an event's cursor as the server does.
func cursor(chat, pos int64) string {
	raw, _ := json.Marshal([]any{"e", chat, pos})
	return base64.RawURLEncoding.EncodeToString(raw)
}

// fixture is a group of three members with one warm-up post at position
// 10, then a post, a read marker of member 2, and member 1 leaving.
func fixture() *fanGroup {
	g := &fanGroup{group: &group{id: "G1", members: []*user{{id: "U0"}, {id: "U1"}, {id: "U2"}}}}
	g.done = []fanRecord{
		{kind: opPost, to: []int{0, 1, 2}, msgID: "M1"},
		{kind: opRead, to: []int{0, 1, 2}, msgID: "M1", userID: "U2"},
		{kind: opLeave, to: []int{0, 1, 2}, userID: "U1"},
		{kind: opRename, to: []int{0, 2}, name: "new"},
	}
	for m := range 3 {
		g.subs = append(g.subs, &fanSub{member: m})
	}
	return g
}

// event is the delivery of g's mutation k (position 11+k), or the warm-up.
func event(g *fanGroup, k int) delivery {
	if k < 0 {
		return delivery{typ: "MessagePostedEvent", chat: g.id, pos: 10, body: warmBody}
	}
	r := g.done[k]
	return delivery{typ: r.kind.eventType(), chat: g.id, pos: 11 + int64(k), msgID: r.msgID, userID: r.userID, name: r.name}
}

// deliverAll gives member m of g the events of mutations ks, in that order.
func deliverAll(g *fanGroup, m int, ks ...int) {
	for _, k := range ks {
		g.subs[m].got = append(g.subs[m].got, event(g, k))
	}
}

func complete(g *fanGroup) {
	deliverAll(g, 0, -1, 0, 1, 2, 3)
	deliverAll(g, 1, -1, 0, 1, 2)
	deliverAll(g, 2, -1, 0, 1, 2, 3)
}

func TestCheck_EveryMemberGettingWhatTheyMaySeePasses(t *testing.T) {
	g := fixture()
	complete(g)
	if v := check([]*fanGroup{g}); !v.ok() || v.deliveries != 11 || len(v.matched) != 11 {
		t.Fatalf("check = %v, want ok with 11 deliveries", v)
	}
}

func TestCheck_LossDuplicateReorderAndStrangersFail(t *testing.T) {
	for name, ks := range map[string][]int{
		"missing last":             {-1, 0, 1, 2},
		"duplicate":                {-1, 0, 1, 2, 2, 3},
		"out of order":             {-1, 0, 1, 3, 2},
		"another's marker missing": {-1, 0, 2, 3},
	} {
		g := fixture()
		complete(g)
		g.subs[0].got = nil
		deliverAll(g, 0, ks...)
		if v := check([]*fanGroup{g}); v.ok() {
			t.Errorf("%s: check passed %v, want a failure", name, ks)
		}
	}
}

func TestCheck_EventsAfterLeavingOrNotMatchingTheMutationFail(t *testing.T) {
	g := fixture()
	complete(g)
	deliverAll(g, 1, 3) // the rename, after member 1 left
	if v := check([]*fanGroup{g}); v.ok() || v.unexpected != 1 {
		t.Errorf("check = %v, want one unexpected event", v)
	}

	g = fixture()
	complete(g)
	g.subs[2].got[1].msgID = "M2"
	if v := check([]*fanGroup{g}); v.ok() || v.mismatched != 1 {
		t.Errorf("check = %v, want one event not matching its mutation", v)
	}

	g = fixture()
	complete(g)
	other := event(g, 0)
	other.chat = "G2"
	g.subs[0].got = append(g.subs[0].got, other)
	if v := check([]*fanGroup{g}); v.ok() || v.foreign != 1 {
		t.Errorf("check = %v, want one event of another chat", v)
	}
}

func TestParseDelivery_ReadsTheEventAndItsPosition(t *testing.T) {
	payload := fmt.Sprintf(`{"data":{"chatEvents":{"__typename":"ReadMarkerMovedEvent","cursor":%q,"chat":{"id":"G1"},"user":{"id":"U2"},"message":{"id":"M1"}}}}`,
		cursor(7, 42))
	d, err := parseDelivery(json.RawMessage(payload), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := delivery{typ: "ReadMarkerMovedEvent", chat: "G1", pos: 42, msgID: "M1", userID: "U2", at: d.at}
	if d != want {
		t.Fatalf("parseDelivery = %+v, want %+v", d, want)
	}
	for _, bad := range []string{`{"data":{"chatEvents":{"cursor":"xyz"}}}`, `{"data":null,"errors":[{"message":"no"}]}`} {
		if _, err := parseDelivery(json.RawMessage(bad), time.Now()); err == nil {
			t.Errorf("parseDelivery(%s) succeeded", bad)
		}
	}
}

func TestPlan_OnlyMutationsThatChangeSomething(t *testing.T) {
	// A group of 10 (the default) and one chat of 1,000 members.
	for members, n := range map[int]int{10: 5000, maxGroupMembers: 1000} {
		t.Run(fmt.Sprint(members), func(t *testing.T) { testPlan(t, members, n) })
	}
}

func testPlan(t *testing.T, members, n int) {
	m, err := parseMix(defaultMix)
	if err != nil {
		t.Fatal(err)
	}
	st := newFanState(0, members, 1)
	for i := range fanSeedMessages {
		st.seeded(fmt.Sprintf("S%d", i), 1+i)
	}
	kinds := map[opKind]int{}
	for i := range n {
		op := st.plan(m)
		to := st.recipients(op)
		kinds[op.kind]++
		switch {
		case !slices.IsSorted(to) || len(to) < members-maxOut:
			t.Fatalf("%d: recipients %v not in increasing order, or too few", i, to)
		case !st.in[op.actor] && op.kind != opJoin:
			t.Fatalf("%d: %s by member %d, who is out", i, op.kind, op.actor)
		case op.kind == opEdit && op.actor != op.msg.sender, op.msg != nil && op.msg.deleted && op.kind != opRead:
			t.Fatalf("%d: %s of a deleted or another's message", i, op.kind)
		case op.kind == opReact && op.msg.reacted[op.actor], op.kind == opUnreact && !op.msg.reacted[op.actor]:
			t.Fatalf("%d: a reaction that changes nothing", i)
		case op.kind == opRead && (st.marker[op.actor] >= len(st.msgs)-1 || !slices.Equal(to, st.members(true))):
			t.Fatalf("%d: a read marker that does not move, or goes to %v", i, to)
		case op.kind == opLeave && (op.member == 0 || !slices.Contains(to, op.member)):
			t.Fatalf("%d: the owner leaves, or the leaver misses their departure (%v)", i, to)
		case op.kind == opJoin && (st.in[op.member] || !slices.Contains(to, op.member)):
			t.Fatalf("%d: joining a member who is in, or missing their arrival (%v)", i, to)
		}
		st.done(op, fmt.Sprintf("M%d", i))
		if out := len(st.members(false)); out > maxOut {
			t.Fatalf("%d: %d members out", i, out)
		}
	}
	for _, k := range opKinds {
		if kinds[k] == 0 {
			t.Errorf("no %s in %d mutations: %v", k, n, kinds)
		}
	}
}

func TestParseMix(t *testing.T) {
	m, err := parseMix("post=3, read=1,edit=0")
	if err != nil || m.String() != "post=3,read=1" {
		t.Fatalf("parseMix = %v, %v", m, err)
	}
	for _, bad := range []string{"post", "post=x", "shout=1", "post=-1", "read=1"} {
		if _, err := parseMix(bad); err == nil {
			t.Errorf("parseMix(%q) succeeded", bad)
		}
	}
}

func TestFanoutResults_SplitsLatenciesByWindowAndKind(t *testing.T) {
	g := fixture()
	complete(g)
	g.done[2].window, g.done[3].window = 1, 1 // the leave and the rename in a second window
	b := &bench{cfg: config{duration: time.Second, Subscribers: 3, Rate: 4}}
	rows := b.fanoutResults([]*fanGroup{g}, check([]*fanGroup{g}), []fanWindow{{name: "fanout#1"}, {name: "fanout#2"}})
	got := map[string]int{}
	for _, r := range rows {
		got[r.Scenario] = r.Ops
		if r.Failed {
			t.Errorf("%s failed: %v", r.Scenario, r.Notes)
		}
	}
	want := map[string]int{"fanout#1": 6, "fanout#1/post": 3, "fanout#1/read": 3, "fanout#2": 5, "fanout#2/leave": 3, "fanout#2/rename": 2}
	if len(got) != len(want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d deliveries, want %d (rows %v)", k, got[k], n, got)
		}
	}
}

func TestFanLists_GroupsOfTheSizeAskedWithNoGroupOfOne(t *testing.T) {
	users := make([]*user, 2001)
	for i := range users {
		users[i] = &user{id: fmt.Sprint("U", i)}
	}
	for _, c := range []struct {
		users, size int
		want        string
	}{
		{1000, 10, "100 groups of 10"}, // the default
		{1001, 10, "100 groups of 10-11"},
		{1000, 1000, "1 group of 1000"},
		{1001, 1000, "2 groups of 2-999"}, // 1,001 in one would pass the server's limit
		{2000, 1000, "2 groups of 1000"},
		{3, 1000, "1 group of 3"},
	} {
		lists := fanLists(users[:c.users], c.size)
		var groups []*fanGroup
		var all []*user
		for _, l := range lists {
			groups = append(groups, &fanGroup{group: &group{members: l}})
			all = append(all, l...)
		}
		if got := groupSizes(groups); got != c.want || !slices.Equal(all, users[:c.users]) {
			t.Errorf("fanLists(%d users, %d) = %s, want %s, each user once in order", c.users, c.size, got, c.want)
		}
	}
}

func TestFanoutRow_SaysWhenTheRateWasNotMade(t *testing.T) {
	g := fixture()
	complete(g)
	b := &bench{cfg: config{duration: time.Second, Subscribers: 3, GroupSize: 3, Rate: 4}}
	notes := func(asked int64) string {
		rows := b.fanoutResults([]*fanGroup{g}, check([]*fanGroup{g}), []fanWindow{{name: "fanout", asked: asked}})
		return strings.Join(rows[0].Notes, "; ")
	}
	if n := notes(4); strings.Contains(n, "NOT SUSTAINED") || !strings.Contains(n, "S=3 in 1 group of 3 (-group-size 3)") ||
		!strings.Contains(n, "4 mutations asked, 4 made") {
		t.Errorf("all 4 made: notes %q", n)
	}
	if n := notes(8); !strings.Contains(n, "RATE NOT SUSTAINED: 4 of 8 mutations asked were made (50%)") {
		t.Errorf("4 of 8 made: notes %q", n)
	}
}
