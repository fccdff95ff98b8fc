package models

import "time"

// UserBlock is one user blocking another: BlockedID can no longer reach
// BlockerID (see chat/blocks.go for what that refuses).
type UserBlock struct {
	BlockerID int64 `gorm:"primaryKey"`
	BlockedID int64 `gorm:"primaryKey"`
	CreatedAt time.Time
}
