package pump

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPump_KicksDuringACallRunItOnceMoreAndNeverConcurrently(t *testing.T) {
	var inside, calls atomic.Int32
	var overlap atomic.Bool
	var p *Pump
	release := make(chan struct{})
	p = New(func() {
		if inside.Add(1) > 1 {
			overlap.Store(true)
		}
		if calls.Add(1) == 1 {
			<-release // hold the first call while others kick
		}
		inside.Add(-1)
	})
	p.Kick()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(p.Kick)
	}
	wg.Wait()
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // a third call would show by now
	if got := calls.Load(); got != 2 {
		t.Fatalf("calls = %d, want 2: the first, then one for all the kicks during it", got)
	}
	if overlap.Load() {
		t.Fatal("two calls ran at once")
	}
}

func TestPump_HoldsNoGoroutineWhenIdle(t *testing.T) {
	done := make(chan struct{}, 1)
	p := New(func() { done <- struct{}{} })
	for range 3 {
		p.Kick()
		<-done
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		p.mu.Lock()
		running := p.running
		p.mu.Unlock()
		if !running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the pump still runs after its work is done")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPump_RunCallsOnTheCallersGoroutineOrAfterTheRunningCall(t *testing.T) {
	var calls atomic.Int32
	release, inside := make(chan struct{}), make(chan struct{})
	var p *Pump
	p = New(func() {
		if calls.Add(1) == 1 {
			close(inside)
			<-release
		}
	})
	done := make(chan struct{})
	go func() { p.Run(); close(done) }() // the first call, held
	<-inside
	p.Run() // returns at once: the held call runs once more after it
	if got := calls.Load(); got != 1 {
		t.Fatalf("calls = %d while the first is held, want 1", got)
	}
	close(release)
	<-done // Run returns after the calls it made, the one it was asked for included
	if got := calls.Load(); got != 2 {
		t.Fatalf("calls = %d, want 2", got)
	}
}

func TestPump_WaitingGoroutinesEndWhenNothingComes(t *testing.T) {
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		New(wg.Done).Kick()
	}
	wg.Wait()
	// The goroutines that ran the calls wait for more work, then end:
	// pumps that nothing kicks hold none.
	deadline := time.Now().Add(workerIdle + 5*time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines %v after the calls, %d before", n, workerIdle+5*time.Second, before)
	}
}
