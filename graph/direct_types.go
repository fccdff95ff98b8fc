package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/graph/scalar"
	"github.com/gqlchat/gqlchat/models"
)

// directType is a GraphQL object type the direct path writes: each field
// it knows, written as the generated code would (the generated _Type_field
// functions are the reference; the comparison test holds the two together).
type directType struct {
	name         string
	implementors []string // the generated list: what fragments it satisfies
	fields       map[string]directField
	// head reads what every chat event holds, for the ChatEvent types.
	head func(any) eventHead
}

// A directField writes field f of obj, or fails for gqlgen to answer.
type directField func(x *directRun, obj any, f graphql.CollectedField) error

// directQuery stands for the root Query object.
type directQuery struct{}

// directTypes are the types the direct path writes in a query's answer,
// by name; streamTypes those it writes in chatEvents' (direct_events.go).
var directTypes, streamTypes map[string]*directType

func init() { // in init: the fields refer back to directTypes through object
	// A chat's fields, for either type: messages and members call what
	// both types' generated resolvers call (chatMessages, chatMembers).
	chatFields := func(name string, impl []string, messagesArgs, membersArgs argParser) *directType {
		return &directType{name: name, implementors: impl, fields: map[string]directField{
			"id": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.id(model.EncodeID(model.KindChat, chatOf(o).ID))
			},
			"createdAt": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(scalar.MarshalTime(chatOf(o).CreatedAt))
			},
			"messages": func(x *directRun, o any, f graphql.CollectedField) error {
				a, err := x.args(f, messagesArgs)
				if err != nil {
					return err
				}
				conn, err := x.r.chatMessages(x.ctx, chatOf(o), a["first"].(*int), a["after"].(*string), a["last"].(*int), a["before"].(*string))
				if err != nil {
					return err
				}
				return x.object(conn, f.Selections)
			},
			"members": func(x *directRun, o any, f graphql.CollectedField) error {
				a, err := x.args(f, membersArgs)
				if err != nil {
					return err
				}
				conn, err := x.r.chatMembers(x.ctx, chatOf(o), a["first"].(*int), a["after"].(*string))
				if err != nil {
					return err
				}
				return x.object(conn, f.Selections)
			},
			"lastMessage": func(x *directRun, o any, f graphql.CollectedField) error {
				m, err := lastMessage(x.ctx, chatOf(o))
				if err != nil {
					return err
				}
				return x.nullable(m, m == nil, f.Selections)
			},
			"unreadCount": func(x *directRun, o any, _ graphql.CollectedField) error {
				n, err := unreadCount(x.ctx, chatOf(o))
				if err != nil {
					return err
				}
				return x.scalar(graphql.MarshalInt(n))
			},
		}}
	}
	group := chatFields("GroupChat", groupChatImplementors,
		(*executionContext).field_GroupChat_messages_args, (*executionContext).field_GroupChat_members_args)
	group.fields["name"] = func(x *directRun, o any, _ graphql.CollectedField) error {
		name := o.(*model.GroupChat).Name
		if name == nil {
			return errIndirect
		}
		return x.scalar(scalar.MarshalString(*name))
	}
	private := chatFields("PrivateChat", privateChatImplementors,
		(*executionContext).field_PrivateChat_messages_args, (*executionContext).field_PrivateChat_members_args)

	directTypes = map[string]*directType{
		"Query": {name: "Query", implementors: queryImplementors, fields: map[string]directField{
			"node": func(x *directRun, _ any, f graphql.CollectedField) error {
				a, err := x.args(f, (*executionContext).field_Query_node_args)
				if err != nil {
					return err
				}
				n, err := x.r.Query().Node(x.ctx, a["id"].(string))
				if err != nil {
					return err
				}
				return x.nullable(n, n == nil, f.Selections)
			},
			"viewer": func(x *directRun, _ any, f graphql.CollectedField) error {
				u, err := x.r.Query().Viewer(x.ctx)
				if err != nil {
					return err
				}
				return x.nullable(u, u == nil, f.Selections)
			},
			"chats": func(x *directRun, _ any, f graphql.CollectedField) error {
				a, err := x.args(f, (*executionContext).field_Query_chats_args)
				if err != nil {
					return err
				}
				conn, err := x.r.Query().Chats(x.ctx, a["first"].(*int), a["after"].(*string))
				if err != nil {
					return err
				}
				return x.object(conn, f.Selections)
			},
		}},
		"GroupChat":   group,
		"PrivateChat": private,
		"Message": {name: "Message", implementors: messageImplementors, fields: map[string]directField{
			"id": func(x *directRun, o any, _ graphql.CollectedField) error { return x.id(o.(*model.Message).GlobalID()) },
			"body": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(scalar.MarshalString(o.(*model.Message).Body))
			},
			"createdAt": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(scalar.MarshalTime(o.(*model.Message).CreatedAt))
			},
			"cursor": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(scalar.MarshalString(o.(*model.Message).Cursor()))
			},
			"deleted": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(graphql.MarshalBoolean(o.(*model.Message).Deleted()))
			},
			"clientMessageId": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.optionalString(o.(*model.Message).ClientMessageID)
			},
			"editedAt": func(x *directRun, o any, _ graphql.CollectedField) error {
				if t := o.(*model.Message).EditedAt; t != nil {
					return x.scalar(scalar.MarshalTime(*t))
				}
				return x.scalar(graphql.Null)
			},
			"sender": func(x *directRun, o any, f graphql.CollectedField) error {
				u, err := x.r.Message().Sender(x.ctx, o.(*model.Message))
				if err != nil {
					return err
				}
				return x.object(u, f.Selections)
			},
			// A list of messages has its receipts and their users loaded
			// first (prefetchSeenBy): each message's then come from the
			// loaders' caches.
			"seenBy": func(x *directRun, o any, f graphql.CollectedField) error {
				a, err := x.args(f, (*executionContext).field_Message_seenBy_args)
				if err != nil {
					return err
				}
				conn, err := seenBy(x.ctx, (*models.Message)(o.(*model.Message)), a["first"].(*int), a["after"].(*string))
				if err != nil {
					return err
				}
				return x.object(conn, f.Selections)
			},
		}},
		"User": {name: "User", implementors: userImplementors, fields: map[string]directField{
			"id": func(x *directRun, o any, _ graphql.CollectedField) error { return x.id(o.(*model.User).GlobalID()) },
			"username": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(scalar.MarshalString(o.(*model.User).Username))
			},
			"displayName": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(scalar.MarshalString(o.(*model.User).DisplayName))
			},
			"createdAt": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(scalar.MarshalTime(o.(*model.User).CreatedAt))
			},
			"deleted": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(graphql.MarshalBoolean(o.(*model.User).Deleted()))
			},
		}},
		// Only so that Node's id is known on every node type.
		"FriendRequest": {name: "FriendRequest", implementors: friendRequestImplementors, fields: map[string]directField{
			"id": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.id(o.(*model.FriendRequest).GlobalID())
			},
		}},
		"PageInfo": {name: "PageInfo", implementors: pageInfoImplementors, fields: map[string]directField{
			"hasNextPage": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(graphql.MarshalBoolean(o.(*model.PageInfo).HasNextPage))
			},
			"hasPreviousPage": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(graphql.MarshalBoolean(o.(*model.PageInfo).HasPreviousPage))
			},
			"startCursor": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.optionalString(o.(*model.PageInfo).StartCursor)
			},
			"endCursor": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.optionalString(o.(*model.PageInfo).EndCursor)
			},
		}},
		"MessageConnection": {name: "MessageConnection", implementors: messageConnectionImplementors, fields: map[string]directField{
			"edges": func(x *directRun, o any, f graphql.CollectedField) error {
				edges := o.(*model.MessageConnection).Edges
				x.prefetchMessages(edges, f.Selections)
				return list(x, edges, f.Selections)
			},
			"pageInfo": func(x *directRun, o any, f graphql.CollectedField) error {
				return x.object(o.(*model.MessageConnection).PageInfo, f.Selections)
			},
		}},
		"MessageEdge": {name: "MessageEdge", implementors: messageEdgeImplementors, fields: map[string]directField{
			"cursor": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(scalar.MarshalString(o.(*model.MessageEdge).Cursor))
			},
			"node": func(x *directRun, o any, f graphql.CollectedField) error {
				return x.object(o.(*model.MessageEdge).Node, f.Selections)
			},
		}},
		"ChatConnection": {name: "ChatConnection", implementors: chatConnectionImplementors, fields: map[string]directField{
			"edges": func(x *directRun, o any, f graphql.CollectedField) error {
				edges := o.(*model.ChatConnection).Edges
				x.prefetchChats(edges, f.Selections)
				return list(x, edges, f.Selections)
			},
			"pageInfo": func(x *directRun, o any, f graphql.CollectedField) error {
				return x.object(o.(*model.ChatConnection).PageInfo, f.Selections)
			},
		}},
		"ChatEdge": {name: "ChatEdge", implementors: chatEdgeImplementors, fields: map[string]directField{
			"cursor": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(scalar.MarshalString(o.(*model.ChatEdge).Cursor))
			},
			"node": func(x *directRun, o any, f graphql.CollectedField) error {
				return x.object(o.(*model.ChatEdge).Node, f.Selections)
			},
		}},
		"UserConnection": {name: "UserConnection", implementors: userConnectionImplementors, fields: map[string]directField{
			"edges": func(x *directRun, o any, f graphql.CollectedField) error {
				return list(x, o.(*model.UserConnection).Edges, f.Selections)
			},
			// A page of receipts has its count; members' is loaded for a
			// list of chats at once (prefetchChats).
			"totalCount": func(x *directRun, o any, _ graphql.CollectedField) error {
				n, err := o.(*model.UserConnection).TotalCount(x.ctx)
				if err != nil {
					return err
				}
				return x.scalar(graphql.MarshalInt(n))
			},
			"pageInfo": func(x *directRun, o any, f graphql.CollectedField) error {
				return x.object(o.(*model.UserConnection).PageInfo, f.Selections)
			},
		}},
		"UserEdge": {name: "UserEdge", implementors: userEdgeImplementors, fields: map[string]directField{
			"cursor": func(x *directRun, o any, _ graphql.CollectedField) error {
				return x.scalar(scalar.MarshalString(o.(*model.UserEdge).Cursor))
			},
			"node": func(x *directRun, o any, f graphql.CollectedField) error {
				return x.object(o.(*model.UserEdge).Node, f.Selections)
			},
		}},
	}
	streamTypes = withEventTypes(directTypes)
}

