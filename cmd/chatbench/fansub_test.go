package main

import (
	"encoding/json"
	"testing"
	"time"
)

// deliverAll feeds the measured messages with the given sequence numbers
// of group g to a fresh subscriber of g.
func deliverAll(t *testing.T, g int, seqs ...int64) *fanSub {
	t.Helper()
	s := &fanSub{group: g, next: 1}
	for _, seq := range seqs {
		payload, _ := json.Marshal(map[string]any{"data": map[string]any{"messagePosted": map[string]any{
			"body": fanBody(g, seq, time.Now()),
		}}})
		if err := s.deliver(payload, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestCheck_AllInOrderPasses(t *testing.T) {
	g := &fanGroup{posted: 3, subs: []*fanSub{deliverAll(t, 0, 1, 2, 3), deliverAll(t, 0, 1, 2, 3)}}
	if v := check([]*fanGroup{g}); !v.ok() || v.deliveries != 6 {
		t.Fatalf("check = %+v, want ok with 6 deliveries", v)
	}
}

func TestCheck_LossDuplicateAndReorderFail(t *testing.T) {
	for name, seqs := range map[string][]int64{
		"missing last":  {1, 2},
		"gap":           {1, 3},
		"duplicate":     {1, 2, 2, 3},
		"out of order":  {1, 3, 2},
		"extra message": {1, 2, 3, 4},
	} {
		g := &fanGroup{posted: 3, subs: []*fanSub{deliverAll(t, 0, seqs...)}}
		if v := check([]*fanGroup{g}); v.ok() {
			t.Errorf("%s: check passed %v, want a failure", name, seqs)
		}
	}
}

func TestCheck_MessageOfAnotherGroupFails(t *testing.T) {
	s := deliverAll(t, 0, 1)
	payload, _ := json.Marshal(map[string]any{"data": map[string]any{"messagePosted": map[string]any{
		"body": fanBody(1, 2, time.Now()),
	}}})
	if err := s.deliver(payload, time.Now()); err != nil {
		t.Fatal(err)
	}
	if v := check([]*fanGroup{{posted: 1, subs: []*fanSub{s}}}); v.ok() || v.foreign != 1 {
		t.Fatalf("check = %+v, want a failure with one foreign message", v)
	}
}
