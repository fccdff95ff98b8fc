package main

import (
	"context"
	"fmt"
)

// historyQuery is what a client sends on opening a chat: its newest page.
const historyQuery = `query($chat: ID!) { node(id: $chat) { ... on Chat { messages(last: 50) {
	edges { node { id body createdAt sender { username displayName } } } } } } }`

// runHistory measures reading the newest 50 messages of a chat, spreading
// the requests over the chat's members.
func (b *bench) runHistory(ctx context.Context) ([]*result, error) {
	g, err := b.historyChat(ctx, "history")
	if err != nil {
		return nil, err
	}
	l := b.loop(ctx, "history", func(ctx context.Context, w, i int) error {
		var out struct {
			Node *struct {
				Messages struct {
					Edges []struct {
						Node struct{ ID string }
					}
				}
			}
		}
		u := g.members[(w+i)%len(g.members)]
		if err := b.api.do(ctx, w, u.token, historyQuery, map[string]any{"chat": g.id}, &out); err != nil {
			return err
		}
		// A short page would make the request cheaper than the one meant.
		if out.Node == nil || len(out.Node.Messages.Edges) != 50 {
			return fmt.Errorf("history: expected 50 messages")
		}
		return nil
	})
	r := fromLoad("history", "requests (messages(last: 50))", l)
	r.note("C=%d, one chat of %d members", b.cfg.Concurrency, len(g.members))
	return []*result{r}, nil
}

// inboxChats is how many chats the inbox user is in.
const inboxChats = 100

// inboxQuery is what a client sends to draw the chat list.
const inboxQuery = `{ chats(first: 50) { edges { node { id unreadCount lastMessage { body sender { displayName } }
	members(first: 5) { edges { node { id } } } } } } }`

// runInbox measures listing the chats of a user who is in 100 groups,
// each with a friend who posted one message in it.
func (b *bench) runInbox(ctx context.Context) ([]*result, error) {
	owner, err := b.inboxUser(ctx, "inbox")
	if err != nil {
		return nil, err
	}
	l := b.loop(ctx, "inbox", func(ctx context.Context, w, _ int) error {
		var out struct {
			Chats struct {
				Edges []struct {
					Node struct {
						UnreadCount int
						LastMessage *struct{ Body string }
					}
				}
			}
		}
		if err := b.api.do(ctx, w, owner.token, inboxQuery, nil, &out); err != nil {
			return err
		}
		if e := out.Chats.Edges; len(e) != 50 || e[0].Node.LastMessage == nil || e[0].Node.UnreadCount != 1 {
			return fmt.Errorf("inbox: expected 50 chats, each with one unread message")
		}
		return nil
	})
	r := fromLoad("inbox", "requests (chats(first: 50))", l)
	r.note("C=%d, one user in %d chats", b.cfg.Concurrency, inboxChats)
	return []*result{r}, nil
}

// inboxUser returns the user whose chats inbox lists, seeding on first
// use (for inbox, or for baseline's inbox statements): a user in
// inboxChats groups with one friend, who posted one message in each.
func (b *bench) inboxUser(ctx context.Context, scenario string) (*user, error) {
	if b.inboxOwner != nil {
		return b.inboxOwner, nil
	}
	var owner *user
	err := b.setup(scenario, func() error {
		users, err := b.seed.signUp(ctx, 2)
		if err != nil {
			return err
		}
		owner = users[0]
		friend := users[1]
		if err := b.seed.befriend(ctx, [][2]*user{{owner, friend}}); err != nil {
			return err
		}
		lists := make([][]*user, inboxChats)
		for i := range lists {
			lists[i] = users
		}
		groups, err := b.seed.createGroups(ctx, lists)
		if err != nil {
			return err
		}
		return b.seed.post(ctx, len(groups), func(int) *user { return friend }, func(i int) string { return groups[i].id })
	})
	if err != nil {
		return nil, err
	}
	b.inboxOwner = owner
	return owner, nil
}
