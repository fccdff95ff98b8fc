package graph

import (
	"maps"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/graph/scalar"
)

// The chat event types and what their messages carry, as the direct path
// writes them for chatEvents subscriptions (direct_stream.go).

// eventHead is what every ChatEvent type holds.
type eventHead struct {
	chat      model.Chat
	cursor    string
	syncToken string
	at        time.Time
}

// eventType is the directType of one ChatEvent type: the interface's
// fields read through head, and the type's own in extra.
func eventType[E any](name string, impl []string, head func(*E) eventHead, extra map[string]directField) *directType {
	fields := map[string]directField{
		"chat": func(x *directRun, o any, f graphql.CollectedField) error {
			return x.object(head(o.(*E)).chat, f.Selections)
		},
		"cursor": func(x *directRun, o any, _ graphql.CollectedField) error {
			return x.scalar(scalar.MarshalString(head(o.(*E)).cursor))
		},
		"syncToken": func(x *directRun, o any, _ graphql.CollectedField) error {
			return x.scalar(scalar.MarshalString(head(o.(*E)).syncToken))
		},
		"at": func(x *directRun, o any, _ graphql.CollectedField) error {
			return x.scalar(scalar.MarshalTime(head(o.(*E)).at))
		},
	}
	for k, v := range extra {
		fields[k] = v
	}
	return &directType{name: name, implementors: impl, fields: fields, head: func(o any) eventHead { return head(o.(*E)) }}
}

// messageOf, userOf and optionalUserOf write a field holding a message or
// a user: non-null ones fail for gqlgen on nil (object does), optional ones
// write null.
func messageOf[E any](get func(*E) *model.Message) directField {
	return func(x *directRun, o any, f graphql.CollectedField) error { return x.object(get(o.(*E)), f.Selections) }
}

func userOf[E any](get func(*E) *model.User) directField {
	return func(x *directRun, o any, f graphql.CollectedField) error { return x.object(get(o.(*E)), f.Selections) }
}

func optionalUserOf[E any](get func(*E) *model.User) directField {
	return func(x *directRun, o any, f graphql.CollectedField) error {
		u := get(o.(*E))
		return x.nullable(u, u == nil, f.Selections)
	}
}

// withEventTypes returns types with the ChatEvent types added and Message's
// fields extended: what a chatEvents subscription's events are written
// with. A query's answer does without them: a page of messages would load
// each message's reactions one by one, where gqlgen batches them.
func withEventTypes(types map[string]*directType) map[string]*directType {
	out := make(map[string]*directType, len(types)+12)
	for name, t := range types {
		out[name] = t
	}
	for name, t := range eventTypes() {
		out[name] = t
	}
	m := *types["Message"]
	m.fields = make(map[string]directField, len(m.fields)+2)
	for name, f := range types["Message"].fields {
		m.fields[name] = f
	}
	for name, f := range messageEventFields() {
		m.fields[name] = f
	}
	// Receipts in events are gqlgen's still: the direct path's seenBy and
	// totalCount have been compared with gqlgen's in queries only.
	delete(m.fields, "seenBy")
	out["Message"] = &m
	uc := *types["UserConnection"]
	uc.fields = maps.Clone(uc.fields)
	delete(uc.fields, "totalCount")
	out["UserConnection"] = &uc
	return out
}

