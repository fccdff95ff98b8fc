package graph

import (
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/models"
)

// presenceChangedEvent is a changed user's row as presenceChanged shows it.
func presenceChangedEvent(u *models.User) *model.PresenceChangedEvent {
	return &model.PresenceChangedEvent{User: (*model.User)(u), Online: u.Online, LastSeenAt: u.LastSeenAt}
}
