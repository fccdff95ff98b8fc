package graph

import (
	"context"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/models"
	"github.com/gqlchat/gqlchat/socket"
)

// chatEvents opens a chatEvents stream, each event queued as as(event,
// syncToken): the resolver's, and the direct path's (direct_stream.go).
func chatEvents[T any](ctx context.Context, r *Resolver, chatID, after *string, as func(*chat.Event, string) T) (<-chan T, error) {
	id, err := decodeOptionalID(chatID, model.KindChat, "chatId")
	if err != nil {
		return nil, err
	}
	return socket.Stream(ctx, func(ready func()) (<-chan T, error) {
		return chat.ChatEventsAs(ctx, r.Chat, id, after, as, ready)
	})
}

// chatEventNode converts what chatEvents streams into the GraphQL type of
// its kind. The rows it points to were loaded once for every subscriber
// of the event (chat.Event) and are shared, never changed.
func chatEventNode(e *chat.Event, syncToken string) model.ChatEvent {
	c, cursor, at := model.ChatOf(e.Chat), e.Cursor(), e.At
	msg, user, actor := (*model.Message)(e.Message), (*model.User)(e.User), (*model.User)(e.Actor)
	switch e.Kind {
	case models.EventMessagePosted:
		return &model.MessagePostedEvent{Chat: c, Cursor: cursor, SyncToken: syncToken, At: at, Message: msg}
	case models.EventMessageEdited:
		return &model.MessageEditedEvent{Chat: c, Cursor: cursor, SyncToken: syncToken, At: at, Message: msg}
	case models.EventMessageDeleted:
		return &model.MessageDeletedEvent{Chat: c, Cursor: cursor, SyncToken: syncToken, At: at, Message: msg}
	case models.EventReactionsChanged:
		return &model.ReactionsChangedEvent{Chat: c, Cursor: cursor, SyncToken: syncToken, At: at, Message: msg, By: actor}
	case models.EventMemberJoined:
		return &model.MemberJoinedEvent{Chat: c, Cursor: cursor, SyncToken: syncToken, At: at, User: user, By: actor}
	case models.EventMemberLeft:
		return &model.MemberLeftEvent{Chat: c, Cursor: cursor, SyncToken: syncToken, At: at, User: user, RemovedBy: actor}
	case models.EventChatRenamed:
		return &model.ChatRenamedEvent{Chat: c, Cursor: cursor, SyncToken: syncToken, At: at, Name: *e.Name, By: actor}
	case chat.EventTyping:
		return &model.TypingEvent{Chat: c, Cursor: cursor, SyncToken: syncToken, At: at, User: user, Typing: e.Typing()}
	case models.EventReadMarkerMoved:
		return &model.ReadMarkerMovedEvent{Chat: c, Cursor: cursor, SyncToken: syncToken, At: at, User: user, Message: msg}
	}
	panic("chat event of an unknown kind: " + string(e.Kind)) // the database's CHECK lists them all
}
