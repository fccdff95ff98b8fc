package graph

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
)

// logInGuard limits failed log-ins per account, so that guessing one
// account's password from many addresses is as slow as from one, without
// letting whoever makes those guesses lock the account's owner out:
//
//   - Only failures (UNAUTHENTICATED) spend a token; a log-in in flight
//     holds one, so parallel guesses cannot overdraw the bucket, and gives
//     it back if it succeeds. An owner who logs in often pays nothing.
//   - An empty bucket refuses every log-in to the account, the right
//     password too: answering a right password while refusing wrong ones
//     would tell the guesser which guess was right.
//   - A client address the account logged in from (or signed up from)
//     within KnownAddressFor gets a bucket of its own for that account, as
//     NIST SP 800-63B 5.2.2 suggests: guesses from elsewhere cannot empty
//     it, so the owner gets in from their usual devices during an attack.
//
// Buckets are keyed by the lowercased username, as logIn compares it,
// whether or not such an account exists, so a refusal reveals nothing.
type logInGuard struct {
	limit   RateLimit
	buckets *buckets
	known   *knownAddrs
}

// newLogInGuard returns the guard of limits, or nil when it is off.
func newLogInGuard(limits RateLimits, b *buckets) *logInGuard {
	if !limits.LogInPerAccount.enabled() {
		return nil
	}
	ttl := limits.KnownAddressFor
	if ttl <= 0 {
		ttl = 30 * 24 * time.Hour
	}
	return &logInGuard{limit: limits.LogInPerAccount, buckets: b, known: newKnownAddrs(b.max, ttl)}
}

// around runs the mutation field of fc: logIn under the account's limit,
// signUp noting the new account's address; others as they are.
func (g *logInGuard) around(ctx context.Context, fc *graphql.FieldContext, next graphql.Resolver) (any, error) {
	switch in := fc.Args["input"].(type) {
	case model.LogInInput:
		return g.logIn(ctx, in.Username, next)
	case model.SignUpInput:
		res, err := next(ctx)
		if account, ok := chat.UsernameKey(in.Username); ok && err == nil {
			g.known.add(knownAddr{account, ClientIP(ctx)}, time.Now())
		}
		return res, err
	}
	return next(ctx)
}

func (g *logInGuard) logIn(ctx context.Context, username string, next graphql.Resolver) (any, error) {
	account, ok := chat.UsernameKey(username)
	if !ok { // no account can have that name: logIn refuses it without checking a password
		return next(ctx)
	}
	now, addr := time.Now(), knownAddr{account, ClientIP(ctx)}
	key := bucketKey{account: account, limit: "logInAccount"}
	if g.known.has(addr, now) {
		key.ip = addr.ip
	}
	wait, settle := g.buckets.admit(key, g.limit, now)
	if wait > 0 {
		return nil, rateLimited(wait)
	}
	failed := false
	defer func() { settle(failed) }() // a panic releases the token
	res, err := next(ctx)
	failed = chat.ErrorCode(err) == chat.CodeUnauthenticated
	if err == nil {
		g.known.add(addr, time.Now())
	}
	return res, err
}

// knownAddr is a client address an account logged in from.
type knownAddr struct{ account, ip string }

// knownAddrs remembers the addresses accounts logged in from for ttl,
// at most max of them, the least recently used last.
type knownAddrs struct {
	mu     sync.Mutex
	byAddr map[knownAddr]*list.Element // of *knownEntry
	lru    *list.List
	max    int
	ttl    time.Duration
}

type knownEntry struct {
	addr knownAddr
	seen time.Time
}

func newKnownAddrs(max int, ttl time.Duration) *knownAddrs {
	return &knownAddrs{byAddr: map[knownAddr]*list.Element{}, lru: list.New(), max: max, ttl: ttl}
}

func (k *knownAddrs) add(a knownAddr, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if e, ok := k.byAddr[a]; ok {
		e.Value.(*knownEntry).seen = now
		k.lru.MoveToFront(e)
		return
	}
	if k.lru.Len() >= k.max {
		k.remove(k.lru.Back())
	}
	k.byAddr[a] = k.lru.PushFront(&knownEntry{addr: a, seen: now})
}

// has reports whether a was added within ttl; older entries are dropped.
func (k *knownAddrs) has(a knownAddr, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.byAddr[a]
	if ok && now.Sub(e.Value.(*knownEntry).seen) > k.ttl {
		k.remove(e)
		return false
	}
	return ok
}

func (k *knownAddrs) remove(e *list.Element) {
	delete(k.byAddr, e.Value.(*knownEntry).addr)
	k.lru.Remove(e)
}
