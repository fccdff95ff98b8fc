package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// user is an account the benchmark signed up.
type user struct {
	name  string
	id    string // global id
	token string
}

// group is a group chat the benchmark created; members[0] is its owner.
type group struct {
	name    string
	id      string // global id
	members []*user
}

// seedStep is what one scenario's setup made, all through the public API.
type seedStep struct {
	Scenario    string  `json:"scenario"`
	Users       int64   `json:"users"`
	Friendships int64   `json:"friendships"`
	Groups      int64   `json:"groups"`
	Messages    int64   `json:"messages"`
	Seconds     float64 `json:"seconds"`
	Via         string  `json:"via"`
}

// seeder makes test data through the API exactly as clients would, with
// workers requests in flight: sign-up hashes each password with argon2id,
// so 1,000 sign-ups one at a time would take minutes.
type seeder struct {
	api     *api
	run     string // random per run, so that names never collide with earlier runs
	workers int
	seq     atomic.Int64

	users, friendships, groups, messages atomic.Int64
}

func newSeeder(a *api, workers int) *seeder {
	return &seeder{api: a, run: randomName(8), workers: workers}
}

// randomName is n random lower-case letters and digits.
func randomName(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // never fails
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// name returns a fresh name: prefix, the run's id and a counter (at most
// 32 characters of letters, digits and _, as usernames must be).
func (s *seeder) name(prefix string) string {
	return fmt.Sprintf("cb_%s_%s%d", s.run, prefix, s.seq.Add(1))
}

// parallel calls f(0..n-1) on the seeder's workers and returns the first error.
func (s *seeder) parallel(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	return forEach(ctx, n, s.workers, f)
}

// forEach calls f(0..n-1) on workers goroutines; the first error cancels
// the calls not yet started and is returned.
func forEach(ctx context.Context, n, workers int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				if err := f(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// signUp creates n users.
func (s *seeder) signUp(ctx context.Context, n int) ([]*user, error) {
	users := make([]*user, n)
	err := s.parallel(ctx, n, func(ctx context.Context, i int) error {
		u := &user{name: s.name("u")}
		var out struct {
			SignUp struct {
				Token string
				User  struct{ ID string }
			}
		}
		err := s.api.do(ctx, i, "", `mutation($u: String!, $d: String!, $p: String!) {
			signUp(input: {username: $u, displayName: $d, password: $p}) { token user { id } } }`,
			map[string]any{"u": u.name, "d": "Bench " + u.name, "p": "chatbench-" + randomName(16)}, &out)
		if err != nil {
			return fmt.Errorf("signUp: %w", err)
		}
		u.id, u.token = out.SignUp.User.ID, out.SignUp.Token
		users[i] = u
		s.users.Add(1)
		return nil
	})
	return users, err
}

// befriend makes each pair friends: the first asks, the second accepts.
func (s *seeder) befriend(ctx context.Context, pairs [][2]*user) error {
	return s.parallel(ctx, len(pairs), func(ctx context.Context, i int) error {
		from, to := pairs[i][0], pairs[i][1]
		var req struct{ SendFriendRequest struct{ ID string } }
		if err := s.api.do(ctx, i, from.token, `mutation($id: ID!) { sendFriendRequest(input: {userId: $id}) { id } }`,
			map[string]any{"id": to.id}, &req); err != nil {
			return fmt.Errorf("sendFriendRequest: %w", err)
		}
		if err := s.api.do(ctx, i, to.token, `mutation($id: ID!) { acceptFriendRequest(input: {requestId: $id}) { status } }`,
			map[string]any{"id": req.SendFriendRequest.ID}, nil); err != nil {
			return fmt.Errorf("acceptFriendRequest: %w", err)
		}
		s.friendships.Add(1)
		return nil
	})
}

// ownerPairs pairs the first user of each list with each of the others:
// a group's owner must be friends with everyone they add.
func ownerPairs(memberLists [][]*user) [][2]*user {
	var pairs [][2]*user
	for _, ms := range memberLists {
		for _, m := range ms[1:] {
			pairs = append(pairs, [2]*user{ms[0], m})
		}
	}
	return pairs
}

// createGroups makes one group chat per member list, owned by its first
// member, who must already be friends with the others.
func (s *seeder) createGroups(ctx context.Context, memberLists [][]*user) ([]*group, error) {
	groups := make([]*group, len(memberLists))
	err := s.parallel(ctx, len(memberLists), func(ctx context.Context, i int) error {
		g := &group{name: s.name("g"), members: memberLists[i]}
		ids := make([]string, 0, len(g.members)-1)
		for _, m := range g.members[1:] {
			ids = append(ids, m.id)
		}
		var out struct{ CreateGroupChat struct{ ID string } }
		if err := s.api.do(ctx, i, g.members[0].token, `mutation($n: String!, $m: [ID!]!) {
			createGroupChat(input: {name: $n, memberIds: $m}) { id } }`,
			map[string]any{"n": g.name, "m": ids}, &out); err != nil {
			return fmt.Errorf("createGroupChat: %w", err)
		}
		g.id = out.CreateGroupChat.ID
		groups[i] = g
		s.groups.Add(1)
		return nil
	})
	return groups, err
}

// post sends n messages: the i-th by who(i) into chat(i).
func (s *seeder) post(ctx context.Context, n int, who func(i int) *user, chat func(i int) string) error {
	return s.parallel(ctx, n, func(ctx context.Context, i int) error {
		if err := postMessage(ctx, s.api, i, who(i).token, chat(i), fmt.Sprintf("seed message %d", i)); err != nil {
			return err
		}
		s.messages.Add(1)
		return nil
	})
}

// postMessage posts body into chat as client i.
func postMessage(ctx context.Context, a *api, i int, token, chat, body string) error {
	_, err := postMessageID(ctx, a, i, token, chat, body)
	return err
}

// postMessageID posts body into chat as client i and returns the message's id.
func postMessageID(ctx context.Context, a *api, i int, token, chat, body string) (string, error) {
	var out struct{ PostMessage struct{ ID string } }
	err := a.do(ctx, i, token, `mutation($c: ID!, $b: String!) { postMessage(input: {chatId: $c, body: $b}) { id } }`,
		map[string]any{"c": chat, "b": body}, &out)
	if err != nil {
		return "", fmt.Errorf("postMessage: %w", err)
	}
	return out.PostMessage.ID, nil
}

// measure runs setup for scenario and returns what it made and how long it took.
func (s *seeder) measure(scenario string, setup func() error) (seedStep, error) {
	u, f, g, m := s.users.Load(), s.friendships.Load(), s.groups.Load(), s.messages.Load()
	start := time.Now()
	err := setup()
	return seedStep{
		Scenario: scenario, Via: "API",
		Users: s.users.Load() - u, Friendships: s.friendships.Load() - f,
		Groups: s.groups.Load() - g, Messages: s.messages.Load() - m,
		Seconds: time.Since(start).Seconds(),
	}, err
}
