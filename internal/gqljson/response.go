// Package gqljson encodes GraphQL responses for the transports: the
// HTTP one and the WebSocket one write the same bytes, faster than
// encoding/json does it.
package gqljson

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
)

// Response is json.Marshal(resp). A response of data alone, the usual
// one, is written around its data without decoding it again: the data is
// compact, valid JSON already (gqlgen writes it so, and so does the direct
// path), and only the HTML escaping Marshal applies to it is left to do. A
// test holds the two to the same bytes.
func Response(resp *graphql.Response) []byte {
	return AppendResponse(make([]byte, 0, len(resp.Data)+len(`{"data":}`)+64), resp)
}

// AppendResponse appends Response(resp) to dst: a transport that wraps
// the response in a message of its own writes both into one buffer.
func AppendResponse(dst []byte, resp *graphql.Response) []byte {
	if resp.Errors != nil || len(resp.Extensions) > 0 || resp.Label != "" || resp.Path != nil || resp.HasNext != nil || len(resp.Data) == 0 {
		b, err := json.Marshal(resp)
		if err != nil {
			panic(fmt.Errorf("marshal the response: %w", err)) // gqlgen recovers and presents it
		}
		return append(dst, b...)
	}
	b := bytes.NewBuffer(dst)
	b.WriteString(`{"data":`)
	json.HTMLEscape(b, resp.Data)
	b.WriteByte('}')
	return b.Bytes()
}
