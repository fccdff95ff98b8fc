package httpapi

import (
	"context"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/chat"
)

// A cap of zero or less caps nothing, as WebSocketOptions says; a cap
// above zero refuses the subscription past it, and gives its place back
// when the subscription ends.
func TestSubscriptionCaps_ZeroCapsNothing(t *testing.T) {
	uncapped := newSubscriptionCaps(0, 0)
	for i := range 3 {
		if err := uncapped.take(t.Context(), 1); err != nil {
			t.Fatalf("subscription %d under no cap: %v", i, err)
		}
	}
	capped := newSubscriptionCaps(1, 0)
	ctx, cancel := context.WithCancel(t.Context())
	if err := capped.take(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := capped.take(t.Context(), 1); chat.ErrorCode(err) != chat.CodeRateLimited {
		t.Fatalf("a second subscription over a cap of one: %v", err)
	}
	cancel() // the place comes back on the subscription's own goroutine
	for deadline := time.Now().Add(5 * time.Second); capped.take(t.Context(), 1) != nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the place was not given back")
		}
	}
}
