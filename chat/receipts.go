package chat

import (
	"context"
	"strconv"

	"github.com/gqlchat/gqlchat/models"
)

// Read receipts come from the read markers alone: a member has seen every
// message up to their marker, so "seen by" of a message is whoever's
// marker is at or after it. There are no rows per message and reader, and
// one read of a chat's markers (at most MaxGroupMembers rows) answers for
// every message of a page, however many it shows.

// Receipts are the read markers of one chat's members, as the viewer may
// see them: those of a chat the viewer is in, or none.
type Receipts struct {
	chatID  int64
	viewer  int64
	markers []*models.ChatMember // in member order: longest-standing first
}

// ReceiptsOf returns the receipts of chat c for viewer from the markers
// loaded with it for the live subscribers of an event (see
// models.Chat.Markers), who were members at the time of the event; nil
// where they were not loaded.
func ReceiptsOf(c *models.Chat, viewer int64) *Receipts {
	if c == nil || c.Markers == nil {
		return nil
	}
	return &Receipts{chatID: c.ID, viewer: viewer, markers: c.Markers}
}

// ChatReceipts returns the receipts of each chat, in order: one statement
// whatever the number of chats. A chat the viewer is not in (never, or
// not any more) gets receipts that show nobody.
func (s *Service) ChatReceipts(ctx context.Context, chatIDs []int64) ([]*Receipts, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var rows []*models.ChatMember
	err = s.db.WithContext(ctx).Raw(`SELECT m.chat_id, m.user_id, m.joined_at, m.last_read_seq
		FROM chat_members m
		WHERE m.chat_id IN ? AND m.chat_id IN (SELECT chat_id FROM chat_members WHERE user_id = ?)
		ORDER BY m.chat_id, m.joined_at, m.user_id`, chatIDs, v.UserID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	byChat := map[int64][]*models.ChatMember{}
	for _, r := range rows {
		byChat[r.ChatID] = append(byChat[r.ChatID], r)
	}
	out := make([]*Receipts, len(chatIDs))
	for i, id := range chatIDs {
		out[i] = &Receipts{chatID: id, viewer: v.UserID, markers: byChat[id]}
	}
	return out, nil
}

// SeenBy returns a page of the members who have seen m, and how many they
// are in all: those whose read marker is at or after m, but for m's sender
// (posting marks it read, so they always would be) and the viewer (who
// knows what they have read: viewerLastRead). Members who left are not
// members, and show no more. The order is the members' (longest-standing
// first), which a marker moving does not change, so pages stay stable
// while the list grows; markers carry no time to order by.
func (r *Receipts) SeenBy(m *models.Message, page PageArgs) (*Page[int64], int, error) {
	var afterMicros, afterID int64
	limit, hasCursor, err := page.forward(&afterMicros, &afterID)
	if err != nil {
		return nil, 0, err
	}
	var rows []*models.ChatMember
	total := 0
	for _, mk := range r.markers {
		if m.ChatID != r.chatID || mk.LastReadSeq < m.Seq || mk.UserID == m.SenderID || mk.UserID == r.viewer {
			continue
		}
		total++
		micros := mk.JoinedAt.UnixMicro()
		past := !hasCursor || micros > afterMicros || (micros == afterMicros && mk.UserID > afterID)
		if past && len(rows) <= limit {
			rows = append(rows, mk)
		}
	}
	p := newPage(rows, limit, hasCursor, func(mk *models.ChatMember) []any {
		return []any{mk.JoinedAt.UnixMicro(), mk.UserID}
	})
	ids := &Page[int64]{Cursors: p.Cursors, HasNext: p.HasNext, HasPrevious: p.HasPrevious, Items: make([]int64, len(p.Items))}
	for i, mk := range p.Items {
		ids.Items[i] = mk.UserID
	}
	return ids, total, nil
}

// eventReaders is how many readers of each message an event loads: those
// of a default first page of seenBy for any subscriber, who is left out
// of their own list (so one more).
const eventReaders = DefaultPageSize + 1

// firstReadersOfEvents selects, for the live read's users (see readLog,
// whose ev and mm it uses), the first eventReaders readers of each message
// the new events name, as firstReaders picks them: through the members'
// (chat_id, joined_at, user_id) index, stopping at the last one needed.
var firstReadersOfEvents = `SELECT r.user_id FROM mm JOIN ev ON ev.message_id = mm.id
	CROSS JOIN LATERAL (SELECT cm.user_id FROM chat_members cm
		WHERE cm.chat_id = mm.chat_id AND cm.last_read_seq >= mm.seq AND cm.user_id <> mm.sender_id
		ORDER BY cm.joined_at, cm.user_id LIMIT ` + strconv.Itoa(eventReaders) + `) r`

// firstReaders returns, by chat, the first readers of each of msgs in
// member order (but for its sender), from the markers loaded for all the
// live subscribers of an event: their users are loaded with the event,
// so that each subscriber's first page of seenBy needs no query.
func firstReaders(msgs []*models.Message, markers map[int64][]*models.ChatMember) map[int64]set[int64] {
	out := map[int64]set[int64]{}
	for _, m := range msgs {
		n := 0
		for _, mk := range markers[m.ChatID] {
			if n == eventReaders {
				break
			}
			if mk.LastReadSeq >= m.Seq && mk.UserID != m.SenderID {
				if out[m.ChatID] == nil {
					out[m.ChatID] = set[int64]{}
				}
				out[m.ChatID].add(mk.UserID)
				n++
			}
		}
	}
	return out
}

// LastReadMessages returns the message at the viewer's read marker in each
// chat, in order: nil where nothing was read or the viewer is not in the
// chat. Each key is a chat and the marker's sequence number, which the
// caller has (the chat's row loaded with an event carries it) or reads
// with ReadMarkers.
func (s *Service) LastReadMessages(ctx context.Context, keys []ChatSeq) ([]*models.Message, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var pairs [][]any
	for _, k := range keys {
		if k.Seq > 0 {
			pairs = append(pairs, []any{k.ChatID, k.Seq})
		}
	}
	out := make([]*models.Message, len(keys))
	if len(pairs) == 0 {
		return out, nil
	}
	var rows []*models.Message
	err = s.db.WithContext(ctx).Where("(chat_id, seq) IN ? AND chat_id IN (SELECT chat_id FROM chat_members WHERE user_id = ?)",
		pairs, v.UserID).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	bySeq := make(map[ChatSeq]*models.Message, len(rows))
	for _, m := range rows {
		bySeq[ChatSeq{m.ChatID, m.Seq}] = m
	}
	for i, k := range keys {
		out[i] = bySeq[k]
	}
	return out, nil
}

// ChatSeq names a message by its chat and sequence number.
type ChatSeq struct{ ChatID, Seq int64 }
