package graph

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// origins is the one allow-list of browser origins: it drives both CORS on
// /query and the WebSocket origin check. Patterns match the origin's host
// (with port) as coder/websocket's OriginPatterns do: "app.example.com",
// "localhost:*". Same-origin pages are always allowed.
type origins []string

// allowed reports whether a page on origin may call the API at host.
func (o origins) allowed(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, host) {
		return true
	}
	for _, p := range o {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(u.Host)); ok {
			return true
		}
	}
	return false
}

// corsHeaders are the request headers Apollo and Relay clients send.
const corsHeaders = "Authorization, Content-Type, Accept, X-Request-ID, Apollo-Require-Preflight, " +
	"Apollo-Client-Name, Apollo-Client-Version, apollographql-client-name, apollographql-client-version"

// cors answers preflights for allowed origins and refuses requests from
// pages on other origins. Tokens travel in a header, not in cookies, so no
// credentials are allowed. Requests without Origin (non-browser clients)
// pass untouched.
func (o origins) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || r.Header.Get("Upgrade") != "" { // WebSockets check origins themselves
			next.ServeHTTP(w, r)
			return
		}
		if !o.allowed(origin, r.Host) {
			writeError(w, http.StatusForbidden, "this origin may not call the API", "ORIGIN_NOT_ALLOWED")
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
