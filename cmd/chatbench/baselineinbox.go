package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The statements the server runs for inbox's query, copied as it sends
// them (chat/chatlists.go Chats and ReadMarkers, chat/history.go
// LastMessages, chat/members.go FirstMembers, chat/users.go UsersByIDs,
// with the columns of chat/pgxscan.go): keep them in step.
const (
	inboxChatColumns = `c.id, c.kind, c.name, c.owner_id, c.user_a_id, c.user_b_id, c.created_at,
		c.last_seq, c.last_pos, c.activity_at`
	inboxMessageColumns = `m.id, m.chat_id, m.seq, m.sender_id, m.body, m.client_message_id, m.created_at,
		m.pos, m.reply_to_id, m.edited_at, m.deleted_at`
	inboxUserColumns = `u.id, u.username, u.display_name, u.created_at, u.deleted_at, u.online, u.last_seen_at`

	baselineInboxChatsSQL = `SELECT ` + inboxChatColumns + ` FROM chats c
		WHERE c.id IN (SELECT chat_id FROM chat_members WHERE user_id = $1) AND (c.activity_at, c.id) < ($2, $3)
		ORDER BY c.activity_at DESC, c.id DESC LIMIT $4`
	baselineInboxMarkersSQL = `SELECT chat_id, last_read_seq FROM chat_members WHERE user_id = $1 AND chat_id = ANY($2)`
	baselineInboxLastSQL    = `SELECT ` + inboxMessageColumns + ` FROM chat_members cm
		CROSS JOIN LATERAL (SELECT * FROM messages WHERE chat_id = cm.chat_id ORDER BY seq DESC LIMIT 1) m
		WHERE cm.user_id = $1 AND cm.chat_id = ANY($2)`
	baselineInboxMembersSQL = `SELECT ` + inboxUserColumns + `, l.chat_id, l.joined_at
		FROM chat_members mine
		CROSS JOIN LATERAL (SELECT chat_id, user_id, joined_at FROM chat_members
			WHERE chat_id = mine.chat_id ORDER BY joined_at, user_id LIMIT $1) l
		JOIN users u ON u.id = l.user_id
		WHERE mine.user_id = $2 AND mine.chat_id = ANY($3)
		ORDER BY l.chat_id, l.joined_at, l.user_id`
	baselineInboxUsersSQL = `SELECT ` + inboxUserColumns + ` FROM users u WHERE u.id = ANY($1)`
)

// inboxPage and inboxMembers are inbox's chats(first: 50) and
// members(first: 5): the server reads one more row of each, to know
// whether there is a next page.
const (
	inboxPage    = 50
	inboxMembers = 5
)

// baselineInbox runs inbox's five statements for its user, in the order
// the server sends them (the chats page, then the viewer's read markers,
// the last messages and the first members of those chats, then the last
// messages' senders), one connection per worker, reading every row.
// The server may send the middle three at once, each on its own pooled
// connection; here they go one after another on one.
func (b *bench) baselineInbox(ctx context.Context, pool *pgxpool.Pool) (*result, error) {
	owner, err := b.inboxUser(ctx, "baseline")
	if err != nil {
		return nil, err
	}
	var ownerID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM users WHERE username = $1 AND deleted_at IS NULL`, owner.name).Scan(&ownerID); err != nil {
		return nil, fmt.Errorf("looking up the inbox user: %w", err)
	}
	conns := make([]*pgxpool.Conn, b.cfg.Concurrency)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Release()
			}
		}
	}()
	for w := range conns {
		if conns[w], err = pool.Acquire(ctx); err != nil {
			return nil, err
		}
	}
	l := closedLoop(ctx, b.cfg.duration, b.cfg.Concurrency, func(ctx context.Context, w, _ int) error {
		return readInbox(ctx, conns[w].Conn(), ownerID)
	})
	r := fromLoad("baseline-inbox", "inbox's 5 statements (chats page, read markers, last messages, first members, senders)", l)
	r.note("pgx directly, C=%d connections, the statements one after another on each", b.cfg.Concurrency)
	return r, nil
}

// readInbox runs inbox's statements for user as the server sends them,
// each one's arguments taken from the rows before, and checks that they
// read as many rows as the API's answer needs.
func readInbox(ctx context.Context, c *pgx.Conn, user int64) error {
	var (
		id, chatID, seq, pos, lastSeq, lastPos, senderID int64
		owner, userA, userB, replyTo                     *int64
		kind, body, username, displayName                string
		name, clientID                                   *string
		at, at2                                          time.Time
		edited, deleted, lastSeen                        *time.Time
		online                                           bool
	)
	// Chats: a page of 50 and one more, from past every chat.
	var chats []int64
	rows, _ := c.Query(ctx, baselineInboxChatsSQL, user, time.Unix(1<<40, 0), int64(math.MaxInt64), inboxPage+1)
	_, err := pgx.ForEachRow(rows, []any{&id, &kind, &name, &owner, &userA, &userB, &at, &lastSeq, &lastPos, &at2}, func() error {
		chats = append(chats, id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("chats: %w", err)
	}
	if len(chats) != inboxPage+1 {
		return fmt.Errorf("baseline inbox: expected %d chats, got %d", inboxPage+1, len(chats))
	}
	chats = chats[:inboxPage]

	// ReadMarkers: the viewer's marker in each chat, for unreadCount.
	rows, _ = c.Query(ctx, baselineInboxMarkersSQL, user, chats)
	markers, err := pgx.ForEachRow(rows, []any{&chatID, &seq}, func() error { return nil })
	if err != nil {
		return fmt.Errorf("read markers: %w", err)
	}

	// LastMessages, whose senders come last.
	var senders []int64
	rows, _ = c.Query(ctx, baselineInboxLastSQL, user, chats)
	last, err := pgx.ForEachRow(rows, []any{&id, &chatID, &seq, &senderID, &body, &clientID, &at, &pos, &replyTo, &edited, &deleted},
		func() error {
			if !slices.Contains(senders, senderID) {
				senders = append(senders, senderID)
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("last messages: %w", err)
	}

	// FirstMembers: members(first: 5) and one more, of every chat at once.
	rows, _ = c.Query(ctx, baselineInboxMembersSQL, inboxMembers+1, user, chats)
	members, err := pgx.ForEachRow(rows, []any{&id, &username, &displayName, &at, &deleted, &online, &lastSeen, &chatID, &at2},
		func() error { return nil })
	if err != nil {
		return fmt.Errorf("first members: %w", err)
	}

	// UsersByIDs: the last messages' senders, each once, as the loader asks.
	rows, _ = c.Query(ctx, baselineInboxUsersSQL, senders)
	users, err := pgx.ForEachRow(rows, []any{&id, &username, &displayName, &at, &deleted, &online, &lastSeen}, func() error { return nil })
	if err != nil {
		return fmt.Errorf("senders: %w", err)
	}

	// Fewer rows would make the baseline cheaper than the request it stands for.
	if markers.RowsAffected() != inboxPage || last.RowsAffected() != inboxPage || members.RowsAffected() < inboxPage ||
		users.RowsAffected() != int64(len(senders)) || len(senders) == 0 {
		return fmt.Errorf("baseline inbox: expected %d read markers, last messages and at least as many members, and every sender; got %d, %d, %d, %d of %d",
			inboxPage, markers.RowsAffected(), last.RowsAffected(), members.RowsAffected(), users.RowsAffected(), len(senders))
	}
	return nil
}
