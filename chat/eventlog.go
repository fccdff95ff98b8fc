package chat

import (
	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/models"
)

// The event log: every change to a chat is stored as a models.ChatEvent in
// the transaction that makes it, at the chat's next position. Taking that
// position updates the chat's row, which stays locked until commit, so the
// positions of one chat follow commit order: a reader that sees an event
// sees every earlier one of the chat. Streams (chatevents.go) read the log;
// the bus only tells them that it moved on.

// appendEvents stores evs, all of chat chatID, at the chat's next
// positions, and tells every instance after commit. It fills in each
// event's ChatID and Pos.
func appendEvents(tx *gorm.DB, emit func(...events.Event), chatID int64, evs ...*models.ChatEvent) error {
	if len(evs) == 0 {
		return nil
	}
	var last int64
	if err := tx.Raw(`UPDATE chats SET last_pos = last_pos + ? WHERE id = ? RETURNING last_pos`, len(evs), chatID).Scan(&last).Error; err != nil {
		return err
	}
	for i, e := range evs {
		e.ChatID, e.Pos = chatID, last-int64(len(evs)-1-i)
	}
	if err := tx.Omit("At").Create(evs).Error; err != nil {
		return err
	}
	emit(logMoved(chatID, last))
	return nil
}

// logMoved is the bus's note that chat's log reached pos.
func logMoved(chatID, pos int64) events.Event {
	return events.Event{Topic: events.LogTopic, Kind: events.LogAppended, Chat: chatID, Seq: pos}
}
