package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// wsMessage is a graphql-transport-ws message.
type wsMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
	// at is when its frame was read, before any decoding: a delivery's
	// latency is not to include the benchmark's own JSON work.
	at time.Time
}

// wsConn is an authenticated graphql-transport-ws connection. Only one
// goroutine may call next; send is safe from any goroutine.
type wsConn struct {
	c *websocket.Conn
}

// wsURL turns a server's base URL into its WebSocket endpoint.
func wsURL(base string) string {
	if rest, ok := strings.CutPrefix(base, "https://"); ok {
		return "wss://" + rest + "/query"
	}
	return "ws://" + strings.TrimPrefix(base, "http://") + "/query"
}

// dialWS opens a connection to the server at base and authenticates it
// with token, returning once the server has acknowledged connection_init.
func dialWS(ctx context.Context, base, token string) (*wsConn, error) {
	c, _, err := websocket.Dial(ctx, wsURL(base), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	w := &wsConn{c: c}
	if c.Subprotocol() != "graphql-transport-ws" {
		c.CloseNow()
		return nil, fmt.Errorf("the server did not accept the graphql-transport-ws subprotocol")
	}
	if err := w.send(ctx, "connection_init", "", map[string]string{"authorization": "Bearer " + token}); err != nil {
		c.CloseNow()
		return nil, err
	}
	m, err := w.next(ctx)
	if err == nil && m.Type != "connection_ack" {
		err = fmt.Errorf("expected connection_ack, got %s %s", m.Type, m.Payload)
	}
	if err != nil {
		c.CloseNow()
		return nil, err
	}
	return w, nil
}

// send writes one protocol message.
func (w *wsConn) send(ctx context.Context, typ, id string, payload any) error {
	m := wsMessage{Type: typ, ID: id}
	if payload != nil {
		raw, err := json.Marshal(payload)
		if err != nil {
			return err
		}
		m.Payload = raw
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return w.c.Write(ctx, websocket.MessageText, raw)
}

// subscribe starts operation id.
func (w *wsConn) subscribe(ctx context.Context, id, query string, vars map[string]any) error {
	return w.send(ctx, "subscribe", id, map[string]any{"query": query, "variables": vars})
}

// next returns the next message other than ping and pong, answering the
// server's pings on the way as a client must (the server closes a
// connection that stops answering). Cancelling ctx closes the connection.
func (w *wsConn) next(ctx context.Context) (wsMessage, error) {
	for {
		raw, at, err := w.read(ctx)
		if err != nil {
			return wsMessage{}, err
		}
		m, err := w.decode(ctx, raw, at)
		if err != nil || m.Type != "" {
			return m, err
		}
	}
}

// read returns the next frame and when it was read.
func (w *wsConn) read(ctx context.Context) ([]byte, time.Time, error) {
	_, raw, err := w.c.Read(ctx)
	return raw, time.Now(), err
}

// decode decodes a frame read at at, answering a ping: a zero message
// for a ping or a pong, which a caller reads past.
func (w *wsConn) decode(ctx context.Context, raw []byte, at time.Time) (wsMessage, error) {
	m := wsMessage{at: at}
	if err := json.Unmarshal(raw, &m); err != nil {
		return wsMessage{}, fmt.Errorf("decoding a server message: %w", err)
	}
	switch m.Type {
	case "ping":
		return wsMessage{}, w.send(ctx, "pong", "", nil)
	case "pong":
		return wsMessage{}, nil
	}
	return m, nil
}

// close ends the connection at once, without the closing handshake: the
// benchmark closes thousands of connections and has nothing to flush.
func (w *wsConn) close() { w.c.CloseNow() }
