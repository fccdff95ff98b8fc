// Package migrations holds the versioned SQL schema and applies it with
// goose (github.com/pressly/goose).
//
// Each file NNNN_name.sql is one version, applied once in its own
// transaction and recorded in schema_migrations. A PostgreSQL advisory lock
// serialises instances that start at the same time on one database.
//
// The files are plain SQL, run as they are: goose gets each as a Go
// migration rather than parsing it, so they need none of its annotations
// (and were written before it). Its record of versions is the table this
// project has kept from the start (store.go), so databases migrated before
// goose need nothing done.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// lockKey is an arbitrary constant naming this project's migration lock.
const lockKey = 0x636861745f6d6967

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// All returns the embedded migrations in version order.
func All() ([]Migration, error) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must start with a positive number and an underscore", name)
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// provider is goose set up with the embedded migrations, the project's
// version table and the advisory lock.
func provider(db *sql.DB) (*goose.Provider, error) {
	ms, err := All()
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	var steps []*goose.Migration
	for _, m := range ms {
		names[int64(m.Version)] = m.Name
		run := func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			return nil
		}
		steps = append(steps, goose.NewGoMigration(int64(m.Version), &goose.GoFunc{RunTx: run}, nil))
	}
	// Another instance may be migrating: wait for its lock, checking every
	// second for up to 5 minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockKey), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectCustom, db, nil,
		goose.WithStore(store{names: names}),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		// A migration with a lower number than one applied (a hotfix merged
		// after a later branch's) is applied, as before goose.
		goose.WithAllowOutofOrder(true),
		goose.WithGoMigrations(steps...),
		goose.WithSlog(slog.Default()),
	)
}

// Up applies every migration not yet recorded and returns how many it applied.
func Up(ctx context.Context, db *sql.DB) (int, error) {
	p, err := provider(db)
	if err != nil {
		return 0, err
	}
	results, err := p.Up(ctx)
	return len(results), err
}

// Current reports whether every embedded migration has been applied. It
// only reads: readiness probes call it.
func Current(ctx context.Context, db *sql.DB) (bool, error) {
	ms, err := All()
	if err != nil {
		return false, err
	}
	versions := make([]int64, len(ms))
	for i, m := range ms {
		versions[i] = int64(m.Version)
	}
	var applied int
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ANY($1)`, versions).Scan(&applied)
	return err == nil && applied == len(ms), err
}
