package chat

import (
	"errors"
	"math"
	"slices"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gqlchat/gqlchat/models"
)

// The recent window of a search (see searchRows).
var defaultSearchWindow = searchWindow{rows: searchWindowRows, chats: searchWindowChats}

const (
	// searchWindowRows is how many of the viewer's newest messages a search
	// reads before it asks the search index: a word in more than about
	// one message in 25 fills a page of 20 from them.
	searchWindowRows = 500
	// searchWindowChats is how many chats the window reads, those with the
	// newest messages: each gives at least searchWindowRows /
	// searchWindowChats of its newest messages, however many chats the
	// viewer is in.
	searchWindowChats = 25
)

// searchWindow is the size of the window: rows in all, from at most
// chats chats. Tests make it small.
type searchWindow struct{ rows, chats int }

// searchStrategy says which plans searchRows may use. Only tests ask for
// one plan alone, to compare the two.
type searchStrategy int

const (
	searchRecentFirst searchStrategy = iota // the window, else the index: for common words
	searchIndexOnly                         // the search index alone
	searchRecentOnly                        // the window alone, or errWindowTooSmall
)

// errWindowTooSmall: the window alone cannot tell the page.
var errWindowTooSmall = errors.New("chat: the search window holds too few matches")

// searchRows returns the n newest messages (with their senders) that
// match tsquery, are not deleted, are in the chats of the array scope and
// older than before (an id), newest first.
//
// Two plans, one statement. The search index (messages_search_idx) costs
// what the rarest word's entry in the whole index costs: little for a
// rare word, a read of nearly the whole index for a word in most
// messages. So the statement first reads the window, the viewer's newest
// searchWindowRows messages through the (chat_id, seq) index, and
// filters them by the match: when it finds n, or holds every message of
// the chats, that is the answer and the index is never read (its branch
// sits behind a one-time filter). Otherwise the index's plan, as before,
// answers alone. The window costs every query its few hundred rows, so
// SearchMessages asks for it only for words the statistics call common
// (searchstats.go); the others ask the index alone (searchIndexOnly).
//
// The window is exact, not a sample. Each chat gives its newest k
// messages (ids follow sequence numbers within a chat). A chat that gave
// k may have older ones, and chats left out (past the
// searchWindowChats with the newest messages) hold nothing newer than
// their newest id, so every message of the chats with an id from floor
// up (the highest of those bounds) is in the window: its matches from
// floor up are the newest matches of all, and n of them are the page.
func searchRows(db *gorm.DB, tsquery string, scope clause.Expr, before *int64, n int, w searchWindow, strategy searchStrategy) ([]*models.Message, error) {
	below := int64(math.MaxInt64)
	if before != nil {
		below = *before
	}
	index := gorm.Expr(`SELECT m.id FROM messages m WHERE to_tsvector('simple', m.body) @@ to_tsquery('simple', ?)
		AND m.deleted_at IS NULL AND m.chat_id = ANY (?) AND m.id < ? ORDER BY m.id DESC LIMIT ?`, tsquery, scope, below, n)
	ids := index
	if strategy != searchIndexOnly {
		fallback := index
		if strategy == searchRecentOnly {
			fallback = gorm.Expr(`SELECT 0::bigint AS id`) // no message has id 0
		}
		ids = gorm.Expr(recentSearchSQL, scope, w.chats, w.rows, tsquery, below, n, n, fallback, n)
	}
	if strategy == searchRecentOnly {
		var found []int64
		if err := db.Raw(ids.SQL, ids.Vars...).Scan(&found).Error; err != nil {
			return nil, err
		}
		if slices.Contains(found, 0) {
			return nil, errWindowTooSmall
		}
	}
	var rows []*models.Message
	err := db.Joins("Sender").Where("messages.id IN (?)", ids).Order("messages.id DESC").Find(&rows).Error
	return rows, err
}

// recentSearchSQL lists the ids of a page from the window, or from its
// last argument (the index's plan) when the window cannot tell it.
// Arguments: the chats' array, searchWindowChats, searchWindowRows, the
// tsquery, the id bound, n three times, the fallback, n.
//
// mine: each chat's newest id (a chat with no message has nothing to
// find). scanned: the chats with the newest. recent: each scanned chat's
// newest k messages, whether each matches, and whether the chat gave k
// (cut: it may have older ones) and its lowest id. floor: below it the
// window may miss messages; NULL when it holds them all.
const recentSearchSQL = `WITH mine AS MATERIALIZED (
	SELECT c.id, t.top FROM unnest(?) c(id)
	CROSS JOIN LATERAL (SELECT m.id AS top FROM messages m WHERE m.chat_id = c.id ORDER BY m.seq DESC LIMIT 1) t
), scanned AS MATERIALIZED (
	SELECT id FROM mine ORDER BY top DESC LIMIT ?
), k AS MATERIALIZED (
	SELECT ceil(?::numeric / greatest(count(*), 1))::int AS k FROM scanned
), recent AS MATERIALIZED (
	SELECT r.id, r.hit, count(*) OVER w = (SELECT k FROM k) AS cut, min(r.id) OVER w AS lo
	FROM scanned s CROSS JOIN LATERAL (
		SELECT m.id, m.chat_id, to_tsvector('simple', m.body) @@ to_tsquery('simple', ?) AND m.deleted_at IS NULL AS hit
		FROM messages m WHERE m.chat_id = s.id ORDER BY m.seq DESC LIMIT (SELECT k FROM k)) r
	WINDOW w AS (PARTITION BY r.chat_id)
), floor AS MATERIALIZED (
	SELECT greatest((SELECT max(lo) FROM recent WHERE cut),
		(SELECT max(top) + 1 FROM mine WHERE id NOT IN (SELECT id FROM scanned))) AS id
), found AS MATERIALIZED (
	SELECT id FROM recent WHERE hit AND id < ? AND id >= coalesce((SELECT id FROM floor), 0) ORDER BY id DESC LIMIT ?
)
SELECT id FROM found WHERE (SELECT count(*) FROM found) = ? OR (SELECT id FROM floor) IS NULL
UNION ALL
SELECT id FROM (?) fallback WHERE (SELECT count(*) FROM found) < ? AND (SELECT id FROM floor) IS NOT NULL`

// messageSearchChats is the array of chats a search reads: chatID's, or every
// chat userID is in.
func messageSearchChats(chatID *int64, userID int64) clause.Expr {
	if chatID != nil {
		return gorm.Expr("ARRAY[?::bigint]", *chatID)
	}
	return gorm.Expr("ARRAY(SELECT chat_id FROM chat_members WHERE user_id = ?)", userID)
}
