package apitest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The two WebSocket subprotocols the API speaks.
const (
	TransportWS = "graphql-transport-ws"
	LegacyWS    = "graphql-ws"
)

// WS is a raw GraphQL WebSocket client connection.
type WS struct {
	t    testing.TB
	conn *websocket.Conn
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(s.URL, "http") + "/query"
	c, res, err := websocket.Dial(ctx, u, &websocket.DialOptions{Subprotocols: []string{subprotocol}})
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	if got := res.Header.Get("Sec-WebSocket-Protocol"); got != subprotocol {
		t.Fatalf("subprotocol: want %q, got %q", subprotocol, got)
	}
	t.Cleanup(func() { c.CloseNow() })
	return &WS{t: t, conn: c}
}

// Send writes one message.
func (w *WS) Send(typ, id string, payload any) {
	w.t.Helper()
	m := map[string]any{"type": typ}
	if id != "" {
		m["id"] = id
	}
	if payload != nil {
		m["payload"] = payload
	}
	raw, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.conn.Write(ctx, websocket.MessageText, raw); err != nil {
		w.t.Fatalf("ws write: %v", err)
	}
}

// Read returns the next message that is not a keep-alive, or the error
// that ended the connection (a websocket.CloseError when it was closed).
func (w *WS) Read(timeout time.Duration) (Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		_, raw, err := w.conn.Read(ctx)
		if err != nil {
			return Message{}, err
		}
		var m Message
		if err := json.Unmarshal(raw, &m); err != nil {
			return Message{}, err
		}
		switch m.Type {
		case "ka", "pong":
			continue
		case "ping":
			w.Send("pong", "", nil)
			continue
		}
		return m, nil
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
