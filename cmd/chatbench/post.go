package main

import (
	"context"
	"fmt"
)

// groupSize is the number of members of each of post's group chats.
const groupSize = 4

// postGroups returns post's G group chats of groupSize members, each
// owned by a user whose friends the others are; seeded on first use.
func (b *bench) postGroups(ctx context.Context, scenario string) ([]*group, error) {
	if b.groups != nil {
		return b.groups, nil
	}
	err := b.setup(scenario, func() error {
		users, err := b.seed.signUp(ctx, b.cfg.Groups*groupSize)
		if err != nil {
			return err
		}
		lists := make([][]*user, b.cfg.Groups)
		for g := range lists {
			lists[g] = users[g*groupSize : (g+1)*groupSize]
		}
		if err := b.seed.befriend(ctx, ownerPairs(lists)); err != nil {
			return err
		}
		b.groups, err = b.seed.createGroups(ctx, lists)
		return err
	})
	return b.groups, err
}

// historyChat returns the group chat that history reads, with at least
// 50 messages in it.
func (b *bench) historyChat(ctx context.Context, scenario string) (*group, error) {
	groups, err := b.postGroups(ctx, scenario)
	if err != nil || b.historySeeded {
		return groups[0], err
	}
	g := groups[0]
	err = b.setup(scenario, func() error {
		// 60 rather than 50, so that the page is full whatever else ran.
		return b.seed.post(ctx, 60, func(i int) *user { return g.members[i%len(g.members)] }, func(int) string { return g.id })
	})
	b.historySeeded = err == nil
	return g, err
}

// runPost measures postMessage: C workers post round-robin into the G
// groups, each worker as a different member, so that posts into one chat
// contend for its row lock as they would in a busy group.
func (b *bench) runPost(ctx context.Context) ([]*result, error) {
	groups, err := b.postGroups(ctx, "post")
	if err != nil {
		return nil, err
	}
	l := b.loop(ctx, "post", func(ctx context.Context, w, i int) error {
		g := groups[w%len(groups)]
		u := g.members[(w/len(groups))%len(g.members)]
		return postMessage(ctx, b.api, w, u.token, g.id, fmt.Sprintf("post bench w%d #%d", w, i))
	})
	r := fromLoad("post", "messages posted", l)
	r.note("C=%d over G=%d groups of %d", b.cfg.Concurrency, len(groups), groupSize)
	return []*result{r}, nil
}
