package chat

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// Page sizes of every connection.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// PageArgs are the Relay pagination arguments of a connection. Last and
// Before page backward, where a connection allows it.
type PageArgs struct {
	First  *int
	After  *string
	Last   *int
	Before *string
}

// Page is one page of a keyset-paginated list; Cursors[i] points at Items[i].
type Page[T any] struct {
	Items       []T
	Cursors     []string
	HasNext     bool
	HasPrevious bool
}

// limit validates First and returns the page size.
func (a PageArgs) limit() (int, error) { return pageSize("first", a.First) }

func pageSize(field string, n *int) (int, error) {
	switch {
	case n == nil:
		return DefaultPageSize, nil
	case *n < 0:
		return 0, Invalid(field, "%s must not be negative", field)
	case *n > MaxPageSize:
		return 0, Invalid(field, "%s must be at most %d", field, MaxPageSize)
	default:
		return *n, nil
	}
}

// forward validates a forward page: its size, and its After cursor decoded
// into the sort keys dst.
func (a PageArgs) forward(dst ...any) (limit int, hasCursor bool, err error) {
	if limit, err = a.limit(); err != nil {
		return 0, false, err
	}
	hasCursor, err = a.after(dst...)
	return limit, hasCursor, err
}

// after decodes the After cursor into the keys dst; it reports whether there was one.
func (a PageArgs) after(dst ...any) (bool, error) { return decodeCursor("after", a.After, dst...) }

func decodeCursor(field string, cursor *string, dst ...any) (bool, error) {
	if cursor == nil {
		return false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(*cursor)
	var keys []json.RawMessage
	if err == nil {
		err = json.Unmarshal(raw, &keys)
	}
	if err != nil || len(keys) != len(dst) {
		return false, Invalid(field, "%s is not a valid cursor", field)
	}
	for i, k := range keys {
		if json.Unmarshal(k, dst[i]) != nil {
			return false, Invalid(field, "%s is not a valid cursor", field)
		}
	}
	return true, nil
}

// encodeCursor makes the opaque cursor of a row from its sort keys.
func encodeCursor(keys ...any) string {
	return base64.RawURLEncoding.EncodeToString(cursorJSON(keys))
}

// cursorJSON is json.Marshal(keys). Most cursors are integers alone (every
// message of a page has one): those it writes by hand, as Marshal would.
func cursorJSON(keys []any) []byte {
	raw := make([]byte, 1, 48)
	raw[0] = '['
	for i, k := range keys {
		n, ok := k.(int64)
		if !ok {
			raw, _ = json.Marshal(keys) // keys are strings, numbers and times: never fails
			return raw
		}
		raw = appendIntKey(raw, i, n)
	}
	return append(raw, ']')
}

// intCursor is encodeCursor of integer keys, without boxing each into an
// interface (a page of read receipts makes one for every reader shown).
func intCursor(keys ...int64) string {
	var buf [48]byte
	raw := append(buf[:0], '[')
	for i, n := range keys {
		raw = appendIntKey(raw, i, n)
	}
	return base64.RawURLEncoding.EncodeToString(append(raw, ']'))
}

// appendIntKey appends the i-th key of a cursor's JSON array, n.
func appendIntKey(raw []byte, i int, n int64) []byte {
	if i > 0 {
		raw = append(raw, ',')
	}
	return strconv.AppendInt(raw, n, 10)
}

// newPage trims rows fetched with limit+1 to a page and builds the cursors.
func newPage[T any](rows []T, limit int, hadCursor bool, keys func(T) []any) *Page[T] {
	p := &Page[T]{HasPrevious: hadCursor}
	if len(rows) > limit {
		rows, p.HasNext = rows[:limit], true
	}
	p.Items = rows
	p.Cursors = make([]string, len(rows))
	for i, r := range rows {
		p.Cursors[i] = encodeCursor(keys(r)...)
	}
	return p
}
