package demo

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, target, host string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if host != "" {
		req.Host = host
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestHandler_ServesThePageAndItsFiles(t *testing.T) {
	h := Handler()
	tests := []struct {
		path, contentType, contains string
	}{
		{"/demo", "text/html; charset=utf-8", `<script src="/demo/app.js"`},
		{"/demo/", "text/html; charset=utf-8", `<link rel="stylesheet" href="/demo/app.css">`},
		{"/demo/app.js", "text/javascript; charset=utf-8", `"graphql-transport-ws"`},
		{"/demo/app.css", "text/css; charset=utf-8", "#messages"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := get(t, h, tt.path, "")
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if got := res.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type %q, want %q", got, tt.contentType)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("ETag") == "" {
				t.Errorf("headers %v", res.Header)
			}
			if !strings.Contains(string(body), tt.contains) {
				t.Errorf("body lacks %q", tt.contains)
			}
		})
	}
}

func TestHandler_UnknownFileIsNotFound(t *testing.T) {
	for _, p := range []string{"/demo/nope.js", "/demo/index.html", "/demo/static/app.js"} {
		if res := get(t, Handler(), p, ""); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, res.StatusCode)
		}
	}
}

func TestHandler_PolicyAllowsOnlyThisHost(t *testing.T) {
	res := get(t, Handler(), "/demo", "chat.example.com:8080")
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self';", "connect-src 'self' ws://chat.example.com:8080 wss://chat.example.com:8080;"} {
		if !strings.Contains(csp, want) {
			t.Errorf("policy %q lacks %q", csp, want)
		}
	}
	if got := contentSecurityPolicy("evil.com; script-src *"); strings.Contains(got, "evil") {
		t.Errorf("a malformed host reached the policy: %q", got)
	}
}

// The page must work offline: no file refers to another host.
func TestFiles_ReferToNoOtherHost(t *testing.T) {
	url := regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//|url\(\s*["']?(https?:)?//|@import`)
	for name, f := range files {
		if m := url.Find(f.data); m != nil {
			t.Errorf("%s refers to another host: %s", name, m)
		}
	}
	if len(files) != 3 {
		t.Errorf("embedded %d files, want index.html, app.js and app.css", len(files))
	}
}
