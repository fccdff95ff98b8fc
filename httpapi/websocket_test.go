package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/internal/apitest"
)

func TestWebSocket_InitWithAValidTokenIsAcknowledged(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "uma")
	for _, proto := range []string{apitest.TransportWS, apitest.LegacyWS} {
		ws := s.DialWS(t, proto)
		ack, err := ws.Init(u.Token)
		if err != nil || ack.Type != "connection_ack" {
			t.Fatalf("%s: init: %+v %v", proto, ack, err)
		}
		start := "subscribe"
		if proto == apitest.LegacyWS {
			start = "start"
		}
		ws.Send(start, "1", map[string]any{"query": "{ viewer { username } }"})
		var next apitest.Message
		for next.Type != "next" && next.Type != "data" {
			next = ws.MustRead(5 * time.Second)
			if next.Type == "error" {
				t.Fatalf("%s: %s", proto, next.Payload)
			}
		}
		var res struct{ Data viewerData }
		if err := json.Unmarshal(next.Payload, &res); err != nil || res.Data.Viewer == nil || res.Data.Viewer.Username != u.Username {
			t.Fatalf("%s: result %s", proto, next.Payload)
		}
	}
}

func TestWebSocket_InitAcceptsTheAuthorizationKeyInAnyCase(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "vic")
	for _, key := range []string{"Authorization", "AUTHORIZATION"} {
		ws := s.DialWS(t, apitest.TransportWS)
		ws.Send("connection_init", "", map[string]string{key: "Bearer " + u.Token})
		if m := ws.MustRead(5 * time.Second); m.Type != "connection_ack" {
			t.Fatalf("%s: %+v", key, m)
		}
	}
}

func TestWebSocket_InitWithABadTokenIsRefused(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "walt")
	s.MustDo(t, u.Token, `mutation { logOut }`, nil, nil)
	for _, token := range []string{"garbage", u.Token} {
		ws := s.DialWS(t, apitest.TransportWS)
		m, err := ws.Init(token)
		for err == nil && m.Type == "connection_error" {
			m, err = ws.Read(5 * time.Second)
		}
		if err == nil {
			t.Fatalf("connection_init with a bad token answered %+v", m)
		}
		if code := apitest.CloseStatus(err); code != 4403 {
			t.Fatalf("close code %d (%v), want 4403", code, err)
		}
	}
}

func TestWebSocket_KeepAlivesOnBothProtocols(t *testing.T) {
	t.Parallel()
	opts := apitest.Options()
	opts.WebSocket.KeepAlive = 50 * time.Millisecond
	s := apitest.NewServerWith(t, apitest.CheapConfig(), opts)
	u := s.SignUp(t, "ka")
	for _, proto := range []string{apitest.TransportWS, apitest.LegacyWS} {
		ws := s.DialWS(t, proto)
		if m, err := ws.Init(u.Token); err != nil || m.Type != "connection_ack" {
			t.Fatalf("%s init: %+v %v", proto, m, err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for ws.KeepAlives.Load() < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no keep-alives", proto)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func TestWebSocket_RefusesOtherOriginsButNotNonBrowserClients(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	if c, _, err := s.DialWSFrom(apitest.TransportWS, "http://evil.example"); err == nil {
		c.CloseNow()
		t.Fatal("a cross-origin page opened a WebSocket")
	}
	c, _, err := s.DialWSFrom(apitest.TransportWS, "")
	if err != nil {
		t.Fatalf("a client without Origin was refused: %v", err)
	}
	c.CloseNow()
}

func TestWebSocket_InitWithAMalformedAuthorizationIsRefusedWith4403(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "malformed")
	for _, proto := range []string{apitest.TransportWS, apitest.LegacyWS} {
		for _, value := range []any{
			"", "   ", "Bearer", "Bearer ", "bearer   ", // no token: the client meant to log in
			"Basic dXNlcjpwYXNzd29yZA==", "Token " + u.Token, u.Token, // not the Bearer scheme
			"Bearer " + u.Token + " extra",
			42, true, nil, []string{"Bearer " + u.Token}, map[string]string{"token": u.Token}, // not a string
		} {
			ws := s.DialWS(t, proto)
			ws.Send("connection_init", "", map[string]any{"authorization": value})
			t.Run(fmt.Sprintf("%s/%v", proto, value), func(t *testing.T) { closedWith(t, ws, 4403) })
		}
	}
}

func TestWebSocket_InitWithTwoSpellingsOfAuthorizationIsRefusedWith4400(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "twice")
	good := `"Bearer ` + u.Token + `"`
	for _, proto := range []string{apitest.TransportWS, apitest.LegacyWS} {
		for _, payload := range []string{
			`{"authorization":` + good + `,"Authorization":` + good + `}`,
			`{"Authorization":` + good + `,"AUTHORIZATION":"Bearer someone-elses"}`,
			`{"authorization":"","Authorization":` + good + `}`,
			`{"authorization":"Bearer someone-elses","authorization":` + good + `}`, // the same key twice
		} {
			ws := s.DialWS(t, proto)
			if err := ws.WriteRaw(`{"type":"connection_init","payload":` + payload + `}`); err != nil {
				t.Fatal(err)
			}
			t.Run(proto+"/"+payload, func(t *testing.T) { closedWith(t, ws, 4400) })
		}
	}
}