// eventTypes are the ChatEvent types, by name.
func eventTypes() map[string]*directType {
	posted := func(e *model.MessagePostedEvent) eventHead { return eventHead{e.Chat, e.Cursor, e.SyncToken, e.At} }
	edited := func(e *model.MessageEditedEvent) eventHead { return eventHead{e.Chat, e.Cursor, e.SyncToken, e.At} }
	deleted := func(e *model.MessageDeletedEvent) eventHead { return eventHead{e.Chat, e.Cursor, e.SyncToken, e.At} }
	reacted := func(e *model.ReactionsChangedEvent) eventHead { return eventHead{e.Chat, e.Cursor, e.SyncToken, e.At} }
	joined := func(e *model.MemberJoinedEvent) eventHead { return eventHead{e.Chat, e.Cursor, e.SyncToken, e.At} }
	left := func(e *model.MemberLeftEvent) eventHead { return eventHead{e.Chat, e.Cursor, e.SyncToken, e.At} }
	renamed := func(e *model.ChatRenamedEvent) eventHead { return eventHead{e.Chat, e.Cursor, e.SyncToken, e.At} }
	read := func(e *model.ReadMarkerMovedEvent) eventHead { return eventHead{e.Chat, e.Cursor, e.SyncToken, e.At} }
	typing := func(e *model.TypingEvent) eventHead { return eventHead{e.Chat, e.Cursor, e.SyncToken, e.At} }
	return map[string]*directType{
		"MessagePostedEvent": eventType("MessagePostedEvent", messagePostedEventImplementors, posted, map[string]directField{
			"message": messageOf(func(e *model.MessagePostedEvent) *model.Message { return e.Message }),
		}),
		"MessageEditedEvent": eventType("MessageEditedEvent", messageEditedEventImplementors, edited, map[string]directField{
			"message": messageOf(func(e *model.MessageEditedEvent) *model.Message { return e.Message }),
		}),
		"MessageDeletedEvent": eventType("MessageDeletedEvent", messageDeletedEventImplementors, deleted, map[string]directField{
			"message": messageOf(func(e *model.MessageDeletedEvent) *model.Message { return e.Message }),
		}),
		"ReactionsChangedEvent": eventType("ReactionsChangedEvent", reactionsChangedEventImplementors, reacted, map[string]directField{
			"message": messageOf(func(e *model.ReactionsChangedEvent) *model.Message { return e.Message }),
			"by":      userOf(func(e *model.ReactionsChangedEvent) *model.User { return e.By }),
		}),
		"MemberJoinedEvent": eventType("MemberJoinedEvent", memberJoinedEventImplementors, joined, map[string]directField{
			"user": userOf(func(e *model.MemberJoinedEvent) *model.User { return e.User }),
			"by":   optionalUserOf(func(e *model.MemberJoinedEvent) *model.User { return e.By }),
		}),
		"MemberLeftEvent": eventType("MemberLeftEvent", memberLeftEventImplementors, left, map[string]directField{
			"user":      userOf(func(e *model.MemberLeftEvent) *model.User { return e.User }),
			"removedBy": optionalUserOf(func(e *model.MemberLeftEvent) *model.User { return e.RemovedBy }),
		}),
		"ChatRenamedEvent": eventType("ChatRenamedEvent", chatRenamedEventImplementors, renamed, map[string]directField{
			"name": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(scalar.MarshalString(o.(*model.ChatRenamedEvent).Name))
			},
			"by": userOf(func(e *model.ChatRenamedEvent) *model.User { return e.By }),
		}),
		"ReadMarkerMovedEvent": eventType("ReadMarkerMovedEvent", readMarkerMovedEventImplementors, read, map[string]directField{
			"user":    userOf(func(e *model.ReadMarkerMovedEvent) *model.User { return e.User }),
			"message": messageOf(func(e *model.ReadMarkerMovedEvent) *model.Message { return e.Message }),
		}),
		"TypingEvent": eventType("TypingEvent", typingEventImplementors, typing, map[string]directField{
			"user": userOf(func(e *model.TypingEvent) *model.User { return e.User }),
			"typing": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(graphql.MarshalBoolean(o.(*model.TypingEvent).Typing))
			},
		}),
		"Reaction": {name: "Reaction", implementors: reactionImplementors, fields: map[string]directField{
			"emoji": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(scalar.MarshalString(o.(*model.Reaction).Emoji))
			},
			"count": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(graphql.MarshalInt(o.(*model.Reaction).Count()))
			},
			"viewerReacted": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(graphql.MarshalBoolean(o.(*model.Reaction).ViewerReacted))
			},
		}},
	}
}

// messageEventFields are the Message fields that events ask for beyond
// what a history page does.
func messageEventFields() map[string]directField {
	return map[string]directField{
		"reactions": func(x *directRun, o any, f graphql.CollectedField) error {
			a, err := x.args(f, (*executionContext).field_Message_reactions_args)
			if err != nil {
				return err
			}
			rs, err := x.r.Message().Reactions(x.ctx, o.(*model.Message), a["emoji"].(*string))
			if err != nil {
				return err
			}
			return list(x, rs, f.Selections)
		},
		"replyTo": func(x *directRun, o any, f graphql.CollectedField) error {
			m, err := x.r.Message().ReplyTo(x.ctx, o.(*model.Message))
			if err != nil {
				return err
			}
			return x.nullable(m, m == nil, f.Selections)
		},
	}
}

// eventTypeName is the name of the ChatEvent type of obj, "" for anything
// else or a nil pointer.
func eventTypeName(obj any) string {
	switch o := obj.(type) {
	case *model.MessagePostedEvent:
		return ifNotNil(o, "MessagePostedEvent")
	case *model.MessageEditedEvent:
		return ifNotNil(o, "MessageEditedEvent")
	case *model.MessageDeletedEvent:
		return ifNotNil(o, "MessageDeletedEvent")
	case *model.ReactionsChangedEvent:
		return ifNotNil(o, "ReactionsChangedEvent")
	case *model.MemberJoinedEvent:
		return ifNotNil(o, "MemberJoinedEvent")
	case *model.MemberLeftEvent:
		return ifNotNil(o, "MemberLeftEvent")
	case *model.ChatRenamedEvent:
		return ifNotNil(o, "ChatRenamedEvent")
	case *model.ReadMarkerMovedEvent:
		return ifNotNil(o, "ReadMarkerMovedEvent")
	case *model.TypingEvent:
		return ifNotNil(o, "TypingEvent")
	case *model.Reaction:
		return ifNotNil(o, "Reaction")
	}
	return ""
}
