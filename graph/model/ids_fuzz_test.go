package model

import "testing"

// FuzzDecodeID checks that any string is either refused as malformed or
// names a known kind and a positive key that EncodeID gives back.
func FuzzDecodeID(f *testing.F) {
	for _, seed := range []string{
		EncodeID(KindUser, 1),
		EncodeID(KindMessage, 9223372036854775807),
		EncodeID(KindChat, -1),
		EncodeID(KindFriendRequest, 0),
		EncodeID("Nope", 7),
		"", "=", "VXNlcjox", "VXNlcjox==", "VXNlcjox\n", " VXNlcjox", "VXNl cjox",
		"VXNlcjox+/", "\x00", "\xed\xa0\x80", "\u202eVXNlcjox", "👍👍👍👍",
		"VXNlcjo5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", // User:99999999999999999999
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, gid string) {
		kind, id, err := DecodeID(gid)
		if err != nil {
			if err != ErrMalformedID || kind != "" || id != 0 {
				t.Fatalf("DecodeID(%q) = %q, %d, %v; want ErrMalformedID and zero values", gid, kind, id, err)
			}
			return
		}
		if !kinds[kind] || id <= 0 {
			t.Fatalf("DecodeID(%q) accepted kind %q, key %d", gid, kind, id)
		}
		again := EncodeID(kind, id)
		if k2, id2, err := DecodeID(again); err != nil || k2 != kind || id2 != id {
			t.Fatalf("DecodeID(EncodeID(%q, %d)) = %q, %d, %v", kind, id, k2, id2, err)
		}
	})
}
