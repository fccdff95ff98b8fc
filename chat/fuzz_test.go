package chat

import (
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/models"
)

// Odd input shared by the seed corpora: NUL, invalid UTF-8 and a lone
// surrogate, an RTL override, zero-width joiners, 4-byte emoji, LIKE
// wildcards, JSON and base64 that almost fit, and very long strings.
var hostile = []string{
	"", " ", "\x00", "ab\x00c", "\xff\xfe", "\xed\xa0\x80", "a\xed\xb0\x80b",
	"\u202eevil\u202c", "👨\u200d👩\u200d👧", "\u200b", "😀😀😀", "\t\n\r\v\f", "\u00a0x\u3000",
	"%", "_", `\`, `a%_\b`, `\%`, "[1,2]", "[1,2,3]", `[1]`, "null", `{"a":1}`, `["x",1]`,
	"WzEsMl0", "WzEsMl0=", "WzEs\nMl0", " WzEsMl0", "WzEsMl0+/",
	strings.Repeat("a", 64), strings.Repeat("a", 65), strings.Repeat("é", 129), strings.Repeat("😀", 5000),
}

// invalidField fails unless err is an *Error with CodeInvalid naming a field.
func invalidField(t *testing.T, what string, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalid || e.Field == "" {
		t.Fatalf("%s: got %#v, want an *Error with CodeInvalid and a field", what, err)
	}
}

// FuzzCursor checks that no string breaks the cursor decoder, that
// encoded keys come back unchanged, and that a message cursor of one chat
// is refused in another.
func FuzzCursor(f *testing.F) {
	for _, s := range hostile {
		f.Add(s, int64(1), int64(2))
	}
	for _, s := range []string{encodeCursor(1, 2), encodeCursor("x", 1), "WzEsMiwzXQ", "W251bGwsbnVsbF0", `[1e400,-1]`} {
		f.Add(s, int64(math.MaxInt64), int64(math.MinInt64))
	}
	f.Add(encodeCursor(-5, 0), int64(-5), int64(0))
	f.Fuzz(func(t *testing.T, cursor string, chatID, seq int64) {
		var a, b int64
		if _, err := decodeCursor("after", &cursor, &a, &b); err != nil {
			invalidField(t, "decodeCursor("+cursor+")", err)
		}
		keys := []any{chatID, seq}
		if want, _ := json.Marshal(keys); string(cursorJSON(keys)) != string(want) {
			t.Fatalf("cursor keys %v written as %s, not %s", keys, cursorJSON(keys), want)
		}
		mine := encodeCursor(chatID, seq)
		if ints := intCursor(chatID, seq); ints != mine {
			t.Fatalf("cursor of (%d, %d) is %s, but %s without boxing", chatID, seq, mine, ints)
		}
		ok, err := decodeCursor("after", &mine, &a, &b)
		if !ok || err != nil || a != chatID || b != seq {
			t.Fatalf("cursor of (%d, %d) decoded to %v, %v, (%d, %d)", chatID, seq, ok, err, a, b)
		}
		if got, ok, err := decodeMessageCursor("before", &mine, chatID); !ok || err != nil || got != seq {
			t.Fatalf("message cursor of its own chat: %d, %v, %v", got, ok, err)
		}
		if _, _, err := decodeMessageCursor("before", &mine, chatID^1); err == nil {
			t.Fatalf("a cursor of chat %d was accepted in chat %d", chatID, chatID^1)
		} else {
			invalidField(t, "cursor of another chat", err)
		}
	})
}

var usernameRule = regexp.MustCompile(`^[A-Za-z0-9_.]{3,32}$`)

// FuzzValidation checks that usernames, display names, group names,
// message bodies and passwords are accepted only when they follow the
// documented rules, and refused with a BAD_USER_INPUT error naming the
// field otherwise.
func FuzzValidation(f *testing.F) {
	for _, s := range append(hostile, "bob", "a.b_c", "ab", "Ünïcode", "  Ann  ", "correct horse battery",
		"deleted_user", "Deleted.User", "\u2800", "\u0301", "e\u0301", "\u3164x", "a\u2066b", "\ufe0f\u200d") {
		f.Add(s)
	}
	s := &Service{cfg: DefaultConfig}
	f.Fuzz(func(t *testing.T, in string) {
		fuzzUsername(t, in)
		fuzzLabel(t, "displayName", in, 64, func(in string) (string, error) { return cleanDisplayName("displayName", in) })
		fuzzLabel(t, "name", in, 100, cleanChatName)
		if err := validBody(in); err != nil {
			invalidField(t, "validBody", err)
		} else if utf8.RuneCountInString(in) > MaxMessageLength || !shows(in) {
			t.Fatalf("message body %q accepted", in)
		}
		fuzzPassword(t, s, in)
	})
}

func fuzzUsername(t *testing.T, in string) {
	if err := validUsername("username", in); err != nil {
		invalidField(t, "validUsername", err)
	} else if !usernameRule.MatchString(in) || strings.EqualFold(strings.NewReplacer("_", "", ".", "").Replace(in), "deleteduser") {
		t.Fatalf("username %q accepted", in)
	}
}

// fuzzLabel checks a display or group name: accepted only trimmed, of 1 to
// max characters, without controls or bidirectional embeddings,
// overrides and isolates, and with a character that shows; and plain
// printable ASCII of the right length is always accepted.
func fuzzLabel(t *testing.T, field, in string, max int, clean func(string) (string, error)) {
	name, err := clean(in)
	trimmed := strings.TrimSpace(in)
	n := utf8.RuneCountInString(trimmed)
	if err != nil {
		invalidField(t, field, err)
		if n >= 1 && n <= max && strings.IndexFunc(trimmed, func(r rune) bool { return r < ' ' || r > '~' }) < 0 {
			t.Fatalf("%s %q refused: %v", field, in, err)
		}
		return
	}
	bidi := func(r rune) bool {
		return unicode.Is(unicode.Bidi_Control, r) && r != '\u200e' && r != '\u200f' && r != '\u061c'
	}
	if name != trimmed || n < 1 || n > max || !utf8.ValidString(name) ||
		strings.IndexFunc(name, unicode.IsControl) >= 0 || strings.IndexFunc(name, bidi) >= 0 || !shows(name) {
		t.Fatalf("%s %q accepted as %q", field, in, name)
	}
}

// shows reports whether s has a character that is not white space, a
// control or format character, or a combining mark.
func shows(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return !unicode.IsSpace(r) && !unicode.In(r, unicode.Cc, unicode.Cf, unicode.Mn, unicode.Me)
	}) >= 0
}

// fuzzPassword checks a password for the user "bob": accepted only of the
// right length, not common, not one character repeated, and with enough
// characters besides "bob".
func fuzzPassword(t *testing.T, s *Service, in string) {
	n := utf8.RuneCountInString(in)
	if err := s.validPassword("password", in, "bob"); err != nil {
		invalidField(t, "validPassword", err)
	} else if n < DefaultConfig.MinPasswordLength || n > maxPasswordLength {
		t.Fatalf("password of %d characters accepted", n)
	} else if isCommonPassword(in) || strings.Count(in, string([]rune(in)[0])) == n {
		t.Fatalf("password %q accepted: common or one character repeated", in)
	} else if rest := strings.ReplaceAll(asciiLower(in), "bob", ""); utf8.RuneCountInString(rest) < DefaultConfig.MinPasswordLength {
		t.Fatalf("password %q accepted with %d characters besides the username", in, utf8.RuneCountInString(rest))
	}
}

// FuzzSearchQuery checks that a search query is refused when blank or
// longer than 64 characters, and otherwise becomes a LIKE prefix pattern
// in which the query's own %, _ and \ match only themselves.
func FuzzSearchQuery(f *testing.F) {
	for _, s := range append(hostile, "Ann", "  bob_ ", `50%\_off`, "ÄÖÜ", strings.Repeat("x", 63)+"%") {
		f.Add(s)
	}
	db, err := gorm.Open(postgres.New(postgres.Config{DSN: "host=/nonexistent"}),
		&gorm.Config{DryRun: true, DisableAutomaticPing: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string) {
		const viewer = int64(7)
		scope, err := searchScope(viewer, query)
		q := strings.ToLower(strings.TrimSpace(query))
		if q == "" || utf8.RuneCountInString(q) > 64 {
			if err == nil {
				t.Fatalf("query %q accepted", query)
			}
			invalidField(t, "searchScope", err)
			return
		}
		if err != nil {
			t.Fatalf("query %q refused: %v", query, err)
		}
		stmt := db.Scopes(scope).Find(&[]models.User{}).Statement
		// The pattern twice, then the viewer of the block check.
		if len(stmt.Vars) != 3 || stmt.Vars[2] != viewer {
			t.Fatalf("query %q: want the pattern twice and the viewer, got %q", query, stmt.Vars)
		}
		for _, v := range stmt.Vars[:2] {
			if p, _ := v.(string); likeLiteral(p) != q {
				t.Fatalf("query %q became pattern %q, which does not match exactly its prefix", query, v)
			}
		}
	})
}

// likeLiteral returns the text a LIKE prefix pattern (escape character \)
// matches literally before its final %, or "\x00!" if it has any other
// wildcard or a dangling escape.
func likeLiteral(p string) string {
	body, ok := strings.CutSuffix(p, "%")
	var b strings.Builder
	for i := 0; ok && i < len(body); i++ {
		switch body[i] {
		case '\\':
			i++
			ok = i < len(body)
			if ok {
				b.WriteByte(body[i])
			}
		case '%', '_':
			ok = false
		default:
			b.WriteByte(body[i])
		}
	}
	if !ok {
		return "\x00!"
	}
	return b.String()
}

// FuzzMessageSearchQuery checks that a message search query is refused
// when it is too long or has no letter or digit, and otherwise becomes a
// to_tsquery of quoted words joined by &, the last one a prefix from
// MinPrefixLength characters: the words of the query in order, so no
// text can inject an operator, a weight or a phrase of its own.
func FuzzMessageSearchQuery(f *testing.F) {
	for _, s := range append(hostile, "hel", "hello wor", `it's`, `a\'b`, `'':*`, `x' | 'y`, "!a & (b | c):*", "foo-bar example.com 3.14",
		"a\u0301bc", "٣٤٥", "日本語", strings.Repeat("ab ", 70)) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		tsq, err := searchTSQuery(query)
		clean := strings.TrimSpace(strings.ToValidUTF8(query, " "))
		wordy := strings.IndexFunc(clean, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
		if utf8.RuneCountInString(clean) > MaxSearchLength || !wordy {
			if err == nil {
				t.Fatalf("query %q accepted as %q", query, tsq)
			}
			invalidField(t, "searchTSQuery", err)
			return
		}
		if err != nil {
			t.Fatalf("query %q refused: %v", query, err)
		}
		words, prefix, ok := parseTSQuery(tsq)
		if !ok {
			t.Fatalf("query %q became %q, which is not quoted words joined by &", query, tsq)
		}
		if prefix != (utf8.RuneCountInString(words[len(words)-1]) >= MinPrefixLength) {
			t.Fatalf("query %q became %q: prefix %v on a last word of %d characters", query, tsq, prefix, utf8.RuneCountInString(words[len(words)-1]))
		}
		rest := clean
		for _, w := range words {
			i := strings.Index(rest, w)
			if i < 0 || strings.IndexFunc(w, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
				t.Fatalf("query %q became %q: word %q is not the next word of the query", query, tsq, w)
			}
			rest = rest[i+len(w):]
		}
	})
}

// parseTSQuery reads tsquery text of the form 'a' & 'b' & 'c':* (with ”
// and \ escapes inside quotes) into its words.
func parseTSQuery(s string) (words []string, prefix, ok bool) {
	for {
		if !strings.HasPrefix(s, "'") {
			return nil, false, false
		}
		var w strings.Builder
		i := 1
		for ; i < len(s); i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			} else if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					i++
				} else {
					break
				}
			}
			w.WriteByte(s[i])
		}
		if i >= len(s) || w.Len() == 0 {
			return nil, false, false
		}
		words, s = append(words, w.String()), s[i+1:]
		switch {
		case s == "":
			return words, false, true
		case s == ":*":
			return words, true, true
		case strings.HasPrefix(s, " & "):
			s = s[3:]
		default:
			return nil, false, false
		}
	}
}
