package graph

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/models"
)

// prefetchChats loads, for a list of chats, what their selected fields
// read through dataloaders, each kind in one batch, so that writing the
// chats one after the other finds it all in the loaders' caches. (gqlgen's
// goroutine per field relies on the loaders' short wait to gather a list's
// keys: under load the goroutines start late and a list's keys split into
// several batches, each a statement.) Errors are left for the writer to
// meet again.
func (x *directRun) prefetchChats(edges []*model.ChatEdge, edgeSel ast.SelectionSet) {
	var chats []*models.Chat
	for _, e := range edges {
		if e != nil && e.Node != nil {
			chats = append(chats, chatOf(e.Node))
		}
	}
	if len(chats) < 2 {
		return
	}
	// What the chats' selections ask for, whatever their type.
	var unread, last, senders bool
	var members []*int // page sizes of first pages of members
	for _, ef := range graphql.CollectFields(x.op, edgeSel, chatEdgeImplementors) {
		if ef.Name != "node" {
			continue
		}
		for _, impl := range [][]string{groupChatImplementors, privateChatImplementors} {
			for _, f := range graphql.CollectFields(x.op, ef.Selections, impl) {
				switch f.Name {
				case "unreadCount":
					unread = true
				case "lastMessage":
					last = true
					for _, mf := range graphql.CollectFields(x.op, f.Selections, messageImplementors) {
						senders = senders || mf.Name == "sender"
					}
				case "members":
					if a, err := x.args(f, (*executionContext).field_GroupChat_members_args); err == nil && a["after"].(*string) == nil {
						members = append(members, a["first"].(*int))
					}
				}
			}
		}
	}
	l := loadersFrom(x.ctx)
	var waits []func()
	if ids := chatIDs(chats, func(c *models.Chat) bool { return c.ViewerReadSeq == nil }); unread && len(ids) > 0 {
		wait := l.readMarkers().LoadAllThunk(x.ctx, ids)
		waits = append(waits, func() { wait() }) //nolint:errcheck // met again by the writer
	}
	var lastMessages func() ([]*models.Message, error)
	if ids := chatIDs(chats, func(c *models.Chat) bool { return c.LastSeq > 0 && c.LastMessage == nil }); last && len(ids) > 0 {
		lastMessages = l.lastMessages().LoadAllThunk(x.ctx, ids)
	}
	for _, first := range members {
		wait := l.firstMembersLoader(first).LoadAllThunk(x.ctx, chatIDs(chats, nil))
		waits = append(waits, func() { wait() }) //nolint:errcheck // met again by the writer
	}
	for _, wait := range waits {
		wait()
	}
	if lastMessages == nil || !senders {
		return
	}
	msgs, _ := lastMessages()
	var ids []int64
	for _, m := range msgs {
		if m != nil && m.Sender == nil {
			ids = append(ids, m.SenderID)
		}
	}
	if len(ids) > 0 {
		l.users().LoadAll(x.ctx, ids) //nolint:errcheck // met again by the writer
	}
}

// chatIDs are the ids of the chats keep accepts (all when nil).
func chatIDs(chats []*models.Chat, keep func(*models.Chat) bool) []int64 {
	ids := make([]int64, 0, len(chats))
	for _, c := range chats {
		if keep == nil || keep(c) {
			ids = append(ids, c.ID)
		}
	}
	return ids
}
