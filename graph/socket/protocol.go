package socket

import "encoding/json"

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
