package playground

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"
)

func TestPage_LoadsNothingFromOutside(t *testing.T) {
	page := mustGetPage(t)
	for _, scheme := range []string{"http://", "https://", "src=\"//", "href=\"//"} {
		if strings.Contains(page, scheme) {
			t.Errorf("the page refers to %q: it must load everything from this server", scheme)
		}
	}
	if !strings.Contains(page, `data-endpoint="/query"`) {
		t.Errorf("the page does not point GraphiQL at /query:\n%s", page)
	}
}

func TestPage_EveryReferencedAssetIsServedAsPinned(t *testing.T) {
	pinned := mustReadVersions(t)
	page := mustGetPage(t)
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
	seen := map[string]bool{}
	for _, ref := range refs {
		url := strings.ReplaceAll(ref[1], "&amp;", "&")
		if strings.HasPrefix(url, "data:") {
			continue // inline, such as the empty favicon that saves a request
		}
		if !strings.HasPrefix(url, "/playground/") {
			t.Errorf("the page refers to %s, outside /playground/", url)
			continue
		}
		res, body := mustGet(t, url)
		name := path.Base(strings.SplitN(url, "?", 2)[0])
		seen[name] = true
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", url, res.Status)
			continue
		}
		want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}[path.Ext(name)]
		if got := res.Header.Get("Content-Type"); got != want {
			t.Errorf("GET %s: Content-Type %q, want %q", url, got, want)
		}
		if got := res.Header.Get("Cache-Control"); !strings.Contains(got, "max-age=31536000") {
			t.Errorf("GET %s: Cache-Control %q, want a long max-age", url, got)
		}
		if got := sha256Hex(body); got != pinned[name] {
			t.Errorf("GET %s: sha256 %s, VERSIONS pins %q", url, got, pinned[name])
		}
	}
	for _, name := range []string{"react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "graphiql.min.css"} {
		if !seen[name] {
			t.Errorf("the page does not load %s", name)
		}
	}
}

func TestAssets_MatchVersions(t *testing.T) {
	pinned := mustReadVersions(t)
	for name, sum := range pinned {
		res, body := mustGet(t, "/playground/"+name)
		if res.StatusCode != http.StatusOK || sha256Hex(body) != sum {
			t.Errorf("GET /playground/%s: %s, sha256 %s, VERSIONS pins %s", name, res.Status, sha256Hex(body), sum)
		}
	}
	for name := range assets {
		if _, ok := pinned[name]; !ok && name != "VERSIONS" {
			t.Errorf("%s is embedded but not pinned in VERSIONS", name)
		}
	}
}

func TestAssets_UnknownFileIsNotFound(t *testing.T) {
	for _, url := range []string{"/playground/", "/playground/nope.js", "/playground/assets/graphiql.min.js", "/elsewhere"} {
		if res, _ := mustGet(t, url); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", url, res.Status)
		}
	}
}

func TestPage_PolicyAllowsOnlyItsOwnInlineScript(t *testing.T) {
	res, body := mustGet(t, "/")
	csp := res.Header.Get("Content-Security-Policy")
	inline := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(string(body), -1)
	if len(inline) != 1 {
		t.Fatalf("the page has %d inline scripts, want 1", len(inline))
	}
	sum := sha256.Sum256([]byte(inline[0][1]))
	if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, want) {
		t.Errorf("Content-Security-Policy %q does not allow the inline script (%s)", csp, want)
	}
	for _, directive := range []string{"default-src 'none'", "connect-src 'self'"} {
		if !strings.Contains(csp, directive) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, directive)
		}
	}
}

func mustGetPage(t *testing.T) string {
	t.Helper()
	res, body := mustGet(t, "/")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %s, Content-Type %q", res.Status, res.Header.Get("Content-Type"))
	}
	return string(body)
}

// mustGet requests url from the handler mounted as httpapi/server.go does.
func mustGet(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	h := Handler("/query")
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", h)
	mux.Handle("GET /playground/", h)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// mustReadVersions reads the sha256 lines of assets/VERSIONS, as written by
// scripts/fetch-playground.sh: file name to hex digest.
func mustReadVersions(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("assets/VERSIONS")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pinned := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			sum, name, ok := strings.Cut(line, "  ")
			if !ok {
				t.Fatalf("assets/VERSIONS: malformed line %q", line)
			}
			pinned[name] = sum
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(pinned) == 0 {
		t.Fatal("assets/VERSIONS pins no file")
	}
	return pinned
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
