package models

import "time"

// Session is a log-in: the hash of a bearer token and its lifetime.
type Session struct {
	ID        int64 `gorm:"primaryKey"`
	UserID    int64
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
}
