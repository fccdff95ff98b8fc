package graph

import (
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/gqlchat/gqlchat/graph/model"
)

// prefetchChats loads, for a list of chats, what their selected fields
// read through dataloaders, so that writing them one after the other
// finds it in the loaders' caches: one goroutine per chat makes the same
// calls the writer will, and the loaders gather each round of them into
// one query, as they do for gqlgen's goroutine per field. Errors are left
// for the writer to meet again.
func (x *directRun) prefetchChats(edges []*model.ChatEdge, edgeSel ast.SelectionSet) {
	var nodes []graphql.CollectedField
	for _, f := range graphql.CollectFields(x.op, edgeSel, chatEdgeImplementors) {
		if f.Name == "node" {
			nodes = append(nodes, f)
		}
	}
	if len(nodes) == 0 || len(edges) < 2 {
		return
	}
	var wg sync.WaitGroup
	for _, e := range edges {
		if e == nil || e.Node == nil {
			continue
		}
		wg.Go(func() {
			t := directTypeOf(e.Node)
			if t == nil {
				return
			}
			for _, node := range nodes {
				for _, f := range graphql.CollectFields(x.op, node.Selections, t.implementors) {
					x.prefetchChatField(e.Node, f)
				}
			}
		})
	}
	wg.Wait()
}

// prefetchChatField makes the loads of one field of chat c.
func (x *directRun) prefetchChatField(c model.Chat, f graphql.CollectedField) {
	switch f.Name {
	case "unreadCount":
		unreadCount(x.ctx, chatOf(c)) //nolint:errcheck // met again by the writer
	case "lastMessage":
		m, err := lastMessage(x.ctx, chatOf(c))
		if err != nil || m == nil {
			return
		}
		for _, mf := range graphql.CollectFields(x.op, f.Selections, messageImplementors) {
			if mf.Name == "sender" {
				x.r.Message().Sender(x.ctx, m) //nolint:errcheck // met again by the writer
			}
		}
	case "members":
		a, err := x.args(f, (*executionContext).field_GroupChat_members_args)
		if err == nil && a["after"].(*string) == nil {
			loadersFrom(x.ctx).firstMembersOf(x.ctx, chatOf(c).ID, a["first"].(*int)) //nolint:errcheck // met again by the writer
		}
	}
}
