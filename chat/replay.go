package chat

import (
	"context"
	"fmt"
)

// replayBatch is how many events a replay reads at a time.
const replayBatch = 100

// visibleTo keeps the events of chat_events e that userID may see: those
// of a time they were a member (their own joining and departure included),
// every member's read markers among them (read receipts), as live
// delivery does (see recipients).
const visibleTo = `EXISTS (SELECT 1 FROM chat_member_spans s WHERE s.chat_id = e.chat_id AND s.user_id = @user
		AND e.pos >= s.from_pos AND (s.to_pos IS NULL OR e.pos <= s.to_pos))`

// replayStart is where a replay of all chats begins in one chat: after
// start, up to stop (the user's departure, if they are out of it now).
type replayStart struct{ ChatID, Start, Stop int64 }

// replayStarts returns, for each chat userID was ever in (chat only, if
// not nil), where the events lo had not seen begin: in each chat those lo
// saw are a prefix of its log, since positions follow commit order, so one
// lookup from the end of the user's time there finds it. With through, the
// chat it names starts no earlier than its position. It fails with
// CURSOR_EXPIRED if an event lo had not seen was pruned.
func (s *Service) replayStarts(ctx context.Context, userID int64, chat *int64, lo snapshot, through *chatPos) ([]replayStart, error) {
	var tc, tp int64 = -1, 0
	if through != nil {
		tc, tp = through.chat, through.pos
	}
	var rows []struct {
		ChatID, Start, Stop int64
		Expired             bool
	}
	err := s.db.WithContext(ctx).Raw(`SELECT c.chat_id, c.stop,
			GREATEST(
				coalesce((SELECT v.pos FROM chat_events v WHERE v.chat_id = c.chat_id AND v.pos <= c.stop
					AND pg_visible_in_snapshot(v.xid, CAST(@lo AS pg_snapshot)) ORDER BY v.pos DESC LIMIT 1), 0),
				CASE WHEN c.chat_id = @tc THEN @tp ELSE 0 END,
				CASE WHEN ch.pruned_xid IS NOT NULL AND pg_visible_in_snapshot(ch.pruned_xid, CAST(@lo AS pg_snapshot))
					THEN ch.pruned_pos ELSE 0 END) AS start,
			(ch.pruned_xid IS NOT NULL AND NOT pg_visible_in_snapshot(ch.pruned_xid, CAST(@lo AS pg_snapshot))
				AND c.first <= ch.pruned_pos AND NOT (c.chat_id = @tc AND ch.pruned_pos <= @tp)) AS expired
		FROM (SELECT chat_id, min(from_pos) AS first,
				CASE WHEN bool_or(to_pos IS NULL) THEN 9223372036854775807 ELSE max(to_pos) END AS stop
			FROM chat_member_spans WHERE user_id = @user AND (CAST(@chat AS bigint) IS NULL OR chat_id = @chat)
			GROUP BY chat_id) c
		JOIN chats ch ON ch.id = c.chat_id
		ORDER BY c.chat_id`,
		map[string]any{"user": userID, "chat": chat, "lo": lo.String(), "tc": tc, "tp": tp}).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	var out []replayStart
	for _, r := range rows {
		if r.Expired {
			return nil, errCursorExpired
		}
		if r.Start < r.Stop {
			out = append(out, replayStart{ChatID: r.ChatID, Start: r.Start, Stop: r.Stop})
		}
	}
	return out, nil
}

// eventsBetween returns up to replayBatch events that userID may see, of
// the chats of starts after their start, visible in snapshot hi, in (chat,
// position) order after (afterChat, afterPos), with their rows.
func (s *Service) eventsBetween(ctx context.Context, userID int64, starts []replayStart, hi snapshot, afterChat, afterPos int64) ([]*Event, error) {
	chats, from, stop := make([]int64, len(starts)), make([]int64, len(starts)), make([]int64, len(starts))
	for i, st := range starts {
		chats[i], from[i], stop[i] = st.ChatID, st.Start, st.Stop
	}
	var evs []*Event
	db := s.db.WithContext(ctx)
	err := db.Raw(`SELECT `+eventColumns+`
		FROM unnest(CAST(CAST(@chats AS text) AS bigint[]), CAST(CAST(@from AS text) AS bigint[]),
			CAST(CAST(@stop AS text) AS bigint[])) AS c(chat_id, start, stop)
		CROSS JOIN LATERAL (
			SELECT * FROM chat_events e
			WHERE e.chat_id = c.chat_id
				AND e.pos > GREATEST(c.start, CASE WHEN c.chat_id = @afterChat THEN @afterPos ELSE 0 END)
				AND e.pos <= c.stop
				AND pg_visible_in_snapshot(e.xid, CAST(@hi AS pg_snapshot))
				AND `+visibleTo+`
			ORDER BY e.pos LIMIT @n) e
		WHERE c.chat_id >= @afterChat
		ORDER BY e.chat_id, e.pos LIMIT @n`,
		map[string]any{"user": userID, "chats": pgArray(chats), "from": pgArray(from), "stop": pgArray(stop),
			"afterChat": afterChat, "afterPos": afterPos, "hi": hi.String(), "n": replayBatch}).Scan(&evs).Error
	if err != nil {
		return nil, err
	}
	return evs, loadEventRows(db, evs, userID)
}

// prunedPast reports whether any chat of starts lost, to pruning, events
// after the position a replay has reached in it: (afterChat, afterPos),
// past the chats before afterChat and at the start of those after it.
func (s *Service) prunedPast(ctx context.Context, starts []replayStart, afterChat, afterPos int64) (bool, error) {
	var chats, need []int64
	for _, st := range starts {
		switch {
		case st.ChatID == afterChat:
			chats, need = append(chats, st.ChatID), append(need, max(st.Start, afterPos))
		case st.ChatID > afterChat:
			chats, need = append(chats, st.ChatID), append(need, st.Start)
		}
	}
	if len(chats) == 0 {
		return false, nil
	}
	var pruned bool
	err := s.db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM chats ch
		JOIN unnest(CAST(CAST(? AS text) AS bigint[]), CAST(CAST(? AS text) AS bigint[])) AS n(chat_id, need) ON ch.id = n.chat_id
		WHERE ch.pruned_pos > n.need)`, pgArray(chats), pgArray(need)).Scan(&pruned).Error
	return pruned, err
}

// pgArray is xs as a PostgreSQL array literal: GORM would spread a slice
// into a list. It serves ids and transaction ids alike.
func pgArray[T ~int64 | ~uint64](xs []T) string {
	b := []byte{'{'}
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Append(b, x)
	}
	return string(append(b, '}'))
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
	return evs, loadEventRows(db, evs, userID)
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
