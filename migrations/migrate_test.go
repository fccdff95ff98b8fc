package migrations_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"github.com/gqlchat/gqlchat/internal/testdb"
	"github.com/gqlchat/gqlchat/migrations"
)

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Instances starting together on an empty database apply each migration
// once between them, whatever the interleaving: the advisory lock
// serialises them.
func TestUp_InstancesStartingTogetherApplyEachMigrationOnce(t *testing.T) {
	t.Parallel()
	dsn := testdb.Empty(t)
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	const instances = 4
	applied := make([]int, instances)
	var wg sync.WaitGroup
	for i := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := migrations.Up(context.Background(), open(t, dsn))
			if err != nil {
				t.Errorf("instance %d: %v", i, err)
			}
			applied[i] = n
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range applied {
		total += n
	}
	if total != len(all) {
		t.Fatalf("instances applied %v migrations, %d in all; want %d", applied, total, len(all))
	}
	db := open(t, dsn)
	var rows int
	if err := db.QueryRow(`SELECT count(*) FROM schema_migrations WHERE name LIKE '%.sql'`).Scan(&rows); err != nil || rows != len(all) {
		t.Fatalf("schema_migrations has %d named rows (%v), want %d", rows, err, len(all))
	}
	if ok, err := migrations.Current(context.Background(), db); err != nil || !ok {
		t.Fatalf("Current: %v %v", ok, err)
	}
}

// A database that lacks its newest migration, as one left by an older
// release (whose runner kept the same table), is not current; Up applies
// just that one.
func TestUp_AppliesOnlyWhatIsMissing(t *testing.T) {
	t.Parallel()
	db := open(t, testdb.Empty(t))
	ctx := context.Background()
	if _, err := migrations.Up(ctx, db); err != nil {
		t.Fatal(err)
	}
	all, _ := migrations.All()
	last := all[len(all)-1]
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = $1`, last.Version); err != nil {
		t.Fatal(err)
	}
	// Undo what the newest migration created, so that it can run again.
	if _, err := db.Exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	for _, m := range all[:len(all)-1] {
		if _, err := db.Exec(m.SQL); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	for _, m := range all[:len(all)-1] {
		if _, err := db.Exec(`INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := migrations.Current(ctx, db); err != nil || ok {
		t.Fatalf("with %s missing, Current = %v, %v", last.Name, ok, err)
	}
	n, err := migrations.Up(ctx, db)
	if err != nil || n != 1 {
		t.Fatalf("Up applied %d (%v), want 1", n, err)
	}
	if ok, err := migrations.Current(ctx, db); err != nil || !ok {
		t.Fatalf("after Up, Current = %v, %v", ok, err)
	}
}

// A migration numbered below one already applied (a hotfix merged after a
// later branch's) is still applied, as the runner before goose did: here
// 0002 (friends) is missing while 0003 (chats, which does not need it) is
// in place.
func TestUp_AppliesAMigrationNumberedBelowOneApplied(t *testing.T) {
	t.Parallel()
	db := open(t, testdb.Empty(t))
	ctx := context.Background()
	if _, err := migrations.Up(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP TABLE friend_requests, friendships; DELETE FROM schema_migrations WHERE version = 2`); err != nil {
		t.Fatal(err)
	}
	if ok, err := migrations.Current(ctx, db); err != nil || ok {
		t.Fatalf("with 0002 missing, Current = %v, %v", ok, err)
	}
	if n, err := migrations.Up(ctx, db); err != nil || n != 1 {
		t.Fatalf("Up applied %d (%v), want 0002 alone", n, err)
	}
	if ok, err := migrations.Current(ctx, db); err != nil || !ok {
		t.Fatalf("after Up, Current = %v, %v", ok, err)
	}
}
