package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

func TestCORS_OneAllowListForHTTPAndWebSocket(t *testing.T) {
	t.Parallel()
	opts := apitest.Options()
	opts.OriginPatterns = []string{"app.example.com", "localhost:*"}
	s := apitest.NewServerWith(t, apitest.CheapConfig(), opts)

	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, s.URL+"/query", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	ok := preflight("https://app.example.com")
	if ok.StatusCode != http.StatusNoContent || ok.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(ok.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("allowed preflight: %d %v", ok.StatusCode, ok.Header)
	}
	if res := preflight("http://evil.example"); res.StatusCode != http.StatusForbidden || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("refused preflight: %d %v", res.StatusCode, res.Header)
	}

	req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", strings.NewReader(`{"query":"{ viewer { id } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://localhost:5173")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Fatalf("allowed POST: %d %v", res.StatusCode, res.Header)
	}

	if c, _, err := s.DialWSFrom(apitest.TransportWS, "http://localhost:5173"); err != nil {
		t.Fatalf("allowed origin's WebSocket: %v", err)
	} else {
		c.CloseNow()
	}
	if c, _, err := s.DialWSFrom(apitest.TransportWS, "http://evil.example"); err == nil {
		c.CloseNow()
		t.Fatal("a page on another origin opened a WebSocket")
	}
	s.MustDo(t, "", `{ viewer { id } }`, nil, nil) // no Origin: not a browser, allowed
}

// With the API's own hosts configured, a page that DNS rebinding brings to
// this server is refused by the Host it names, with or without an Origin,
// over HTTP and WebSocket; same-origin means an origin on those hosts.
func TestAPIHosts_RefuseOtherHostsAndDecideSameOrigin(t *testing.T) {
	t.Parallel()
	opts := apitest.Options()
	opts.APIHosts = []string{"api.example.com", "127.0.0.1:*"}
	s := apitest.NewServerWith(t, apitest.CheapConfig(), opts)
	do := func(method, path, host, origin string) *http.Response {
		t.Helper()
		var body io.Reader
		if method == http.MethodPost {
			body = strings.NewReader(`{"query":"{ viewer { id } }"}`)
		}
		req, _ := http.NewRequest(method, s.URL+path, body)
		req.Header.Set("Content-Type", "application/json")
		req.Host = host
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for _, c := range []struct {
		name, method, path, host, origin string
		status                           int
		allowOrigin                      string
	}{
		{"a rebound page reading metrics", "GET", "/metrics", "evil.example:80", "", http.StatusMisdirectedRequest, ""},
		{"a rebound page posting", "POST", "/query", "evil.example", "http://evil.example", http.StatusMisdirectedRequest, ""},
		{"a rebound page loading the playground", "GET", "/", "evil.example", "", http.StatusMisdirectedRequest, ""},
		{"a probe by address", "GET", "/healthz", "10.1.2.3:8080", "", http.StatusOK, ""},
		{"a page on the API's host", "POST", "/query", "api.example.com", "https://api.example.com", http.StatusOK, "https://api.example.com"},
		{"a page on the API's host calling it by address", "POST", "/query", "127.0.0.1:8080", "https://api.example.com", http.StatusOK, "https://api.example.com"},
		{"another origin", "POST", "/query", "api.example.com", "https://other.example", http.StatusForbidden, ""},
		{"no origin: not a browser", "POST", "/query", "api.example.com", "", http.StatusOK, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := do(c.method, c.path, c.host, c.origin)
			if res.StatusCode != c.status || res.Header.Get("Access-Control-Allow-Origin") != c.allowOrigin {
				t.Fatalf("%d, Access-Control-Allow-Origin %q; want %d, %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"), c.status, c.allowOrigin)
			}
		})
	}
	dial := func(host, origin string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/query", &websocket.DialOptions{
			Host: host, Subprotocols: []string{apitest.TransportWS}, HTTPHeader: http.Header{"Origin": {origin}}})
		if err == nil {
			c.CloseNow()
		}
		return err
	}
	if err := dial("evil.example", "http://evil.example"); err == nil {
		t.Fatal("a rebound page opened a WebSocket")
	}
	if err := dial("127.0.0.1:8080", "https://api.example.com"); err != nil {
		t.Fatalf("the API's own page: %v", err)
	}
}
