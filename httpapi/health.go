package httpapi

import (
	"net/http"

	"github.com/gqlchat/gqlchat/chat"
)

// health answers GET /healthz: ok while the database answers. Readiness
// (GET /readyz, migrations included) is the server's Options.Ready.
func health(svc *chat.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := svc.Ping(r.Context()); err != nil {
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n")) //nolint:errcheck // nothing to do if the client left
	})
}
