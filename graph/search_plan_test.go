package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/internal/apitest"
)

// seedSearch writes, by SQL, 1,000 group chats of owner with 1,000
// messages each (1,000,000 in all), interleaved in time as busy chats
// are. Every body has "common"; "w<n>" is in one message in 1,000 (spread by a hash).
// The viewer is in 10 of the chats. As a bulk load does, it drops the
// search index and the foreign keys of messages for the load and puts
// them back from their own definitions. It returns the id of one chat
// the viewer is in.
func seedSearch(t *testing.T, s *apitest.Server, owner, viewer string) int64 {
	t.Helper()
	start := time.Now()
	var chatID int64
	// One transaction, free of the server's statement timeout.
	err := s.DB.Transaction(func(tx *gorm.DB) error {
		var restore []string
		err := tx.Raw(`SELECT indexdef FROM pg_indexes WHERE indexname = 'messages_search_idx'
			UNION ALL SELECT format('ALTER TABLE messages ADD CONSTRAINT %I %s', conname, pg_get_constraintdef(oid))
			FROM pg_constraint WHERE conrelid = 'messages'::regclass AND contype = 'f'`).Scan(&restore).Error
		if err != nil {
			return err
		}
		steps := []struct {
			sql  string
			args []any
		}{
			{`SET LOCAL statement_timeout = 0; SET LOCAL maintenance_work_mem = '128MB'`, nil},
			{`DROP INDEX messages_search_idx`, nil},
			{`DO $$ DECLARE c text; BEGIN
				FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'messages'::regclass AND contype = 'f' LOOP
					EXECUTE format('ALTER TABLE messages DROP CONSTRAINT %I', c);
				END LOOP; END $$`, nil},
			{`INSERT INTO chats (kind, name, owner_id, last_seq, last_pos)
				SELECT 'GROUP', 'bulk ' || i, u.id, 1000, 1000 FROM generate_series(1, 1000) i, users u WHERE u.username = ?`, []any{owner}},
			{`INSERT INTO chat_members (chat_id, user_id)
				SELECT c.id, u.id FROM chats c, users u WHERE c.name LIKE 'bulk %' AND u.username IN (?, ?)
				AND (u.username = ? OR substr(c.name, 6)::int % 100 = 0)`, []any{owner, viewer, owner}},
			{`INSERT INTO chat_member_spans (chat_id, user_id, from_pos) SELECT chat_id, user_id, 0 FROM chat_members
				WHERE chat_id IN (SELECT id FROM chats WHERE name LIKE 'bulk %')`, nil},
			{`INSERT INTO messages (chat_id, seq, pos, sender_id, body, created_at)
				SELECT first.id + i % 1000, i / 1000 + 1, i / 1000 + 1, first.owner_id,
					'w' || abs(hashint8(i) % 1000) || ' common x' || (i % 89),
					now() - interval '1 second' * (1000000 - i)
				FROM generate_series(0, 999999) i,
					(SELECT min(id) AS id, min(owner_id) AS owner_id FROM chats WHERE name LIKE 'bulk %') first`, nil},
		}
		for _, sql := range restore {
			steps = append(steps, struct {
				sql  string
				args []any
			}{sql, nil})
		}
		for _, st := range append(steps, struct {
			sql  string
			args []any
		}{`ANALYZE`, nil}) {
			if err := tx.Exec(st.sql, st.args...).Error; err != nil {
				return fmt.Errorf("%s: %w", st.sql, err)
			}
		}
		return tx.Raw(`SELECT id FROM chats WHERE name = 'bulk 100'`).Row().Scan(&chatID)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded 1,000,000 messages by SQL in %v", time.Since(start).Round(time.Millisecond))
	return chatID
}

// On a million messages, searching stays index-bound: with the planner's
// own choices (sequential scans allowed), no search reads the messages
// table from end to end, whether in all the viewer's chats or one, on a
// first or a later page. Run, a rare word is looked up in the search
// index; a common word is answered from the viewer's newest messages,
// reading a bounded number of rows, and the search index is not read.
func TestIndexes_SearchOnAMillionMessagesUsesTheSearchIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a million messages")
	}
	t.Parallel()
	s := apitest.NewServer(t)
	owner, me := s.SignUp(t, "owner"), s.SignUp(t, "me")
	chatID := model.EncodeID(model.KindChat, seedSearch(t, s, owner.Username, me.Username))
	if err := s.Service.ReadSearchStats(t.Context()); err != nil { // after the load's ANALYZE, as an operator would
		t.Fatal(err)
	}
	var first searchPage
	s.MustDo(t, me.Token, searchMessages, map[string]any{"q": "common", "first": 5}, &first)
	if n := len(first.SearchMessages.Edges); n != 5 {
		t.Fatalf("%d found", n)
	}
	after := *first.SearchMessages.PageInfo.EndCursor
	recorder := apitest.RecordStatements(t, s.DB)
	for _, c := range []struct {
		name string
		vars map[string]any
		gin  bool // the search index must answer (else the window must, reading few rows)
	}{
		{"rare word, all chats", map[string]any{"q": "w123"}, true},
		{"rare word, one chat", map[string]any{"q": "w123", "chat": chatID}, true},
		{"rare prefix, all chats", map[string]any{"q": "common w999"}, true},
		{"common word, all chats", map[string]any{"q": "common"}, false},
		{"common word, one chat", map[string]any{"q": "common", "chat": chatID}, false},
		{"common word, next page", map[string]any{"q": "common", "after": after}, false},
	} {
		recorder.Take()
		s.MustDo(t, me.Token, searchMessages, c.vars, nil)
		for _, st := range recorder.Take() {
			if !strings.Contains(st.SQL, "to_tsquery") {
				continue
			}
			plan := explainWith(t, s, st, `SET LOCAL enable_seqscan = on`) // the planner's own choice
			scans := planScans(t, plan)
			if scans["Seq Scan on messages"] {
				t.Errorf("%s: sequential scan of messages in\n%s", c.name, plan)
			}
			if !scans["Bitmap Index Scan on messages_search_idx"] {
				t.Errorf("%s: the search index is not in the plan\n%s", c.name, plan)
			}
			run := runScans(t, s, st)
			read := 0
			for scan, rows := range run {
				if strings.HasSuffix(scan, " on messages") || strings.Contains(scan, " on messages_") {
					read += rows
				}
			}
			if _, used := run["Bitmap Index Scan on messages_search_idx"]; used != c.gin {
				t.Errorf("%s: search index used %v, want %v: %v", c.name, used, c.gin, run)
			}
			// The window: 500 rows, a probe per chat, the page's 21.
			if !c.gin && read > 600 {
				t.Errorf("%s: %d rows of messages read: %v", c.name, read, run)
			}
			t.Logf("%s: %d rows of messages read: %v", c.name, read, run)
		}
	}
}

