package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// opKind is one kind of mutation fanout drives, named as in -mix.
type opKind string

// The mutations of the mix and the chat event each one makes.
const (
	opPost    opKind = "post"    // postMessage: MessagePostedEvent
	opEdit    opKind = "edit"    // editMessage: MessageEditedEvent
	opDelete  opKind = "delete"  // deleteMessage: MessageDeletedEvent
	opReact   opKind = "react"   // addReaction: ReactionsChangedEvent
	opUnreact opKind = "unreact" // removeReaction: ReactionsChangedEvent
	opRead    opKind = "read"    // markChatRead: ReadMarkerMovedEvent, to every member (read receipts)
	opRename  opKind = "rename"  // renameGroupChat: ChatRenamedEvent
	opLeave   opKind = "leave"   // leaveGroupChat or removeFromGroupChat, in turn: MemberLeftEvent
	opJoin    opKind = "join"    // inviteToGroupChat of one who left: MemberJoinedEvent
)

// opKinds lists the kinds in the order reports show them.
var opKinds = []opKind{opPost, opEdit, opDelete, opReact, opUnreact, opRead, opRename, opLeave, opJoin}

// eventType is the __typename of the event op makes.
func (k opKind) eventType() string {
	return map[opKind]string{
		opPost: "MessagePostedEvent", opEdit: "MessageEditedEvent", opDelete: "MessageDeletedEvent",
		opReact: "ReactionsChangedEvent", opUnreact: "ReactionsChangedEvent", opRead: "ReadMarkerMovedEvent",
		opRename: "ChatRenamedEvent", opLeave: "MemberLeftEvent", opJoin: "MemberJoinedEvent",
	}[k]
}

// defaultMix is roughly what a busy group chat does: mostly posts, read
// markers and reactions, some edits, and now and then a deletion, a
// rename, or someone leaving and being invited back.
const defaultMix = "post=40,edit=8,delete=4,react=14,unreact=6,read=16,rename=4,leave=4,join=4"

// mix is the relative weight of each kind of mutation.
type mix map[opKind]int

// parseMix reads -mix: kind=weight pairs separated by commas.
func parseMix(s string) (mix, error) {
	m := mix{}
	for pair := range strings.SplitSeq(s, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		k, w, ok := strings.Cut(pair, "=")
		n, err := strconv.Atoi(strings.TrimSpace(w))
		kind := opKind(strings.TrimSpace(k))
		if !ok || err != nil || n < 0 || !slices.Contains(opKinds, kind) {
			return nil, fmt.Errorf("-mix: %q is not kind=weight with a kind among %v and a weight >= 0", pair, opKinds)
		}
		m[kind] = n
	}
	if m[opPost] == 0 {
		return nil, fmt.Errorf("-mix: post needs a positive weight (the other kinds act on posted messages)")
	}
	return m, nil
}

func (m mix) String() string {
	var parts []string
	for _, k := range opKinds {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
		}
	}
	return strings.Join(parts, ",")
}

// reactionEmoji is the one emoji of the mix: a member has reacted to a
// message with it or not, which is all the state adding and removing needs.
const reactionEmoji = "👍"

// maxOut bounds the members of a group out of it at once.
const maxOut = 3

// fanMsg is a message of a fanout group, as its driver knows it.
type fanMsg struct {
	id      string
	sender  int // index in the group's members
	deleted bool
	reacted map[int]bool // members who reacted with reactionEmoji
}

// fanState is what a group's driver knows of its chat: enough to choose
// only mutations that change something, since one that changes nothing
// logs no event (an idempotent reaction, a marker that does not move).
// Member 0 owns the group and never leaves it.
type fanState struct {
	group   int
	rng     *rand.Rand
	in      []bool    // members in the group now
	msgs    []*fanMsg // in posting order
	marker  []int     // each member's read marker: an index in msgs, -1 before them all
	n       int       // mutations planned so far, for unique bodies and names
	removes bool      // the next departure is a removal by the owner
}

func newFanState(group, members int, seed uint64) *fanState {
	st := &fanState{group: group, rng: rand.New(rand.NewPCG(seed, uint64(group))),
		in: make([]bool, members), marker: make([]int, members)}
	for i := range st.in {
		st.in[i], st.marker[i] = true, -1
	}
	return st
}

// seeded records a message posted before measuring, which moved its
// sender's read marker.
func (st *fanState) seeded(id string, sender int) {
	st.msgs = append(st.msgs, &fanMsg{id: id, sender: sender, reacted: map[int]bool{}})
	st.marker[sender] = len(st.msgs) - 1
}

// fanOp is one planned mutation.
type fanOp struct {
	kind   opKind
	actor  int     // the member who makes it
	msg    *fanMsg // the message it acts on (edit, delete, react, unreact, read)
	member int     // the member who leaves or joins
	text   string  // a post's or an edit's body, a rename's name
	remove bool    // a leave made by the owner's removal
}

// plan chooses the next mutation: a kind by weight among those that can
// change something now, then at random what it acts on.
func (st *fanState) plan(m mix) *fanOp {
	var kinds []opKind
	total := 0
	for _, k := range opKinds {
		if m[k] > 0 && st.possible(k) {
			kinds, total = append(kinds, k), total+m[k]
		}
	}
	r := st.rng.IntN(total)
	for _, k := range kinds {
		if r -= m[k]; r < 0 {
			st.n++
			return st.pick(k)
		}
	}
	panic("unreachable")
}

