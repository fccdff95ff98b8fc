package gqljson

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

func TestResponse_IsJSONMarshal(t *testing.T) {
	yes := true
	for _, resp := range []*graphql.Response{
		{Data: json.RawMessage(`{"a":"<script>&amp;</script>","b":[1,2.5,null,true],"c":{"d":"\u2028\u2029 é 🎉 \"q\" \\ \n"}}`)},
		{Data: json.RawMessage(`null`)},
		{Data: json.RawMessage(`{}`), Extensions: map[string]any{}},
		{Data: json.RawMessage(`{"x":1}`), Extensions: map[string]any{"k": "<v>"}},
		{Errors: gqlerror.List{{Message: "boom <x>"}}, Data: json.RawMessage(`null`)},
		{Data: json.RawMessage(`{"x":1}`), HasNext: &yes},
		{},
	} {
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		if got := Response(resp); !bytes.Equal(got, want) {
			t.Errorf("Response:\n got %s\nwant %s", got, want)
		}
		if got := AppendResponse([]byte("prefix"), resp); !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("AppendResponse:\n got %s\nwant prefix%s", got, want)
		}
	}
}
