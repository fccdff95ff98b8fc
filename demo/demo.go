// Package demo serves the chat client at /demo: the production build of
// web/ (React and Apollo Client, bundled by esbuild), committed in static/
// and embedded in the binary, so that serving it needs no Node and no
// request leaves the server. It speaks to the API as any client would:
// HTTP for queries and mutations, graphql-transport-ws over a WebSocket
// for subscriptions. `make web` rebuilds static/; `make check-web` (in
// `make test`) fails when it is stale.
package demo

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"path"
	"regexp"
	"time"
)

//go:embed static
var staticFS embed.FS

// file is one embedded file, ready to serve.
type file struct {
	data        []byte
	contentType string
	etag        string
}

// contentTypes are the types of the files we embed, spelled out rather
// than taken from package mime, which lets the machine's mime.types
// override them.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// files are the embedded files by name.
var files = loadFiles()

func loadFiles() map[string]file {
	entries, err := staticFS.ReadDir("static")
	if err != nil {
		panic(err) // the embedded directory is always there
	}
	m := map[string]file{}
	for _, e := range entries {
		data, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(data)
		m[e.Name()] = file{data: data, contentType: contentTypes[path.Ext(e.Name())], etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return m
}

// Handler serves the page at /demo (and /demo/) and its files at
// /demo/<file>. Mount it on both patterns:
//
//	mux.Handle("GET /demo", demo.Handler())
//	mux.Handle("GET /demo/", demo.Handler())
func Handler() http.Handler {
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, r *http.Request) { serve(w, r, "index.html") }
	mux.HandleFunc("GET /demo", page)
	mux.HandleFunc("GET /demo/{$}", page)
	mux.HandleFunc("GET /demo/{file}", func(w http.ResponseWriter, r *http.Request) {
		if name := r.PathValue("file"); name != "index.html" {
			serve(w, r, name)
			return
		}
		http.NotFound(w, r)
	})
	return mux
}

func serve(w http.ResponseWriter, r *http.Request, name string) {
	f, ok := files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "no-cache") // revalidated with the ETag: a new binary serves new files
	h.Set("ETag", f.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", contentSecurityPolicy(r.Host))
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.data))
}

// validHost matches a host[:port] that is safe to write into a header.
var validHost = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$`)

// contentSecurityPolicy lets the page load only this server's files and
// talk only to this server, over HTTP and WebSocket. 'self' covers ws: and
// wss: of the same host in CSP level 3, but not in older browsers, so the
// host is also spelled out.
func contentSecurityPolicy(host string) string {
	connect := "'self'"
	if validHost.MatchString(host) {
		connect += " ws://" + host + " wss://" + host
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src " + connect + "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}
