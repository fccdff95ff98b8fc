package metrics

import (
	"context"
	"net/http"
	"time"
)

// readyTimeout bounds the checks, so that a hung database answers the
// probe with 503 rather than never.
const readyTimeout = 2 * time.Second

// Ready answers GET /readyz: 200 when ping reaches the database and
// migrationsCurrent finds every migration of this build applied, 503 with
// a one-line reason otherwise, so that a load balancer sends requests only
// to instances able to serve them. Liveness is /healthz's business.
func Ready(ping func(context.Context) error, migrationsCurrent func(context.Context) (bool, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		w.Header().Set("Cache-Control", "no-store")
		if err := ping(ctx); err != nil {
			http.Error(w, "not ready: database unreachable", http.StatusServiceUnavailable)
			return
		}
		switch current, err := migrationsCurrent(ctx); {
		case err != nil:
			http.Error(w, "not ready: migration state unknown", http.StatusServiceUnavailable)
		case !current:
			http.Error(w, "not ready: migrations pending", http.StatusServiceUnavailable)
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte("ready\n")) //nolint:errcheck // nothing to do if the client left
		}
	})
}
