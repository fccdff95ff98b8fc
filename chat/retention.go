package chat

import (
	"context"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/models"
)

// The event log keeps what resuming streams needs, for EventRetention:
// the history of messages stays whole, but a stream cannot resume from a
// position older than the kept log, and says so with CURSOR_EXPIRED rather
// than skip what was deleted.

// pruneBatch bounds the events one pruning statement deletes, so that no
// chat's row stays locked for long.
const pruneBatch = 5000

// PruneLog deletes the events older than the retention, and records for
// each chat where its log now begins. It returns how many it deleted.
func (s *Service) PruneLog(ctx context.Context) (int64, error) {
	cutoff := time.Now().Add(-s.cfg.EventRetention)
	var total int64
	for {
		var n int64
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var doomed []models.ChatEvent
			if err := tx.Select("chat_id", "pos").Where("at < ?", cutoff).Order("at").Limit(pruneBatch).Find(&doomed).Error; err != nil {
				return err
			}
			chats := set[int64]{}
			for _, e := range doomed {
				chats.add(e.ChatID)
			}
			if len(chats) == 0 {
				return nil
			}
			// The chats' rows first, in the order leaveAllChats takes
			// them, as every writer of a chat's log locks its row.
			if err := tx.Exec(`SELECT 1 FROM chats WHERE id IN ? ORDER BY id FOR UPDATE`, chats.list()).Error; err != nil {
				return err
			}
			res := tx.Exec(`WITH gone AS (
					DELETE FROM chat_events e WHERE e.chat_id IN ? AND e.at < ?
						AND (e.chat_id, e.pos) IN (SELECT chat_id, pos FROM chat_events WHERE at < ? ORDER BY at LIMIT ?)
					RETURNING e.chat_id, e.pos, e.xid),
				last AS (SELECT DISTINCT ON (chat_id) chat_id, pos, xid FROM gone ORDER BY chat_id, pos DESC)
				UPDATE chats c SET pruned_pos = last.pos, pruned_xid = last.xid
				FROM last WHERE c.id = last.chat_id AND c.pruned_pos < last.pos`, chats.list(), cutoff, cutoff, pruneBatch)
			n = int64(len(doomed))
			return res.Error
		})
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
}

// RunPruner prunes the log every interval until ctx ends. Instances may
// all run it: deleting what another deleted changes nothing.
func (s *Service) RunPruner(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.PruneLog(ctx); err != nil && ctx.Err() == nil {
			slog.WarnContext(ctx, "pruning the event log failed", "err", err)
		} else if n > 0 {
			slog.InfoContext(ctx, "pruned the event log", "events", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

var errCursorExpired = Errorf(CodeCursorExpired, "this position is older than the event log keeps: refetch, then subscribe without after")

// checkChatCursor refuses to resume chatID after pos if events after pos
// were pruned, or if the chat has no such position yet (a forged cursor,
// which would make the stream wait for it in silence).
func (s *Service) checkChatCursor(ctx context.Context, chatID, pos int64) error {
	var c struct{ PrunedPos, LastPos int64 }
	err := s.db.WithContext(ctx).Raw(`SELECT pruned_pos, last_pos FROM chats WHERE id = ?`, chatID).Scan(&c).Error
	switch {
	case err != nil:
		return err
	case pos > c.LastPos:
		return Invalid("after", "after is not a position of this chat")
	case pos < c.PrunedPos:
		return errCursorExpired
	}
	return nil
}

// prunedAfter reports whether chatID lost events after pos to pruning.
func (s *Service) prunedAfter(ctx context.Context, chatID, pos int64) (bool, error) {
	var pruned int64
	err := s.db.WithContext(ctx).Raw(`SELECT pruned_pos FROM chats WHERE id = ?`, chatID).Scan(&pruned).Error
	return pruned > pos, err
}

// checkSyncToken refuses to resume userID's chats from t if it was not
// made here (its newest snapshot is ahead of the database), or if an event
// its oldest snapshot had not seen was pruned from a chat they were in at
// the time: in each chat the events a snapshot saw are a prefix of its log,
// so it is enough that the snapshot saw the last event pruned.
func (s *Service) checkSyncToken(ctx context.Context, userID int64, t syncToken) error {
	newest := t.lo
	if t.hi != nil {
		newest = *t.hi
	}
	now, err := s.currentSnapshot(ctx)
	if err != nil {
		return err
	}
	if !now.covers(newest) { // and PostgreSQL would not even read it
		return Invalid("after", "after is not a sync token of this server")
	}
	var expired bool
	err = s.db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM chats c JOIN chat_member_spans s ON s.chat_id = c.id
		WHERE s.user_id = ? AND s.from_pos <= c.pruned_pos AND NOT pg_visible_in_snapshot(c.pruned_xid, CAST(? AS pg_snapshot)))`,
		userID, t.lo.String()).Scan(&expired).Error
	if err != nil {
		return err
	}
	if expired {
		return errCursorExpired
	}
	return nil
}
