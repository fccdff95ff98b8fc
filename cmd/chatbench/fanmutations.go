package main

import (
	"context"
	"fmt"
)

// perform sends op's mutation for group g as client i, and returns the
// new message's id for a post.
func perform(ctx context.Context, a *api, i int, g *group, op *fanOp) (string, error) {
	actor := g.members[op.actor]
	var query string
	var vars map[string]any
	switch op.kind {
	case opPost:
		return postMessageID(ctx, a, i, actor.token, g.id, op.text)
	case opEdit:
		query = `mutation($m: ID!, $b: String!) { editMessage(input: {messageId: $m, body: $b}) { id } }`
		vars = map[string]any{"m": op.msg.id, "b": op.text}
	case opDelete:
		query = `mutation($m: ID!) { deleteMessage(input: {messageId: $m}) { id } }`
		vars = map[string]any{"m": op.msg.id}
	case opReact, opUnreact:
		query = `mutation($m: ID!, $e: String!) { addReaction(input: {messageId: $m, emoji: $e}) { id } }`
		if op.kind == opUnreact {
			query = `mutation($m: ID!, $e: String!) { removeReaction(input: {messageId: $m, emoji: $e}) { id } }`
		}
		vars = map[string]any{"m": op.msg.id, "e": reactionEmoji}
	case opRead:
		query = `mutation($c: ID!, $m: ID!) { markChatRead(input: {chatId: $c, messageId: $m}) { id } }`
		vars = map[string]any{"c": g.id, "m": op.msg.id}
	case opRename:
		query = `mutation($c: ID!, $n: String!) { renameGroupChat(input: {chatId: $c, name: $n}) { id } }`
		vars = map[string]any{"c": g.id, "n": op.text}
	case opLeave:
		query = `mutation($c: ID!) { leaveGroupChat(input: {chatId: $c}) }`
		vars = map[string]any{"c": g.id}
		if op.remove {
			query = `mutation($c: ID!, $u: ID!) { removeFromGroupChat(input: {chatId: $c, userId: $u}) { id } }`
			vars["u"] = g.members[op.member].id
		}
	case opJoin:
		query = `mutation($c: ID!, $u: [ID!]!) { inviteToGroupChat(input: {chatId: $c, userIds: $u}) { id } }`
		vars = map[string]any{"c": g.id, "u": []string{g.members[op.member].id}}
	default:
		return "", fmt.Errorf("unknown mutation %q", op.kind)
	}
	if err := a.do(ctx, i, actor.token, query, vars, nil); err != nil {
		return "", fmt.Errorf("%s: %w", op.kind, err)
	}
	return "", nil
}
