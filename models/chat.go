package models

import "time"

// ChatKind tells private chats from group chats.
type ChatKind string

// The kinds of chats.
const (
	ChatPrivate ChatKind = "PRIVATE"
	ChatGroup   ChatKind = "GROUP"
)

// Chat is a conversation. Private chats name their two users (the smaller
// id first); groups have a name and an owner.
type Chat struct {
	ID         int64 `gorm:"primaryKey"`
	Kind       ChatKind
	Name       *string
	OwnerID    *int64
	UserAID    *int64
	UserBID    *int64
	CreatedAt  time.Time
	LastSeq    int64
	ActivityAt time.Time
}

// GlobalID is the chat's Relay global object id.
func (c *Chat) GlobalID() string { return EncodeID(KindChat, c.ID) }

// Typed returns the chat as the GraphQL type of its kind.
func (c *Chat) Typed() any {
	if c.Kind == ChatGroup {
		return &GroupChat{c}
	}
	return &PrivateChat{c}
}

// PrivateChat is a Chat between two users, as the GraphQL type PrivateChat.
type PrivateChat struct{ *Chat }

// GroupChat is a named Chat with an owner, as the GraphQL type GroupChat.
type GroupChat struct{ *Chat }

// IsNode marks PrivateChat as a GraphQL Node.
func (*PrivateChat) IsNode() {}

// IsChat marks PrivateChat as a GraphQL Chat.
func (*PrivateChat) IsChat() {}

// GetID returns the global id.
func (c *PrivateChat) GetID() string { return c.GlobalID() }

// IsNode marks GroupChat as a GraphQL Node.
func (*GroupChat) IsNode() {}

// IsChat marks GroupChat as a GraphQL Chat.
func (*GroupChat) IsChat() {}

// GetID returns the global id.
func (c *GroupChat) GetID() string { return c.GlobalID() }

// ChatMember is a user's membership of a chat, with their read marker.
type ChatMember struct {
	ChatID      int64 `gorm:"primaryKey"`
	UserID      int64 `gorm:"primaryKey"`
	JoinedAt    time.Time
	LastReadSeq int64
}

// Message is one message in a chat; Seq orders a chat's messages.
type Message struct {
	ID              int64 `gorm:"primaryKey"`
	ChatID          int64
	Seq             int64
	SenderID        int64
	Body            string
	ClientMessageID *string
	CreatedAt       time.Time

	// Sender and Chat are loaded with the message where it is shared by
	// many readers (subscriptions); elsewhere they are nil.
	Sender *User `gorm:"foreignKey:SenderID"`
	Chat   *Chat `gorm:"foreignKey:ChatID"`
}

// GlobalID is the message's Relay global object id.
func (m *Message) GlobalID() string { return EncodeID(KindMessage, m.ID) }

// IsNode marks Message as a GraphQL Node.
func (*Message) IsNode() {}

// GetID returns the global id.
func (m *Message) GetID() string { return m.GlobalID() }
