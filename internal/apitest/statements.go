package apitest

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/internal/postgres"
)

// StatementCounter counts the SQL statements sent on a pool, through GORM
// or straight through pgx alike (but not those of a pgx pipeline, and not
// transaction control: BEGIN, COMMIT and the like).
type StatementCounter struct{ n atomic.Int64 }

// CountStatements counts the statements sent on db's pool until t ends.
func CountStatements(t testing.TB, db *gorm.DB) *StatementCounter {
	c := &StatementCounter{}
	watch(t, db, func(sql string, _ []any) {
		if !transactionControl(sql) {
			c.n.Add(1)
		}
	})
	return c
}

// During returns how many statements f ran.
func (c *StatementCounter) During(f func()) int64 {
	before := c.n.Load()
	f()
	return c.n.Load() - before
}

// Statement is one SQL statement a test recorded, with its arguments.
type Statement struct {
	SQL  string
	Vars []any
}

// StatementRecorder keeps the SELECT statements sent on a pool.
type StatementRecorder struct {
	mu   sync.Mutex
	list []Statement
}

// RecordStatements records the SELECT statements sent on db's pool until
// t ends.
func RecordStatements(t testing.TB, db *gorm.DB) *StatementRecorder {
	r := &StatementRecorder{}
	watch(t, db, func(sql string, args []any) {
		if strings.HasPrefix(strings.TrimSpace(strings.ToUpper(sql)), "SELECT") {
			r.mu.Lock()
			r.list = append(r.list, Statement{SQL: sql, Vars: append([]any(nil), args...)})
			r.mu.Unlock()
		}
	})
	return r
}

func watch(t testing.TB, db *gorm.DB, f func(string, []any)) {
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(postgres.Watch(sqlDB, f))
}

// transactionControl reports whether sql only begins or ends a transaction.
func transactionControl(sql string) bool {
	word, _, _ := strings.Cut(strings.TrimSpace(strings.ToLower(sql)), " ")
	switch word {
	case "begin", "commit", "rollback", "savepoint", "release":
		return true
	}
	return false
}

// Take returns the statements recorded so far and forgets them.
func (r *StatementRecorder) Take() []Statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.list
	r.list = nil
	return list
}
