// Package testdb gives each test a fresh, migrated PostgreSQL database,
// cloned from a template (pgtestdb), on the local server or a private one
// started for the tests. It knows the schema, not the API: the domain's
// tests and the API's share it.
package testdb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver pgtestdb uses
	"github.com/peterldowns/pgtestdb"
	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/internal/pgserver"
	"github.com/gqlchat/gqlchat/internal/postgres"
	"github.com/gqlchat/gqlchat/migrations"
)

// migrator builds pgtestdb's template database with our migrations.
type migrator struct{}

func (migrator) Hash() (string, error) {
	ms, err := migrations.All()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		h.Write([]byte(m.Name + "\x00" + m.SQL + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (migrator) Migrate(ctx context.Context, db *sql.DB, _ pgtestdb.Config) error {
	_, err := migrations.Up(ctx, db)
	return err
}

var (
	adminOnce sync.Once
	adminURL  *url.URL
	adminErr  error
)

// server returns the PostgreSQL server tests use: the local one, or a
// private one started from local binaries when none answers.
func server(t testing.TB) *url.URL {
	adminOnce.Do(func() {
		var raw string
		if raw = os.Getenv("TEST_DATABASE_URL"); raw == "" {
			raw, adminErr = pgserver.AdminURL(context.Background(), pgserver.Options{
				DataDir: filepath.Join(os.TempDir(), "gqlchat-test-postgres"),
			})
		}
		if adminErr == nil {
			adminURL, adminErr = url.Parse(raw)
		}
	})
	if adminErr != nil {
		t.Fatalf("no PostgreSQL for tests: %v", adminErr)
	}
	return adminURL
}

// New returns the URL of a fresh, migrated database that is dropped when t ends.
func New(t testing.TB) string {
	return pgtestdb.Custom(t, testConfig(t), migrator{}).URL()
}

func testConfig(t testing.TB) pgtestdb.Config {
	u := server(t)
	pass, _ := u.User.Password()
	return pgtestdb.Config{
		DriverName: "pgx", Host: u.Hostname(), Port: u.Port(), User: u.User.Username(), Password: pass,
		Database: "postgres", Options: "sslmode=disable", ForceTerminateConnections: true,
	}
}

// Open opens a GORM pool on dsn that is closed when t ends.
func Open(t testing.TB, dsn string) *gorm.DB {
	db, err := postgres.Open(context.Background(), dsn, 20)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	t.Cleanup(func() { sqlDB.Close() })
	return db
}

// Empty returns the URL of a fresh database with no tables at all.
func Empty(t testing.TB) string {
	return pgtestdb.Custom(t, testConfig(t), pgtestdb.NoopMigrator{}).URL()
}

// AdminExec runs statements as the server's superuser, for tests that
// change roles or the server itself.
func AdminExec(t testing.TB, query string, args ...any) {
	t.Helper()
	db, err := sql.Open("pgx", server(t).String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
