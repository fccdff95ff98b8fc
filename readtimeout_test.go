package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gqlchat/gqlchat/internal/apitest"
	"github.com/gqlchat/gqlchat/internal/testdb"
)

// A client that trickles a body in is cut at REQUEST_READ_TIMEOUT, while a
// WebSocket, and a handler working after reading its body, outlive it.
func TestRun_ReadTimeoutCutsTricklingBodiesOnly(t *testing.T) {
	const timeout = 200 * time.Millisecond
	port, stop := start(t, testdb.New(t), func(c *config) {
		c.ReadTimeout = timeout
		c.WSKeepAlive = 100 * time.Millisecond
	})
	defer stop() //nolint:errcheck // the test is over
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/query", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	// A reader answers the server's pings all along, as clients do, and
	// hands on every other message.
	msgs, pings := make(chan map[string]any, 16), make(chan struct{}, 64)
	go func() {
		defer close(msgs)
		for {
			_, raw, err := ws.Read(ctx)
			if err != nil {
				return // read sees msgs closed
			}
			var m map[string]any
			json.Unmarshal(raw, &m) //nolint:errcheck // checked by the reader of msgs
			if m["type"] == "ping" {
				ws.Write(ctx, websocket.MessageText, []byte(`{"type":"pong"}`)) //nolint:errcheck // a failure ends the next read
				select {
				case pings <- struct{}{}:
				default:
				}
				continue
			}
			msgs <- m
		}
	}()
	read := func() map[string]any {
		t.Helper()
		m, open := <-msgs
		if !open {
			t.Fatal("the WebSocket ended")
		}
		return m
	}
	ws.Write(ctx, websocket.MessageText, []byte(`{"type":"connection_init"}`)) //nolint:errcheck // the read fails if this did
	if m := read(); m["type"] != "connection_ack" {
		t.Fatalf("got %v", m)
	}

	// A signUp (a body, then an Argon2 hash) must succeed whatever it takes.
	began := time.Now()
	body := `{"query": "mutation { signUp(input: {username: \"slow\", displayName: \"S\", password: \"` + apitest.Password + `\"}) { token } }"}`
	res, err := http.Post("http://"+addr+"/query", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(raw), "token") {
		t.Fatalf("signUp: %d %s", res.StatusCode, raw)
	}
	t.Logf("signUp took %v (read timeout %v)", time.Since(began), timeout)

	status, elapsed := trickle(t, addr)
	if status != http.StatusRequestTimeout || elapsed > 10*timeout {
		t.Fatalf("trickled body: %d after %v", status, elapsed)
	}

	// The WebSocket has lived past the timeout many times over, answering
	// pings; it still serves operations.
	for range 5 {
		select {
		case <-pings:
		case <-ctx.Done():
			t.Fatal("no pings")
		}
	}
	ws.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe","id":"1","payload":{"query":"{ viewer { id } }"}}`)) //nolint:errcheck // the read tells
	if m := read(); m["type"] != "next" {
		t.Fatalf("got %v", m)
	}
}

// trickle sends a POST whose 100-byte body comes one byte every 50 ms, and
// returns the status of the answer and when it came.
func trickle(t *testing.T, addr string) (int, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const length = 100
	fmt.Fprintf(conn, "POST /query HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", length)
	start := time.Now()
	answered := make(chan int, 1)
	go func() {
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- 0
			return
		}
		res.Body.Close()
		answered <- res.StatusCode
	}()
	for sent := 1; ; sent++ {
		select {
		case status := <-answered:
			return status, time.Since(start)
		case <-time.After(50 * time.Millisecond):
			if sent < length {
				conn.Write([]byte(" ")) //nolint:errcheck // the server may have closed already
			}
		}
	}
}

func TestLoadConfig_RequestReadTimeout(t *testing.T) {
	t.Setenv("REQUEST_READ_TIMEOUT", "")
	if c, err := loadConfig(); err != nil || c.ReadTimeout != 30*time.Second {
		t.Fatalf("default: %v %v", c.ReadTimeout, err)
	}
	t.Setenv("REQUEST_READ_TIMEOUT", "5s")
	if c, err := loadConfig(); err != nil || c.ReadTimeout != 5*time.Second {
		t.Fatalf("5s: %v %v", c.ReadTimeout, err)
	}
	t.Setenv("REQUEST_READ_TIMEOUT", "-1s")
	if _, err := loadConfig(); err == nil || !strings.Contains(err.Error(), "REQUEST_READ_TIMEOUT") {
		t.Fatalf("-1s accepted: %v", err)
	}
}
