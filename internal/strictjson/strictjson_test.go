package strictjson_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/internal/strictjson"
)

func TestCheck_RefusesWhatEncodingJSONWouldReplace(t *testing.T) {
	for _, c := range []struct {
		name, data string
		path       []string // nil: valid
	}{
		{"ascii", `{"a": "b"}`, nil},
		{"surrogate pair", `{"a": "\ud83d\ude00"}`, nil},
		{"replacement character sent as such", `{"a": "\ufffd �"}`, nil},
		{"NUL is valid JSON", `{"a": "\u0000"}`, nil},
		{"duplicate names", `{"a": 1, "a": 2}`, nil},
		{"raw invalid bytes", "{\"variables\": {\"body\": \"hi \xff\xfe\"}}", []string{"variables", "body"}},
		{"lone high surrogate", `{"variables": {"in": {"name": "a\ud800b"}}}`, []string{"variables", "in", "name"}},
		{"lone low surrogate", `{"query": "\udc00"}`, []string{"query"}},
		{"high surrogate then a letter escape", `{"q": "\ud800\u0041"}`, []string{"q"}},
		{"in an array", `{"ids": ["ok", "\ud800"]}`, []string{"ids", "1"}},
		{"truncated UTF-8", "[\"\xe2\x82\"]", []string{"0"}},
		{"in a key at the top", "{\"\xff\": 1}", []string{}},
	} {
		err := strictjson.Check([]byte(c.data))
		var bad *strictjson.InvalidStringError
		switch {
		case c.path == nil && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.path != nil && !errors.As(err, &bad):
			t.Errorf("%s: got %v, want an InvalidStringError", c.name, err)
		case c.path != nil && len(c.path)+len(bad.Path) > 0 && !reflect.DeepEqual(bad.Path, c.path):
			t.Errorf("%s: path %q, want %q", c.name, bad.Path, c.path)
		case c.path != nil && strings.ContainsAny(bad.Error(), "\xff\ufffd"):
			t.Errorf("%s: the message quotes the input: %s", c.name, bad.Error())
		}
	}
}

func TestCheck_SyntaxErrorsAreErrSyntax(t *testing.T) {
	for _, data := range []string{``, `{"query": `, `{"a": 1} {"b": 2}`, `{"a": 1} x`, `hello`, `{'a': 1}`} {
		if err := strictjson.Check([]byte(data)); !errors.Is(err, strictjson.ErrSyntax) {
			t.Errorf("%q: got %v", data, err)
		}
	}
}

func TestDecode_KeepsNumbersAsJSONNumbers(t *testing.T) {
	var v map[string]any
	if err := strictjson.Decode([]byte(`{"n": 12345678901234567890, "s": "é"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v["n"] != json.Number("12345678901234567890") || v["s"] != "é" {
		t.Fatalf("decoded %#v", v)
	}
	if err := strictjson.Decode([]byte(`{"s": "\ud800"}`), &v); err == nil {
		t.Fatal("a lone surrogate was decoded")
	}
}
