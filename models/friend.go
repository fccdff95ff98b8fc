package models

import "time"

// FriendRequestStatus is where a friend request stands.
type FriendRequestStatus string

// The statuses of a friend request; UNREAD and READ are pending.
const (
	RequestUnread   FriendRequestStatus = "UNREAD"
	RequestRead     FriendRequestStatus = "READ"
	RequestAccepted FriendRequestStatus = "ACCEPTED"
	RequestRejected FriendRequestStatus = "REJECTED"
	RequestCanceled FriendRequestStatus = "CANCELED"
)

// Pending reports whether the request still awaits an answer.
func (s FriendRequestStatus) Pending() bool { return s == RequestUnread || s == RequestRead }

// FriendRequest is one user asking another to be friends.
type FriendRequest struct {
	ID          int64 `gorm:"primaryKey"`
	FromID      int64
	ToID        int64
	Status      FriendRequestStatus
	CreatedAt   time.Time
	RespondedAt *time.Time
}

// Friendship is one direction of a mutual friendship.
type Friendship struct {
	UserID    int64 `gorm:"primaryKey"`
	FriendID  int64 `gorm:"primaryKey"`
	CreatedAt time.Time
}
