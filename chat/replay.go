package chat

import (
	"context"
)

// replayBatch is how many events a replay reads at a time.
const replayBatch = 100

// visibleTo keeps the events of chat_events e that userID may see: those
// of a time they were a member (their own joining and departure included),
// and of read markers only their own.
const visibleTo = `EXISTS (SELECT 1 FROM chat_member_spans s WHERE s.chat_id = e.chat_id AND s.user_id = @user
		AND e.pos >= s.from_pos AND (s.to_pos IS NULL OR e.pos <= s.to_pos))
	AND (e.kind <> 'READ_MARKER_MOVED' OR e.user_id = @user)`

// eventsBetween returns up to replayBatch events that userID may see, of
// chat only if not nil, visible in snapshot hi but not in lo, in (chat,
// position) order after (afterChat, afterPos), with their rows.
//
// In each chat, the events lo saw are a prefix of its log (positions follow
// commit order), so the query looks, per chat the user was ever in, for
// the last position lo saw and reads on from there.
func (s *Service) eventsBetween(ctx context.Context, userID int64, chat *int64, lo, hi snapshot, afterChat, afterPos int64) ([]*Event, error) {
	var evs []*Event
	db := s.db.WithContext(ctx)
	err := db.Raw(`SELECT `+eventColumns+`
		FROM (SELECT DISTINCT chat_id FROM chat_member_spans
			WHERE user_id = @user AND chat_id >= @afterChat AND (CAST(@chat AS bigint) IS NULL OR chat_id = @chat)) c
		CROSS JOIN LATERAL (
			SELECT * FROM chat_events e
			WHERE e.chat_id = c.chat_id
				AND e.pos > CASE WHEN c.chat_id = @afterChat THEN @afterPos ELSE 0 END
				AND e.pos > coalesce((SELECT v.pos FROM chat_events v WHERE v.chat_id = c.chat_id
					AND pg_visible_in_snapshot(v.xid, CAST(@lo AS pg_snapshot)) ORDER BY v.pos DESC LIMIT 1), 0)
				AND pg_visible_in_snapshot(e.xid, CAST(@hi AS pg_snapshot))
				AND `+visibleTo+`
			ORDER BY e.pos LIMIT @n) e
		ORDER BY e.chat_id, e.pos LIMIT @n`,
		map[string]any{"user": userID, "chat": chat, "afterChat": afterChat, "afterPos": afterPos,
			"lo": lo.String(), "hi": hi.String(), "n": replayBatch}).Scan(&evs).Error
	if err != nil {
		return nil, err
	}
	return evs, loadEventRows(db, evs)
}

// chatEventsAfter returns up to replayBatch events of chatID after pos
// that userID may see, visible in snapshot hi, with their rows.
func (s *Service) chatEventsAfter(ctx context.Context, userID, chatID, pos int64, hi snapshot) ([]*Event, error) {
	var evs []*Event
	db := s.db.WithContext(ctx)
	err := db.Raw(`SELECT `+eventColumns+` FROM chat_events e
		WHERE e.chat_id = @chat AND e.pos > @pos AND pg_visible_in_snapshot(e.xid, CAST(@hi AS pg_snapshot)) AND `+visibleTo+`
		ORDER BY e.pos LIMIT @n`,
		map[string]any{"user": userID, "chat": chatID, "pos": pos, "hi": hi.String(), "n": replayBatch}).Scan(&evs).Error
	if err != nil {
		return nil, err
	}
	return evs, loadEventRows(db, evs)
}

// SyncToken returns the viewer's current position in the stream of all
// their chats' events: a chatEvents subscription without chatId resumed
// from it gets every event committed after it.
func (s *Service) SyncToken(ctx context.Context) (string, error) {
	if _, err := requireViewer(ctx); err != nil {
		return "", err
	}
	snap, err := s.currentSnapshot(ctx)
	if err != nil {
		return "", err
	}
	return syncToken{lo: snap}.String(), nil
}

// currentSnapshot returns which transactions have committed by now.
func (s *Service) currentSnapshot(ctx context.Context) (snapshot, error) {
	var text string
	if err := s.db.WithContext(ctx).Raw(`SELECT pg_current_snapshot()::text`).Scan(&text).Error; err != nil {
		return snapshot{}, err
	}
	return parseSnapshot(text)
}
