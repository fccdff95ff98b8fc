package main

import (
	"bytes"
	"context"
	"encoding/json"
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
		u := g.members[(w+i)%len(g.members)]
		body, err := b.api.doRaw(ctx, w, u.token, historyQuery, map[string]any{"chat": g.id})
		if err != nil {
			return err
		}
		// A short page would make the request cheaper than the one meant.
		// The edges are counted in the body: decoding 10 KB of JSON costs
		// the benchmark about as much CPU as the server spends answering,
		// on the same two cores (the baseline's pgx client scans binary
		// rows). One page in historyDecodeEvery is decoded in full.
		if n := bytes.Count(body, []byte(`{"node":{"id":`)); n != 50 {
			return fmt.Errorf("history: expected 50 messages, counted %d", n)
		}
		if i%historyDecodeEvery == 0 {
			return checkHistoryPage(body)
		}
		return nil
	})
	r := fromLoad("history", "requests (messages(last: 50))", l)
	r.note("C=%d, one chat of %d members", b.cfg.Concurrency, len(g.members))
	return []*result{r}, nil
}

// historyDecodeEvery is how often a history page is decoded in full.
const historyDecodeEvery = 64

// checkHistoryPage decodes a page and checks that it holds 50 messages,
// each with its sender.
func checkHistoryPage(body []byte) error {
	var out struct {
		Data struct {
			Node *struct {
				Messages struct {
					Edges []struct {
						Node struct {
							ID, Body string
							Sender   struct{ Username string }
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("history: decoding a page: %w", err)
	}
	if out.Data.Node == nil || len(out.Data.Node.Messages.Edges) != 50 {
		return fmt.Errorf("history: expected 50 messages")
	}
	for _, e := range out.Data.Node.Messages.Edges {
		if e.Node.ID == "" || e.Node.Sender.Username == "" {
			return fmt.Errorf("history: a message without its id or sender: %+v", e.Node)
		}
	}
	return nil
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
