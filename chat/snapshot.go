package chat

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// snapshot is a PostgreSQL snapshot (pg_snapshot): which transactions had
// committed when it was taken. Every event carries its transaction's id,
// so "the events not visible in snapshot S" is exactly what was committed
// after S, in every chat at once, whatever the order in which transactions
// took their ids. Outbox readers use the same technique.
type snapshot struct {
	xmin, xmax uint64
	xip        []uint64 // in progress when taken: xmin <= x < xmax, sorted
}

// maxInProgress bounds a snapshot's in-progress list. PostgreSQL's own
// bound is its number of connections; a decoded token claiming more is
// not one we made.
const maxInProgress = 10_000

// parseSnapshot reads pg_snapshot's text form "xmin:xmax:xip,xip,...".
func parseSnapshot(text string) (snapshot, error) {
	parts := strings.Split(text, ":")
	if len(parts) != 3 {
		return snapshot{}, fmt.Errorf("snapshot %q: want xmin:xmax:xip", text)
	}
	var s snapshot
	var err error
	if s.xmin, err = strconv.ParseUint(parts[0], 10, 64); err != nil {
		return snapshot{}, err
	}
	if s.xmax, err = strconv.ParseUint(parts[1], 10, 64); err != nil {
		return snapshot{}, err
	}
	if parts[2] != "" {
		for _, f := range strings.Split(parts[2], ",") {
			x, err := strconv.ParseUint(f, 10, 64)
			if err != nil {
				return snapshot{}, err
			}
			s.xip = append(s.xip, x)
		}
	}
	return s, s.check()
}

// check reports whether s is well formed.
func (s snapshot) check() error {
	if s.xmin > s.xmax || len(s.xip) > maxInProgress || !slices.IsSorted(s.xip) {
		return fmt.Errorf("malformed snapshot")
	}
	for _, x := range s.xip {
		if x < s.xmin || x >= s.xmax {
			return fmt.Errorf("malformed snapshot")
		}
	}
	return nil
}

// String is the text form PostgreSQL reads as a pg_snapshot.
func (s snapshot) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d:%d:", s.xmin, s.xmax)
	for i, x := range s.xip {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(x, 10))
	}
	return b.String()
}

// visible reports whether transaction xid had committed (or aborted) when
// s was taken, as pg_visible_in_snapshot does.
func (s snapshot) visible(xid uint64) bool {
	if xid < s.xmin {
		return true
	}
	if xid >= s.xmax {
		return false
	}
	_, inProgress := slices.BinarySearch(s.xip, xid)
	return !inProgress
}

// covers reports whether s shows everything o shows. For snapshots taken
// at different times, the later one shows a superset of the earlier: its
// xmax is higher, or with the same xmax, fewer transactions are still in
// progress.
func (s snapshot) covers(o snapshot) bool {
	return s.xmax > o.xmax || (s.xmax == o.xmax && len(s.xip) <= len(o.xip))
}
