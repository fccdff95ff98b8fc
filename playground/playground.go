// Package playground serves GraphiQL with its scripts and styles embedded
// in the binary, so that the page works on a machine that reaches no CDN.
//
// The assets are the browser bundles published on npm by graphiql, react
// and react-dom; scripts/fetch-playground.sh fetches them and pins their
// versions and hashes in assets/VERSIONS.
package playground

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"time"
)

//go:embed assets/*
var assetFS embed.FS

// asset is one embedded file, ready to serve.
type asset struct {
	data        []byte
	contentType string
	etag        string
}

// assets are the embedded files by name, as served under /playground/.
var assets = loadAssets()

// contentTypes are the types of the files we embed; anything else (the
// licenses, VERSIONS) is plain text. Spelled out rather than taken from
// package mime, which lets the machine's mime.types override them.
var contentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
}

func loadAssets() map[string]asset {
	m := map[string]asset{}
	entries, err := fs.ReadDir(assetFS, "assets")
	if err != nil {
		panic(err) // the embedded directory is always there
	}
	for _, e := range entries {
		data, err := assetFS.ReadFile("assets/" + e.Name())
		if err != nil {
			panic(err)
		}
		ct, ok := contentTypes[path.Ext(e.Name())]
		if !ok {
			ct = "text/plain; charset=utf-8"
		}
		sum := sha256.Sum256(data)
		m[e.Name()] = asset{data: data, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return m
}

// Handler serves the GraphiQL page at / for the GraphQL endpoint (a path
// on this host, such as "/query"; subscriptions go to the same path over
// ws:// or wss://) and its assets at /playground/<file>. Mount it on both:
//
//	mux.Handle("GET /{$}", h)
//	mux.Handle("GET /playground/", h)
func Handler(endpoint string) http.Handler {
	var page bytes.Buffer
	if err := pageTemplate.Execute(&page, pageData{Endpoint: endpoint, Script: template.JS(bootstrap)}); err != nil {
		panic(err) // the template and its data are ours: a bug, not a runtime condition
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache") // the asset URLs in it change with the assets
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(page.Bytes()))
	})
	mux.HandleFunc("GET /playground/{file}", serveAsset)
	return mux
}

// serveAsset serves an embedded file. Its URL carries ?v=<hash> in the
// page, so it can be cached for good.
func serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}

// contentSecurityPolicy lets the page load only this server's files and
// its own inline script, and talk only to this server: the browser itself
// enforces that nothing leaves for a CDN. GraphiQL's fonts and icons are
// data: URLs inside its CSS, and it sets inline styles.
var contentSecurityPolicy = "default-src 'none'; script-src 'self' 'sha256-" + scriptHash() + "'; " +
	"style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func scriptHash() string {
	sum := sha256.Sum256([]byte(bootstrap))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// assetURL is the URL of an embedded file, versioned by its content.
func assetURL(name string) string {
	a, ok := assets[name]
	if !ok {
		panic("playground: no embedded asset " + name)
	}
	return "/playground/" + name + "?v=" + a.etag[1:len(a.etag)-1]
}

type pageData struct {
	Endpoint string
	Script   template.JS
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{"asset": assetURL}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphQL playground</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{asset "graphiql.min.css"}}">
<style>
  html, body { height: 100%; margin: 0; }
  body { display: flex; flex-direction: column; font: 14px system-ui, sans-serif; }
  #auth { display: flex; gap: .5rem; align-items: center; padding: .4rem .75rem; border-bottom: 1px solid #ddd; }
  #auth input { flex: 1; max-width: 40rem; font: inherit; padding: .2rem .4rem; }
  #graphiql { flex: 1; min-height: 0; }
</style>
</head>
<body>
<form id="auth"><label for="token">Token</label>
<input id="token" type="password" autocomplete="off" placeholder="paste the token from signUp or logIn: sent as Authorization: Bearer …"></form>
<div id="graphiql" data-endpoint="{{.Endpoint}}">Loading…</div>
<script src="{{asset "react.production.min.js"}}"></script>
<script src="{{asset "react-dom.production.min.js"}}"></script>
<script src="{{asset "graphiql.min.js"}}"></script>
<script>{{.Script}}</script>
</body>
</html>
`))

// bootstrap renders GraphiQL. Queries and mutations go over HTTP to the
// endpoint, subscriptions over graphql-transport-ws (graphql-ws, bundled
// in graphiql.min.js) to the same path. The token is read at each
// operation, so editing it needs no reload, and kept in localStorage.
const bootstrap = `
const root = document.getElementById("graphiql");
const endpoint = new URL(root.dataset.endpoint, location.href);
const subscriptionUrl = new URL(endpoint);
subscriptionUrl.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

const tokenInput = document.getElementById("token");
const tokenKey = "playground:token";
tokenInput.value = localStorage.getItem(tokenKey) || "";
tokenInput.addEventListener("input", () => localStorage.setItem(tokenKey, tokenInput.value.trim()));
document.getElementById("auth").addEventListener("submit", (e) => e.preventDefault());

function fetcher(params, options) {
  const token = tokenInput.value.trim().replace(/^Bearer\s+/i, "");
  const auth = token ? { authorization: "Bearer " + token } : {};
  return GraphiQL.createFetcher({
    url: endpoint.href,
    subscriptionUrl: subscriptionUrl.href,
    headers: auth,            // HTTP: Authorization: Bearer <token>
    wsConnectionParams: auth, // WebSocket: the connection_init payload
  })(params, options);
}

ReactDOM.createRoot(root).render(React.createElement(GraphiQL, { fetcher }));
`
