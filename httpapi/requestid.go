package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gqlchat/gqlchat/internal/requestid"
)

// withRequestID gives every request an id, returned in X-Request-ID and
// attached to internal-error logs, and logs the request when it ends.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := requestid.New()
		w.Header().Set("X-Request-ID", id)
		start := time.Now()
		next.ServeHTTP(w, r.WithContext(requestid.NewContext(r.Context(), id)))
		slog.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path, "request_id", id, "duration", time.Since(start))
	})
}
