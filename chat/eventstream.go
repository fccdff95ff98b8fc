package chat

import (
	"context"
	"log/slog"
	"time"

	"github.com/gqlchat/gqlchat/models"
)

// eventStream is the state of one chatEvents (or messagePosted)
// subscription, queuing each event it keeps as as(event, syncToken).
type eventStream[T any] struct {
	s      *Service
	ctx    context.Context
	userID int64
	only   *int64            // the one chat followed, or nil for all
	keep   func(*Event) bool // nil keeps everything
	as     func(*Event, string) T
	out    chan T
	ready  func()
	l      *listener
	start  snapshot // the log reader's position when the stream joined it

	// at is the position after the last event handed out, in the viewer's
	// all-chats stream; lastPos the position in the one chat followed, or
	// -1 before the first event.
	at      syncToken
	lastPos int64
}

// drain hands out what the log reader queued; false ends the stream.
func (st *eventStream[T]) drain() bool {
	batches, gap := st.l.take()
	if gap != nil && !st.catchUp(*gap) {
		return false
	}
	for _, b := range batches {
		for i, e := range b.events {
			t := syncToken{lo: b.lo, hi: &b.hi, k: i + 1}
			if i == len(b.events)-1 {
				t = syncToken{lo: b.hi} // the whole read: its snapshot says it all
			}
			if !st.deliver(e, t, true) {
				return false
			}
		}
	}
	return true
}

// catchUp replays from the database what the listener dropped, up to gap.
func (st *eventStream[T]) catchUp(gap snapshot) bool {
	if st.only != nil {
		if st.lastPos < 0 { // nothing delivered yet: everything after the start
			return st.replayRange(syncToken{lo: st.start}, gap, true)
		}
		return st.replayChat(st.lastPos, gap, true)
	}
	return st.replayAll(st.at, gap, true)
}

// replayAll replays what token had not seen, up to upTo.
func (st *eventStream[T]) replayAll(token syncToken, upTo snapshot, live bool) bool {
	if token.hi != nil {
		if !st.replayRange(token, *token.hi, live) {
			return false
		}
		token = syncToken{lo: *token.hi}
	}
	return st.replayRange(token, upTo, live)
}

// replayRange replays the events visible in hi but not in from.lo, after
// the first from.k of them.
func (st *eventStream[T]) replayRange(from syncToken, hi snapshot, live bool) bool {
	if from.k == 0 && from.lo.covers(hi) {
		st.at = syncToken{lo: hi}
		return true // nothing committed in between
	}
	skip, afterChat, afterPos := from.k, int64(0), int64(0)
	for {
		var evs []*Event
		if !st.retry("replaying the log", func() (err error) {
			evs, err = st.s.eventsBetween(st.ctx, st.userID, st.only, from.lo, hi, afterChat, afterPos)
			return err
		}) {
			return false
		}
		for _, e := range evs {
			afterChat, afterPos = e.ChatID, e.Pos
			if skip > 0 {
				skip--
				continue
			}
			// A token inside the range until its end, which the last page
			// reaches with fewer events than asked for.
			from.k++
			t := syncToken{lo: from.lo, hi: &hi, k: from.k}
			if st.only != nil {
				t = horizonToken(e)
			}
			if !st.deliver(e, t, live) {
				return false
			}
		}
		if len(evs) < replayBatch {
			st.at = syncToken{lo: hi}
			return true
		}
	}
}

// replayChat replays the followed chat's events after pos, up to upTo.
func (st *eventStream[T]) replayChat(pos int64, upTo snapshot, live bool) bool {
	for {
		var evs []*Event
		if !st.retry("replaying the chat's log", func() (err error) {
			evs, err = st.s.chatEventsAfter(st.ctx, st.userID, *st.only, pos, upTo)
			return err
		}) {
			return false
		}
		for _, e := range evs {
			pos = e.Pos
			if !st.deliver(e, horizonToken(e), live) {
				return false
			}
		}
		if len(evs) < replayBatch {
			return true
		}
	}
}

// horizonToken is the sync token of an event replayed for one chat, which
// then has no exact place among all chats' events: the latest position
// that cannot skip one, what had ended before it was written. Resuming all
// chats from it may repeat events, never lose one.
func horizonToken(e *Event) syncToken {
	return syncToken{lo: snapshot{xmin: e.Horizon, xmax: e.Horizon}}
}

// deliver queues e if the stream keeps it; false ends the stream. Live,
// a one-chat stream ends after the viewer's own departure.
func (st *eventStream[T]) deliver(e *Event, t syncToken, live bool) bool {
	if st.only != nil {
		if e.ChatID != *st.only || e.Pos <= st.lastPos {
			return true
		}
		st.lastPos = e.Pos
	} else {
		st.at = t
	}
	if st.keep == nil || st.keep(e) {
		if !send(st.ctx, st.out, st.as(e, t.String()), st.ready) {
			return false
		}
	}
	left := e.Kind == models.EventMemberLeft && *e.UserID == st.userID
	return !(live && left && st.only != nil)
}

// retry runs read until it succeeds or the stream ends, waiting longer after
// each failure: while the database is away the stream keeps its position
// and goes on when it is back, rather than ending as if the viewer had left.
func (st *eventStream[T]) retry(what string, read func() error) bool {
	wait := 100 * time.Millisecond
	for {
		err := read()
		if err == nil {
			return true
		}
		slog.WarnContext(st.ctx, "event stream: "+what+" failed; retrying", "err", err, "retry_in", wait)
		select {
		case <-st.ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}
