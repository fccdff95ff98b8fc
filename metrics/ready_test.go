package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestReady(t *testing.T) {
	up := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("connection refused") }
	hung := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	current := func(context.Context) (bool, error) { return true, nil }
	pending := func(context.Context) (bool, error) { return false, nil }
	unknown := func(context.Context) (bool, error) {
		return false, errors.New(`relation "schema_migrations" does not exist`)
	}
	for _, tt := range []struct {
		name       string
		ping       func(context.Context) error
		migrations func(context.Context) (bool, error)
		status     int
		body       string
	}{
		{"DatabaseUpAndMigrated", up, current, http.StatusOK, "ready"},
		{"DatabaseDown", down, current, http.StatusServiceUnavailable, "not ready: database unreachable"},
		{"DatabaseHangs", hung, current, http.StatusServiceUnavailable, "not ready: database unreachable"},
		{"MigrationsPending", up, pending, http.StatusServiceUnavailable, "not ready: migrations pending"},
		{"MigrationStateUnreadable", up, unknown, http.StatusServiceUnavailable, "not ready: migration state unknown"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The probe's own deadline stands in for readyTimeout.
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			rec := httptest.NewRecorder()
			Ready(tt.ping, tt.migrations).ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, "/readyz", nil))
			if body := strings.TrimSpace(rec.Body.String()); rec.Code != tt.status || body != tt.body {
				t.Errorf("got %d %q, want %d %q", rec.Code, body, tt.status, tt.body)
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Error("a probe's answer should not be cached")
			}
		})
	}
}