// possible says whether a mutation of kind k can change something now.
func (st *fanState) possible(k opKind) bool {
	switch k {
	case opEdit:
		return len(st.editable()) > 0
	case opDelete:
		return len(st.live()) > 0
	case opReact:
		return st.reactable(false) > 0
	case opUnreact:
		return st.reactable(true) > 0
	case opRead:
		return len(st.behind()) > 0
	case opLeave:
		return len(st.members(false)) < maxOut && len(st.members(true)) > 1
	case opJoin:
		return len(st.members(false)) > 0
	}
	return true // post, rename
}

// pick plans a mutation of kind k, which must be possible.
func (st *fanState) pick(k opKind) *fanOp {
	op := &fanOp{kind: k}
	switch k {
	case opPost:
		op.actor, op.text = st.any(st.members(true)), fmt.Sprintf("fan g%d #%d", st.group, st.n)
	case opEdit:
		op.msg = st.anyMsg(st.editable())
		op.actor, op.text = op.msg.sender, fmt.Sprintf("fan g%d #%d (edited)", st.group, st.n)
	case opDelete:
		op.msg, op.actor = st.anyMsg(st.live()), 0 // the owner may delete any message
		if st.in[op.msg.sender] {
			op.actor = op.msg.sender
		}
	case opReact, opUnreact:
		has := k == opUnreact
		op.msg, op.actor = st.reaction(has, st.rng.IntN(st.reactable(has)))
	case opRead:
		op.actor, op.msg = st.any(st.behind()), st.msgs[len(st.msgs)-1]
	case opRename:
		op.actor, op.text = st.any(st.members(true)), fmt.Sprintf("fan g%d name %d", st.group, st.n)
	case opLeave:
		op.member = st.any(slices.DeleteFunc(st.members(true), func(i int) bool { return i == 0 }))
		op.actor, op.remove, st.removes = op.member, st.removes, !st.removes
		if op.remove {
			op.actor = 0
		}
	case opJoin:
		op.member, op.actor = st.any(st.members(false)), 0
	}
	return op
}

// recipients returns the members whose streams get op's event, in
// increasing order: the members at the time of the event (a leaver gets their own departure, a
// joiner their own arrival). A read marker too goes to every member, its
// owner and the others who draw "seen by" from it.
func (st *fanState) recipients(op *fanOp) []int {
	in := st.members(true)
	if op.kind == opJoin {
		in = append(in, op.member)
		slices.Sort(in)
	}
	return in
}

// done applies op, which succeeded; msgID is a new post's id.
func (st *fanState) done(op *fanOp, msgID string) {
	switch op.kind {
	case opPost:
		st.msgs = append(st.msgs, &fanMsg{id: msgID, sender: op.actor, reacted: map[int]bool{}})
		st.marker[op.actor] = len(st.msgs) - 1 // posting moves the sender's marker
	case opDelete:
		op.msg.deleted, op.msg.reacted = true, map[int]bool{}
	case opReact:
		op.msg.reacted[op.actor] = true
	case opUnreact:
		delete(op.msg.reacted, op.actor)
	case opRead:
		st.marker[op.actor] = len(st.msgs) - 1
	case opLeave:
		st.in[op.member] = false
	case opJoin:
		st.in[op.member], st.marker[op.member] = true, -1 // a new membership starts unread
	}
}

// members returns the indices of the members in the group (in) or out of it.
func (st *fanState) members(in bool) []int {
	var out []int
	for i, v := range st.in {
		if v == in {
			out = append(out, i)
		}
	}
	return out
}

// recent bounds the messages the mix acts on to the latest ones, as
// people mostly react to and edit what was just said.
const recent = 8

// live returns the recent messages not deleted.
func (st *fanState) live() []*fanMsg {
	var out []*fanMsg
	for _, m := range st.msgs[max(0, len(st.msgs)-recent):] {
		if !m.deleted {
			out = append(out, m)
		}
	}
	return out
}

// editable returns the recent messages their sender, still a member, may edit.
func (st *fanState) editable() []*fanMsg {
	return slices.DeleteFunc(st.live(), func(m *fanMsg) bool { return !st.in[m.sender] })
}

// reactable counts the (message, member) pairs of the recent messages
// and the members in the group where the member has reacted (has true)
// or not yet (has false). It counts by the reactions, which are few, not
// by the members, who may be 1,000: the driver plans every mutation.
func (st *fanState) reactable(has bool) int {
	in := 0
	for _, v := range st.in {
		if v {
			in++
		}
	}
	n := 0
	for _, m := range st.live() {
		r := len(st.reactors(m))
		if !has {
			r = in - r
		}
		n += r
	}
	return n
}

// reaction returns the k-th of the pairs reactable counts, in the order
// of the messages, then of the members.
func (st *fanState) reaction(has bool, k int) (*fanMsg, int) {
	for _, m := range st.live() {
		us := st.reactors(m)
		if !has {
			us = slices.DeleteFunc(st.members(true), func(u int) bool { return m.reacted[u] })
		}
		if k < len(us) {
			return m, us[k]
		}
		k -= len(us)
	}
	panic("no such reaction")
}

// reactors returns the members in the group who reacted to m, in order.
func (st *fanState) reactors(m *fanMsg) []int {
	var us []int
	for u := range m.reacted {
		if st.in[u] {
			us = append(us, u)
		}
	}
	slices.Sort(us)
	return us
}

// behind returns the members whose read marker is before the last message.
func (st *fanState) behind() []int {
	return slices.DeleteFunc(st.members(true), func(i int) bool { return st.marker[i] >= len(st.msgs)-1 })
}

func (st *fanState) any(ids []int) int { return ids[st.rng.IntN(len(ids))] }

func (st *fanState) anyMsg(ms []*fanMsg) *fanMsg { return ms[st.rng.IntN(len(ms))] }
