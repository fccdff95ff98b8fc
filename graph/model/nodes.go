package model

import (
	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/models"
)

// The node types are the rows of models under the names of their GraphQL
// types, with what GraphQL adds: the global id and the interface markers.
// Each is a defined type over the models struct rather than a wrapper, so
// that a resolver hands chat's *models.User to gqlgen as a *User by a
// conversion: no copy, no allocation. The id is a plain method, which
// gqlgen calls inline; a field resolver would run on a goroutine of its own
// for every item of a list.

// User is a models.User as the GraphQL type User.
type User models.User

// GlobalID is the user's Relay global object id.
func (u *User) GlobalID() string { return EncodeID(KindUser, u.ID) }

// Deleted reports whether the account was deleted.
func (u *User) Deleted() bool { return (*models.User)(u).Deleted() }

// IsNode marks User as a GraphQL Node.
func (*User) IsNode() {}

// FriendRequest is a models.FriendRequest as the GraphQL type FriendRequest.
type FriendRequest models.FriendRequest

// GlobalID is the request's Relay global object id.
func (r *FriendRequest) GlobalID() string { return EncodeID(KindFriendRequest, r.ID) }

// IsNode marks FriendRequest as a GraphQL Node.
func (*FriendRequest) IsNode() {}

// Message is a models.Message as the GraphQL type Message.
type Message models.Message

// GlobalID is the message's Relay global object id.
func (m *Message) GlobalID() string { return EncodeID(KindMessage, m.ID) }

// IsNode marks Message as a GraphQL Node.
func (*Message) IsNode() {}

// Deleted reports whether the message is a tombstone.
func (m *Message) Deleted() bool { return (*models.Message)(m).Deleted() }

// Cursor is the message's cursor in its chat's history. As a method, not
// a field resolver, it costs no goroutine per message of a page.
func (m *Message) Cursor() string { return chat.MessageCursor((*models.Message)(m)) }

// PrivateChat is a models.Chat of kind PRIVATE as the GraphQL type PrivateChat.
type PrivateChat models.Chat

// GlobalID is the chat's Relay global object id.
func (c *PrivateChat) GlobalID() string { return EncodeID(KindChat, c.ID) }

// IsNode marks PrivateChat as a GraphQL Node.
func (*PrivateChat) IsNode() {}

// IsChat marks PrivateChat as a GraphQL Chat.
func (*PrivateChat) IsChat() {}

// GroupChat is a models.Chat of kind GROUP as the GraphQL type GroupChat.
type GroupChat models.Chat

// GlobalID is the chat's Relay global object id.
func (c *GroupChat) GlobalID() string { return EncodeID(KindChat, c.ID) }

// IsNode marks GroupChat as a GraphQL Node.
func (*GroupChat) IsNode() {}

// IsChat marks GroupChat as a GraphQL Chat.
func (*GroupChat) IsChat() {}

// ChatOf returns c as the GraphQL type of its kind, or nil for nil.
func ChatOf(c *models.Chat) Chat {
	switch {
	case c == nil:
		return nil
	case c.Kind == models.ChatGroup:
		return (*GroupChat)(c)
	default:
		return (*PrivateChat)(c)
	}
}
