package migrations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pressly/goose/v3/database"
)

// store is goose's record of applied versions in the table the project has
// used from its first release: schema_migrations (version, name,
// applied_at), one row per migration applied. goose's own table would
// differ in shape, and every database migrated before goose would have had
// to be converted.
type store struct {
	names map[int64]string // file name by version
}

var _ database.StoreExtender = store{}

// Tablename implements database.Store.
func (store) Tablename() string { return "schema_migrations" }

// TableExists implements database.StoreExtender.
func (store) TableExists(ctx context.Context, db database.DBTxConn) (bool, error) {
	var exists bool
	err := db.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists)
	return exists, err
}

// CreateVersionTable implements database.Store.
func (store) CreateVersionTable(ctx context.Context, db database.DBTxConn) error {
	_, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`)
	return err
}

// Insert implements database.Store. goose records a version 0 when it
// creates the table; the table only ever held real migrations, so that
// one is left out (and GetMigration answers for it).
func (s store) Insert(ctx context.Context, db database.DBTxConn, req database.InsertRequest) error {
	if req.Version == 0 {
		return nil
	}
	name, ok := s.names[req.Version]
	if !ok {
		return fmt.Errorf("no migration has version %d", req.Version)
	}
	_, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, req.Version, name)
	return err
}

// Delete implements database.Store.
func (store) Delete(ctx context.Context, db database.DBTxConn, version int64) error {
	_, err := db.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = $1`, version)
	return err
}

// GetMigration implements database.Store.
func (store) GetMigration(ctx context.Context, db database.DBTxConn, version int64) (*database.GetMigrationResult, error) {
	if version == 0 {
		return &database.GetMigrationResult{IsApplied: true}, nil
	}
	var at time.Time
	err := db.QueryRowContext(ctx, `SELECT applied_at FROM schema_migrations WHERE version = $1`, version).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %d", database.ErrVersionNotFound, version)
	}
	if err != nil {
		return nil, err
	}
	return &database.GetMigrationResult{Timestamp: at, IsApplied: true}, nil
}

// GetLatestVersion implements database.Store.
func (store) GetLatestVersion(ctx context.Context, db database.DBTxConn) (int64, error) {
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, err
	}
	if !v.Valid {
		return 0, database.ErrVersionNotFound
	}
	return v.Int64, nil
}

// ListMigrations implements database.Store: the applied versions, newest
// first, and last the version 0 that goose expects of a version table.
func (store) ListMigrations(ctx context.Context, db database.DBTxConn) ([]*database.ListMigrationsResult, error) {
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*database.ListMigrationsResult
	for rows.Next() {
		r := &database.ListMigrationsResult{IsApplied: true}
		if err := rows.Scan(&r.Version); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return append(out, &database.ListMigrationsResult{Version: 0, IsApplied: true}), rows.Err()
}
