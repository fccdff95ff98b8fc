// Package chat holds the domain rules of the chat service: accounts, and
// later friends, chats and messages. It is the only package that writes SQL,
// and it owns every transaction.
package chat

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// Code classifies an error for the client. The GraphQL layer turns it into
// extensions.code in exactly one place.
type Code string

// The error codes clients can rely on.
const (
	CodeUnauthenticated Code = "UNAUTHENTICATED"
	CodeForbidden       Code = "FORBIDDEN"
	CodeNotFound        Code = "NOT_FOUND"
	CodeInvalid         Code = "BAD_USER_INPUT"
	CodeConflict        Code = "CONFLICT"
	CodeRateLimited     Code = "RATE_LIMITED"
	// CodeCursorExpired: a resume from a position older than the event
	// log keeps; the client refetches and subscribes afresh.
	CodeCursorExpired Code = "CURSOR_EXPIRED"
	CodeInternal      Code = "INTERNAL_SERVER_ERROR"
)

// Error is a failure the client may see: a code, a message meant for people,
// and for invalid input the name of the offending field.
type Error struct {
	Code    Code
	Message string
	Field   string
	// UserID is the key of the user a refusal is about (a stranger added
	// to a group), or 0. It stays the database's key: the GraphQL layer
	// presents it as a global id, which chat knows nothing of.
	UserID int64
	// Extensions are extra details for the client, such as when to retry.
	Extensions map[string]any
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a BAD_USER_INPUT error naming the offending field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, or CodeInternal for errors that are not
// meant for clients.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// errUnauthenticated is returned to anonymous callers of operations that need a viewer.
var errUnauthenticated = Errorf(CodeUnauthenticated, "you must be logged in")

// isUniqueViolation reports whether err is PostgreSQL's unique_violation on
// the named constraint or index ("" matches any).
func isUniqueViolation(err error, name string) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23505" && (name == "" || pg.ConstraintName == name)
}
