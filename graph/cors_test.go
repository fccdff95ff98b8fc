package graph_test

import (
	"net/http"
	"strings"
	"testing"

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
