package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// seenByMembers is the seenby scenario's group size: the most a group may have.
const seenByMembers = 1000

// seenByMessages is how many messages the scenario's group holds: more
// than the page, so that the page is full.
const seenByMessages = 60

// seenByQuery is a history page as a client draws it with read receipts:
// "seen by" three avatars and a count under each message.
const seenByQuery = `query($chat: ID!) { node(id: $chat) { ... on Chat { messages(last: 50) {
	edges { node { id seenBy(first: 3) { totalCount edges { node { id } } } } } } } } }`

// The SQL of the same page, for the pgx baselines: the page's messages,
// the chat's read markers (what the server reads, once for every message)
// and the users shown; or, as the alternative the server does not take,
// one statement counting each message's readers in SQL.
const (
	baselinePageSQL = `SELECT id, seq, sender_id FROM messages WHERE chat_id = $1 ORDER BY seq DESC LIMIT 50`
	baselineMarkSQL = `SELECT m.user_id, m.last_read_seq FROM chat_members m
		WHERE m.chat_id = $1 AND m.chat_id IN (SELECT chat_id FROM chat_members WHERE user_id = $2)
		ORDER BY m.joined_at, m.user_id`
	baselineUsersSQL   = `SELECT id, username, display_name FROM users WHERE id = ANY($1)`
	baselineLateralSQL = `SELECT m.id, s.total, s.first FROM
		(SELECT id, seq, sender_id FROM messages WHERE chat_id = $1 ORDER BY seq DESC LIMIT 50) m
		CROSS JOIN LATERAL (SELECT count(*) AS total, (array_agg(cm.user_id ORDER BY cm.joined_at, cm.user_id))[1:3] AS first
			FROM chat_members cm WHERE cm.chat_id = $1 AND cm.last_read_seq >= m.seq
				AND cm.user_id <> m.sender_id AND cm.user_id <> $2) s`
)

// runSeenBy measures a history page of 50 messages, each with
// seenBy(first: 3) and its totalCount, in a group of 1,000 members whose
// read markers are spread over the page (from nearly everyone to a few
// dozen readers per message), read by members in turn; with -dsn, the
// same SQL through pgx as a floor.
func (b *bench) runSeenBy(ctx context.Context) ([]*result, error) {
	g, err := b.seenByChat(ctx)
	if err != nil {
		return nil, err
	}
	l := b.loop(ctx, "seenby", func(ctx context.Context, w, i int) error {
		var out struct {
			Node *struct {
				Messages struct {
					Edges []struct {
						Node struct {
							SeenBy struct {
								TotalCount int
								Edges      []struct{ Node struct{ ID string } }
							}
						}
					}
				}
			}
		}
		u := g.members[(w*31+i)%len(g.members)]
		if err := b.api.do(ctx, w, u.token, seenByQuery, map[string]any{"chat": g.id}, &out); err != nil {
			return err
		}
		if out.Node == nil || len(out.Node.Messages.Edges) != 50 || out.Node.Messages.Edges[0].Node.SeenBy.TotalCount < 100 {
			return fmt.Errorf("seenby: expected 50 messages, the oldest seen by hundreds")
		}
		return nil
	})
	r := fromLoad("seenby", "requests (messages(last: 50) { seenBy(first: 3) { totalCount } })", l)
	r.note("C=%d, one group of %d members, markers spread over the page", b.cfg.Concurrency, len(g.members))
	res := []*result{r}
	if b.cfg.dsn == "" {
		return res, nil
	}
	base, err := b.seenByBaseline(ctx, g)
	return append(res, base...), err
}

