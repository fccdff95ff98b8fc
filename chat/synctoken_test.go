package chat

import (
	"slices"
	"testing"
)

func TestSyncToken_RoundTripsAndStaysSmall(t *testing.T) {
	lo := snapshot{xmin: 27260, xmax: 27265, xip: []uint64{27260, 27263}}
	hi := snapshot{xmin: 27263, xmax: 27301, xip: []uint64{27263}}
	for _, tok := range []syncToken{{lo: lo}, {lo: lo, hi: &hi, k: 17}} {
		text := tok.String()
		if len(text) > 32 {
			t.Errorf("%+v encodes in %d characters", tok, len(text))
		}
		got, err := parseSyncToken(text)
		if err != nil {
			t.Fatal(err)
		}
		if got.lo.String() != tok.lo.String() || (got.hi == nil) != (tok.hi == nil) || got.k != tok.k ||
			(got.hi != nil && got.hi.String() != tok.hi.String()) {
			t.Errorf("%q decodes as %+v, want %+v", text, got, tok)
		}
	}
}

func TestSnapshot_VisibilityAndOrder(t *testing.T) {
	s, err := parseSnapshot("100:110:103,107")
	if err != nil {
		t.Fatal(err)
	}
	var visible []uint64
	for x := uint64(98); x < 112; x++ {
		if s.visible(x) {
			visible = append(visible, x)
		}
	}
	if want := []uint64{98, 99, 100, 101, 102, 104, 105, 106, 108, 109}; !slices.Equal(visible, want) {
		t.Errorf("visible %v, want %v", visible, want)
	}
	later, _ := parseSnapshot("100:110:103")
	if !later.covers(s) || s.covers(later) {
		t.Error("a snapshot with fewer transactions in progress must cover the earlier one, and not the reverse")
	}
	for _, bad := range []string{"", "1:2", "5:4:", "1:5:7", "1:5:3,2", "x:5:"} {
		if _, err := parseSnapshot(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// Whatever a client sends as a token, decoding it never panics, and what
// decodes encodes back the same.
func FuzzSyncToken(f *testing.F) {
	hi := snapshot{xmin: 9, xmax: 12, xip: []uint64{10}}
	f.Add(syncToken{lo: snapshot{xmin: 5, xmax: 9, xip: []uint64{6, 8}}}.String())
	f.Add(syncToken{lo: snapshot{xmin: 5, xmax: 9}, hi: &hi, k: 3}.String())
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, text string) {
		tok, err := parseSyncToken(text)
		if err != nil {
			return
		}
		again, err := parseSyncToken(tok.String())
		if err != nil || again.String() != tok.String() {
			t.Fatalf("%q decodes as %+v, which does not round-trip: %v", text, tok, err)
		}
	})
}
