package chat

// The loaders of a GraphQL request ask for many ids at once (every
// sender of a page, every chat of an inbox) and need one result per id, in
// the order asked: the ...ByIDs methods answer so, with inOrder.

// inOrder arranges rows in the order of ids, nil where a row is missing.
func inOrder[T any](ids []int64, rows []*T, id func(*T) int64) []*T {
	byID := make(map[int64]*T, len(rows))
	for _, r := range rows {
		byID[id(r)] = r
	}
	out := make([]*T, len(ids))
	for i, k := range ids {
		out[i] = byID[k]
	}
	return out
}
