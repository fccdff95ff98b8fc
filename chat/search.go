package chat

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/models"
)

// Limits of a message search query.
const (
	// MaxSearchLength is the longest query, in characters.
	MaxSearchLength = 200
	// MinPrefixLength is the length from which the last word of a query
	// also matches longer words ("hel" finds "hello"). A shorter prefix
	// would match a large share of all messages, each of which the index
	// must then list: "h" or "he" match whole words only.
	MinPrefixLength = 3
)

// SearchTSQuery is the text of the to_tsquery that searchMessages runs for
// query: what a benchmark's baseline must run to compare like with like.
func SearchTSQuery(query string) (string, error) { return searchTSQuery(query) }

// searchTSQuery turns what a user typed into the text of a to_tsquery
// that finds every word, the last one as a prefix when it is long enough.
//
// The user's text never reaches to_tsquery's syntax: it is split at white
// space and control characters into words, each stripped of the
// punctuation around it and quoted as one operand (with ' and \ escaped),
// so &, |, !, :, * and parentheses are only characters to search for.
// Inside a quoted operand, PostgreSQL applies the parser that indexed the
// bodies, so "foo-bar", "example.com" or "3.14" are found as they were
// indexed. A query with no letter or digit in it finds nothing and is
// refused.
func searchTSQuery(query string) (string, error) {
	query = strings.TrimSpace(strings.ToValidUTF8(query, " "))
	if utf8.RuneCountInString(query) > MaxSearchLength {
		return "", Invalid("query", "query must be at most %d characters", MaxSearchLength)
	}
	words := searchWords(query)
	if len(words) == 0 {
		return "", Invalid("query", "query must have a letter or a digit")
	}
	quote := strings.NewReplacer(`\`, `\\`, `'`, `''`)
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteString(" & ")
		}
		b.WriteString("'" + quote.Replace(w) + "'")
	}
	if utf8.RuneCountInString(words[len(words)-1]) >= MinPrefixLength {
		b.WriteString(":*")
	}
	return b.String(), nil
}

// searchWords splits a query into words: runs of characters other than
// white space and controls, trimmed of what is not a letter, digit or
// mark, keeping those left with a letter or a digit.
func searchWords(query string) []string {
	var words []string
	for _, f := range strings.FieldsFunc(query, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		w := strings.TrimFunc(f, func(r rune) bool { return !isWordRune(r) })
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			words = append(words, w)
		}
	}
	return words
}

func isWordRune(r rune) bool { return unicode.In(r, unicode.L, unicode.N, unicode.M) }

// SearchMessages pages through the messages whose body has every word of
// query (the last one as a prefix), newest first: in every chat the
// viewer is in, or in chatID alone. Deleted messages are never found.
// Members find the whole history of their chats, as they read it.
//
// The plan (searchRows): for words the statistics say are common
// (searchStats), the viewer's newest messages first, with the match as a
// filter; the search index, intersected with the (chat_id, seq) index's
// rows of the chats, for rare words or when the newest hold too few
// matches.
//
// An edge's cursor is the message's cursor in its chat's history, so a
// client can also open the chat at a found message.
func (s *Service) SearchMessages(ctx context.Context, query string, chatID *int64, page PageArgs) (*Page[*models.Message], error) {
	strategy := searchIndexOnly
	if searchShare(s.searchStats.current(), query) >= windowShare {
		strategy = searchRecentFirst
	}
	return s.searchMessages(ctx, query, chatID, page, defaultSearchWindow, strategy)
}

func (s *Service) searchMessages(ctx context.Context, query string, chatID *int64, page PageArgs, w searchWindow, strategy searchStrategy) (*Page[*models.Message], error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	tsquery, err := searchTSQuery(query)
	if err != nil {
		return nil, err
	}
	limit, err := page.limit()
	if err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	if chatID != nil {
		if _, err := memberChat(db, *chatID, v.UserID, false); err != nil {
			return nil, err
		}
	}
	var before *int64
	if page.After != nil {
		id, err := searchBoundary(db, page.After, chatID, v.UserID)
		if err != nil {
			return nil, err
		}
		before = &id
	}
	rows, err := searchRows(db, tsquery, messageSearchChats(chatID, v.UserID), before, limit+1, w, strategy)
	if err != nil {
		return nil, err
	}
	return newPage(rows, limit, page.After != nil, messageCursor), nil
}

// searchBoundary returns the id of the message an after cursor points at:
// results continue with older ids. Ids follow posting order, within a
// chat as its sequence numbers do. The message must be in a chat the
// viewer is in (chatID when given), so that a cursor reveals nothing of
// other chats.
func searchBoundary(db *gorm.DB, after *string, chatID *int64, userID int64) (int64, error) {
	var chat, seq int64
	var err error
	if chatID != nil {
		chat = *chatID
		seq, _, err = decodeMessageCursor("after", after, chat)
	} else {
		_, err = decodeCursor("after", after, &chat, &seq)
	}
	if err != nil {
		return 0, err
	}
	var ids []int64
	err = db.Raw(`SELECT m.id FROM messages m JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = ?
		WHERE m.chat_id = ? AND m.seq = ?`, userID, chat, seq).Scan(&ids).Error
	if err == nil && len(ids) == 0 {
		err = Invalid("after", "after is not the cursor of a message in your chats")
	}
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}
