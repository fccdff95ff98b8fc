package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gqlchat/gqlchat/chat"
)

// The search scenario's data: searchChats group chats of one owner with
// searchPerChat messages each, a million in all, interleaved in time as
// busy chats are; the searcher is in one chat in searchEvery. Every body
// has "common"; "w<n>" is in one message in 1,000 (spread by a hash) and "x<n>" in one in 89.
const (
	searchChats   = 1000
	searchPerChat = 1000
	searchEvery   = 100
)

// searchSeedSQL writes the chats, memberships and messages ($1 the
// owner's and $2 the searcher's username). A million rows through the API
// would take hours; generate_series takes seconds.
var searchSeedSQL = []string{
	`INSERT INTO chats (kind, name, owner_id, last_seq, last_pos)
		SELECT 'GROUP', 'cb search ' || i, u.id, ` + fmt.Sprint(searchPerChat) + `, ` + fmt.Sprint(searchPerChat) + `
		FROM generate_series(1, ` + fmt.Sprint(searchChats) + `) i, users u WHERE u.username = $1`,
	`INSERT INTO chat_members (chat_id, user_id)
		SELECT c.id, u.id FROM chats c, users u WHERE c.name LIKE 'cb search %' AND u.username IN ($1, $2)
		AND (u.username = $1 OR substr(c.name, 11)::int % ` + fmt.Sprint(searchEvery) + ` = 0)`,
	`INSERT INTO chat_member_spans (chat_id, user_id, from_pos)
		SELECT m.chat_id, m.user_id, 0 FROM chat_members m JOIN chats c ON c.id = m.chat_id WHERE c.name LIKE 'cb search %'`,
	`INSERT INTO messages (chat_id, seq, pos, sender_id, body, created_at)
		SELECT first.id + i % ` + fmt.Sprint(searchChats) + `, i / ` + fmt.Sprint(searchChats) + ` + 1, i / ` + fmt.Sprint(searchChats) + ` + 1,
			first.owner_id, 'w' || abs(hashint8(i) % 1000) || ' common x' || (i % 89),
			now() - interval '1 second' * (` + fmt.Sprint(searchChats*searchPerChat) + ` - i)
		FROM generate_series(0, ` + fmt.Sprint(searchChats*searchPerChat-1) + `) i,
			(SELECT min(id) AS id, min(owner_id) AS owner_id FROM chats WHERE name LIKE 'cb search %') first`,
}

// searchSQL is the search index's plan that chat.SearchMessages falls
// back to for the viewer's chats ($2 the viewer; $3 the page size plus
// one), and searchChatSQL the one for one chat ($2 the chat). The server
// first reads the viewer's newest 500 messages (chat/searchplan.go), so
// for a common word the baseline shows what the index alone costs.
const (
	searchSelect = `SELECT m.id, m.chat_id, m.seq, m.sender_id, m.body, m.client_message_id, m.created_at, m.pos, m.reply_to_id,
		m.edited_at, m.deleted_at, u.id, u.username, u.display_name, u.password_hash, u.created_at, u.deleted_at
		FROM messages m LEFT JOIN users u ON m.sender_id = u.id
		WHERE (to_tsvector('simple', m.body) @@ to_tsquery('simple', $1) AND m.deleted_at IS NULL) AND `
	searchSQL     = searchSelect + `m.chat_id = ANY (ARRAY(SELECT chat_id FROM chat_members WHERE user_id = $2)) ORDER BY m.id DESC LIMIT $3`
	searchChatSQL = searchSelect + `m.chat_id = $2 ORDER BY m.id DESC LIMIT $3`
)

const searchQuery = `query($q: String!, $chat: ID) { searchMessages(query: $q, chatId: $chat, first: 20) {
	edges { cursor node { id body createdAt sender { username displayName } } } } }`

// searchCase is one measured search: what the user types, what the
// server gives to_tsquery for it (chat.SearchTSQuery: the last word of 3
// characters or more is a prefix), and whether it is limited to one chat.
type searchCase struct {
	name, query, tsquery string
	oneChat              bool
	want                 int // results on the first page: at least 1, or exactly 20
}

var searchCases = []searchCase{
	{"rare", "w123", "", false, 1},
	{"mid", "x42", "", false, 20},
	{"common", "common", "", false, 20},
	{"prefix", "x42 comm", "", false, 20},
	{"one-chat", "common", "", true, 20},
}

