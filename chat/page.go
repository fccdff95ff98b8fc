package chat

import (
	"encoding/base64"
	"encoding/json"
)

// Page sizes of every connection.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// PageArgs are the Relay pagination arguments of a forward connection.
type PageArgs struct {
	First *int
	After *string
}

// Page is one page of a keyset-paginated list; Cursors[i] points at Items[i].
type Page[T any] struct {
	Items       []T
	Cursors     []string
	HasNext     bool
	HasPrevious bool
}

// limit validates First and returns the page size.
func (a PageArgs) limit() (int, error) {
	if a.First == nil {
		return DefaultPageSize, nil
	}
	switch n := *a.First; {
	case n < 0:
		return 0, Invalid("first", "first must not be negative")
	case n > MaxPageSize:
		return 0, Invalid("first", "first must be at most %d", MaxPageSize)
	default:
		return n, nil
	}
}

// after decodes the After cursor into the keys dst; it reports whether there was one.
func (a PageArgs) after(dst ...any) (bool, error) {
	if a.After == nil {
		return false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(*a.After)
	var keys []json.RawMessage
	if err == nil {
		err = json.Unmarshal(raw, &keys)
	}
	if err != nil || len(keys) != len(dst) {
		return false, Invalid("after", "after is not a valid cursor")
	}
	for i, k := range keys {
		if json.Unmarshal(k, dst[i]) != nil {
			return false, Invalid("after", "after is not a valid cursor")
		}
	}
	return true, nil
}

// encodeCursor makes the opaque cursor of a row from its sort keys.
func encodeCursor(keys ...any) string {
	raw, _ := json.Marshal(keys) // keys are strings, numbers and times: never fails
	return base64.RawURLEncoding.EncodeToString(raw)
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
