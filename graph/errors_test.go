package graph

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
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

// chat names the user a refusal is about by their key; the client sees
// the global id it knows them by.
func TestPresentError_NamesTheUserByGlobalID(t *testing.T) {
	err := PresentError(context.Background(), &chat.Error{Code: chat.CodeForbidden, Message: "no", UserID: 7})
	if want := model.EncodeID(model.KindUser, 7); err.Extensions["userId"] != want || err.Extensions["code"] != "FORBIDDEN" {
		t.Fatalf("got %+v, want userId %q", err, want)
	}
}

func TestRecoverPanic_AnswersInternalServerError(t *testing.T) {
	err := RecoverPanic(context.Background(), "boom: secret detail")
	presented := PresentError(context.Background(), &gqlerror.Error{Err: err, Message: err.Error()})
	if presented.Extensions["code"] != "INTERNAL_SERVER_ERROR" || strings.Contains(presented.Message, "secret") {
		t.Fatalf("got %+v", presented)
	}
}
