package chat

import (
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
		mine := encodeCursor(chatID, seq)
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

// FuzzValidation checks that usernames, display names and passwords are
// accepted only when they follow the documented rules, and refused with a
// BAD_USER_INPUT error naming the field otherwise.
func FuzzValidation(f *testing.F) {
	for _, s := range append(hostile, "bob", "a.b_c", "ab", "Ünïcode", "  Ann  ", "correct horse battery") {
		f.Add(s)
	}
	s := &Service{cfg: DefaultConfig}
	f.Fuzz(func(t *testing.T, in string) {
		if err := validUsername("username", in); err != nil {
			invalidField(t, "validUsername", err)
		} else if !usernameRule.MatchString(in) {
			t.Fatalf("username %q accepted", in)
		}
		if name, err := cleanDisplayName("displayName", in); err != nil {
			invalidField(t, "cleanDisplayName", err)
		} else if n := utf8.RuneCountInString(name); name != strings.TrimSpace(in) || n < 1 || n > 64 ||
			!utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			t.Fatalf("display name %q accepted as %q", in, name)
		}
		if err := s.validPassword("password", in, "bob"); err != nil {
			invalidField(t, "validPassword", err)
		} else if n := utf8.RuneCountInString(in); n < DefaultConfig.MinPasswordLength || n > maxPasswordLength {
			t.Fatalf("password of %d characters accepted", n)
		} else if isCommonPassword(in) || strings.Count(in, string([]rune(in)[0])) == utf8.RuneCountInString(in) {
			t.Fatalf("password %q accepted: common or one character repeated", in)
		} else if rest := strings.ReplaceAll(asciiLower(in), "bob", ""); utf8.RuneCountInString(rest) < DefaultConfig.MinPasswordLength {
			t.Fatalf("password %q accepted with %d characters besides the username", in, utf8.RuneCountInString(rest))
		}
	})
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
		scope, err := searchScope(query)
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
		if len(stmt.Vars) != 2 {
			t.Fatalf("query %q: want the pattern twice, got %q", query, stmt.Vars)
		}
		for _, v := range stmt.Vars {
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
