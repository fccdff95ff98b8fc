package chat

import (
	_ "embed" // the list of common passwords
	"slices"
	"strings"
	"sync"
)

// commonPasswordsFile is the list of the 30,000 most frequent passwords of
// a public breach corpus (its header names the source and licences), one
// lowercased password a line. It is generated from zxcvbn's data rather
// than imported, to keep zxcvbn's other word lists out of the binary.
//
//go:generate go run ./internal/gencommonpasswords -o common_passwords.txt
//go:embed common_passwords.txt
var commonPasswordsFile string

// commonPasswords is the list sorted for binary search, built on first use.
// Its strings point into the embedded file: sorting copies no text.
var commonPasswords = sync.OnceValue(func() []string {
	var list []string
	for line := range strings.Lines(commonPasswordsFile) {
		if line = strings.TrimSuffix(line, "\n"); line != "" && !strings.HasPrefix(line, "#") {
			list = append(list, line)
		}
	}
	slices.Sort(list)
	return list
})

// isCommonPassword reports whether p is on the list, ignoring case:
// attackers try the capitalised and shouted forms of every entry too.
func isCommonPassword(p string) bool {
	_, found := slices.BinarySearch(commonPasswords(), strings.ToLower(p))
	return found
}
