package socket

import (
	"bytes"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"

	"github.com/gqlchat/gqlchat/internal/gqljson"
)

// protocol names the message types of one subprotocol.
type protocol struct {
	name            string
	subscribe, stop string // client: start an operation, stop one
	next            string // server: a result
	// legacy is graphql-ws: "ka" keep-alives instead of ping and pong,
	// connection_error before a refusal, connection_terminate.
	legacy bool
}

var (
	transportWS = &protocol{name: "graphql-transport-ws", subscribe: "subscribe", stop: "complete", next: "next"}
	legacyWS    = &protocol{name: "graphql-ws", subscribe: "start", stop: "stop", next: "data", legacy: true}
)

func protocolOf(subprotocol string) *protocol {
	if subprotocol == transportWS.name {
		return transportWS
	}
	return legacyWS // also when the client named none, as gqlgen does
}

// Message types both protocols share.
const (
	typeInit     = "connection_init"
	typeAck      = "connection_ack"
	typeError    = "error"
	typeComplete = "complete"
	typeConnErr  = "connection_error" // graphql-ws only
	typeKA       = "ka"               // graphql-ws only
	typeTerm     = "connection_terminate"
	typePing     = "ping" // graphql-transport-ws only, both ways
	typePong     = "pong"
)

// message is the envelope of every message.
type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// encode writes m as json.Marshal would, without validating and
// compacting the payload again: every payload we send was made by
// json.Marshal, and a subscription's event is already its second pass.
func (m message) encode() []byte {
	b := m.appendHead(make([]byte, 0, len(m.ID)+len(m.Type)+len(m.Payload)+32))
	if len(m.Payload) > 0 {
		b = append(b, `,"payload":`...)
		b = append(b, m.Payload...)
	}
	return append(b, '}')
}

// appendHead appends the message up to its payload: {"id":…,"type":"…".
func (m message) appendHead(b []byte) []byte {
	b = append(b, '{')
	if m.ID != "" {
		id, err := json.Marshal(m.ID)
		if err != nil {
			panic(err) // a string always marshals
		}
		b = append(b, `"id":`...)
		b = append(b, id...)
		b = append(b, ',')
	}
	b = append(b, `"type":"`...)
	b = append(b, m.Type...) // one of the protocols' constant names
	return append(b, '"')
}

// appendResult appends message{id, typ, gqljson.Response(resp)}.encode()
// to b: a subscription's every event goes through it.
func appendResult(b []byte, id, typ string, resp *graphql.Response) []byte {
	m := message{ID: id, Type: typ}
	b = m.appendHead(b)
	b = append(b, `,"payload":`...)
	b = gqljson.AppendResponse(b, resp)
	return append(b, '}')
}

// initPayload decodes connection_init's payload: none when it is absent or
// null, else an object of at most initPayloadMaxKeys keys. A key given
// twice makes it invalid: JSON parsers disagree on which value counts, and
// this payload carries credentials.
func initPayload(raw json.RawMessage) (map[string]any, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	var payload map[string]any
	if json.Unmarshal(raw, &payload) != nil || len(payload) > initPayloadMaxKeys {
		return nil, false
	}
	n, err := countKeys(raw)
	return payload, err == nil && n == len(payload)
}

// countKeys counts the keys of a JSON object, repeated ones included.
func countKeys(raw json.RawMessage) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		return 0, err
	}
	n := 0
	for ; dec.More(); n++ {
		var value json.RawMessage
		if _, err := dec.Token(); err != nil { // the key
			return 0, err
		}
		if err := dec.Decode(&value); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// operationParams decodes a subscribe (start) payload. As
// graphql-transport-ws defines it, it is an object whose query is a
// string and whose operationName, variables and extensions are a string,
// objects or null; anything else is an invalid message. The query may be
// absent, for automatic persisted queries, which send only its hash.
func operationParams(raw json.RawMessage) (*graphql.RawParams, bool) {
	var p struct {
		Query json.RawMessage `json:"query"` // raw, to tell a string from null or a number
		graphql.RawParams
	}
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &p) != nil {
		return nil, false
	}
	if p.Query != nil && (p.Query[0] != '"' || json.Unmarshal(p.Query, &p.RawParams.Query) != nil) {
		return nil, false
	}
	return &p.RawParams, true
}
