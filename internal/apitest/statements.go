package apitest

import (
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
