package chat

import (
	"context"
	"errors"
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

// replayRange replays the events visible in hi but not in from.lo (nor,
// with from.through, in its chat up to its position), after the first
// from.k of them.
func (st *eventStream[T]) replayRange(from syncToken, hi snapshot, live bool) bool {
	if from.k == 0 && from.lo.covers(hi) {
		st.at = syncToken{lo: hi}
		return true // nothing committed in between
	}
	var starts []replayStart
	if !st.retryUnlessExpired("finding where to replay from", func() (err error) {
		starts, err = st.s.replayStarts(st.ctx, st.userID, st.only, from.lo, from.through)
		return err
	}) {
		return false
	}
	skip, afterChat, afterPos := from.k, int64(0), int64(0)
	for {
		var evs []*Event
		if !st.retry("replaying the log", func() (err error) {
			evs, err = st.s.eventsBetween(st.ctx, st.userID, starts, hi, afterChat, afterPos)
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
			t := syncToken{lo: from.lo, hi: &hi, k: from.k, through: from.through}
			if st.only != nil {
				t = replayedAlone(e)
			}
			if !st.deliver(e, t, live) {
				return false
			}
		}
		if len(evs) < replayBatch {
			st.at = syncToken{lo: hi}
			return true
		}
		if !st.stillKept(func() (bool, error) { return st.s.prunedPast(st.ctx, starts, afterChat, afterPos) }) {
			return false
		}
	}
}

// stillKept checks, between pages of a replay, that pruning has not taken
// what the replay has yet to read: if it has, the stream ends rather than
// skip it, and resuming from the same place then fails with CURSOR_EXPIRED.
func (st *eventStream[T]) stillKept(pruned func() (bool, error)) bool {
	var gone bool
	if !st.retry("checking what pruning left", func() (err error) {
		gone, err = pruned()
		return err
	}) {
		return false
	}
	if gone {
		slog.WarnContext(st.ctx, "event stream: the log was pruned past the replay; ending it", "user_id", st.userID)
	}
	return !gone
}

// retryUnlessExpired is retry for a read that may find the position expired:
// the stream then ends.
func (st *eventStream[T]) retryUnlessExpired(what string, read func() error) bool {
	expired := false
	ok := st.retry(what, func() error {
		err := read()
		if errors.Is(err, errCursorExpired) {
			expired = true
			return nil
		}
		return err
	})
	if expired {
		slog.WarnContext(st.ctx, "event stream: the log was pruned past the position; ending it", "user_id", st.userID)
	}
	return ok && !expired
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
			if !st.deliver(e, replayedAlone(e), live) {
				return false
			}
		}
		if len(evs) < replayBatch {
			return true
		}
		if !st.stillKept(func() (bool, error) { return st.s.prunedAfter(st.ctx, *st.only, pos) }) {
			return false
		}
	}
}

// replayedAlone is the sync token of an event replayed for its chat alone,
// outside any read of all chats: what its writer saw, which is a real
// snapshot taken before it committed, and its chat up to it. Resuming all
// chats from it gets every later event of its chat, and whatever else
// committed after its writer looked, once.
func replayedAlone(e *Event) syncToken {
	seen, err := parseSnapshot(e.Seen)
	if err != nil { // the database wrote it, so never; the empty snapshot loses nothing
		slog.Error("chat event: its snapshot does not parse", "chat_id", e.ChatID, "pos", e.Pos, "err", err)
	}
	return syncToken{lo: seen, through: &chatPos{chat: e.ChatID, pos: e.Pos}}
}

// deliver queues e if the stream keeps it; false ends the stream. Live,
// a one-chat stream ends after the viewer's own departure.
func (st *eventStream[T]) deliver(e *Event, t syncToken, live bool) bool {
	if st.only != nil {
		if e.ChatID != *st.only || e.Pos <= st.lastPos {
			return true
		}
		st.lastPos = e.Pos
	}
	st.at = t // a one-chat stream's too: its typing events repeat it
	if st.keep == nil || st.keep(e) {
		if !send(st.ctx, st.out, st.as(e.forReader(st.userID), t.String()), st.ready) {
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