// directTypeOf returns the type obj is written as, out of types, or nil
// for anything not in them (a nil pointer among them).
func directTypeOf(types map[string]*directType, obj any) *directType {
	var name string
	switch o := obj.(type) {
	case directQuery:
		name = "Query"
	case *model.GroupChat:
		name = ifNotNil(o, "GroupChat")
	case *model.PrivateChat:
		name = ifNotNil(o, "PrivateChat")
	case *model.Message:
		name = ifNotNil(o, "Message")
	case *model.User:
		name = ifNotNil(o, "User")
	case *model.FriendRequest:
		name = ifNotNil(o, "FriendRequest")
	case *model.PageInfo:
		name = ifNotNil(o, "PageInfo")
	case *model.MessageConnection:
		name = ifNotNil(o, "MessageConnection")
	case *model.MessageEdge:
		name = ifNotNil(o, "MessageEdge")
	case *model.ChatConnection:
		name = ifNotNil(o, "ChatConnection")
	case *model.ChatEdge:
		name = ifNotNil(o, "ChatEdge")
	case *model.UserConnection:
		name = ifNotNil(o, "UserConnection")
	case *model.UserEdge:
		name = ifNotNil(o, "UserEdge")
	default:
		name = eventTypeName(obj)
	}
	return types[name]
}

