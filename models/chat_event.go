package models

import "time"

// ChatEventKind says what changed in a chat.
type ChatEventKind string

// The kinds of chat events.
const (
	EventMessagePosted    ChatEventKind = "MESSAGE_POSTED"
	EventMessageEdited    ChatEventKind = "MESSAGE_EDITED"
	EventMessageDeleted   ChatEventKind = "MESSAGE_DELETED"
	EventReactionsChanged ChatEventKind = "REACTIONS_CHANGED"
	EventMemberJoined     ChatEventKind = "MEMBER_JOINED"
	EventMemberLeft       ChatEventKind = "MEMBER_LEFT"
	EventChatRenamed      ChatEventKind = "CHAT_RENAMED"
	EventReadMarkerMoved  ChatEventKind = "READ_MARKER_MOVED"
)

// ChatEvent is one entry of a chat's event log, at position Pos.
type ChatEvent struct {
	ChatID    int64 `gorm:"primaryKey"`
	Pos       int64 `gorm:"primaryKey"`
	Kind      ChatEventKind
	UserID    *int64 // the member who joined or left; whose read marker moved
	ActorID   *int64 // who invited, removed or renamed
	MessageID *int64
	Name      *string // a rename's new name
	// XID is the writing transaction's id (xid8), and Seen what the writing
	// statement saw (a pg_snapshot in its text form): both set by the
	// database, and read as text (see chat's eventColumns).
	XID  uint64 `gorm:"column:xid;->"`
	Seen string `gorm:"column:seen;->"`
	At   time.Time
}

// ChatMemberSpan is one period of a user's membership of a chat, in log
// positions: from their joining event to their leaving one (nil while a member).
type ChatMemberSpan struct {
	ChatID  int64 `gorm:"primaryKey"`
	UserID  int64 `gorm:"primaryKey"`
	FromPos int64 `gorm:"primaryKey"`
	ToPos   *int64
}

// MessageReaction is one user's reaction to a message with one emoji.
type MessageReaction struct {
	MessageID int64  `gorm:"primaryKey"`
	Emoji     string `gorm:"primaryKey"`
	UserID    int64  `gorm:"primaryKey"`
	CreatedAt time.Time
}
