package scalar

import (
	"bytes"
	"strconv"
	"testing"
	"time"
)

func TestMarshalTime_QuotesTheRFC3339Form(t *testing.T) {
	for _, tm := range []time.Time{
		{}, time.Unix(0, 0), time.Date(2026, 12, 2, 7, 5, 9, 123456789, time.FixedZone("x", 3600)),
		time.Date(2026, 1, 1, 0, 0, 0, 1000, time.UTC), time.Date(12345, 6, 7, 8, 9, 10, 0, time.UTC),
	} {
		var b bytes.Buffer
		MarshalTime(tm).MarshalGQL(&b)
		if want := strconv.Quote(tm.UTC().Format(time.RFC3339Nano)); b.String() != want {
			t.Errorf("%v: %s, want %s", tm, b.String(), want)
		}
	}
}
