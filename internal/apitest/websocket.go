package apitest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The two WebSocket subprotocols the API speaks.
const (
	TransportWS = "graphql-transport-ws"
	LegacyWS    = "graphql-ws"
)

// WS is a raw GraphQL WebSocket client connection. A goroutine reads it
// continuously, because coder/websocket closes a connection whose read is
// cancelled, and a test must be able to wait for "nothing" and go on.
type WS struct {
	t    testing.TB
	conn *websocket.Conn
	msgs chan Message
	err  error // why msgs closed
	// KeepAlives counts the server's keep-alive messages ("ping" or "ka").
	KeepAlives atomic.Int32
}

// Message is one protocol message.
type Message struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// DialWS opens a WebSocket to /query with the given subprotocol.
func (s *Server) DialWS(t testing.TB, subprotocol string) *WS {
	t.Helper()
	return s.DialWSWith(t, subprotocol, nil)
}

// DialWSWith opens a WebSocket to /query with extra upgrade request
// headers, such as X-Forwarded-For.
func (s *Server) DialWSWith(t testing.TB, subprotocol string, header http.Header) *WS {
	t.Helper()
	c, res, err := s.dialWS(subprotocol, header)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if got := res.Header.Get("Sec-WebSocket-Protocol"); got != subprotocol {
		t.Fatalf("subprotocol: want %q, got %q", subprotocol, got)
	}
	t.Cleanup(func() { c.CloseNow() })
	w := &WS{t: t, conn: c, msgs: make(chan Message, 1024)}
	go w.readLoop()
	return w
}

// DialWSFrom dials /query as a browser page on origin would ("" for none).
func (s *Server) DialWSFrom(subprotocol, origin string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return s.dialWS(subprotocol, h)
}

func (s *Server) dialWS(subprotocol string, header http.Header) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(s.URL, "http") + "/query"
	return websocket.Dial(ctx, u, &websocket.DialOptions{Subprotocols: []string{subprotocol}, HTTPHeader: header})
}

func (w *WS) readLoop() {
	defer close(w.msgs)
	for {
		_, raw, err := w.conn.Read(context.Background())
		if err != nil {
			w.err = err
			return
		}
		var m Message
		if err := json.Unmarshal(raw, &m); err != nil {
			w.err = err
			return
		}
		switch m.Type {
		case "pong":
			continue
		case "ka":
			w.KeepAlives.Add(1)
			continue
		case "ping":
			w.KeepAlives.Add(1)
			w.write(Message{Type: "pong"}) //nolint:errcheck // a failed pong shows up as a closed connection
			continue
		}
		w.msgs <- m
	}
}

// Send writes one message.
func (w *WS) Send(typ, id string, payload any) {
	w.t.Helper()
	m := Message{Type: typ, ID: id}
	if payload != nil {
		m.Payload, _ = json.Marshal(payload)
	}
	if err := w.write(m); err != nil {
		w.t.Fatalf("ws write: %v", err)
	}
}

func (w *WS) write(m Message) error {
	raw, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return w.conn.Write(ctx, websocket.MessageText, raw)
}

// WriteRaw sends a text frame as is.
func (w *WS) WriteRaw(text string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return w.conn.Write(ctx, websocket.MessageText, []byte(text))
}

// Close closes the connection normally, as a client that is done does.
func (w *WS) Close() {
	w.conn.Close(websocket.StatusNormalClosure, "") //nolint:errcheck // the server may have closed it first
}

// errTimeout is returned by Read when nothing arrived in time.
var errTimeout = errors.New("no message in time")

// Read returns the next message that is not a keep-alive, errTimeout, or
// the error that ended the connection (a close status when it was closed).
func (w *WS) Read(timeout time.Duration) (Message, error) {
	select {
	case m, open := <-w.msgs:
		if !open {
			return Message{}, w.err
		}
		return m, nil
	case <-time.After(timeout):
		return Message{}, errTimeout
	}
}

// MustRead returns the next message, failing the test on error.
func (w *WS) MustRead(timeout time.Duration) Message {
	w.t.Helper()
	m, err := w.Read(timeout)
	if err != nil {
		w.t.Fatalf("ws read: %v", err)
	}
	return m
}

// Init sends connection_init with the token (if any) and returns the reply.
func (w *WS) Init(token string) (Message, error) {
	var payload any
	if token != "" {
		payload = map[string]string{"authorization": "Bearer " + token}
	}
	w.Send("connection_init", "", payload)
	return w.Read(5 * time.Second)
}

// CloseStatus is the close code of err, or -1 if err is not a close.
func CloseStatus(err error) int {
	return int(websocket.CloseStatus(err))
}

// Connect dials with graphql-transport-ws and authenticates as u.
func (s *Server) Connect(t testing.TB, u User) *WS {
	t.Helper()
	ws := s.DialWS(t, TransportWS)
	if m, err := ws.Init(u.Token); err != nil || m.Type != "connection_ack" {
		t.Fatalf("connection_init: %+v %v", m, err)
	}
	return ws
}

// Subscribe starts operation id on a graphql-transport-ws connection.
func (w *WS) Subscribe(id, query string, vars map[string]any) {
	w.Send("subscribe", id, map[string]any{"query": query, "variables": vars})
}

// Next waits for the next result of operation id and decodes its data
// into out; any other message fails the test.
func (w *WS) Next(id string, out any) {
	w.t.Helper()
	m := w.MustRead(5 * time.Second)
	if m.Type != "next" || m.ID != id {
		w.t.Fatalf("want next for %s, got %s %s: %s", id, m.Type, m.ID, m.Payload)
	}
	var r Response
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		w.t.Fatal(err)
	}
	if len(r.Errors) > 0 {
		w.t.Fatalf("errors in %s: %+v", id, r.Errors)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		w.t.Fatal(err)
	}
}

// Quiet fails the test if any message but a keep-alive arrives within d.
func (w *WS) Quiet(d time.Duration) {
	w.t.Helper()
	if m, err := w.Read(d); err != errTimeout {
		w.t.Fatalf("unexpected message: %s %s %s", m.Type, m.ID, m.Payload)
	}
}