// runScans runs st under EXPLAIN ANALYZE and returns the rows returned
// by each scan that ran (scans never executed are absent), by "Node Type
// on index or relation".
func runScans(t *testing.T, s *apitest.Server, st apitest.Statement) map[string]int {
	t.Helper()
	db, err := s.DB.DB()
	if err != nil {
		t.Fatal(err)
	}
	var plan string
	if err := db.QueryRow("EXPLAIN (ANALYZE, FORMAT JSON) "+st.SQL, st.Vars...).Scan(&plan); err != nil {
		t.Fatalf("explain analyze %s: %v", st.SQL, err)
	}
	type node struct {
		NodeType string  `json:"Node Type"`
		Relation string  `json:"Relation Name"`
		Index    string  `json:"Index Name"`
		Rows     float64 `json:"Actual Rows"`
		Loops    float64 `json:"Actual Loops"`
		Plans    []node  `json:"Plans"`
	}
	var root []struct{ Plan node }
	if err := json.Unmarshal([]byte(plan), &root); err != nil || len(root) != 1 {
		t.Fatalf("plan %s: %v", plan, err)
	}
	out := map[string]int{}
	var walk func(n node)
	walk = func(n node) {
		on := n.Index
		if on == "" {
			on = n.Relation
		}
		if strings.Contains(n.NodeType, "Scan") && on != "" && n.Loops > 0 {
			out[n.NodeType+" on "+on] += int(n.Rows*n.Loops + 0.5) // present: it ran
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(root[0].Plan)
	return out
}

// planScans names the scans of a JSON plan: "Seq Scan on messages",
// "Bitmap Index Scan on messages_search_idx", ...
func planScans(t *testing.T, plan string) map[string]bool {
	t.Helper()
	type node struct {
		NodeType string `json:"Node Type"`
		Relation string `json:"Relation Name"`
		Index    string `json:"Index Name"`
		Plans    []node `json:"Plans"`
	}
	var root []struct{ Plan node }
	if err := json.Unmarshal([]byte(plan), &root); err != nil || len(root) != 1 {
		t.Fatalf("plan %s: %v", plan, err)
	}
	out := map[string]bool{}
	var walk func(n node)
	walk = func(n node) {
		on := n.Index
		if on == "" {
			on = n.Relation
		}
		if strings.Contains(n.NodeType, "Scan") && on != "" {
			out[n.NodeType+" on "+on] = true
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(root[0].Plan)
	return out
}
