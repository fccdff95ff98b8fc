// Command devdb finds a PostgreSQL for development and prints the URL of
// its database "chat" (created if missing), for `make run`:
//
//	DATABASE_URL=$(go run ./cmd/devdb) go run .
//
// It uses the server at 127.0.0.1:5432 when one answers. Otherwise it
// starts a private one from the locally installed binaries
// (/usr/lib/postgresql/*/bin, or PG_BINDIR) with its data in -data-dir, on
// port 54329, and leaves it running for the next start; stop it with
// `go run ./cmd/devdb -stop`. PostgreSQL refuses to run as root: as root
// the private server runs as the `postgres` system user.
//
// The server itself only connects: starting database servers is a
// developer's convenience, kept out of the production binary.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/gqlchat/gqlchat/internal/pgserver"
	"github.com/gqlchat/gqlchat/internal/postgres"
)

func main() {
	dataDir := flag.String("data-dir", ".data/postgres", "where the private PostgreSQL keeps its data")
	database := flag.String("database", "chat", "the database to create if missing and print the URL of")
	stop := flag.Bool("stop", false, "stop the private PostgreSQL in -data-dir, if one runs, and exit")
	flag.Parse()
	if err := run(*dataDir, *database, *stop); err != nil {
		fmt.Fprintln(os.Stderr, "devdb:", err)
		os.Exit(1)
	}
}

func run(dataDir, database string, stop bool) error {
	if stop {
		return pgserver.Stop(dataDir, "")
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	admin, err := pgserver.AdminURL(ctx, pgserver.Options{DataDir: dataDir})
	if err != nil {
		return err
	}
	dsn := strings.Replace(admin, "/postgres?", "/"+database+"?", 1)
	if err := postgres.EnsureDatabase(ctx, dsn); err != nil {
		return err
	}
	fmt.Println(dsn)
	return nil
}
