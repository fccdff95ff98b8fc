package chat

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Which plan a search takes (see searchRows) depends on how common its
// words are. The window of the viewer's newest messages costs every
// search a few hundred rows, each matched by computing its tsvector; the
// search index costs what the rarest word's entry in it costs. So a query
// whose words PostgreSQL's own statistics say are rare asks the index
// alone, and only one they say is common, for which the index would read
// a large share of its entries, reads the window first.

// windowShare is the least share of all messages that a query must be
// estimated to match for the window to be read first: a page of 20 needs
// 21 matches among the window's 500 rows, 4.2%, so from 4% the window
// usually answers alone. Below it, the window would mostly fall back and
// add its cost to the index's, which reads fewer than 40,000 entries of a
// million messages.
const windowShare = 0.04

// How often RunSearchStats reads the statistics again (autovacuum's
// ANALYZE keeps PostgreSQL's own up to date): every 10 minutes, or every
// 5 seconds while there are none (a new database until its first
// ANALYZE, or one just loaded), so that searches soon use them.
const (
	searchStatsEvery   = 10 * time.Minute
	searchStatsRetryIn = 5 * time.Second
)

// searchStats is the search index's most common lexemes with the share of
// messages each is in, as ANALYZE sampled them (pg_stats of
// messages_search_idx's expression): for 'simple', lexemes are lowercased
// words. A lexeme not listed is rarer than every one listed. PostgreSQL
// shows an index's statistics only to its owner: a server whose role does
// not own the tables (which it does when it migrates them itself) sees
// none, and every search asks the index alone.
type searchStats struct {
	mu     sync.Mutex
	shares map[string]float64
}

// readSearchStats reads them, for the index wherever search_path finds it.
const readSearchStats = `SELECT e.elem, e.freq FROM pg_stats s
	CROSS JOIN LATERAL unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs[1:cardinality(s.most_common_elems::text::text[])]) AS e(elem, freq)
	WHERE (s.schemaname, s.tablename) = (SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = to_regclass('messages_search_idx'))`

// ReadSearchStats reads the statistics that choose a search's plan, as
// RunSearchStats does: after a bulk load and its ANALYZE, to use the new
// ones at once.
func (s *Service) ReadSearchStats(ctx context.Context) error {
	return s.searchStats.load(s.db.WithContext(ctx))
}

// RunSearchStats reads the statistics that choose a search's plan until
// ctx ends. Without it, searches ask the index alone.
func (s *Service) RunSearchStats(ctx context.Context) {
	for {
		if err := s.ReadSearchStats(ctx); err != nil && ctx.Err() == nil {
			slog.WarnContext(ctx, "search: reading the search index's statistics", "err", err)
		}
		wait := searchStatsEvery
		if len(s.searchStats.current()) == 0 {
			wait = searchStatsRetryIn
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (st *searchStats) load(db *gorm.DB) error {
	var rows []struct {
		Elem string
		Freq float64
	}
	if err := db.Raw(readSearchStats).Scan(&rows).Error; err != nil {
		return err
	}
	shares := make(map[string]float64, len(rows))
	for _, r := range rows {
		shares[r.Elem] = r.Freq
	}
	st.mu.Lock()
	st.shares = shares
	st.mu.Unlock()
	return nil
}

// current returns the statistics last read: a map never changed once
// made.
func (st *searchStats) current() map[string]float64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.shares
}

// searchShare estimates the share of messages that have every word of
// query, the last one as a prefix when searchTSQuery makes it one: the
// share of its rarest word, a prefix counting every listed lexeme it
// begins. Words are matched as 'simple' would index them, lowercased; a
// word it would split (foo-bar) is not listed, and counts as rare.
func searchShare(shares map[string]float64, query string) float64 {
	words := searchWords(strings.TrimSpace(strings.ToValidUTF8(query, " ")))
	if len(words) == 0 || len(shares) == 0 {
		return 0
	}
	least := 1.0
	for i, w := range words {
		w = strings.ToLower(w)
		share := shares[w]
		if i == len(words)-1 && utf8.RuneCountInString(w) >= MinPrefixLength {
			share = 0
			for lexeme, f := range shares {
				if strings.HasPrefix(lexeme, w) {
					share += f
				}
			}
		}
		least = min(least, share)
	}
	return min(least, 1)
}
