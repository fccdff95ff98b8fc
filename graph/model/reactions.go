package model

import "github.com/gqlchat/gqlchat/models"

// Reaction is one emoji's reactions to a message as the GraphQL type
// Reaction, as the viewer sees them.
type Reaction struct {
	MessageID int64
	models.ReactionGroup
	ViewerReacted bool
}

// Count is the number of users who reacted with the emoji.
func (r *Reaction) Count() int { return len(r.UserIDs) }
