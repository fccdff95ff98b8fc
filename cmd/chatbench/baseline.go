package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	baselineHistorySQL = `SELECT m.id, m.body, m.created_at, u.username, u.display_name
		FROM messages m JOIN users u ON u.id = m.sender_id
		WHERE m.chat_id = $1 ORDER BY m.seq DESC LIMIT 50`
	// The two statements of chat.PostMessage's transaction for a group
	// message without clientMessageId or reply: take the chat's next
	// message number and log position (locking its row, and checking that
	// the sender is a member), then insert the message, its event in the
	// chat's log and the sender's read marker in one statement.
	baselineNumberSQL = `UPDATE chats SET last_seq = last_seq + 1, last_pos = last_pos + 1, activity_at = clock_timestamp()
		WHERE id = $1 AND EXISTS (SELECT 1 FROM chat_members WHERE chat_id = chats.id AND user_id = $2)
		RETURNING last_seq, last_pos`
	baselineInsertSQL = `WITH m AS (INSERT INTO messages (chat_id, seq, pos, sender_id, body)
			VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at),
		e AS (INSERT INTO chat_events (chat_id, pos, kind, message_id, at) SELECT $1, $3, 'MESSAGE_POSTED', id, created_at FROM m),
		read AS (UPDATE chat_members SET last_read_seq = $2 WHERE chat_id = $1 AND user_id = $4)
		SELECT id FROM m`
)

// runBaseline runs the SQL at the heart of history, post and inbox
// straight on the database with pgx, at the same concurrency: the floor
// that the API's numbers are compared with. The inserts go into the
// benchmark's own group chats, as the same members, so the row-lock
// contention matches; inbox's statements list the same user's chats.
func (b *bench) runBaseline(ctx context.Context) ([]*result, error) {
	if b.cfg.dsn == "" {
		return []*result{{Scenario: "baseline", Notes: []string{"skipped: needs -dsn"}}}, nil
	}
	hist, err := b.historyChat(ctx, "baseline")
	if err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(b.cfg.dsn)
	if err != nil {
		return nil, fmt.Errorf("-dsn: %w", err)
	}
	pcfg.MaxConns, pcfg.MinConns = int32(b.cfg.Concurrency), int32(b.cfg.Concurrency)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	chats, users, err := keys(ctx, pool, b.groups)
	if err != nil {
		return nil, err
	}

	histID := chats[hist.name]
	lh := closedLoop(ctx, b.cfg.duration, b.cfg.Concurrency, func(ctx context.Context, _, _ int) error {
		return readHistory(ctx, pool, histID)
	})
	rh := fromLoad("baseline-history", "SELECT of the newest 50 messages", lh)

	li := closedLoop(ctx, b.cfg.duration, b.cfg.Concurrency, func(ctx context.Context, w, i int) error {
		g := b.groups[w%len(b.groups)]
		u := g.members[(w/len(b.groups))%len(g.members)]
		return insertMessage(ctx, pool, chats[g.name], users[u.name], fmt.Sprintf("baseline w%d #%d", w, i))
	})
	ri := fromLoad("baseline-insert", "post transactions (UPDATE chats numbering + INSERT message, event, read marker)", li)
	for _, r := range []*result{rh, ri} {
		r.note("pgx directly, C=%d connections", b.cfg.Concurrency)
	}
	ri.note("post's own two statements; post also authenticates, parses and wakes the log readers after commit")

	rb, err := b.baselineInbox(ctx, pool)
	if err != nil {
		return []*result{rh, ri}, err
	}
	return []*result{rh, ri, rb}, nil
}

// keys looks up the database keys of the groups and their members by name:
// global ids are opaque by contract, so the benchmark does not decode them.
func keys(ctx context.Context, pool *pgxpool.Pool, groups []*group) (chats, users map[string]int64, err error) {
	var chatNames, userNames []string
	for _, g := range groups {
		chatNames = append(chatNames, g.name)
		for _, m := range g.members {
			userNames = append(userNames, m.name)
		}
	}
	load := func(query string, names []string) (map[string]int64, error) {
		rows, _ := pool.Query(ctx, query, names)
		ids := map[string]int64{}
		var id int64
		var name string
		_, err := pgx.ForEachRow(rows, []any{&id, &name}, func() error { ids[name] = id; return nil })
		if err == nil && len(ids) != len(names) {
			err = fmt.Errorf("found %d of %d rows: is -dsn the server's database?", len(ids), len(names))
		}
		return ids, err
	}
	if chats, err = load(`SELECT id, name FROM chats WHERE name = ANY($1)`, chatNames); err != nil {
		return nil, nil, fmt.Errorf("looking up the group chats: %w", err)
	}
	if users, err = load(`SELECT id, username FROM users WHERE username = ANY($1) AND deleted_at IS NULL`, userNames); err != nil {
		return nil, nil, fmt.Errorf("looking up the users: %w", err)
	}
	return chats, users, nil
}

// readHistory runs the history query and reads every row, as the server must.
func readHistory(ctx context.Context, pool *pgxpool.Pool, chatID int64) error {
	rows, _ := pool.Query(ctx, baselineHistorySQL, chatID)
	var (
		id                  int64
		body, name, display string
		created             time.Time
	)
	tag, err := pgx.ForEachRow(rows, []any{&id, &body, &created, &name, &display}, func() error { return nil })
	if err == nil && tag.RowsAffected() != 50 {
		err = fmt.Errorf("baseline history: expected 50 rows, got %d", tag.RowsAffected())
	}
	return err
}

// insertMessage runs posting's transaction: the chat's next message
// number and log position, then the message with its event and the
// sender's read marker.
func insertMessage(ctx context.Context, pool *pgxpool.Pool, chatID, senderID int64, body string) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var seq, pos int64
		if err := tx.QueryRow(ctx, baselineNumberSQL, chatID, senderID).Scan(&seq, &pos); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("baseline insert: user %d is not a member of chat %d", senderID, chatID)
			}
			return err
		}
		var id int64
		return tx.QueryRow(ctx, baselineInsertSQL, chatID, seq, pos, senderID, body).Scan(&id)
	})
}
