package graph

import (
	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/models"
)

// DefaultMaxComplexity admits every operation a client needs (an inbox of
// 100 chats with a few members each, a page of 100 messages with senders)
// and refuses nested bombs such as friends { friends { friends } } or
// chats { messages { chat { messages } } }, which multiply page sizes.
const DefaultMaxComplexity = 20000

// complexity prices list fields by their page size: a field's cost is its
// children's, once per item it may return.
func complexity() ComplexityRoot {
	var c ComplexityRoot
	page := func(child int, first, last *int) int {
		n := chat.DefaultPageSize
		switch {
		case first != nil:
			n = *first
		case last != nil:
			n = *last
		}
		return 1 + child*max(n, 1)
	}
	forward := func(child int, first *int, _ *string) int { return page(child, first, nil) }
	messages := func(child int, first *int, _ *string, last *int, _ *string) int { return page(child, first, last) }
	c.Query.Chats = forward
	c.Query.SearchUsers = func(child int, _ string, first *int, after *string) int { return forward(child, first, after) }
	c.Query.SearchMessages = func(child int, _ string, _ *string, first *int, after *string) int {
		return forward(child, first, after)
	}
	c.Query.FriendRequests = func(child int, _ model.FriendRequestDirection, _ []models.FriendRequestStatus, first *int, after *string) int {
		return forward(child, first, after)
	}
	c.Query.Nodes = func(child int, ids []string) int { return 1 + child*max(len(ids), 1) }
	c.User.Friends, c.User.BlockedUsers = forward, forward
	c.GroupChat.Members, c.PrivateChat.Members = forward, forward
	c.GroupChat.Messages, c.PrivateChat.Messages = messages, messages
	c.Reaction.Users = forward
	c.Message.SeenBy = forward
	return c
}
