package chat

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// syncToken is a position in a viewer's stream of all their chats' events:
// every event visible in lo has been delivered and, when hi is set, so
// have the first k of the events visible in hi but not in lo, in (chat,
// position) order; when through is set, so has every event of that chat
// up to that position. Resuming replays the rest of those, then whatever
// committed after hi (or lo), then goes live.
//
// It stays small: a snapshot is two transaction ids and the transactions
// in progress when it was taken, which PostgreSQL bounds by its number of
// connections and are usually none or a few; a position inside one read
// of the log's new events needs only that read's two snapshots and a
// count. Time plays no part, so an event committed in another chat while
// the token was made cannot be skipped: it is either visible in the token's
// snapshot or it is replayed.
type syncToken struct {
	lo      snapshot
	hi      *snapshot
	k       int
	through *chatPos
}

// chatPos is a position in one chat's log.
type chatPos struct{ chat, pos int64 }

// tokenVersion leads every encoded token, so that the format can change;
// a flags byte follows, saying which optional parts come after lo.
const (
	tokenVersion = 1
	hasHi        = 1
	hasThrough   = 2
)

func (t syncToken) String() string {
	var flags byte
	if t.hi != nil {
		flags |= hasHi
	}
	if t.through != nil {
		flags |= hasThrough
	}
	b := appendSnapshot([]byte{tokenVersion, flags}, t.lo)
	if t.hi != nil {
		b = appendSnapshot(b, *t.hi)
		b = binary.AppendUvarint(b, uint64(t.k))
	}
	if t.through != nil {
		b = binary.AppendUvarint(b, uint64(t.through.chat))
		b = binary.AppendUvarint(b, uint64(t.through.pos))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// appendSnapshot writes s as varints: xmin, then each other id as the
// distance from the one before.
func appendSnapshot(b []byte, s snapshot) []byte {
	b = binary.AppendUvarint(b, s.xmin)
	b = binary.AppendUvarint(b, s.xmax-s.xmin)
	b = binary.AppendUvarint(b, uint64(len(s.xip)))
	prev := s.xmin
	for _, x := range s.xip {
		b = binary.AppendUvarint(b, x-prev)
		prev = x
	}
	return b
}

var errMalformedToken = errors.New("malformed sync token")

// parseSyncToken decodes a token made by String.
func parseSyncToken(text string) (syncToken, error) {
	raw, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil || len(raw) < 2 || raw[0] != tokenVersion || raw[1]&^(hasHi|hasThrough) != 0 {
		return syncToken{}, errMalformedToken
	}
	flags := raw[1]
	r := &varintReader{b: raw[2:]}
	t := syncToken{lo: r.snapshot()}
	if flags&hasHi != 0 {
		hi := r.snapshot()
		t.hi, t.k = &hi, int(r.uint(1<<31))
		if r.err == nil && !hi.covers(t.lo) {
			r.err = errMalformedToken
		}
	}
	if flags&hasThrough != 0 {
		t.through = &chatPos{chat: int64(r.uint(1 << 62)), pos: int64(r.uint(1 << 62))}
	}
	if r.err != nil || len(r.b) > 0 {
		return syncToken{}, errMalformedToken
	}
	return t, nil
}

// varintReader reads varints, remembering the first failure.
type varintReader struct {
	b   []byte
	err error
}

func (r *varintReader) uint(max uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > max {
		r.err = errMalformedToken
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *varintReader) snapshot() snapshot {
	s := snapshot{xmin: r.uint(1 << 62)}
	s.xmax = s.xmin + r.uint(1<<62)
	n := r.uint(maxInProgress)
	prev := s.xmin
	for range n {
		prev += r.uint(1 << 62)
		s.xip = append(s.xip, prev)
	}
	if r.err == nil && s.check() != nil {
		r.err = errMalformedToken
	}
	return s
}

// decodeSyncToken reads the after argument of an all-chats stream.
func decodeSyncToken(field, text string) (syncToken, error) {
	t, err := parseSyncToken(text)
	if err != nil {
		return syncToken{}, Invalid(field, "%s is not a sync token (a chat event's syncToken, or Query.syncToken)", field)
	}
	return t, nil
}
