// Package strictjson decodes JSON as encoding/json does, except that it
// refuses strings that are not valid Unicode: bytes that are not UTF-8,
// and escaped lone UTF-16 surrogates such as "\ud800". encoding/json turns
// both into U+FFFD without a word, so a request carrying them would be
// stored with replacement characters instead of being refused.
//
// The check is jsontext's (go-json-experiment, the future encoding/json/v2),
// which validates strings and says where the bad one is; the decoding stays
// encoding/json's, with UseNumber, as gqlgen's transports decode.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// ErrSyntax is returned for input that is not exactly one JSON value.
var ErrSyntax = errors.New("not valid JSON")

// InvalidStringError reports a string, or an object key, that is not valid
// Unicode. Its message names where it is, never what it holds.
type InvalidStringError struct {
	// Path leads to the string from the top: object keys and array
	// indexes. It is empty when the offending key is at the top.
	Path []string
}

func (e *InvalidStringError) Error() string {
	where := "the JSON"
	if len(e.Path) > 0 {
		where = strings.Join(e.Path, ".")
	}
	return where + " is not valid UTF-8 text: it has bytes that are not UTF-8 or a lone surrogate escape such as \\ud800"
}

// Check returns nil if data is one JSON value whose strings are all valid
// Unicode, an *InvalidStringError if a string is not, and ErrSyntax if data
// is not JSON.
func Check(data []byte) error {
	// encoding/json's grammar is the same but for strings, which it lets
	// through: what jsontext refuses after it is a string.
	if !json.Valid(data) {
		return ErrSyntax
	}
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true))
	for {
		_, err := dec.ReadToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			bad := &InvalidStringError{}
			var se *jsontext.SyntacticError
			if errors.As(err, &se) {
				for tok := range se.JSONPointer.Tokens() {
					bad.Path = append(bad.Path, tok)
				}
			}
			return bad
		}
	}
}

// Decode checks data as Check does, then decodes it into v with
// encoding/json, numbers as json.Number.
func Decode(data []byte, v any) error {
	if err := Check(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}
