package graph_test

import (
	"encoding/json"
	"net/http"
)

func jsonDecode(res *http.Response, out any) error {
	return json.NewDecoder(res.Body).Decode(out)
}

func jsonUnmarshal(raw []byte, out any) error { return json.Unmarshal(raw, out) }
