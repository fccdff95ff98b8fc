package graph

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/gqlchat/gqlchat/chat"
)

func TestPresentError_HidesInternalErrors(t *testing.T) {
	raw := errors.New(`ERROR: relation "users" does not exist (SQLSTATE 42P01)`)
	err := PresentError(context.Background(), &gqlerror.Error{Err: raw, Message: raw.Error()}) // as gqlgen passes it
	if err.Message != "internal server error" || err.Extensions["code"] != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("got %+v", err)
	}
	if strings.Contains(err.Error(), "users") {
		t.Fatal("SQL leaked")
	}
}

func TestPresentError_KeepsDomainCodesAndFields(t *testing.T) {
	err := PresentError(context.Background(), chat.Invalid("username", "bad"))
	if err.Message != "bad" || err.Extensions["code"] != "BAD_USER_INPUT" || err.Extensions["field"] != "username" {
		t.Fatalf("got %+v", err)
	}
}

func TestRecoverPanic_AnswersInternalServerError(t *testing.T) {
	err := RecoverPanic(context.Background(), "boom: secret detail")
	presented := PresentError(context.Background(), &gqlerror.Error{Err: err, Message: err.Error()})
	if presented.Extensions["code"] != "INTERNAL_SERVER_ERROR" || strings.Contains(presented.Message, "secret") {
		t.Fatalf("got %+v", presented)
	}
}
