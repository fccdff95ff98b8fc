package httpapi

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/gqlchat/gqlchat/chat"
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
	// known holds the addresses accounts logged in from, each for
	// KnownAddressFor since its last log-in, at most as many as buckets.
	known *expirable.LRU[knownAddr, struct{}]
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
	return &logInGuard{limit: limits.LogInPerAccount, buckets: b, known: expirable.NewLRU[knownAddr, struct{}](limits.maxBuckets(), nil, ttl)}
}

// around runs the mutation field of fc: logIn under the account's limit,
// signUp noting the new account's address; others as they are.
func (g *logInGuard) around(ctx context.Context, fc *graphql.FieldContext, next graphql.Resolver) (any, error) {
	switch fc.Field.Name {
	case "logIn":
		return g.logIn(ctx, inputUsername(ctx, fc), next)
	case "signUp":
		res, err := next(ctx)
		if account, ok := chat.UsernameKey(inputUsername(ctx, fc)); ok && err == nil {
			g.known.Add(knownAddr{account, clientIP(ctx)}, struct{}{})
		}
		return res, err
	}
	return next(ctx)
}

// inputUsername is the username in the field's input argument, read from
// the request as sent (this package knows GraphQL only as a handler, not
// the adapter's input types); "" if there is none.
func inputUsername(ctx context.Context, fc *graphql.FieldContext) string {
	args := fc.Field.ArgumentMap(graphql.GetOperationContext(ctx).Variables)
	in, _ := args["input"].(map[string]any)
	username, _ := in["username"].(string)
	return username
}

func (g *logInGuard) logIn(ctx context.Context, username string, next graphql.Resolver) (any, error) {
	account, ok := chat.UsernameKey(username)
	if !ok { // no account can have that name: logIn refuses it without checking a password
		return next(ctx)
	}
	now, addr := time.Now(), knownAddr{account, clientIP(ctx)}
	key := bucketKey{account: account, limit: "logInAccount"}
	if _, ok := g.known.Peek(addr); ok { // Peek, unlike Contains, checks expiry; only log-ins make an address recent
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
		g.known.Add(addr, struct{}{})
	}
	return res, err
}

// knownAddr is a client address an account logged in from.
type knownAddr struct{ account, ip string }
