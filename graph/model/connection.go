// Package model holds the GraphQL types that are not GORM models: the
// generated inputs, and the hand-written Relay connections built from
// chat.Page.
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

// UserEdge is a user in a connection.
type UserEdge struct {
	Cursor string
	Node   *models.User
}

// UserConnection is a page of users.
type UserConnection struct {
	Edges    []*UserEdge
	PageInfo *PageInfo
	count    Counter
}

// NewUserConnection wraps a page of users.
func NewUserConnection(p *chat.Page[*models.User], count Counter) *UserConnection {
	c := &UserConnection{PageInfo: newPageInfo(p), count: count}
	for i, u := range p.Items {
		c.Edges = append(c.Edges, &UserEdge{Cursor: p.Cursors[i], Node: u})
	}
	return c
}

// TotalCount is the size of the whole list.
func (c *UserConnection) TotalCount(ctx context.Context) (int, error) { return c.count(ctx) }
