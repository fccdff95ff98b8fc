package httpapi

import (
	"context"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
)

// surrogateEscapes is a gqlgen extension that refuses a document whose
// string literals escape half of a UTF-16 surrogate pair without the other
// half ("\ud800"): gqlparser reads it as U+FFFD, which would be stored,
// where the GraphQL spec makes it a syntax error. It runs before parsing,
// for every transport. Invalid UTF-8 in the request itself is refused
// where the request is decoded (httpTransport, socket).
type surrogateEscapes struct{}

var (
	_ graphql.HandlerExtension          = surrogateEscapes{}
	_ graphql.OperationParameterMutator = surrogateEscapes{}
)

func (surrogateEscapes) ExtensionName() string                   { return "SurrogateEscapes" }
func (surrogateEscapes) Validate(graphql.ExecutableSchema) error { return nil }

func (surrogateEscapes) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if !strings.Contains(p.Query, `\u`) { // nearly every document
		return nil
	}
	runes := []rune(p.Query) // token positions count runes
	lex := lexer.New(&ast.Source{Input: p.Query})
	for {
		tok, err := lex.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return nil // a syntax error is the parser's to report
		}
		if tok.Kind != lexer.String { // block strings have no \u escapes
			continue
		}
		if esc := loneSurrogate(string(runes[tok.Pos.Start:tok.Pos.End])); esc != "" {
			err := gqlerror.ErrorPosf(&tok.Pos, "Invalid Unicode escape sequence: %s is half of a UTF-16 surrogate pair", esc)
			errcode.Set(err, errcode.ParseFailed)
			return err
		}
	}
}

// loneSurrogate returns the first escape in the string literal lit that is
// half of a surrogate pair without the other half, or "".
func loneSurrogate(lit string) string {
	// escape is the code unit of the \uXXXX escape at i, or -1.
	escape := func(i int) rune {
		if i+6 > len(lit) || lit[i] != '\\' || lit[i+1] != 'u' {
			return -1
		}
		v, err := strconv.ParseUint(lit[i+2:i+6], 16, 16)
		if err != nil { // \u{...}, which gqlparser checks itself
			return -1
		}
		return rune(v)
	}
	for i := 0; i < len(lit); i++ {
		if lit[i] != '\\' {
			continue
		}
		switch r := escape(i); {
		case r >= 0xD800 && r < 0xDC00: // leading: a trailing one must follow
			if next := escape(i + 6); next >= 0xDC00 && next <= 0xDFFF {
				i += 11
				continue
			}
			return lit[i : i+6]
		case r >= 0xDC00 && r <= 0xDFFF:
			return lit[i : i+6]
		}
		i++ // the escaped character, which may be a backslash
	}
	return ""
}
