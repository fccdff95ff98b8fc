package graph

import (
	"container/list"
	"context"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
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
	// IdleAfter is how long a bucket goes unused before a sweep may drop
	// it, if it has refilled. Zero means ten minutes.
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

// sweepEvery is how often idle buckets are looked for.
const sweepEvery = time.Minute

// rateLimiter refuses a top-level mutation field whose caller has used up
// its bucket with RATE_LIMITED and extensions.retryAfter (whole seconds),
// before its resolver runs, so nothing is written.
func rateLimiter(limits RateLimits) graphql.FieldMiddleware {
	b := newBuckets(limits.MaxBuckets, limits.IdleAfter)
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
		return bucketKey{ip: ClientIP(ctx), limit: field}, limit
	}
	key := bucketKey{limit: field}
	limit, ok := l.PerUser[field]
	if !ok {
		key.limit, limit = "", l.Other
	}
	if v := chat.ViewerFrom(ctx); v != nil {
		key.user = v.UserID
	} else {
		key.ip = ClientIP(ctx)
	}
	return key, limit
}

// buckets holds the token buckets in use, least recently used last.
type buckets struct {
	mu        sync.Mutex
	byKey     map[bucketKey]*list.Element // of *bucket
	lru       *list.List
	max       int
	idleAfter time.Duration
	lastSweep time.Time
}

type bucket struct {
	key      bucketKey
	lim      *rate.Limiter
	lastUsed time.Time
	pending  int // calls admitted and not yet settled, each holding a token
}

func newBuckets(max int, idleAfter time.Duration) *buckets {
	if max <= 0 {
		max = 100_000
	}
	if idleAfter <= 0 {
		idleAfter = 10 * time.Minute
	}
	return &buckets{byKey: map[bucketKey]*list.Element{}, lru: list.New(), max: max, idleAfter: idleAfter, lastSweep: time.Now()}
}

// take spends a token of key's bucket, or returns how long until one is
// there without spending anything.
func (b *buckets) take(key bucketKey, limit RateLimit, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk := b.get(key, limit, now)
	if bk.lim.AllowN(now, 1) {
		return 0
	}
	missing := 1 - bk.lim.TokensAt(now)
	return max(time.Duration(missing/limit.Rate*float64(time.Second)), time.Nanosecond)
}

// get returns key's bucket, made full if there is none, marked as used
// at now. b.mu is held.
func (b *buckets) get(key bucketKey, limit RateLimit, now time.Time) *bucket {
	if now.Sub(b.lastSweep) >= sweepEvery {
		b.sweep(now)
	}
	if e, ok := b.byKey[key]; ok {
		b.lru.MoveToFront(e)
		bk := e.Value.(*bucket)
		bk.lastUsed = now
		return bk
	}
	if b.lru.Len() >= b.max {
		b.remove(b.lru.Back())
	}
	bk := &bucket{key: key, lim: rate.NewLimiter(rate.Limit(limit.Rate), limit.Burst), lastUsed: now}
	b.byKey[key] = b.lru.PushFront(bk)
	return bk
}

// admit lets a call through if key's bucket has a token that no call in
// flight holds, for calls whose cost is known only once they are done:
// settle(true) spends the token, settle(false) releases it. Otherwise it
// returns how long until a token is free. Holding a token while the call
// runs keeps parallel calls from overdrawing the bucket.
func (b *buckets) admit(key bucketKey, limit RateLimit, now time.Time) (wait time.Duration, settle func(spend bool)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk := b.get(key, limit, now)
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

// sweep drops the buckets unused for idleAfter that have refilled: a full
// bucket is the same as a new one, so dropping it forgives nothing.
func (b *buckets) sweep(now time.Time) {
	b.lastSweep = now
	for e := b.lru.Back(); e != nil; {
		bk := e.Value.(*bucket)
		if now.Sub(bk.lastUsed) < b.idleAfter {
			break // the rest were used more recently
		}
		prev := e.Prev()
		if bk.pending == 0 && bk.lim.TokensAt(now) >= float64(bk.lim.Burst()) {
			b.remove(e)
		}
		e = prev
	}
}

func (b *buckets) remove(e *list.Element) {
	delete(b.byKey, e.Value.(*bucket).key)
	b.lru.Remove(e)
}

type clientIPKey struct{}

// ClientIP returns the address of the client of the request ctx belongs
// to, as put there by withClientIP, or "".
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}

// withClientIP puts the client's address in the request context: the
// peer's, or with trustForwardedFor the first of X-Forwarded-For, which
// only a proxy that overwrites the header makes trustworthy.
func withClientIP(trustForwardedFor bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := r.RemoteAddr
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = host
		}
		if fwd := r.Header.Get("X-Forwarded-For"); trustForwardedFor && fwd != "" {
			first, _, _ := strings.Cut(fwd, ",")
			addr = strings.TrimSpace(first)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientIPKey{}, clientID(addr))))
	})
}

// clientID normalizes an address; an IPv6 client is its /64, the block a
// single subscriber is usually given, so it cannot dodge limits by
// changing addresses within it.
func clientID(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}