func TestWebSocket_InitWithoutAuthorizationIsAnonymous(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	for _, proto := range []string{apitest.TransportWS, apitest.LegacyWS} {
		for _, payload := range []string{``, `,"payload":null`, `,"payload":{}`, `,"payload":{"clientVersion":"1.2"}`} {
			ws := s.DialWS(t, proto)
			if err := ws.WriteRaw(`{"type":"connection_init"` + payload + `}`); err != nil {
				t.Fatal(err)
			}
			if m := ws.MustRead(5 * time.Second); m.Type != "connection_ack" {
				t.Fatalf("%s %s: %s %s", proto, payload, m.Type, m.Payload)
			}
			ws.Send(startMessage(proto), "1", map[string]any{"query": viewerQuery})
			m := ws.MustRead(5 * time.Second)
			var res struct{ Data viewerData }
			if err := json.Unmarshal(m.Payload, &res); err != nil || (m.Type != "next" && m.Type != "data") || res.Data.Viewer != nil {
				t.Fatalf("%s %s: viewer query answered %s %s", proto, payload, m.Type, m.Payload)
			}
		}
	}
}

func TestWebSocket_CapsAnonymousConnectionsPerClientAddress(t *testing.T) {
	t.Parallel()
	opts := apitest.Options()
	opts.WebSocket.MaxAnonymousConnectionsPerAddress, opts.TrustForwardedFor = 2, true
	s := apitest.NewServerWith(t, apitest.CheapConfig(), opts)
	u := s.SignUp(t, "anoncap")
	dial := func(addr string) *apitest.WS {
		return s.DialWSWith(t, apitest.TransportWS, http.Header{"X-Forwarded-For": {addr}})
	}
	acked := func(ws *apitest.WS, token string) {
		t.Helper()
		if m, err := ws.Init(token); err != nil || m.Type != "connection_ack" {
			t.Fatalf("connection_init: %+v %v", m, err)
		}
	}
	const here, there = "203.0.113.7", "198.51.100.9"

	idle := dial(here) // never initialised: not counted (the init timeout ends it)
	first := dial(here)
	acked(first, "")
	acked(dial(here), "")
	over := dial(here)
	over.Send("connection_init", "", nil)
	closedWith(t, over, 1013)

	acked(dial(there), "")     // another address has its own count
	acked(dial(here), u.Token) // a logged-in socket counts against its user only

	first.Close()
	idle.Close()
	waitOpenConnections(t, s, 3) // the second, there's and the user's
	acked(dial(here), "")        // first's place was given back
}
