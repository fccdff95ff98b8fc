package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/gqlchat/gqlchat/chat"
)

// closeBadToken is the WebSocket close code for a refused connection_init.
const closeBadToken = 4403

// initFunc authenticates a WebSocket connection from its connection_init
// payload: {"authorization": "Bearer <token>"}, the key in any case. A
// connection without a token stays anonymous; a bad token closes it.
func initFunc(svc *chat.Service) transport.WebsocketInitFunc {
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		token := ""
		for k, v := range payload {
			if s, ok := v.(string); ok && strings.EqualFold(k, "authorization") {
				token = s
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

// refuse closes the connection with 4403; gqlgen needs the incoming
// context back, never nil.
func refuse(ctx context.Context, err error) (context.Context, *transport.InitPayload, error) {
	ctx = transport.WithWebsocketCloseCode(ctx, closeBadToken)
	ctx = transport.AppendCloseReason(ctx, "unauthenticated: "+err.Error())
	return ctx, nil, err
}
