package chat

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// withPgx runs f on one of db's pooled connections as pgx sees it: the
// hot reads (the log reader's, a page of history) scan rows into their
// fields directly, which costs a fraction of GORM's reflection, and are
// prepared once per connection by pgx's statement cache.
func withPgx(ctx context.Context, db *gorm.DB, f func(*pgx.Conn) error) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("the database driver is %T, not pgx", dc)
		}
		if err := f(c.Conn()); err != nil {
			// A failed statement inside a transaction leaves it open and
			// aborted: database/sql must not hand the connection out again.
			if c.Conn().PgConn().TxStatus() != 'I' {
				return errors.Join(err, driver.ErrBadConn)
			}
			return err
		}
		return nil
	})
}
