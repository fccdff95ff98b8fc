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
// estimated to match for the window to be read first: at 2%, the index's
// plan reads some 20,000 entries of a million messages (about as long as
// the window's 500 rows take), and the window's 500 rows hold about 10
// matches, so the window often answers.
const windowShare = 0.02

// How long the statistics are used before they are read again, as
// searches come (autovacuum's ANALYZE keeps PostgreSQL's own up to date):
// 10 minutes, or 5 seconds while there are none (a new database until its
// first ANALYZE, or one just loaded), so that a search soon uses them.
const (
	searchStatsAge     = 10 * time.Minute
	searchStatsRetryIn = 5 * time.Second
)

// searchStats is the search index's most common lexemes with the share of
// messages each is in, as ANALYZE sampled them (pg_stats of
// messages_search_idx's expression): for 'simple', lexemes are lowercased
// words. A lexeme not listed is rarer than every one listed.
type searchStats struct {
	mu      sync.Mutex
	shares  map[string]float64
	read    time.Time
	reading bool
}

// readSearchStats is the statement that reads them. It starts with WITH
// rather than SELECT: the tests that explain every SELECT a request runs
// would find it when a background refresh lands among them, and its
// catalog scan is no request's.
const readSearchStats = `WITH s AS (SELECT most_common_elems::text::text[] AS elems, most_common_elem_freqs AS freqs
		FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'messages_search_idx')
	SELECT e.elem, e.freq FROM s, unnest(s.elems, s.freqs[1:cardinality(s.elems)]) AS e(elem, freq)`

// ReadSearchStats reads the statistics that choose a search's plan. The
// service reads them when it starts and again as searches come (see
// searchStatsAge); call it after a bulk load and its ANALYZE to use the
// new ones at once.
func (s *Service) ReadSearchStats(ctx context.Context) error {
	return s.searchStats.load(s.db.WithContext(ctx))
}

func (st *searchStats) load(db *gorm.DB) error {
	var rows []struct {
		Elem string
		Freq float64
	}
	err := db.Raw(readSearchStats).Scan(&rows).Error
	shares := make(map[string]float64, len(rows))
	for _, r := range rows {
		shares[r.Elem] = r.Freq
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.read, st.reading = time.Now(), false
	if err == nil {
		st.shares = shares
	}
	return err
}

// current returns the statistics, starting a new read in the background
// once they are old.
func (st *searchStats) current(db *gorm.DB) map[string]float64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	age := searchStatsAge
	if len(st.shares) == 0 {
		age = searchStatsRetryIn
	}
	if !st.reading && time.Since(st.read) > age {
		st.reading = true
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := st.load(db.WithContext(ctx)); err != nil {
				slog.Warn("search: reading the search index's statistics", "err", err)
			}
		}()
	}
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
