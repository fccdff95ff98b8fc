package chat

import (
	"strings"
	"unicode/utf8"
)

// maxPasswordLength bounds the work of hashing; longer passwords are refused, never truncated.
const maxPasswordLength = 128

// validPassword checks a new password for username's account against the
// rules of NIST SP 800-63B (5.1.1.2) and OWASP's ASVS: a length, no
// password from a breach corpus, nothing repetitive or sequential, and
// nothing made of the username. No composition rules (a digit, a
// symbol...): they do not make passwords harder to guess. The messages
// never repeat the password.
func (s *Service) validPassword(field, password, username string) error {
	n := utf8.RuneCountInString(password)
	if n < s.cfg.MinPasswordLength {
		return Invalid(field, "password must be at least %d characters", s.cfg.MinPasswordLength)
	}
	if n > maxPasswordLength {
		return Invalid(field, "password must be at most %d characters", maxPasswordLength)
	}
	if isCommonPassword(password) {
		return Invalid(field, "password is one of the most common passwords; choose another")
	}
	if isPattern(password) {
		return Invalid(field, "password must not be one character or a short group of characters repeated, or a run such as abcdef or 98765")
	}
	// The username is the first word an attacker tries: it does not count
	// toward the length, and what remains must pass the rules above too,
	// so "alice123456789012" and "alicealicealice" are refused while a
	// passphrase that mentions the name is not.
	rest := removeFold(password, username)
	if rest == password {
		return nil
	}
	if utf8.RuneCountInString(rest) < s.cfg.MinPasswordLength || isCommonPassword(rest) || isPattern(rest) {
		return Invalid(field, "password must not be the username or built on it: it needs %d characters of its own", s.cfg.MinPasswordLength)
	}
	return nil
}

// removeFold returns s without any occurrence of sub, ignoring case.
func removeFold(s, sub string) string {
	if sub == "" {
		return s
	}
	// Usernames are ASCII, so lowercasing keeps byte offsets of s valid
	// wherever sub can match; non-ASCII runes are compared as they are.
	lower, lsub := asciiLower(s), asciiLower(sub)
	var b strings.Builder
	for {
		i := strings.Index(lower, lsub)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s, lower = s[i+len(sub):], lower[i+len(sub):]
	}
}

// asciiLower lowercases the ASCII letters of s and nothing else, byte by
// byte, so the result has the same length and byte offsets as s, even
// where s is not valid UTF-8 (strings.Map would write U+FFFD, 3 bytes,
// for each bad byte, as the fuzzer found).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// isPattern reports whether p, ignoring case, is one character or a group
// of up to four repeated ("aaaa", "abab", "1234 1234 ") or a run of
// consecutive characters ("abcdef", "98765", with 9 followed by 0).
func isPattern(p string) bool {
	r := []rune(strings.ToLower(p))
	if len(r) < 2 {
		return true
	}
	for period := 1; period <= 4 && period < len(r); period++ {
		if repeats(r, period) {
			return true
		}
	}
	return isRun(r, 1) || isRun(r, -1)
}

// repeats reports whether r is its first period runes over and over.
func repeats(r []rune, period int) bool {
	for i := period; i < len(r); i++ {
		if r[i] != r[i-period] {
			return false
		}
	}
	return true
}

// isRun reports whether each rune of r is the one before plus step, where
// the digits wrap around ("7890123").
func isRun(r []rune, step rune) bool {
	for i := 1; i < len(r); i++ {
		next := r[i-1] + step
		if r[i-1] >= '0' && r[i-1] <= '9' {
			next = '0' + (r[i-1]-'0'+step+10)%10
		}
		if r[i] != next {
			return false
		}
	}
	return true
}
