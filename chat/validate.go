package chat

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9_.]{3,32}$`)

// tombstoneUsername is the username of every deleted account. Its '-' is
// outside the username alphabet, so no live account can share it.
const tombstoneUsername = "deleted-user"

// UsernameKey returns username as log-ins compare it (without regard to
// case), and whether any account could have it: LogIn refuses other
// names without checking a password.
func UsernameKey(username string) (string, bool) {
	return strings.ToLower(username), usernameRE.MatchString(username)
}

func validUsername(field, s string) error {
	if !usernameRE.MatchString(s) {
		return Invalid(field, "username must be 3 to 32 letters, digits, '_' or '.'")
	}
	if impersonatesTombstone(s) {
		return Invalid(field, "that username is reserved")
	}
	return nil
}

// impersonatesTombstone reports whether a username reads as the tombstone's
// ("deleted_user", "Deleted.User", "deleteduser"): an account so named
// would pass for a deleted one in member lists and message headers.
func impersonatesTombstone(s string) bool {
	strip := strings.NewReplacer("_", "", ".", "", "-", "")
	return strings.EqualFold(strip.Replace(s), strip.Replace(tombstoneUsername))
}

// cleanDisplayName trims s and checks it is a label of 1-64 characters.
func cleanDisplayName(field, s string) (string, error) {
	return cleanLabel(field, "display name", s, 64)
}

// cleanLabel trims s and checks it is 1 to max characters, shows at least
// one, and has no control characters or bidirectional embeddings,
// overrides or isolates. what names the label in the messages.
//
// Labels (display names, group names) are shown inline next to other text
// in lists and headers; a bidirectional control left open in one would
// reorder what follows it on the line, which is how names are spoofed.
func cleanLabel(field, what, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n < 1 || n > max || !utf8.ValidString(s) {
		return "", Invalid(field, "%s must be 1 to %d characters", what, max)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", Invalid(field, "%s must not contain control characters", what)
	}
	if strings.IndexFunc(s, isBidiControl) >= 0 {
		return "", Invalid(field, "%s must not contain bidirectional override or isolate characters", what)
	}
	if !hasVisible(s) {
		return "", Invalid(field, "%s must contain a visible character", what)
	}
	return s, nil
}

// isBidiControl reports whether r opens or closes a bidirectional
// embedding, override (U+202A-U+202E) or isolate (U+2066-U+2069). The
// marks U+200E, U+200F and U+061C are allowed: they change no state that
// could leak past the text.
func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// invisibleClasses are the characters that show nothing on their own:
// white space, controls, format characters (zero-width space, joiners,
// word joiner, BOM, bidirectional controls, tag characters), combining
// marks (drawn on a base character, so nothing without one), variation
// selectors, and the other default-ignorable characters such as the
// Hangul fillers.
var invisibleClasses = []*unicode.RangeTable{
	unicode.White_Space, unicode.Cc, unicode.Cf, unicode.Mn, unicode.Me,
	unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point,
}

// hasVisible reports whether s has at least one character that shows:
// display names, group names and message bodies must, so that none of
// them can be posted as an empty-looking line.
func hasVisible(s string) bool {
	for _, r := range s {
		// The Braille blank is a symbol that draws nothing, a common
		// stand-in for an empty name.
		if r != '\u2800' && !unicode.IsOneOf(invisibleClasses, r) {
			return true
		}
	}
	return false
}
