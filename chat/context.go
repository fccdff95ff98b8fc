package chat

import (
	"context"
	"time"
)

// Viewer is the authenticated caller of a request.
type Viewer struct {
	UserID    int64
	SessionID int64
	ExpiresAt time.Time
}

type viewerKey struct{}

// WithViewer returns a context carrying v. The HTTP middleware and the
// WebSocket init function call it once per request or connection.
func WithViewer(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFrom returns the viewer in ctx, or nil for anonymous callers.
func ViewerFrom(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey{}).(*Viewer)
	return v
}

// requireViewer returns the viewer or UNAUTHENTICATED.
func requireViewer(ctx context.Context) (*Viewer, error) {
	v := ViewerFrom(ctx)
	if v == nil {
		return nil, errUnauthenticated
	}
	return v, nil
}
