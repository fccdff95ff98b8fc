package chat

import "github.com/gqlchat/gqlchat/models"

// TokenOf is the sync token of a snapshot of transactions below xmin and
// none in progress up to xmax, for tests that forge one.
func TokenOf(xmin, xmax uint64) string {
	return syncToken{lo: snapshot{xmin: xmin, xmax: xmax}}.String()
}

// EventCursor is the cursor of position pos of chat chatID.
func EventCursor(chatID, pos int64) string {
	return (&Event{ChatEvent: models.ChatEvent{ChatID: chatID, Pos: pos}}).Cursor()
}
