package chat

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9_.]{3,32}$`)

func validUsername(field, s string) error {
	if !usernameRE.MatchString(s) {
		return Invalid(field, "username must be 3 to 32 letters, digits, '_' or '.'")
	}
	return nil
}

// cleanDisplayName trims s and checks it is 1-64 characters with no control characters.
func cleanDisplayName(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n < 1 || n > 64 || !utf8.ValidString(s) {
		return "", Invalid(field, "display name must be 1 to 64 characters")
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", Invalid(field, "display name must not contain control characters")
	}
	return s, nil
}
