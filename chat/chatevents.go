package chat

import (
	"context"
	"sync/atomic"

	"github.com/gqlchat/gqlchat/events"

	"github.com/gqlchat/gqlchat/models"
)

// Delivery is an event as one subscriber gets it: with its position in the
// subscriber's stream of all their chats.
type Delivery struct {
	*Event
	// SyncToken resumes the subscriber's all-chats stream after this event.
	SyncToken string
}

// ChatEvents streams the events of one chat the viewer is in (chatID set)
// or of all their chats, including those they join later. See ChatEventsAs.
func (s *Service) ChatEvents(ctx context.Context, chatID *int64, after *string, ready func()) (<-chan Delivery, error) {
	return ChatEventsAs(ctx, s, chatID, after, func(e *Event, token string) Delivery { return Delivery{e, token} }, ready)
}

// ChatEventsAs streams chat events, each queued as as(event, syncToken),
// in log order per chat, to the members at the time of each event only.
//
// With chatID, after is a cursor of that chat (an event's, or a message's
// from the history): the stream first replays the chat's events after it.
// The stream completes after the viewer's own MEMBER_LEFT.
//
// Without chatID, after is a sync token: the stream first replays every
// event of the viewer's chats that the token's position had not seen.
// The viewer's own MEMBER_LEFT is the last event of that chat they get;
// their MEMBER_JOINED is the first of a chat they join.
//
// The stream calls ready (if not nil) after each event it queues and once
// after closing the channel, for a consumer that reads only then.
func ChatEventsAs[T any](ctx context.Context, s *Service, chatID *int64, after *string, as func(*Event, string) T, ready func()) (<-chan T, error) {
	return openStream(ctx, s, chatID, after, nil, as, ready)
}

// MessageEventsAs is the messages posted, out of ChatEventsAs, each queued
// as as(message): the stream behind the deprecated messagePosted. Its
// after is a message cursor, and needs chatID.
func MessageEventsAs[T any](ctx context.Context, s *Service, chatID *int64, after *string, as func(*models.Message) T, ready func()) (<-chan T, error) {
	if after != nil && chatID == nil {
		return nil, Invalid("after", "resuming with after needs a chatId")
	}
	posted := func(e *Event) bool { return e.Kind == models.EventMessagePosted && e.Message != nil }
	return openStream(ctx, s, chatID, after, posted, func(e *Event, _ string) T { return as(e.Message) }, ready)
}

// MessageEvents is MessageEventsAs with the messages as they are.
func (s *Service) MessageEvents(ctx context.Context, chatID *int64, after *string, ready func()) (<-chan *models.Message, error) {
	return MessageEventsAs(ctx, s, chatID, after, itself, ready)
}

// Streams returns how many streams on this instance follow chatID for
// its members: what tests wait for where a protocol does not acknowledge
// a subscription.
func (s *Service) Streams(ctx context.Context, chatID int64) (int, error) {
	var members []int64
	if err := s.db.WithContext(ctx).Model(&models.ChatMember{}).Where("chat_id = ?", chatID).Pluck("user_id", &members).Error; err != nil {
		return 0, err
	}
	return s.log.streams(chatID, members), nil
}

// openStream starts a stream of the events keep accepts (all when nil).
func openStream[T any](ctx context.Context, s *Service, chatID *int64, after *string, keep func(*Event) bool, as func(*Event, string) T, ready func()) (<-chan T, error) {
	var token *syncToken
	var from int64
	var hasFrom bool
	var err error
	if chatID != nil {
		from, hasFrom, err = decodeChatCursor(s.db.WithContext(ctx), "after", after, *chatID)
	} else if after != nil {
		var t syncToken
		t, err = decodeSyncToken("after", *after)
		token = &t
	}
	if err != nil {
		return nil, err
	}
	v, sub, err := s.subscribe(ctx, streamBuffer)
	if err != nil {
		return nil, err
	}
	var kick atomic.Pointer[func()]
	st := &eventStream[T]{s: s, ctx: ctx, userID: v.UserID, only: chatID, keep: keep, as: as,
		out: make(chan T, 4), ready: orNothing(ready), lastPos: -1,
		l: &listener{userID: v.UserID, chatID: chatID, notify: func() {
			if f := kick.Load(); f != nil {
				(*f)()
			}
		}}}
	// The stream starts where the log reader stands once it has read at
	// least up to the token, or without one up to now: events committed
	// before the subscription are not news to it.
	var min snapshot
	switch {
	case token == nil:
		min, err = s.currentSnapshot(ctx)
	case token.hi != nil:
		min = *token.hi
	default:
		min = token.lo
	}
	switch {
	case err != nil:
	case hasFrom:
		err = s.checkChatCursor(ctx, *chatID, from)
	case token != nil:
		err = s.checkSyncToken(ctx, v.UserID, *token)
	}
	// Typing indicators go to chatEvents streams only (see typing.go),
	// registered first so that a stream the log reader counts gets them.
	var typing *typingInbox
	if keep == nil {
		typing = s.typing.register(v.UserID, chatID, st.l.notify)
	}
	var start snapshot
	if err == nil {
		start, err = s.log.register(ctx, st.l, min)
	}
	if err == nil && chatID != nil {
		// Checked once registered: a departure after this is in the log
		// the stream reads, so it cannot miss it.
		_, err = memberChat(s.db.WithContext(ctx), *chatID, v.UserID, false)
	}
	if err != nil {
		s.log.unregister(st.l)
		s.typing.unregister(typing)
		sub.Close()
		return nil, err
	}
	st.start = start
	drain := st.drain
	if typing != nil {
		drain = func() bool { return st.drain() && st.drainTyping(typing) }
	}
	replay := func() bool {
		switch {
		case chatID != nil && hasFrom:
			return st.replayChat(from, start, false)
		case token != nil:
			return st.replayAll(*token, start, false)
		}
		st.at = syncToken{lo: start}
		return true
	}
	// Bus events only matter for the session checks run makes itself; the
	// log reader wakes the stream through its listener.
	k := s.run(ctx, v, sub, replay, func(events.Event) bool { return true }, drain, func() {
		s.log.unregister(st.l)
		s.typing.unregister(typing)
		close(st.out)
		st.ready()
	})
	kick.Store(&k)
	k() // for what the listener got before its kick was known
	return st.out, nil
}
