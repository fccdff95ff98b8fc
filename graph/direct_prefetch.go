package graph

import (
	"maps"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/gqlchat/gqlchat/chat"
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
	var unread, last, senders, memberCounts bool
	var lastSel []ast.SelectionSet // what the last messages select
	var members []*int             // page sizes of first pages of members
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
					lastSel = append(lastSel, f.Selections)
					for _, mf := range graphql.CollectFields(x.op, f.Selections, messageImplementors) {
						senders = senders || mf.Name == "sender"
					}
				case "members":
					if a, err := x.args(f, (*executionContext).field_GroupChat_members_args); err == nil && a["after"].(*string) == nil {
						members = append(members, a["first"].(*int))
					}
					for _, cf := range graphql.CollectFields(x.op, f.Selections, userConnectionImplementors) {
						memberCounts = memberCounts || cf.Name == "totalCount"
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
	if memberCounts {
		wait := l.memberCounts().LoadAllThunk(x.ctx, chatIDs(chats, nil))
		waits = append(waits, func() { wait() }) //nolint:errcheck // met again by the writer
	}
	for _, first := range members {
		wait := l.firstMembersLoader(first).LoadAllThunk(x.ctx, chatIDs(chats, nil))
		waits = append(waits, func() { wait() }) //nolint:errcheck // met again by the writer
	}
	for _, wait := range waits {
		wait()
	}
	if lastMessages == nil {
		return
	}
	msgs, _ := lastMessages()
	for _, sel := range lastSel {
		x.prefetchSeenBy(msgs, sel)
	}
	if !senders {
		return
	}
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

// prefetchMessages loads what a page of messages' selected fields read
// through dataloaders, as prefetchChats does for chats: their receipts.
func (x *directRun) prefetchMessages(edges []*model.MessageEdge, edgeSel ast.SelectionSet) {
	msgs := make([]*models.Message, 0, len(edges))
	for _, e := range edges {
		if e != nil && e.Node != nil {
			msgs = append(msgs, (*models.Message)(e.Node))
		}
	}
	for _, ef := range graphql.CollectFields(x.op, edgeSel, messageEdgeImplementors) {
		if ef.Name == "node" {
			x.prefetchSeenBy(msgs, ef.Selections)
		}
	}
}

// prefetchSeenBy loads what each seenBy that sel selects on msgs reads:
// the receipts of their chats in one batch, then the users of every
// message's page in another. Written one after the other, each message
// would otherwise wait out the loaders' batch window twice.
func (x *directRun) prefetchSeenBy(msgs []*models.Message, sel ast.SelectionSet) {
	var pages []graphql.CollectedField
	for _, f := range graphql.CollectFields(x.op, sel, messageImplementors) {
		if f.Name == "seenBy" {
			pages = append(pages, f)
		}
	}
	msgs = slices.DeleteFunc(slices.Clone(msgs), func(m *models.Message) bool { return m == nil })
	if len(pages) == 0 || len(msgs) < 2 {
		return
	}
	l := loadersFrom(x.ctx)
	chats := map[int64]bool{}
	for _, m := range msgs {
		if m.Chat == nil || m.Chat.Markers == nil {
			chats[m.ChatID] = true
		}
	}
	if len(chats) > 0 {
		l.receipts().LoadAll(x.ctx, slices.Collect(maps.Keys(chats))) //nolint:errcheck // met again by the writer
	}
	shown := map[int64]bool{}
	for _, f := range pages {
		a, err := x.args(f, (*executionContext).field_Message_seenBy_args)
		if err != nil {
			continue
		}
		for _, m := range msgs {
			r, err := receiptsOf(x.ctx, m)
			if err != nil {
				continue
			}
			if page, _, err := r.SeenBy(m, chat.PageArgs{First: a["first"].(*int), After: a["after"].(*string)}); err == nil {
				for _, id := range page.Items {
					shown[id] = true
				}
			}
		}
	}
	if len(shown) > 0 {
		l.users().LoadAll(x.ctx, slices.Collect(maps.Keys(shown))) //nolint:errcheck // met again by the writer
	}
}
