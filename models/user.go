// Package models holds the GORM structs, one per table: columns and the
// meaning of stored values (a pending status, a deleted account), nothing
// else. It carries no business rules and knows nothing of GraphQL; the API
// shows these rows through graph/model, which adds their global ids.
package models

import "time"

// User is an account. A deleted account stays as a tombstone row so that
// history which refers to it stays intact.
type User struct {
	ID           int64 `gorm:"primaryKey"`
	Username     string
	DisplayName  string
	PasswordHash string `json:"-"`
	CreatedAt    time.Time
	DeletedAt    *time.Time
	// Online is the user's announced presence and LastSeenAt when their
	// last connection closed (chat/presence.go); who may see them is the
	// domain's rule.
	Online     bool
	LastSeenAt *time.Time
}

// Deleted reports whether the account was deleted.
func (u *User) Deleted() bool { return u.DeletedAt != nil }
