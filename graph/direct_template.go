package graph

import (
	"bytes"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// A chat event goes to every member of its chat, and most of what each
// subscriber asks of it is the same for all of them: the message, its
// sender, the chat's id. A template is one event written once for one
// subscription shape, with holes where the answer depends on who asks
// (the sync token, viewerReacted, a chat's unread count, anything not
// known to be the same for all). Each subscriber's copy is the template's
// bytes with its own holes written in: for a chat of 1,000 members that is
// one walk of the selection instead of 1,000.
type template struct {
	text  []byte
	holes []hole
	// failed says that writing the shared part failed: every subscriber
	// then gets the event from gqlgen, as if there were no template.
	failed bool
	// head reads the chat of a subscriber's event, for the chat's holes.
	head func(any) eventHead
	// collected serves the subscribers filling the holes, who all walk
	// the same selections (the writer's): collected once, not by each.
	collected collectMemo
}

// collectMemo remembers graphql.CollectFields by selection set and type.
// The key is the set's address: gqlgen builds a new slice each time it
// collects, so a memo is only good for the selections of one walk, here
// those of the template's writer, which its holes hold.
type collectMemo struct {
	mu sync.Mutex
	m  map[collectKey][]graphql.CollectedField
}

// collectKey is one selection set, by address, collected for one type.
type collectKey struct {
	first *ast.Selection
	n     int
	t     *directType
}

func (c *collectMemo) fields(op *graphql.OperationContext, sel ast.SelectionSet, t *directType) []graphql.CollectedField {
	k := collectKey{&sel[0], len(sel), t}
	c.mu.Lock()
	defer c.mu.Unlock()
	fields, ok := c.m[k]
	if !ok {
		fields = graphql.CollectFields(op, sel, t.implementors)
		if c.m == nil {
			c.m = map[collectKey][]graphql.CollectedField{}
		}
		c.m[k] = fields
	}
	return fields
}

// hole is a field written per subscriber, at offset at of the template's
// text.
type hole struct {
	at    int
	obj   any // the object it belongs to, unless on the root or its chat
	on    holeOn
	f     graphql.CollectedField
	write directField
}

// holeOn says whose object a hole belongs to.
type holeOn int

const (
	onShared holeOn = iota // an object every subscriber shares: obj
	onRoot                 // the subscriber's own event
	onChat                 // the subscriber's own copy of the event's chat
)

// sharedFields are the fields whose value does not depend on the viewer,
// by type: written into the template once. Anything not listed is a hole,
// so a field added to the schema is per viewer until someone checks it is
// not and lists it here. An object-valued field is listed only when the
// object it resolves to is the same for everyone; its own fields are then
// checked one by one. A chat event's syncToken is never shared. Its chat
// is, with a difference: each reader's copy of the event has a Chat row of
// its own, with their read marker (for unreadCount), so the chat's holes
// are written with the subscriber's own copy.
var sharedFields = map[string]map[string]bool{
	"Message":     set("id", "body", "createdAt", "cursor", "deleted", "clientMessageId", "editedAt", "sender"),
	"User":        set("id", "username", "displayName", "createdAt", "deleted"),
	"GroupChat":   set("id", "createdAt", "name"),
	"PrivateChat": set("id", "createdAt"),
}

func init() {
	for name := range eventTypes() {
		if name != "Reaction" {
			sharedFields[name] = set("chat", "cursor", "at", "message", "user", "by", "removedBy", "name", "typing")
		}
	}
	// A typing note's cursor is the position of each stream's own latest
	// event. Notes are not shared today (each stream makes its own, and
	// only live log events get templates), but should that change, the
	// cursor must stay each subscriber's.
	delete(sharedFields["TypingEvent"], "cursor")
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// shared reports whether field name of type typ is written into the
// template rather than per subscriber.
func shared(typ, name string) bool { return sharedFields[typ][name] }

// addHole records, while a template is written, that field f of obj is
// written per subscriber at the current offset.
func (x *directRun) addHole(obj any, f graphql.CollectedField, write directField) {
	h := hole{at: x.w.Len(), f: f, write: write}
	switch obj {
	case x.root:
		h.on = onRoot
	case x.rootChat:
		h.on = onChat
	default:
		h.obj = obj
	}
	x.tmpl.holes = append(x.tmpl.holes, h)
}

// fill writes t for one subscriber, whose own event is root, into x.w,
// or fails for gqlgen to write the event instead.
func (t *template) fill(x *directRun, root any) error {
	if t.failed {
		return errIndirect
	}
	x.collected = &t.collected
	var chat any
	if t.head != nil {
		chat = t.head(root).chat
	}
	at := 0
	for _, h := range t.holes {
		x.w.Write(t.text[at:h.at])
		at = h.at
		obj := h.obj
		switch h.on {
		case onRoot:
			obj = root
		case onChat:
			obj = chat
		}
		if err := h.write(x, obj, h.f); err != nil {
			return err
		}
	}
	x.w.Write(t.text[at:])
	return nil
}

// writeTemplate writes root's selection as a template: what x writes
// into it is shared, its holes are left for fill.
func (x *directRun) writeTemplate(root any, sel ast.SelectionSet) *template {
	t := &template{}
	x.tmpl, x.root, x.collected = t, root, &t.collected
	defer func() { x.tmpl, x.root, x.rootChat, x.collected = nil, nil, nil, nil }()
	if rt := directTypeOf(x.types, root); rt != nil && rt.head != nil {
		t.head = rt.head
		x.rootChat = rt.head(root).chat
	}
	x.w = new(bytes.Buffer)
	if err := x.object(root, sel); err != nil {
		return &template{failed: true}
	}
	t.text = x.w.Bytes()
	return t
}
