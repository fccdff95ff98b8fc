package chat

import (
	"context"
	"log/slog"
	"time"

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
// The stream calls ready (if not nil) after each message it queues and once
// after closing the channel, for a consumer that reads only then.
func (s *Service) MessageEvents(ctx context.Context, chatID *int64, after *string, ready func()) (<-chan *models.Message, error) {
	return MessageEventsAs(ctx, s, chatID, after, itself, ready)
}

// MessageEventsAs is MessageEvents with each message queued as as(m): a
// consumer with a type of its own over models.Message (the GraphQL
// adapter's) gets a channel of that type, with no copying from one channel
// to another, which would hold a goroutine for every idle subscription.
func MessageEventsAs[T any](ctx context.Context, s *Service, chatID *int64, after *string, as func(*models.Message) T, ready func()) (<-chan T, error) {
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
	v, sub, err := s.subscribe(ctx, streamBuffer)
	if err != nil {
		return nil, err
	}
	sub.Lossy() // an event only says a chat moved on: missing some is repaired by a resync
	st := &stream[T]{s: s, ctx: ctx, sub: sub, out: make(chan T, 4), as: as, ready: orNothing(ready),
		delivered: map[int64]int64{}, only: chatID, userID: v.UserID}
	moved, err := st.start(afterSeq, hasAfter)
	if err != nil {
		st.release()
		sub.Close()
		return nil, err
	}
	catchUp := func() bool {
		for id, pos := range moved {
			if !st.catchUp(id, pos) {
				return false
			}
		}
		return true
	}
	s.run(ctx, v, sub, catchUp, st.handle, func() { st.release(); close(st.out); st.ready() })
	return st.out, nil
}

// stream is the state of one messagePosted subscription, queuing each
// message as as(m).
type stream[T any] struct {
	s   *Service
	ctx context.Context
	sub *events.Subscription
	out chan T
	as  func(*models.Message) T
	// ready tells the consumer that out holds one more message (or closed).
	ready func()
	// delivered holds, per followed chat, the last sequence number sent.
	delivered map[int64]int64
	only      *int64 // the one chat followed, or nil for all
	userID    int64
}

// start reads where each followed chat stands, then subscribes to their
// topics, and returns the chats that moved on in between with their new
// positions: catching those up delivers what was posted while subscribing.
func (st *stream[T]) start(afterSeq int64, hasAfter bool) (map[int64]int64, error) {
	db := st.s.db.WithContext(st.ctx)
	if st.only != nil {
		c, err := memberChat(db, *st.only, st.userID, false)
		if err != nil {
			return nil, err
		}
		pos := c.LastSeq
		if hasAfter {
			pos = min(afterSeq, c.LastSeq)
		}
		st.follow(c.ID, pos)
		return map[int64]int64{c.ID: c.LastSeq}, nil
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
		st.follow(c.ID, c.LastSeq)
	}
	after, err := positions()
	if err != nil {
		return nil, err
	}
	moved := map[int64]int64{}
	for _, c := range after {
		if last, ok := st.delivered[c.ID]; ok && c.LastSeq > last {
			moved[c.ID] = c.LastSeq
		}
	}
	return moved, nil
}

// follow starts following a chat delivered up to pos.
func (st *stream[T]) follow(chatID, pos int64) {
	st.delivered[chatID] = pos
	st.s.feeds.follow(chatID, pos)
	st.sub.Add(events.ChatTopic(chatID))
}

// release gives back the stream's share of the feeds it followed.
func (st *stream[T]) release() {
	for id := range st.delivered {
		st.s.feeds.unfollow(id)
	}
}

// handle reacts to one event; false ends the stream.
func (st *stream[T]) handle(e events.Event) bool {
	_, followed := st.delivered[e.Chat]
	switch e.Kind {
	case events.ChatJoined:
		if st.only == nil && !followed {
			st.follow(e.Chat, e.Seq) // the chat's position when the viewer joined
			return st.catchUpJoined(e.Chat)
		}
	case events.ChatLeft:
		if followed && e.ID == st.userID {
			return st.unfollow(e.Chat)
		}
	case events.MessagePosted:
		if followed && e.Seq > st.delivered[e.Chat] {
			return st.catchUp(e.Chat, e.Seq)
		}
	case events.Resync:
		return st.resync()
	}
	return true
}

// resync recovers from events the bus may have missed: it follows the
// chats joined meanwhile, drops those left, and catches up all of them.
func (st *stream[T]) resync() bool {
	var chats []*models.Chat
	db := st.s.db.WithContext(st.ctx).Select("id", "last_seq")
	if st.only != nil {
		db = db.Where("id = ?", *st.only)
	} else {
		db = db.Scopes(memberOf(st.userID))
	}
	if !st.retry("resync", func() error { return db.Find(&chats).Error }) {
		return false
	}
	current := map[int64]bool{}
	for _, c := range chats {
		current[c.ID] = true
		if _, ok := st.delivered[c.ID]; !ok {
			st.follow(c.ID, c.LastSeq) // joined during the gap: from now on
		}
		if !st.catchUp(c.ID, c.LastSeq) {
			return false
		}
	}
	for id := range st.delivered {
		if !current[id] && !st.unfollow(id) {
			return false
		}
	}
	return true
}

// catchUpJoined delivers what a chat just joined posted since the join.
// A message posted between the join and the stream's following the chat's
// topic brought no event here, and the shared feed may not have read it
// yet: so the stream asks the chat where it stands now, after following.
func (st *stream[T]) catchUpJoined(chatID int64) bool {
	var c struct{ LastSeq int64 }
	db := st.s.db.WithContext(st.ctx).Model(&models.Chat{}).Select("last_seq").Where("id = ?", chatID)
	if !st.retry("reading a joined chat", func() error { return db.Take(&c).Error }) {
		return false
	}
	return st.catchUp(chatID, c.LastSeq)
}

// catchUp sends every message of chat after the last one delivered, up to
// at least want, as long as the viewer is still a member; false ends the
// stream. The chat's feed serves it, shared with the other local streams;
// a stream too far behind for the feed reads the history itself.
func (st *stream[T]) catchUp(chatID, want int64) bool {
	var msgs []*models.Message
	var member, ok bool
	if !st.retry("reading new messages", func() (err error) {
		msgs, member, ok, err = st.s.feeds.since(st.ctx, chatID, st.userID, st.delivered[chatID], want)
		return err
	}) {
		return false
	}
	switch {
	case !ok:
		return st.catchUpFromHistory(chatID)
	case !member:
		return st.unfollow(chatID)
	}
	return st.send(chatID, msgs)
}

func (st *stream[T]) send(chatID int64, msgs []*models.Message) bool {
	for _, m := range msgs {
		if !send(st.ctx, st.out, st.as(m), st.ready) {
			return false
		}
		st.delivered[chatID] = m.Seq
	}
	return true
}

// catchUpFromHistory pages through the history after the last message delivered.
func (st *stream[T]) catchUpFromHistory(chatID int64) bool {
	for {
		var msgs []*models.Message
		var member bool
		if !st.retry("reading history", func() (err error) {
			msgs, member, err = st.s.messagesAfter(st.ctx, chatID, st.userID, st.delivered[chatID], replayBatch)
			return err
		}) {
			return false
		}
		if !member {
			return st.unfollow(chatID)
		}
		if !st.send(chatID, msgs) {
			return false
		}
		if len(msgs) < replayBatch {
			return true
		}
	}
}

// unfollow stops following a chat the viewer left; a chat-specific stream ends.
func (st *stream[T]) unfollow(chatID int64) bool {
	if st.only != nil {
		return false
	}
	st.sub.Remove(events.ChatTopic(chatID))
	st.s.feeds.unfollow(chatID)
	delete(st.delivered, chatID)
	return true
}

// retry runs read until it succeeds or the stream ends, waiting longer after
// each failure: while the database is away the stream keeps its position
// and goes on when it is back, rather than ending as if the viewer had left.
func (st *stream[T]) retry(what string, read func() error) bool {
	wait := 100 * time.Millisecond
	for {
		err := read()
		if err == nil {
			return true
		}
		slog.WarnContext(st.ctx, "message stream: "+what+" failed; retrying", "err", err, "retry_in", wait)
		select {
		case <-st.ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}
