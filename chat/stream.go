package chat

import (
	"context"
	"log/slog"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/models"
)

// replayBatch is how many messages a catch-up reads at a time.
const replayBatch = 100

// MessageEvents streams new messages, in sequence order per chat: of one
// chat the viewer is in, or with chatID nil of all their chats, including
// those they join later. With after (a message cursor of that chat), it
// first replays every message after it. Events only say that a chat moved
// on; the stream reads what it has not delivered yet from the history, so
// nothing is missed or repeated even if events arrive late or out of order.
func (s *Service) MessageEvents(ctx context.Context, chatID *int64, after *string) (<-chan *models.Message, error) {
	if after != nil && chatID == nil {
		return nil, Invalid("after", "resuming with after needs a chatId")
	}
	var afterSeq int64
	var hasAfter bool
	if chatID != nil {
		var err error
		if afterSeq, hasAfter, err = decodeMessageCursor("after", after, *chatID); err != nil {
			return nil, err
		}
	}
	v, sub, err := s.subscribe(ctx)
	if err != nil {
		return nil, err
	}
	st := &stream{s: s, ctx: ctx, sub: sub, out: make(chan *models.Message, 16), delivered: map[int64]int64{}, only: chatID, userID: v.UserID}
	moved, err := st.start(afterSeq, hasAfter)
	if err != nil {
		sub.Close()
		return nil, err
	}
	go func() {
		for _, id := range moved {
			if !st.catchUp(id) {
				sub.Close()
				close(st.out)
				return
			}
		}
		s.loop(ctx, v, sub, st.handle, func() { close(st.out) })
	}()
	return st.out, nil
}

// stream is the state of one messagePosted subscription.
type stream struct {
	s   *Service
	ctx context.Context
	sub *events.Subscription
	out chan *models.Message
	// delivered holds, per followed chat, the last sequence number sent.
	delivered map[int64]int64
	only      *int64 // the one chat followed, or nil for all
	userID    int64
}

// start reads where each followed chat stands, then subscribes to their
// topics, and returns the chats that moved on in between: catching those up
// delivers what was posted while subscribing, without a gap.
func (st *stream) start(afterSeq int64, hasAfter bool) ([]int64, error) {
	db := st.s.db.WithContext(st.ctx)
	if st.only != nil {
		c, err := memberChat(db, *st.only, st.userID, false)
		if err != nil {
			return nil, err
		}
		st.delivered[c.ID] = c.LastSeq
		if hasAfter {
			st.delivered[c.ID] = min(afterSeq, c.LastSeq)
		}
		st.sub.Add(events.ChatTopic(c.ID))
		return []int64{c.ID}, nil
	}
	positions := func() ([]*models.Chat, error) {
		var chats []*models.Chat
		err := db.Scopes(memberOf(st.userID)).Select("id", "last_seq").Find(&chats).Error
		return chats, err
	}
	before, err := positions()
	if err != nil {
		return nil, err
	}
	for _, c := range before {
		st.delivered[c.ID] = c.LastSeq
		st.sub.Add(events.ChatTopic(c.ID))
	}
	after, err := positions()
	if err != nil {
		return nil, err
	}
	var moved []int64
	for _, c := range after {
		if last, ok := st.delivered[c.ID]; ok && c.LastSeq > last {
			moved = append(moved, c.ID)
		}
	}
	return moved, nil
}

// handle reacts to one event; false ends the stream.
func (st *stream) handle(e events.Event) bool {
	_, followed := st.delivered[e.Chat]
	switch e.Kind {
	case events.ChatJoined:
		if st.only == nil && !followed {
			st.sub.Add(events.ChatTopic(e.Chat))
			st.delivered[e.Chat] = e.Seq // the chat's position when the viewer joined
			return st.catchUp(e.Chat)
		}
	case events.ChatLeft:
		if followed && e.ID == st.userID {
			return st.unfollow(e.Chat)
		}
	case events.MessagePosted:
		if followed && e.Seq > st.delivered[e.Chat] {
			return st.catchUp(e.Chat)
		}
	}
	return true
}

// catchUp sends every message of chat after the last one delivered, as
// long as the viewer is still a member; false ends the stream.
func (st *stream) catchUp(chatID int64) bool {
	for {
		msgs, member, err := st.s.messagesAfter(st.ctx, chatID, st.userID, st.delivered[chatID], replayBatch)
		if err != nil {
			slog.ErrorContext(st.ctx, "message stream: reading history", "err", err)
			return false
		}
		if !member {
			return st.unfollow(chatID)
		}
		for _, m := range msgs {
			if !send(st.ctx, st.out, m) {
				return false
			}
			st.delivered[chatID] = m.Seq
		}
		if len(msgs) < replayBatch {
			return true
		}
	}
}

// unfollow stops following a chat the viewer left; a chat-specific stream ends.
func (st *stream) unfollow(chatID int64) bool {
	if st.only != nil {
		return false
	}
	st.sub.Remove(events.ChatTopic(chatID))
	delete(st.delivered, chatID)
	return true
}
