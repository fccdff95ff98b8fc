package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

// Every SELECT that the hot paths run can be served by an index: with
// sequential scans disabled, no plan may still contain one (a plan falls
// back to a sequential scan only when no index fits).
func TestIndexes_HotPathsNeedNoSequentialScan(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	me := s.SignUp(t, "me")
	f := s.FriendsOf(t, me, 3)
	var last message
	for i := range 3 {
		g := createGroupChat(t, s, me, fmt.Sprint("g", i), f...)
		for j := range 3 {
			last = post(t, s, f[j], g.ID, "hello")
		}
	}
	mine, doomed := post(t, s, me, last.Chat.ID, "mine"), post(t, s, me, last.Chat.ID, "doomed")
	send(t, s, s.SignUp(t, "asker"), me)
	block(t, s, me, s.SignUp(t, "blocked"))
	toBlock := s.SignUp(t, "pest")
	send(t, s, toBlock, me)
	recorder := apitest.RecordStatements(t, s.DB)
	ops := map[string]struct {
		query string
		vars  map[string]any
	}{
		"inbox":          {inboxQuery, map[string]any{"n": 50}},
		"inbox 2":        {`query($a: String) { chats(first: 1, after: $a) { edges { node { id } } } }`, map[string]any{"a": nil}},
		"history":        {historyQuery, map[string]any{"id": last.Chat.ID, "last": 50}},
		"history before": {historyQuery, map[string]any{"id": last.Chat.ID, "last": 2, "before": last.Cursor}},
		"friends":        {`{ viewer { friends(first: 50) { totalCount edges { node { id friendship } } } } }`, nil},
		"requests":       {requestsQuery, map[string]any{"dir": "INCOMING", "first": 50}},
		"search":         {searchQuery, map[string]any{"q": "pal"}},
		"post":           {postMessage, map[string]any{"chat": last.Chat.ID, "body": "indexed?"}},
		"reply":          {postReply, map[string]any{"chat": last.Chat.ID, "body": "re", "re": last.ID}},
		"react":          {addReaction, map[string]any{"m": last.ID, "e": "👍"}},
		"edit":           {editMessage, map[string]any{"m": mine.ID, "b": "edited"}},
		"reactions":      {messageNode, map[string]any{"id": last.ID, "n": 5}},
		"delete":         {deleteMsg, map[string]any{"m": doomed.ID}},
		"block":          {blockUser, id(toBlock.ID)},
		"blocked list":   {blockedUsersOf, map[string]any{"id": me.ID, "first": 50}},
		"by username":    {byUsername, map[string]any{"name": f[0].Username}},
	}
	for name, op := range ops {
		recorder.Take()
		s.MustDo(t, me.Token, op.query, op.vars, nil)
		statements := recorder.Take()
		if len(statements) == 0 {
			t.Errorf("%s: no statements recorded", name)
		}
		for _, st := range statements {
			if plan := explain(t, s, st); strings.Contains(plan, `"Seq Scan"`) {
				t.Errorf("%s: sequential scan in\n%s\n%s", name, st.SQL, plan)
			}
		}
	}
}

func explain(t *testing.T, s *apitest.Server, st apitest.Statement) string {
	t.Helper()
	tx := s.DB.Begin()
	defer tx.Rollback()
	if err := tx.Exec(`SET LOCAL enable_seqscan = off`).Error; err != nil {
		t.Fatal(err)
	}
	var plan string
	if err := tx.Raw("EXPLAIN (FORMAT JSON) "+st.SQL, st.Vars...).Row().Scan(&plan); err != nil {
		t.Fatalf("explain %s: %v", st.SQL, err)
	}
	return plan
}