// The baselines run the server's own tsquery for each case (a hand-written
// one once left the prefix off "x42", and the baseline looked twice as
// fast as the same search was).
func init() {
	for i, c := range searchCases {
		q, err := chat.SearchTSQuery(c.query)
		if err != nil {
			panic(err)
		}
		searchCases[i].tsquery = q
	}
}

// searchData is what the scenario seeded.
type searchData struct {
	viewer           *user
	viewerID, chatID int64
	chatGID          string
}

// runSearch measures searchMessages on a million messages, each case
// over the API and then its SQL through pgx, so the two are compared in
// the same run.
func (b *bench) runSearch(ctx context.Context) ([]*result, error) {
	if b.cfg.dsn == "" {
		return []*result{{Scenario: "search", Notes: []string{"skipped: needs -dsn to seed a million messages"}}}, nil
	}
	pool, err := b.pool(ctx)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	d, seeded, err := b.seedSearch(ctx, pool)
	if err != nil {
		return nil, err
	}
	var res []*result
	for _, c := range searchCases {
		vars := map[string]any{"q": c.query}
		chatID := d.viewerID
		sql := searchSQL
		if c.oneChat {
			vars["chat"], chatID, sql = d.chatGID, d.chatID, searchChatSQL
		}
		l := b.loop(ctx, "search-"+c.name, func(ctx context.Context, w, _ int) error {
			var out struct {
				SearchMessages struct{ Edges []struct{ Cursor string } }
			}
			if err := b.api.do(ctx, w, d.viewer.token, searchQuery, vars, &out); err != nil {
				return err
			}
			return c.check(len(out.SearchMessages.Edges))
		})
		r := fromLoad("search-"+c.name, fmt.Sprintf("requests (searchMessages(query: %q, first: 20)%s)", c.query, c.where()), l)
		r.note("C=%d; %s", b.cfg.Concurrency, seeded)
		lb := closedLoop(ctx, b.cfg.duration, b.cfg.Concurrency, func(ctx context.Context, _, _ int) error {
			return searchRows(ctx, pool, sql, c, chatID)
		})
		rb := fromLoad("baseline-search-"+c.name, "its SELECT through pgx", lb)
		rb.note("pgx directly, C=%d connections", b.cfg.Concurrency)
		if plan, err := searchPlan(ctx, pool, sql, c, chatID); err == nil {
			rb.note("plan: %s", plan)
		} else {
			rb.note("no plan: %v", err)
		}
		if r.OpsPerSec > 0 && rb.OpsPerSec > 0 {
			r.note("api/baseline: ops/s %.2fx, p50 %.1fx, p99 %.1fx", r.OpsPerSec/rb.OpsPerSec,
				ratio(r.Latency.P50, rb.Latency.P50), ratio(r.Latency.P99, rb.Latency.P99))
		}
		res = append(res, r, rb)
	}
	return res, nil
}

func (c searchCase) where() string {
	if c.oneChat {
		return ", one chat of 1,000 messages"
	}
	return fmt.Sprintf(", the searcher's %d chats of %d messages", searchChats/searchEvery, searchPerChat)
}

func (c searchCase) check(n int) error {
	if (c.want == 20 && n != 20) || n < c.want {
		return fmt.Errorf("search %q: %d results, want %d", c.query, n, c.want)
	}
	return nil
}

// pool opens C connections to the server's database.
func (b *bench) pool(ctx context.Context) (*pgxpool.Pool, error) {
	pcfg, err := pgxpool.ParseConfig(b.cfg.dsn)
	if err != nil {
		return nil, fmt.Errorf("-dsn: %w", err)
	}
	pcfg.MaxConns, pcfg.MinConns = int32(b.cfg.Concurrency), int32(b.cfg.Concurrency)
	return pgxpool.NewWithConfig(ctx, pcfg)
}

