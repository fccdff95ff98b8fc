package chat

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

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
	markers *models.ReadMarkers // nil: nobody
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

// chatMarkersSQL reads the markers of the chats ($1) the viewer ($2) is
// in, each chat's in member order, through the members' (chat_id,
// joined_at, user_id) index.
const chatMarkersSQL = `SELECT m.chat_id, m.user_id, m.joined_at, m.last_read_seq
	FROM chat_members m
	WHERE m.chat_id = ANY($1) AND m.chat_id IN (SELECT chat_id FROM chat_members WHERE user_id = $2)
	ORDER BY m.chat_id, m.joined_at, m.user_id`

// ChatReceipts returns the receipts of each chat, in order: one statement
// whatever the number of chats. A chat the viewer is not in (never, or
// not any more) gets receipts that show nobody. The markers (1,000 rows
// in a full group, for every history page that shows receipts) are
// scanned by position through pgx into flat values: GORM's reflection
// over as many structs was most of a page's cost.
func (s *Service) ChatReceipts(ctx context.Context, chatIDs []int64) ([]*Receipts, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	byChat := map[int64][]models.ReadMarker{}
	err = withPgx(ctx, s.db, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, chatMarkersSQL, chatIDs, v.UserID)
		if err != nil {
			return err
		}
		defer rows.Close()
		var chatID, last int64
		var joined time.Time
		var mk models.ReadMarker
		var list []models.ReadMarker
		dst := []any{&chatID, &mk.UserID, &joined, &mk.LastReadSeq} // made once: Scan(&a, &b, ...) makes a slice a row
		for rows.Next() {
			if err := rows.Scan(dst...); err != nil {
				return err
			}
			if chatID != last && list != nil {
				byChat[last], list = list, nil
			}
			last, mk.JoinedMicros = chatID, joined.UnixMicro()
			list = append(list, mk)
		}
		if list != nil {
			byChat[last] = list
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	out := make([]*Receipts, len(chatIDs))
	for i, id := range chatIDs {
		out[i] = &Receipts{chatID: id, viewer: v.UserID}
		if ms := byChat[id]; ms != nil {
			out[i].markers = newReadMarkers(ms)
		}
	}
	return out, nil
}

// newReadMarkers indexes a chat's markers, given in member order, for
// Receipts: once per chat and response (or event), however many messages
// it shows.
func newReadMarkers(members []models.ReadMarker) *models.ReadMarkers {
	rm := &models.ReadMarkers{Members: members, Seqs: make([]int64, len(members)), ByUser: slices.Clone(members)}
	for i, mk := range members {
		rm.Seqs[i] = mk.LastReadSeq
	}
	slices.Sort(rm.Seqs)
	slices.SortFunc(rm.ByUser, func(a, b models.ReadMarker) int { return cmp.Compare(a.UserID, b.UserID) })
	return rm
}

// SeenBy returns a page of the members who have seen m, and how many they
// are in all: those whose read marker is at or after m, but for m's sender
// (posting marks it read, so they always would be) and the viewer (who
// knows what they have read: viewerLastRead). Members who left are not
// members, and show no more. The order is the members' (longest-standing
// first), which a marker moving does not change, so pages stay stable
// while the list grows; markers carry no time to order by.
//
// The count is a binary search over the sorted markers, less the sender
// and the viewer where they are among them; the page starts where the
// cursor falls in member order (another binary search) and reads on until
// it is full.
func (r *Receipts) SeenBy(m *models.Message, page PageArgs) (*Page[int64], int, error) {
	limit, err := page.limit()
	if err != nil {
		return nil, 0, err
	}
	var after [2]int64 // the cursor's member: when they joined, their id
	hasCursor := page.After != nil
	if hasCursor {
		var micros, id int64
		if _, err := page.after(&micros, &id); err != nil {
			return nil, 0, err
		}
		after = [2]int64{micros, id}
	}
	rm := r.markers
	if rm == nil || m.ChatID != r.chatID {
		rm = &models.ReadMarkers{}
	}
	read := func(mk models.ReadMarker) bool { return mk.LastReadSeq >= m.Seq }
	first, _ := slices.BinarySearch(rm.Seqs, m.Seq) // the first at or after m
	total := len(rm.Seqs) - first
	if mk, ok := markerOf(rm, m.SenderID); ok && read(mk) {
		total--
	}
	if mk, ok := markerOf(rm, r.viewer); ok && read(mk) && r.viewer != m.SenderID {
		total--
	}
	from := 0
	if hasCursor {
		from, _ = slices.BinarySearchFunc(rm.Members, after, func(mk models.ReadMarker, k [2]int64) int {
			return cmp.Or(cmp.Compare(mk.JoinedMicros, k[0]), cmp.Compare(mk.UserID, k[1]))
		})
	}
	n := min(limit, total)
	p := &Page[int64]{Items: make([]int64, 0, n), Cursors: make([]string, 0, n), HasPrevious: hasCursor}
	for _, mk := range rm.Members[from:] {
		if !read(mk) || mk.UserID == m.SenderID || mk.UserID == r.viewer {
			continue
		}
		if hasCursor && mk.JoinedMicros == after[0] && mk.UserID == after[1] {
			continue // the cursor's own member: the page starts after it
		}
		if len(p.Items) == limit {
			p.HasNext = true
			break
		}
		p.Items = append(p.Items, mk.UserID)
		p.Cursors = append(p.Cursors, intCursor(mk.JoinedMicros, mk.UserID))
	}
	return p, total, nil
}

// markerOf finds user's marker among rm's, if they are a member.
func markerOf(rm *models.ReadMarkers, user int64) (models.ReadMarker, bool) {
	i, ok := slices.BinarySearchFunc(rm.ByUser, user, func(mk models.ReadMarker, u int64) int { return cmp.Compare(mk.UserID, u) })
	if !ok {
		return models.ReadMarker{}, false
	}
	return rm.ByUser[i], true
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
func firstReaders(msgs []*models.Message, markers map[int64]*models.ReadMarkers) map[int64]set[int64] {
	out := map[int64]set[int64]{}
	for _, m := range msgs {
		rm := markers[m.ChatID]
		if rm == nil {
			continue
		}
		n := 0
		for _, mk := range rm.Members {
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
