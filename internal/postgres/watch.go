package postgres

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// watcher sees every statement sent on a pool's connections, through
// GORM or straight through pgx alike, so that tests can count and check
// the SQL a request costs whichever way it was sent. Without watchers it
// costs a pointer load per statement.
type watcher struct {
	mu    sync.Mutex // serialises changes to funcs
	funcs atomic.Pointer[[]*func(sql string, args []any)]
}

func (w *watcher) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if fs := w.funcs.Load(); fs != nil {
		for _, f := range *fs {
			(*f)(data.SQL, data.Args)
		}
	}
	return ctx
}

func (*watcher) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// watchers maps each pool Open made to its watcher.
var watchers sync.Map // *sql.DB → *watcher

// Watch calls f with each statement later sent on db, a pool Open made,
// with its arguments (pipelined statements aside), until stop is called.
func Watch(db *sql.DB, f func(sql string, args []any)) (stop func()) {
	v, ok := watchers.Load(db)
	if !ok {
		panic("postgres.Watch: the pool was not opened by postgres.Open")
	}
	w := v.(*watcher)
	change := func(edit func([]*func(string, []any)) []*func(string, []any)) {
		w.mu.Lock()
		defer w.mu.Unlock()
		var list []*func(string, []any)
		if old := w.funcs.Load(); old != nil {
			list = slices.Clone(*old)
		}
		list = edit(list)
		w.funcs.Store(&list)
	}
	entry := &f
	change(func(l []*func(string, []any)) []*func(string, []any) { return append(l, entry) })
	return func() {
		change(func(l []*func(string, []any)) []*func(string, []any) {
			return slices.DeleteFunc(l, func(g *func(string, []any)) bool { return g == entry })
		})
	}
}
