package apitest

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"
)

// StatementCounter counts the SQL statements a GORM handle runs.
type StatementCounter struct{ n atomic.Int64 }

// CountStatements registers a counter on db's callbacks.
func CountStatements(t testing.TB, db *gorm.DB) *StatementCounter {
	c := &StatementCounter{}
	count := func(*gorm.DB) { c.n.Add(1) }
	cb := db.Callback()
	for _, err := range []error{
		cb.Create().After("gorm:create").Register("apitest:count", count),
		cb.Query().After("gorm:query").Register("apitest:count", count),
		cb.Update().After("gorm:update").Register("apitest:count", count),
		cb.Delete().After("gorm:delete").Register("apitest:count", count),
		cb.Row().After("gorm:row").Register("apitest:count", count),
		cb.Raw().After("gorm:raw").Register("apitest:count", count),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
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

// StatementRecorder keeps the SELECT statements a GORM handle runs.
type StatementRecorder struct {
	mu   sync.Mutex
	list []Statement
}

// RecordStatements registers a recorder on db's query callbacks.
func RecordStatements(t testing.TB, db *gorm.DB) *StatementRecorder {
	r := &StatementRecorder{}
	record := func(tx *gorm.DB) {
		sql := tx.Statement.SQL.String()
		if strings.HasPrefix(strings.TrimSpace(strings.ToUpper(sql)), "SELECT") {
			r.mu.Lock()
			r.list = append(r.list, Statement{SQL: sql, Vars: append([]any(nil), tx.Statement.Vars...)})
			r.mu.Unlock()
		}
	}
	cb := db.Callback()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register("apitest:record", record),
		cb.Row().After("gorm:row").Register("apitest:record", record),
		cb.Raw().After("gorm:raw").Register("apitest:record", record),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// Take returns the statements recorded so far and forgets them.
func (r *StatementRecorder) Take() []Statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.list
	r.list = nil
	return list
}
