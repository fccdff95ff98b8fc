package httpapi

import (
	"testing"
	"time"
)

// A bucket unused for long enough is forgotten, and one forgotten starts
// full again.
func TestBuckets_AnIdleBucketIsForgotten(t *testing.T) {
	t.Parallel()
	fast := RateLimit{Rate: 1000, Burst: 1} // refills in a millisecond
	b := newBuckets(RateLimits{Other: fast, IdleAfter: time.Second})
	key := bucketKey{user: 1}
	if wait := b.take(key, fast, time.Now()); wait != 0 {
		t.Fatalf("a new bucket is not full: wait %v", wait)
	}
	for deadline := time.Now().Add(10 * time.Second); b.lru.Len() > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("an idle bucket was never forgotten")
		}
	}
	if wait := b.take(key, fast, time.Now()); wait != 0 {
		t.Fatalf("a forgotten bucket does not start full: wait %v", wait)
	}
}

// Forgetting a bucket must forgive nothing: a bucket is kept for at least
// the time its limit takes to refill it from empty.
func TestBucketTTL_CoversTheSlowestRefill(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		limits RateLimits
		want   time.Duration
	}{
		{"no limits: ten minutes", RateLimits{}, 10 * time.Minute},
		{"fast limits: IdleAfter", RateLimits{IdleAfter: time.Minute, Other: RateLimit{Rate: 10, Burst: 30}}, time.Minute},
		{"a slow limit: its refill", RateLimits{PerIP: map[string]RateLimit{"signUp": {Rate: 5.0 / 3600, Burst: 5}}}, time.Hour},
		{"a disabled limit is no limit", RateLimits{PerUser: map[string]RateLimit{"postMessage": {Rate: 1e-9, Burst: 0}}}, 10 * time.Minute},
		{"a refill too long to count: never", RateLimits{LogInPerAccount: RateLimit{Rate: 1e-12, Burst: 10}}, 0},
		{"the defaults", DefaultRateLimits, 10 * time.Minute},
	} {
		if got := bucketTTL(c.limits); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// The buckets are bounded: past MaxBuckets the least recently used is
// dropped, and comes back full.
func TestBuckets_TheLeastRecentlyUsedIsDroppedPastMaxBuckets(t *testing.T) {
	t.Parallel()
	slow := RateLimit{Rate: 1.0 / 3600, Burst: 1}
	b := newBuckets(RateLimits{Other: slow, MaxBuckets: 2})
	now := time.Now()
	for user := range int64(3) {
		b.take(bucketKey{user: user}, slow, now)
	}
	if n := b.lru.Len(); n != 2 {
		t.Fatalf("%d buckets held, want 2", n)
	}
	if wait := b.take(bucketKey{user: 2}, slow, now); wait == 0 {
		t.Fatal("the most recent bucket was dropped")
	}
	if wait := b.take(bucketKey{user: 0}, slow, now); wait != 0 {
		t.Fatal("the least recently used bucket was kept")
	}
}
