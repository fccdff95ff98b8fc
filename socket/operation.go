package socket

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/gqlchat/gqlchat/internal/pump"
	"github.com/gqlchat/gqlchat/internal/strictjson"
)

// operation is one running query, mutation or subscription of a connection.
type operation struct {
	c      *conn
	id     string
	ctx    context.Context
	cancel context.CancelFunc

	// A subscription's results are read on a pump, once per value its
	// stream says is ready.
	pump    *pump.Pump
	pending atomic.Int64
	mu      sync.Mutex
	next    graphql.ResponseHandler
	nextCtx context.Context
	done    bool
}

// start begins an operation; false ends the connection.
func (c *conn) start(m message) bool {
	if m.ID == "" {
		c.close(CloseBadMessage, "invalid message")
		return false
	}
	readStart := graphql.Now()
	params, ok := operationParams(m.Payload)
	if !ok {
		c.close(CloseBadMessage, "invalid "+m.Type+" payload")
		return false
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	if c.ops[m.ID] != nil {
		c.mu.Unlock()
		c.close(CloseDuplicateID, "subscriber for "+m.ID+" already exists")
		return false
	}
	if c.t.MaxOperationsPerConnection > 0 && len(c.ops) >= c.t.MaxOperationsPerConnection {
		c.mu.Unlock()
		c.sendError(m.ID, &gqlerror.Error{Message: "too many operations on this connection",
			Extensions: map[string]any{"code": "RATE_LIMITED"}})
		return true
	}
	ctx, cancel := context.WithCancel(c.ctx)
	op := &operation{c: c, id: m.ID, ctx: ctx, cancel: cancel}
	op.pump = pump.New(op.deliver)
	c.ops[m.ID] = op
	c.mu.Unlock()
	go op.run(params, m.Payload, readStart)
	return true
}

// stop ends an operation at the client's request: no complete follows.
func (c *conn) stop(id string) {
	c.mu.Lock()
	op := c.ops[id]
	delete(c.ops, id)
	c.mu.Unlock()
	if op != nil {
		op.cancel()
	}
}

// run parses and executes the operation. A query or mutation answers and
// completes here; a subscription opens its stream and returns.
func (op *operation) run(params *graphql.RawParams, payload json.RawMessage, start time.Time) {
	c := op.c
	var rc *graphql.OperationContext
	defer op.recover(&rc)
	ctx := graphql.StartOperationTrace(op.ctx)
	// encoding/json turned invalid UTF-8 into U+FFFD, which would be stored.
	var bad *strictjson.InvalidStringError
	if err := strictjson.Check(payload); errors.As(err, &bad) {
		c.sendError(op.id, c.exec.DispatchError(ctx, gqlerror.List{{Message: bad.Error(), Extensions: map[string]any{"code": "INVALID_UTF8"}}}).Errors...)
		op.finish(false)
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	params.Headers = c.headers
	rc, errs := c.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := c.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			c.sendError(op.id, resp.Errors...)
			op.finish(false)
			return
		}
		c.sendResponse(op.id, resp)
		op.finish(true)
		return
	}
	ctx = graphql.WithOperationContext(ctx, rc)
	var ready *readySignal
	if rc.Operation.Operation == ast.Subscription {
		ctx, ready = withReady(ctx, op.ready)
	}
	responses, ctx := c.exec.DispatchOperation(ctx, rc)
	if ready == nil || !ready.isOpened() {
		// A query or mutation, or a subscription answered at once (an
		// error, typically), or one whose resolver does not open its
		// stream through Stream: read it here to its end.
		for resp := responses(ctx); resp != nil; resp = responses(ctx) {
			c.sendResponse(op.id, resp)
		}
		op.finish(true)
		return
	}
	op.mu.Lock()
	op.next, op.nextCtx = responses, ctx
	op.mu.Unlock()
	op.pump.Kick()
}

// ready is called by the subscription's stream after each value it queues
// and once after it closes. The stream has nothing else to do meanwhile
// (it is its subscription's alone), so the value is sent on its goroutine.
func (op *operation) ready() {
	op.pending.Add(1)
	op.pump.Run()
}

// deliver sends the results the stream made ready; each is waiting on its
// channel, so reading it does not block.
func (op *operation) deliver() {
	var rc *graphql.OperationContext
	defer op.recover(&rc)
	op.mu.Lock()
	next, ctx, done := op.next, op.nextCtx, op.done
	op.mu.Unlock()
	if next == nil || done {
		return // not waiting yet: run kicks again once it is
	}
	rc = graphql.GetOperationContext(ctx)
	for op.pending.Load() > 0 {
		op.pending.Add(-1)
		resp := next(ctx)
		if resp == nil { // the stream ended, or the operation was stopped
			op.finish(true)
			return
		}
		op.c.sendResponse(op.id, resp)
	}
}

// finish ends the operation; complete tells the client, unless the client
// stopped it or the connection is closing.
func (op *operation) finish(complete bool) {
	op.mu.Lock()
	already := op.done
	op.done = true
	op.mu.Unlock()
	if already {
		return
	}
	c := op.c
	c.mu.Lock()
	current := c.ops[op.id] == op
	if current {
		delete(c.ops, op.id)
	}
	c.mu.Unlock()
	if complete && current && op.ctx.Err() == nil {
		c.write(message{ID: op.id, Type: typeComplete})
	}
	op.cancel()
}

// recover turns a panic of the operation into an error message, as
// gqlgen's transport does, and ends the operation.
func (op *operation) recover(rc **graphql.OperationContext) {
	r := recover()
	if r == nil {
		return
	}
	var err error = gqlerror.Errorf("internal server error")
	if *rc != nil {
		err = (*rc).Recover(op.ctx, r)
	}
	gerr, ok := err.(*gqlerror.Error)
	if !ok {
		gerr = &gqlerror.Error{Message: err.Error()}
	}
	op.c.sendError(op.id, gerr)
	op.finish(false)
}

func (c *conn) sendResponse(id string, resp *graphql.Response) {
	b := frames.Get().(*[]byte)
	*b = appendResult((*b)[:0], id, c.proto.next, resp)
	c.writeEncoded(*b) // the frame is written when Write returns: the buffer is free again
	frames.Put(b)
}

// frames are the buffers results are encoded into.
var frames = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func (c *conn) sendError(id string, errs ...*gqlerror.Error) {
	b, err := json.Marshal(errs)
	if err != nil {
		panic(err)
	}
	c.write(message{ID: id, Type: typeError, Payload: b})
}
