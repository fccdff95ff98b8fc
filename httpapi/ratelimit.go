package httpapi

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/time/rate"

	"github.com/gqlchat/gqlchat/chat"
)

// RateLimit is a token bucket: Burst calls at once, refilled at Rate calls
// per second. A limit whose Rate or Burst is not positive does not limit.
type RateLimit struct {
	Rate  float64
	Burst int
}

func (l RateLimit) enabled() bool { return l.Rate > 0 && l.Burst > 0 }

// RateLimits are the token buckets on mutations, by Mutation field name.
// The zero value limits nothing.
type RateLimits struct {
	// PerIP limits each client address, logged in or not. It is meant for
	// signUp and logIn, where there is no account yet to count against.
	PerIP map[string]RateLimit
	// PerUser limits each logged-in viewer (each client address for
	// anonymous callers) for the mutations it names.
	PerUser map[string]RateLimit
	// Other is one bucket per viewer shared by the mutations in neither map.
	Other RateLimit
	// LogInPerAccount limits the failed log-ins of each username, from
	// whatever addresses, on top of PerIP["logIn"] (see logInGuard).
	LogInPerAccount RateLimit
	// KnownAddressFor is how long a client address an account logged in
	// from keeps a bucket of its own for that account's log-ins. Zero
	// means 30 days, the default lifetime of a log-in token.
	KnownAddressFor time.Duration
	// MaxBuckets caps the buckets held; past it the least recently used is
	// dropped. Zero means 100,000.
	MaxBuckets int
	// IdleAfter is how long a bucket goes unused before it is forgotten,
	// or longer if a limit takes longer to refill (see bucketTTL). Zero
	// means ten minutes.
	IdleAfter time.Duration
}

// DefaultRateLimits let a person type and click freely and stop scripts:
// logIn and signUp are limited per address against brute force and
// account farming, and failed log-ins per account against guessing from
// many addresses.
var DefaultRateLimits = RateLimits{
	LogInPerAccount: RateLimit{Rate: 10.0 / 60, Burst: 10},
	KnownAddressFor: 30 * 24 * time.Hour,
	PerIP: map[string]RateLimit{
		"signUp": {Rate: 5.0 / 60, Burst: 5},
		"logIn":  {Rate: 10.0 / 60, Burst: 10},
	},
	PerUser: map[string]RateLimit{
		"postMessage":       {Rate: 20, Burst: 40},
		"sendFriendRequest": {Rate: 30.0 / 60, Burst: 10},
		"createGroupChat":   {Rate: 1, Burst: 10},
		"openPrivateChat":   {Rate: 1, Burst: 10},
	},
	Other: RateLimit{Rate: 10, Burst: 30},
}

// rateLimiter refuses a top-level mutation field whose caller has used up
// its bucket with RATE_LIMITED and extensions.retryAfter (whole seconds),
// before its resolver runs, so nothing is written. It is nil when every
// limit is off: gqlgen calls field middleware for every field of every
// response (fifty messages' fields in a history page), so none is
// installed when there is nothing to limit.
func rateLimiter(limits RateLimits) graphql.FieldMiddleware {
	if !slices.ContainsFunc(limits.all(), RateLimit.enabled) {
		return nil
	}
	b := newBuckets(limits)
	guard := newLogInGuard(limits, b)
	return func(ctx context.Context, next graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if fc == nil || fc.Object != "Mutation" {
			return next(ctx)
		}
		key, limit := limits.bucketFor(ctx, fc.Field.Name)
		if limit.enabled() {
			if wait := b.take(key, limit, time.Now()); wait > 0 {
				return nil, rateLimited(wait)
			}
		}
		if guard != nil {
			return guard.around(ctx, fc, next)
		}
		return next(ctx)
	}
}

// rateLimited is the refusal of a call whose bucket is empty for wait.
func rateLimited(wait time.Duration) error {
	return &chat.Error{
		Code:       chat.CodeRateLimited,
		Message:    "too many requests; try again later",
		Extensions: map[string]any{"retryAfter": int(math.Ceil(wait.Seconds()))},
	}
}

// bucketKey names one bucket: whose it is and which limit it counts.
type bucketKey struct {
	user    int64  // the viewer, or 0
	account string // the username a log-in names, or ""
	ip      string // the client address when there is no viewer to count
	limit   string // a field name, or "" for the shared Other bucket
}

