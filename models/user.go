// Package models holds the GORM structs, one per table, that the GraphQL
// types are bound to. It carries no business rules.
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
}

// GlobalID is the user's Relay global object id.
func (u *User) GlobalID() string { return EncodeID(KindUser, u.ID) }

// Deleted reports whether the account was deleted.
func (u *User) Deleted() bool { return u.DeletedAt != nil }

// IsNode marks User as a GraphQL Node.
func (*User) IsNode() {}

// GetID returns the global id, as the generated Node interface requires.
func (u *User) GetID() string { return u.GlobalID() }
