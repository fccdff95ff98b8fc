package events

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestPack_PayloadsStayWithinTheLimitAndKeepEveryEventInOrder(t *testing.T) {
	for _, size := range []int{20, 1000, 3999, 4000, maxEvent} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			var events [][]byte
			for i := range 40 {
				events = append(events, []byte(fmt.Sprintf(`"%0*d"`, size-2, i)))
			}
			var got [][]byte
			for i, pl := range pack("ABCDEFGHIJKL", true, events) {
				if len(pl.body) > maxPayload {
					t.Fatalf("payload of %d bytes", len(pl.body))
				}
				var decoded struct {
					R bool              `json:"r"`
					E []json.RawMessage `json:"e"`
				}
				if err := json.Unmarshal([]byte(pl.body), &decoded); err != nil || decoded.R != (i == 0) || len(decoded.E) != pl.events {
					t.Fatalf("payload %d: resync %v, %d events (%d counted), err %v", i, decoded.R, len(decoded.E), pl.events, err)
				}
				for _, e := range decoded.E {
					got = append(got, e)
				}
			}
			if len(got) != len(events) {
				t.Fatalf("%d events came out of %d", len(got), len(events))
			}
			for i := range got {
				if string(got[i]) != string(events[i]) {
					t.Fatalf("event %d changed", i)
				}
			}
		})
	}
}