// seedSearch signs up the owner and the searcher through the API, then
// writes the million messages by SQL in one transaction. As a bulk load
// does, it drops the search index and the foreign keys of messages for
// the load and puts them back from their own definitions, then analyzes.
func (b *bench) seedSearch(ctx context.Context, pool *pgxpool.Pool) (*searchData, string, error) {
	var users []*user
	err := b.setup("search", func() (err error) {
		users, err = b.seed.signUp(ctx, 2)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	start := time.Now()
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var restore []string
		rows, _ := tx.Query(ctx, `SELECT indexdef FROM pg_indexes WHERE indexname = 'messages_search_idx'
			UNION ALL SELECT format('ALTER TABLE messages ADD CONSTRAINT %I %s', conname, pg_get_constraintdef(oid))
			FROM pg_constraint WHERE conrelid = 'messages'::regclass AND contype = 'f'`)
		restore, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		steps := []string{`SET LOCAL statement_timeout = 0`, `SET LOCAL maintenance_work_mem = '256MB'`, `DROP INDEX messages_search_idx`,
			`DO $$ DECLARE c text; BEGIN
				FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'messages'::regclass AND contype = 'f' LOOP
					EXECUTE format('ALTER TABLE messages DROP CONSTRAINT %I', c);
				END LOOP; END $$`}
		for _, sql := range steps {
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("%s: %w", sql, err)
			}
		}
		for _, sql := range searchSeedSQL {
			var args []any // the usernames the statement names
			for i, u := range users {
				if strings.Contains(sql, fmt.Sprintf("$%d", i+1)) {
					args = append(args, u.name)
				}
			}
			if _, err := tx.Exec(ctx, sql, args...); err != nil {
				return fmt.Errorf("%s: %w", sql, err)
			}
		}
		for _, sql := range restore {
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("%s: %w", sql, err)
			}
		}
		return nil
	})
	if err == nil {
		_, err = pool.Exec(ctx, `ANALYZE`)
	}
	if err != nil {
		return nil, "", fmt.Errorf("seeding by SQL: %w", err)
	}
	seeded := fmt.Sprintf("%d messages in %d chats seeded by SQL (generate_series), not the API, in %.1fs",
		searchChats*searchPerChat, searchChats, time.Since(start).Seconds())
	logf("search: %s", seeded)
	d := &searchData{viewer: users[1]}
	err = pool.QueryRow(ctx, `SELECT u.id, min(m.chat_id) FROM users u JOIN chat_members m ON m.user_id = u.id
		WHERE u.username = $1 GROUP BY u.id`, users[1].name).Scan(&d.viewerID, &d.chatID)
	if err != nil {
		return nil, "", err
	}
	d.chatGID, err = b.searchChatGID(ctx, d.viewer, pool, d.chatID)
	return d, seeded, err
}

// searchChatGID finds the global id of chat chatID in the searcher's chat
// list, by name: global ids are opaque by contract.
func (b *bench) searchChatGID(ctx context.Context, u *user, pool *pgxpool.Pool, chatID int64) (string, error) {
	var name string
	if err := pool.QueryRow(ctx, `SELECT name FROM chats WHERE id = $1`, chatID).Scan(&name); err != nil {
		return "", err
	}
	var out struct {
		Chats struct {
			Edges []struct{ Node struct{ ID, Name string } }
		}
	}
	if err := b.api.do(ctx, 0, u.token, `{ chats(first: 100) { edges { node { id ... on GroupChat { name } } } } }`, nil, &out); err != nil {
		return "", err
	}
	for _, e := range out.Chats.Edges {
		if e.Node.Name == name {
			return e.Node.ID, nil
		}
	}
	return "", fmt.Errorf("the searcher's chat list lacks %q", name)
}

// searchRows runs a search's SELECT and reads every row, as the server must.
func searchRows(ctx context.Context, pool *pgxpool.Pool, sql string, c searchCase, chatID int64) error {
	rows, _ := pool.Query(ctx, sql, c.tsquery, chatID, 21)
	n := 0
	for rows.Next() {
		if _, err := rows.Values(); err != nil {
			rows.Close()
			return err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return c.check(min(n, 20))
}

// searchPlan summarizes the plan of a search, run once alone: its nodes,
// depth first, and its execution time.
func searchPlan(ctx context.Context, pool *pgxpool.Pool, sql string, c searchCase, chatID int64) (string, error) {
	var raw string
	if err := pool.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+sql, c.tsquery, chatID, 21).Scan(&raw); err != nil {
		return "", err
	}
	type node struct {
		Type  string `json:"Node Type"`
		Index string `json:"Index Name"`
		Rel   string `json:"Relation Name"`
		Plans []node `json:"Plans"`
	}
	var root []struct {
		Plan node
		Time float64 `json:"Execution Time"`
	}
	if err := json.Unmarshal([]byte(raw), &root); err != nil || len(root) == 0 {
		return "", fmt.Errorf("plan %s: %v", raw, err)
	}
	var parts []string
	var walk func(n node)
	walk = func(n node) {
		s := n.Type
		if on := n.Index + n.Rel; n.Index != "" {
			s += " " + n.Index
		} else if on != "" {
			s += " " + on
		}
		parts = append(parts, s)
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(root[0].Plan)
	return fmt.Sprintf("%s; alone (EXPLAIN ANALYZE) %.1fms", strings.Join(parts, " > "), root[0].Time), nil
}
