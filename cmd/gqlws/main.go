// Command gqlws runs one GraphQL operation over a graphql-transport-ws
// WebSocket and prints each result as a line of JSON: a small client for
// trying subscriptions from a terminal.
//
//	go run ./cmd/gqlws -token "$TOKEN" 'subscription { messagePosted { body } }'
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/coder/websocket"
)

type message struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func main() {
	url := flag.String("url", "ws://localhost:8080/query", "the API's WebSocket URL")
	token := flag.String("token", os.Getenv("TOKEN"), "bearer token (default $TOKEN)")
	vars := flag.String("variables", "{}", "variables as a JSON object")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: gqlws [-url URL] [-token TOKEN] [-variables JSON] QUERY")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *url, *token, flag.Arg(0), json.RawMessage(*vars)); err != nil {
		fmt.Fprintln(os.Stderr, "gqlws:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url, token, query string, vars json.RawMessage) error {
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return err
	}
	defer c.CloseNow()
	send := func(typ, id string, payload any) error {
		m := message{Type: typ, ID: id}
		if payload != nil {
			m.Payload, _ = json.Marshal(payload)
		}
		raw, _ := json.Marshal(m)
		return c.Write(ctx, websocket.MessageText, raw)
	}
	payload := map[string]string{} // anonymous: the server refuses an authorization without a token
	if token != "" {
		payload["authorization"] = "Bearer " + token
	}
	if err := send("connection_init", "", payload); err != nil {
		return err
	}
	for {
		_, raw, err := c.Read(ctx)
		if err != nil {
			return err
		}
		var m message
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		switch m.Type {
		case "connection_ack":
			if err := send("subscribe", "1", map[string]any{"query": query, "variables": vars}); err != nil {
				return err
			}
		case "ping":
			if err := send("pong", "", nil); err != nil {
				return err
			}
		case "next", "error":
			fmt.Println(string(m.Payload))
		case "complete":
			return nil
		}
	}
}