// seenByChat seeds the scenario's group through the API: 1,000 users, the
// owner's 999 friendships, the group, 60 messages by different members,
// and every member's read marker moved to one of them (member k to
// message k mod 60), with markChatRead.
func (b *bench) seenByChat(ctx context.Context) (*group, error) {
	var g *group
	err := b.setup("seenby", func() error {
		users, err := b.seed.signUp(ctx, seenByMembers)
		if err != nil {
			return err
		}
		lists := [][]*user{users}
		if err := b.seed.befriend(ctx, ownerPairs(lists)); err != nil {
			return err
		}
		groups, err := b.seed.createGroups(ctx, lists)
		if err != nil {
			return err
		}
		g = groups[0]
		msgs := make([]string, seenByMessages)
		err = b.seed.parallel(ctx, 1, func(ctx context.Context, _ int) error { // in order: message i is the i-th
			for i := range msgs {
				id, err := postMessageID(ctx, b.api, i, users[1+i].token, g.id, fmt.Sprintf("seen message %d", i))
				if err != nil {
					return err
				}
				msgs[i] = id
				b.seed.messages.Add(1)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return b.seed.parallel(ctx, len(users)-1, func(ctx context.Context, i int) error {
			return b.api.do(ctx, i, users[1+i].token, `mutation($c: ID!, $m: ID!) { markChatRead(input: {chatId: $c, messageId: $m}) { id } }`,
				map[string]any{"c": g.id, "m": msgs[(1+i)%len(msgs)]}, nil)
		})
	})
	return g, err
}

// seenByBaseline runs the page's SQL through pgx at the same concurrency,
// as the same members in turn: the server's three statements (with its
// grouping in Go), and the one-statement alternative.
func (b *bench) seenByBaseline(ctx context.Context, g *group) ([]*result, error) {
	pcfg, err := pgxpool.ParseConfig(b.cfg.dsn)
	if err != nil {
		return nil, fmt.Errorf("-dsn: %w", err)
	}
	pcfg.MaxConns, pcfg.MinConns = int32(b.cfg.Concurrency), int32(b.cfg.Concurrency)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	chats, users, err := keys(ctx, pool, []*group{g})
	if err != nil {
		return nil, err
	}
	chatID := chats[g.name]
	viewer := func(w, i int) int64 { return users[g.members[(w*31+i)%len(g.members)].name] }
	ls := closedLoop(ctx, b.cfg.duration, b.cfg.Concurrency, func(ctx context.Context, w, i int) error {
		return seenByPage(ctx, pool, chatID, viewer(w, i))
	})
	rs := fromLoad("baseline-seenby", "pages: 50 messages, the chat's markers, the users shown (3 SELECTs)", ls)
	ll := closedLoop(ctx, b.cfg.duration, b.cfg.Concurrency, func(ctx context.Context, w, i int) error {
		return seenByLateral(ctx, pool, chatID, viewer(w, i))
	})
	rl := fromLoad("baseline-seenby-lateral", "pages: one SELECT counting each message's readers, then the users", ll)
	for _, r := range []*result{rs, rl} {
		r.note("pgx directly, C=%d connections, %d members", b.cfg.Concurrency, len(g.members))
	}
	rs.note("the server's statements for seenBy, grouped as it does")
	rl.note("the alternative: a count per message in SQL (not what the server runs)")
	return []*result{rs, rl}, nil
}

// seenByPage reads a page's receipts as the server does: the messages,
// the markers once, the first three readers of each in Go, their users.
func seenByPage(ctx context.Context, pool *pgxpool.Pool, chatID, viewer int64) error {
	type msg struct{ id, seq, sender int64 }
	rows, _ := pool.Query(ctx, baselinePageSQL, chatID)
	page, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (msg, error) {
		var m msg
		return m, r.Scan(&m.id, &m.seq, &m.sender)
	})
	if err != nil {
		return err
	}
	type marker struct{ user, seq int64 }
	rows, _ = pool.Query(ctx, baselineMarkSQL, chatID, viewer)
	markers, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (marker, error) {
		var m marker
		return m, r.Scan(&m.user, &m.seq)
	})
	if err != nil {
		return err
	}
	var shown []int64
	for _, m := range page {
		n := 0
		for _, mk := range markers {
			if mk.seq >= m.seq && mk.user != m.sender && mk.user != viewer {
				if n++; n <= 3 && !slices.Contains(shown, mk.user) {
					shown = append(shown, mk.user)
				}
			}
		}
	}
	return readUsers(ctx, pool, shown)
}

// seenByLateral reads the same page in one statement, then its users.
func seenByLateral(ctx context.Context, pool *pgxpool.Pool, chatID, viewer int64) error {
	rows, _ := pool.Query(ctx, baselineLateralSQL, chatID, viewer)
	var shown []int64
	var id, total int64
	var first []int64
	_, err := pgx.ForEachRow(rows, []any{&id, &total, &first}, func() error {
		for _, u := range first {
			if !slices.Contains(shown, u) {
				shown = append(shown, u)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return readUsers(ctx, pool, shown)
}

// readUsers reads the users shown, as the server's user loader does.
func readUsers(ctx context.Context, pool *pgxpool.Pool, ids []int64) error {
	rows, _ := pool.Query(ctx, baselineUsersSQL, ids)
	var id int64
	var name, display string
	tag, err := pgx.ForEachRow(rows, []any{&id, &name, &display}, func() error { return nil })
	if err == nil && int(tag.RowsAffected()) != len(ids) {
		err = fmt.Errorf("seenby baseline: %d of %d users", tag.RowsAffected(), len(ids))
	}
	return err
}
