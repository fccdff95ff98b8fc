package graph

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/gqlchat/gqlchat/chat"
)

// WebSocket close codes of a refused connection_init.
const (
	closeBadToken = 4403
	closeInternal = 1011
)

// initFunc authenticates a WebSocket connection from its connection_init
// payload: {"authorization": "Bearer <token>"}, the key in any case. A
// connection without a token stays anonymous; a bad token closes it.
func initFunc(svc *chat.Service) transport.WebsocketInitFunc {
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		ctx = context.WithValue(ctx, websocketKey{}, true)
		token := ""
		for k, v := range payload {
			if s, ok := v.(string); ok && strings.EqualFold(k, "authorization") {
				token = chat.BearerToken(s)
			}
		}
		if token == "" {
			if err, _ := ctx.Value(authErrorKey{}).(error); err != nil {
				return refuse(ctx, err)
			}
			return ctx, nil, nil
		}
		v, err := svc.Authenticate(ctx, token)
		if err != nil {
			return refuse(ctx, err)
		}
		ctx = context.WithValue(ctx, authErrorKey{}, nil)
		return chat.WithViewer(ctx, v), nil, nil
	}
}

// refuse closes the connection: 4403 for a bad token, 1011 for a failure
// of ours (logged, never described to the client). gqlgen needs the
// incoming context back, never nil.
func refuse(ctx context.Context, err error) (context.Context, *transport.InitPayload, error) {
	if chat.ErrorCode(err) != chat.CodeUnauthenticated {
		slog.ErrorContext(ctx, "websocket init", "err", err, "request_id", RequestID(ctx))
		ctx = transport.WithWebsocketCloseCode(ctx, closeInternal)
		return transport.AppendCloseReason(ctx, "internal server error"), nil, errors.New("internal server error")
	}
	ctx = transport.WithWebsocketCloseCode(ctx, closeBadToken)
	return transport.AppendCloseReason(ctx, "unauthenticated: "+err.Error()), nil, err
}

// websocketKey marks the context of a WebSocket connection.
type websocketKey struct{}

func overWebSocket(ctx context.Context) bool { return ctx.Value(websocketKey{}) != nil }
