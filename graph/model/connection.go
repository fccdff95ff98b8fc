// Package model holds the GraphQL types: the node types (the rows of
// models under their GraphQL names, with their global ids), the
// hand-written Relay connections built from chat.Page, and the generated
// inputs, payloads and interfaces.
package model

import (
	"context"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/models"
)

// PageInfo is the Relay page info of a connection.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// Counter returns the total size of the list a connection pages through.
// It runs only when a client asks for totalCount.
type Counter func(ctx context.Context) (int, error)

func newPageInfo[T any](p *chat.Page[T]) *PageInfo {
	pi := &PageInfo{HasNextPage: p.HasNext, HasPreviousPage: p.HasPrevious}
	if n := len(p.Cursors); n > 0 {
		pi.StartCursor, pi.EndCursor = &p.Cursors[0], &p.Cursors[n-1]
	}
	return pi
}

// edges makes the edges of a page.
func edges[T, E any](p *chat.Page[T], edge func(cursor string, node T) E) []E {
	out := make([]E, len(p.Items))
	for i, item := range p.Items {
		out[i] = edge(p.Cursors[i], item)
	}
	return out
}

// UserEdge is a user in a connection.
type UserEdge struct {
	Cursor string
	Node   *User
}

// UserConnection is a page of users.
type UserConnection struct {
	Edges    []*UserEdge
	PageInfo *PageInfo
	count    Counter
}

// NewUserConnection wraps a page of users.
func NewUserConnection(p *chat.Page[*models.User], count Counter) *UserConnection {
	return &UserConnection{Edges: edges(p, func(c string, u *models.User) *UserEdge { return &UserEdge{c, (*User)(u)} }), PageInfo: newPageInfo(p), count: count}
}

// TotalCount is the size of the whole list.
func (c *UserConnection) TotalCount(ctx context.Context) (int, error) { return c.count(ctx) }

// FriendRequestEdge is a friend request in a connection.
type FriendRequestEdge struct {
	Cursor string
	Node   *FriendRequest
}

// FriendRequestConnection is a page of friend requests.
type FriendRequestConnection struct {
	Edges    []*FriendRequestEdge
	PageInfo *PageInfo
	count    Counter
}

// NewFriendRequestConnection wraps a page of friend requests.
func NewFriendRequestConnection(p *chat.Page[*models.FriendRequest], count Counter) *FriendRequestConnection {
	return &FriendRequestConnection{
		Edges: edges(p, func(c string, r *models.FriendRequest) *FriendRequestEdge {
			return &FriendRequestEdge{c, (*FriendRequest)(r)}
		}),
		PageInfo: newPageInfo(p), count: count,
	}
}

// TotalCount is the size of the whole list.
func (c *FriendRequestConnection) TotalCount(ctx context.Context) (int, error) { return c.count(ctx) }

// ChatEdge is a chat in a connection; Node is a *PrivateChat or *GroupChat.
type ChatEdge struct {
	Cursor string
	Node   Chat
}

// ChatConnection is a page of chats.
type ChatConnection struct {
	Edges    []*ChatEdge
	PageInfo *PageInfo
	count    Counter
}

// NewChatConnection wraps a page of chats.
func NewChatConnection(p *chat.Page[*models.Chat], count Counter) *ChatConnection {
	return &ChatConnection{
		Edges:    edges(p, func(c string, ch *models.Chat) *ChatEdge { return &ChatEdge{c, ChatOf(ch)} }),
		PageInfo: newPageInfo(p), count: count,
	}
}

// TotalCount is the size of the whole list.
func (c *ChatConnection) TotalCount(ctx context.Context) (int, error) { return c.count(ctx) }

// MessageEdge is a message in a connection.
type MessageEdge struct {
	Cursor string
	Node   *Message
}

// MessageConnection is a page of messages.
type MessageConnection struct {
	Edges    []*MessageEdge
	PageInfo *PageInfo
}

// NewMessageConnection wraps a page of messages.
func NewMessageConnection(p *chat.Page[*models.Message]) *MessageConnection {
	return &MessageConnection{
		Edges:    edges(p, func(c string, m *models.Message) *MessageEdge { return &MessageEdge{c, (*Message)(m)} }),
		PageInfo: newPageInfo(p),
	}
}
