package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// requestTimeout bounds one GraphQL request, so that a stuck server ends a
// scenario with errors instead of hanging it.
const requestTimeout = 30 * time.Second

// api is a GraphQL-over-HTTP client of one or more servers. Callers name a
// client number; clients are spread over the servers round-robin.
type api struct {
	urls []string // base URLs, without a trailing slash
	hc   *http.Client
}

// newAPI returns a client that keeps up to conns connections alive per
// server: fewer would make the benchmark open and close connections under
// load and measure TCP handshakes (and run out of ports in TIME_WAIT).
func newAPI(urls []string, conns int) *api {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns * len(urls),
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true, // loopback: gzip would only cost CPU on both sides
	}
	return &api{urls: urls, hc: &http.Client{Transport: tr, Timeout: requestTimeout}}
}

// url is the base URL that client number i talks to.
func (a *api) url(i int) string { return a.urls[i%len(a.urls)] }

// gqlError is one entry of a GraphQL response's errors.
type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

func (e gqlError) Error() string { return e.Extensions.Code + ": " + e.Message }

// do sends one query or mutation as client i with token (none when empty)
// and decodes the response's data into out (when not nil).
func (a *api) do(ctx context.Context, i int, token, query string, vars map[string]any, out any) error {
	resp, err := a.post(ctx, i, token, query, vars)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// Read to the end even on errors, or the connection is not reused.
	defer io.Copy(io.Discard, resp.Body) //nolint:errcheck // only draining
	// Data decodes straight into out: encoding/json fills a non-nil
	// pointer held in an interface.
	env := struct {
		Data   any        `json:"data"`
		Errors []gqlError `json:"errors"`
	}{Data: out}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return fmt.Errorf("decoding the response: %w", err)
	}
	if len(env.Errors) > 0 {
		return env.Errors[0]
	}
	return nil
}

// doRaw is do without decoding: it returns the response's body, which
// holds no errors (the server writes "errors" first, "data" after).
func (a *api) doRaw(ctx context.Context, i int, token, query string, vars map[string]any) ([]byte, error) {
	resp, err := a.post(ctx, i, token, query, vars)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(body, []byte(`{"data":`)) {
		return nil, fmt.Errorf("a response with errors: %.300s", body)
	}
	return body, nil
}

// post sends the request, and fails unless the answer is 200 OK.
func (a *api) post(ctx context.Context, i int, token, query string, vars map[string]any) (*http.Response, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url(i)+"/query", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		io.Copy(io.Discard, resp.Body) //nolint:errcheck // only draining, so the connection is reused
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return resp, nil
}

// parseURLs splits the -url flag into base URLs.
func parseURLs(list string) ([]string, error) {
	var urls []string
	for u := range strings.SplitSeq(list, ",") {
		u = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(u), "/"), "/query")
		if u == "" {
			continue
		}
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("-url: %q is not an http:// or https:// URL", u)
		}
		urls = append(urls, u)
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("-url: no server URL")
	}
	return urls, nil
}
