package chat

import (
	"context"
	"sync/atomic"
	"time"
)

// Viewer is the authenticated caller of a request.
type Viewer struct {
	UserID    int64
	SessionID int64
	ExpiresAt time.Time
}

type viewerKey struct{}

// viewerSlot holds the viewer of one operation. It can change once within
// the operation: after signUp or logIn, the rest of the response (the
// payload's user and its fields) is resolved as the new user.
type viewerSlot struct{ v atomic.Pointer[Viewer] }

// WithViewer returns a context carrying v. The transports call it once per
// request, connection and operation.
func WithViewer(ctx context.Context, v *Viewer) context.Context {
	slot := &viewerSlot{}
	slot.v.Store(v)
	return context.WithValue(ctx, viewerKey{}, slot)
}

// ViewerFrom returns the viewer in ctx, or nil for anonymous callers.
func ViewerFrom(ctx context.Context) *Viewer {
	if slot, _ := ctx.Value(viewerKey{}).(*viewerSlot); slot != nil {
		return slot.v.Load()
	}
	return nil
}

// loggedIn makes v the viewer for the rest of the operation in ctx.
func loggedIn(ctx context.Context, v *Viewer) {
	if slot, _ := ctx.Value(viewerKey{}).(*viewerSlot); slot != nil {
		slot.v.Store(v)
	}
}

// requireViewer returns the viewer or UNAUTHENTICATED.
func requireViewer(ctx context.Context) (*Viewer, error) {
	v := ViewerFrom(ctx)
	if v == nil {
		return nil, errUnauthenticated
	}
	return v, nil
}
