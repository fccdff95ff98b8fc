// Package scalar holds the GraphQL custom scalars.
package scalar

import (
	"fmt"
	"io"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalTime writes t as an RFC 3339 timestamp in UTC.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		// An RFC 3339 timestamp is plain ASCII: quoting it is adding quotes.
		var buf [len(`"2006-01-02T15:04:05.999999999Z"`) + 8]byte
		b := append(buf[:0], '"')
		b = append(t.UTC().AppendFormat(b, time.RFC3339Nano), '"')
		w.Write(b) //nolint:errcheck // gqlgen's writer buffers
	})
}

// UnmarshalTime reads an RFC 3339 timestamp.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("time must be an RFC 3339 string")
	}
	return time.Parse(time.RFC3339Nano, s)
}
