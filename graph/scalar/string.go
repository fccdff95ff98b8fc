package scalar

import (
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/gqlchat/gqlchat/chat"
)

// MarshalString writes a string as gqlgen does.
func MarshalString(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalString reads a string argument, refusing what no field of the
// API accepts and PostgreSQL cannot store: NUL characters and invalid
// UTF-8. Every string input passes here, so no resolver sees them.
func UnmarshalString(v any) (string, error) {
	s, err := graphql.UnmarshalString(v)
	if err != nil {
		return "", err
	}
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return "", chat.Errorf(chat.CodeInvalid, "strings must be valid UTF-8 without NUL characters")
	}
	return s, nil
}
