package socket

import (
	"encoding/json"
	"testing"
)

// A message is encoded exactly as json.Marshal encodes it, whatever its id.
func TestMessageEncode_SameAsJSONMarshal(t *testing.T) {
	for _, m := range []message{
		{Type: typeComplete},
		{ID: "1", Type: "next", Payload: json.RawMessage(`{"data":{"a":1}}`)},
		{ID: "q\"uote\\<tag>&\u2028\x01", Type: "data", Payload: json.RawMessage(`[{"message":"x"}]`)},
		{ID: "é", Type: "ka"},
	} {
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.encode(); string(got) != string(want) {
			t.Errorf("encode(%+v) = %s, json.Marshal gives %s", m, got, want)
		}
	}
}