func ifNotNil[T any](p *T, name string) string {
	if p == nil {
		return ""
	}
	return name
}

// knownField reports whether the direct path writes field name of def: of
// every type that can stand there, for an interface.
func knownField(types map[string]*directType, def *ast.Definition, name string) bool {
	if def == nil {
		return false
	}
	switch def.Kind {
	case ast.Object:
		t := types[def.Name]
		return t != nil && t.fields[name] != nil
	case ast.Interface:
		possible := parsedSchema.GetPossibleTypes(def)
		for _, p := range possible {
			if !knownField(types, p, name) {
				return false
			}
		}
		return len(possible) > 0
	}
	return false
}

// argParser is a generated argument parser.
type argParser = func(*executionContext, context.Context, map[string]any) (map[string]any, error)

// chatOf returns the row behind a GroupChat or a PrivateChat.
func chatOf(o any) *models.Chat {
	switch c := o.(type) {
	case *model.GroupChat:
		return (*models.Chat)(c)
	case *model.PrivateChat:
		return (*models.Chat)(c)
	}
	return nil
}

// id writes a global id.
func (x *directRun) id(gid string) error { return x.scalar(graphql.MarshalID(gid)) }

// optionalString writes a nullable string.
func (x *directRun) optionalString(s *string) error {
	if s == nil {
		return x.scalar(graphql.Null)
	}
	return x.scalar(scalar.MarshalString(*s))
}
