// Package pump runs work on demand on short-lived goroutines. A subscription
// that waits for events on a goroutine of its own keeps that goroutine, and
// its stack, for as long as it is open; one that is pumped holds none while
// nothing happens, which is what makes idle connections cheap.
//
// A goroutine that finished its work waits a moment (workerIdle) for more,
// from any pump: an event for a chat of 1,000 members kicks 2,000 pumps at
// once, and a fresh goroutine for each would grow 2,000 stacks from 8 KiB
// (runtime.copystack was a tenth of the server's CPU in such a burst).
// Between bursts the waiting goroutines end, and idle connections hold none.
package pump

import (
	"sync"
	"time"
)

// workerIdle is how long a goroutine waits for more work before it ends.
const workerIdle = 2 * time.Second

// handoff passes work to a goroutine that waits for some: unbuffered, so
// that work goes only to one that is there to take it.
var handoff = make(chan func())

// spawn runs f on a waiting goroutine, or a new one.
func spawn(f func()) {
	select {
	case handoff <- f:
	default:
		go worker(f)
	}
}

func worker(f func()) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		f()
		idle.Reset(workerIdle)
		select {
		case f = <-handoff:
		case <-idle.C:
			return
		}
	}
}

// Pump calls its function on a goroutine of its own each time it is kicked,
// one call at a time: kicks during a call make one more call after it, so
// no kick is missed and none runs concurrently with another.
type Pump struct {
	fn  func()
	run func() // p.loop, bound once

	mu      sync.Mutex
	running bool
	again   bool
}

// New returns a pump of fn; nothing runs until the first Kick.
func New(fn func()) *Pump {
	p := &Pump{fn: fn}
	p.run = p.loop
	return p
}

// Kick makes the pump call its function soon. It never blocks.
func (p *Pump) Kick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		p.again = true
		return
	}
	p.running = true
	spawn(p.run)
}

// Run calls the function at once on the caller's goroutine, unless a call
// is running: that call is then followed by one more, as after a Kick. It
// is for a caller whose goroutine would otherwise only wait for the call:
// one goroutine handing work to another costs a wake-up and a switch.
func (p *Pump) Run() {
	p.mu.Lock()
	if p.running {
		p.again = true
		p.mu.Unlock()
		return
	}
	p.running = true
	p.mu.Unlock()
	p.loop()
}

func (p *Pump) loop() {
	for {
		p.fn()
		p.mu.Lock()
		if !p.again {
			p.running = false
			p.mu.Unlock()
			return
		}
		p.again = false
		p.mu.Unlock()
	}
}
