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
	ID        int64 `gorm:"primaryKey"`
	Kind      ChatKind
	Name      *string
	OwnerID   *int64
	UserAID   *int64
	UserBID   *int64
	CreatedAt time.Time
	LastSeq   int64
	// LastPos is the position of the chat's last event (see ChatEvent).
	LastPos    int64
	ActivityAt time.Time

	// Loaded with the chat where it is shared by many readers (the
	// subscribers of an event); nil elsewhere. LastMessage is meaningful
	// when LastSeq > 0; the users are the owner, or a private chat's two,
	// and with Markers the first readers of the messages loaded with it.
	LastMessage *Message        `gorm:"-"`
	Users       map[int64]*User `gorm:"-"`
	// ViewerReadSeq is the viewer's read marker where it was loaded with
	// the chat for one viewer (a copy of the shared row); nil elsewhere.
	ViewerReadSeq *int64 `gorm:"-"`
	// Markers are every member's read marker, where they were loaded with
	// the chat for all its members (the live subscribers of an event);
	// nil elsewhere.
	Markers *ReadMarkers `gorm:"-"`
}

// ReadMarkers are the read markers of a chat's members, as read receipts
// use them: in member order (longest-standing first) for pages of
// readers, and their sequence numbers again in ascending order, and by
// user, to count the readers of a message and find anyone's marker by
// binary search. Neither holds a pointer, so a chat of 1,000 members is
// three allocations that the garbage collector does not scan.
type ReadMarkers struct {
	Members []ReadMarker // in member order: joined_at, then user id
	Seqs    []int64      // every member's LastReadSeq, ascending
	ByUser  []ReadMarker // as Members, by user id
}

// ReadMarker is one member's read marker, with when they joined in
// microseconds (a page cursor's key; see chat.Receipts).
type ReadMarker struct {
	UserID, LastReadSeq, JoinedMicros int64
}

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
	// Pos is the position of the message's posting in the chat's event log.
	Pos       int64
	ReplyToID *int64
	EditedAt  *time.Time
	// DeletedAt marks a tombstone: its body is "" and it has no reactions.
	DeletedAt *time.Time

	// Sender, Chat and ReplyTo (with its Sender) are loaded with the message
	// where it is shared by many readers (subscriptions); elsewhere nil.
	Sender  *User    `gorm:"foreignKey:SenderID"`
	Chat    *Chat    `gorm:"foreignKey:ChatID"`
	ReplyTo *Message `gorm:"foreignKey:ReplyToID"`
	// Reactions are the message's reactions where they were loaded with it
	// for many readers (subscriptions); nil where they were not.
	Reactions []ReactionGroup `gorm:"-"`
}

// Deleted reports whether the message was deleted (a tombstone).
func (m *Message) Deleted() bool { return m.DeletedAt != nil }

// ReactionGroup is the reactions to a message with one emoji: who reacted,
// in the order they did.
type ReactionGroup struct {
	Emoji   string
	UserIDs []int64
}
