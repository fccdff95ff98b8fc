package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/gqlchat/gqlchat/chat"
)

// authErrorKey holds the error of a bad token in the Authorization header,
// from authenticate to refuseBadToken (and to a WebSocket's connection_init,
// whose payload may override it).
type authErrorKey struct{}

// authenticate puts the viewer of the Authorization header in the context.
// A bad token is remembered and refused by refuseBadToken, so that the
// client gets a GraphQL error rather than being treated as anonymous.
func authenticate(svc *chat.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if token := chat.BearerToken(r.Header.Get("Authorization")); token != "" {
			v, err := svc.Authenticate(ctx, token)
			if err != nil {
				ctx = context.WithValue(ctx, authErrorKey{}, err)
			} else {
				ctx = chat.WithViewer(ctx, v)
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// refuseBadToken answers every operation of a request that carried an
// invalid token with that token's error. A WebSocket authenticates once, at
// connection_init, so each of its operations re-checks that the session
// was not revoked since. Subscriptions need a WebSocket. Each operation
// gets its own viewer slot, so a logIn changes only its own response.
func refuseBadToken(svc *chat.Service, caps *subscriptionCaps, present graphql.ErrorPresenterFunc) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		err, _ := ctx.Value(authErrorKey{}).(error)
		overWS := overWebSocket(ctx)
		op := graphql.GetOperationContext(ctx).Operation
		subscription := op != nil && op.Operation == ast.Subscription
		// A subscription checks the session itself, once subscribed to the
		// bus, so that a revocation in between is not missed.
		if v := chat.ViewerFrom(ctx); err == nil && v != nil && overWS && !subscription {
			err = svc.CheckSession(ctx, v)
		}
		if err == nil && !overWS && subscription {
			err = &chat.Error{Code: chat.CodeInvalid, Message: "subscriptions need a WebSocket connection",
				Extensions: map[string]any{"reason": "SUBSCRIPTION_NEEDS_WEBSOCKET"}}
		}
		if err != nil {
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{present(ctx, err)}})
		}
		ctx = chat.WithViewer(ctx, chat.ViewerFrom(ctx))
		if subscription {
			if v := chat.ViewerFrom(ctx); v != nil {
				if err := caps.take(ctx, v.UserID); err != nil {
					return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{present(ctx, err)}})
				}
			}
			return next(ctx)
		}
		ctx, cancel := context.WithTimeout(ctx, operationTimeout)
		handle := next(ctx)
		return func(ctx context.Context) *graphql.Response {
			defer cancel()
			return handle(ctx)
		}
	}
}

// operationTimeout bounds a query or mutation (subscriptions run until
// they end).
const operationTimeout = 15 * time.Second
