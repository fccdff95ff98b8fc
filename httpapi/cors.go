package httpapi

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// origins is the one allow-list of browser origins: it drives both CORS on
// /query and the WebSocket origin check. Patterns match the origin's host
// (with port) as coder/websocket's OriginPatterns do: "app.example.com",
// "localhost:*". Same-origin pages are always allowed: with no apiHosts,
// those on the host the request names; with apiHosts, those on one of them.
type origins struct {
	patterns []string
	// apiHosts are the hosts by which clients reach the API, if configured
	// (Options.APIHosts).
	apiHosts []string
}

// allowed reports whether a page on origin may call the API at host.
func (o origins) allowed(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if len(o.apiHosts) == 0 && strings.EqualFold(u.Host, host) {
		return true
	}
	return matchHost(o.apiHosts, u.Host) || matchHost(o.patterns, u.Host)
}

// matchHost reports whether host matches one of the patterns.
func matchHost(patterns []string, host string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(host)); ok {
			return true
		}
	}
	return false
}

// checkHost refuses requests that name a host other than the API's own,
// when those are configured. A page that an attacker's DNS name rebinds to
// this server (say, a developer's localhost) is same-origin in the browser's
// eyes and may send no Origin at all; only the Host it names gives it away.
// Health and readiness answer any host: probes call them by address.
func checkHost(apiHosts []string, next http.Handler) http.Handler {
	if len(apiHosts) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !matchHost(apiHosts, r.Host) && r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
			writeError(w, http.StatusMisdirectedRequest, "this server does not answer for that host", "HOST_NOT_ALLOWED")
			return
		}
		next.ServeHTTP(w, r)
	})
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