// bucketFor picks the bucket and limit of a call to the mutation field.
func (l RateLimits) bucketFor(ctx context.Context, field string) (bucketKey, RateLimit) {
	if limit, ok := l.PerIP[field]; ok {
		return bucketKey{ip: clientIP(ctx), limit: field}, limit
	}
	key := bucketKey{limit: field}
	limit, ok := l.PerUser[field]
	if !ok {
		key.limit, limit = "", l.Other
	}
	if v := chat.ViewerFrom(ctx); v != nil {
		key.user = v.UserID
	} else {
		key.ip = clientIP(ctx)
	}
	return key, limit
}

// buckets holds the token buckets in use. The LRU drops the least
// recently used past its size, and forgets a bucket unused for its ttl,
// which bucketTTL makes long enough for any bucket to have refilled: a
// full bucket is the same as a new one, so forgetting it forgives nothing.
type buckets struct {
	// mu makes finding a bucket and changing it one step; the LRU's own
	// lock covers only the look-up.
	mu  sync.Mutex
	lru *expirable.LRU[bucketKey, *bucket]
}

type bucket struct {
	lim     *rate.Limiter
	pending int // calls admitted and not yet settled, each holding a token
}

func newBuckets(limits RateLimits) *buckets {
	return &buckets{lru: expirable.NewLRU[bucketKey, *bucket](limits.maxBuckets(), nil, bucketTTL(limits))}
}

// maxBuckets is MaxBuckets, or its default.
func (l RateLimits) maxBuckets() int {
	if l.MaxBuckets <= 0 {
		return 100_000
	}
	return l.MaxBuckets
}

// bucketTTL is how long a bucket stays unused before it is forgotten:
// IdleAfter (ten minutes by default), or the time the slowest limit takes
// to refill an empty bucket if that is longer. Zero, for a refill too long
// to count, means never: only the LRU's size drops buckets then.
func bucketTTL(l RateLimits) time.Duration {
	ttl := l.IdleAfter
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	for _, limit := range l.all() {
		if !limit.enabled() {
			continue
		}
		refill := float64(limit.Burst) / limit.Rate * float64(time.Second)
		if refill >= math.MaxInt64 {
			return 0
		}
		ttl = max(ttl, time.Duration(refill))
	}
	return ttl
}

// all lists every limit of l.
func (l RateLimits) all() []RateLimit {
	all := []RateLimit{l.Other, l.LogInPerAccount}
	for _, m := range []map[string]RateLimit{l.PerIP, l.PerUser} {
		for _, limit := range m {
			all = append(all, limit)
		}
	}
	return all
}

// take spends a token of key's bucket, or returns how long until one is
// there without spending anything.
func (b *buckets) take(key bucketKey, limit RateLimit, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk := b.get(key, limit)
	if bk.lim.AllowN(now, 1) {
		return 0
	}
	missing := 1 - bk.lim.TokensAt(now)
	return max(time.Duration(missing/limit.Rate*float64(time.Second)), time.Nanosecond)
}

// get returns key's bucket, made full if there is none, and marks it as
// used. b.mu is held.
func (b *buckets) get(key bucketKey, limit RateLimit) *bucket {
	bk, ok := b.lru.Get(key)
	if !ok {
		bk = &bucket{lim: rate.NewLimiter(rate.Limit(limit.Rate), limit.Burst)}
	}
	b.lru.Add(key, bk) // renews its ttl, which Get does not
	return bk
}

// admit lets a call through if key's bucket has a token that no call in
// flight holds, for calls whose cost is known only once they are done:
// settle(true) spends the token, settle(false) releases it. Otherwise it
// returns how long until a token is free. Holding a token while the call
// runs keeps parallel calls from overdrawing the bucket. (A call that
// outlives the bucket's ttl settles on a bucket already forgotten.)
func (b *buckets) admit(key bucketKey, limit RateLimit, now time.Time) (wait time.Duration, settle func(spend bool)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk := b.get(key, limit)
	if free := bk.lim.TokensAt(now) - float64(bk.pending); free < 1 {
		return max(time.Duration((1-free)/limit.Rate*float64(time.Second)), time.Nanosecond), nil
	}
	bk.pending++
	return 0, func(spend bool) {
		b.mu.Lock()
		defer b.mu.Unlock()
		bk.pending--
		if spend {
			bk.lim.ReserveN(time.Now(), 1) // may go below zero: each failure counts
		}
	}
}
