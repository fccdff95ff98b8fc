package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/internal/requestid"
)

// PresentError is the one place where an error becomes what the client
// sees: chat errors keep their code and message, with the user they name
// as a global id (extensions.userId); anything else is logged
// with the request id and hidden behind INTERNAL_SERVER_ERROR.
func PresentError(ctx context.Context, err error) *gqlerror.Error {
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	var ce *chat.Error
	if errors.As(err, &ce) {
		gqlErr.Message = ce.Message
		ext := map[string]any{"code": string(ce.Code)}
		if ce.Field != "" {
			ext["field"] = ce.Field
		}
		if ce.UserID != 0 {
			ext["userId"] = model.EncodeID(model.KindUser, ce.UserID)
		}
		for k, v := range ce.Extensions {
			ext[k] = v
		}
		gqlErr.Extensions = ext
		return gqlErr
	}
	// gqlgen wraps resolver errors in a gqlerror that keeps them in Err;
	// its own errors (parsing, validation, coercion) wrap nothing and are
	// about the request: BAD_USER_INPUT, with gqlgen's finer code kept as
	// the reason.
	if code, _ := gqlErr.Extensions["code"].(chat.Code); code != "" {
		return gqlErr // ours already, from an extension
	}
	if gqlErr.Err != nil && gqlErr.Err.Error() == "introspection disabled" { // gqlgen's plain error
		gqlErr.Extensions = map[string]any{"code": string(chat.CodeInvalid), "reason": "INTROSPECTION_DISABLED"}
		return gqlErr
	}
	if gqlErr.Err == nil || gqlErr.Extensions["code"] != nil {
		ext := map[string]any{"code": string(chat.CodeInvalid)}
		if reason, ok := gqlErr.Extensions["code"]; ok {
			ext["reason"] = reason
		} else if len(gqlErr.Path) == 0 {
			// gqlgen's request errors without a code of their own: a
			// malformed persisted-query extension, for one.
			ext["reason"] = "INVALID_REQUEST"
		}
		gqlErr.Extensions = ext
		return gqlErr
	}
	slog.ErrorContext(ctx, "internal error", "err", err, "request_id", requestid.FromContext(ctx))
	gqlErr.Message = "internal server error"
	gqlErr.Extensions = map[string]any{"code": string(chat.CodeInternal), "requestId": requestid.FromContext(ctx)}
	return gqlErr
}

// RecoverPanic logs a resolver panic with its stack and hides it from the client.
func RecoverPanic(ctx context.Context, p any) error {
	slog.ErrorContext(ctx, "panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()), "request_id", requestid.FromContext(ctx))
	return errors.New("panic in resolver")
}
