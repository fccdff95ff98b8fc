// Package pump runs work on demand on short-lived goroutines. A subscription
// that waits for events on a goroutine of its own keeps that goroutine, and
// its stack, for as long as it is open; one that is pumped holds none while
// nothing happens, which is what makes idle connections cheap.
package pump

import "sync"

// Pump calls its function on a goroutine of its own each time it is kicked,
// one call at a time: kicks during a call make one more call after it, so
// no kick is missed and none runs concurrently with another.
type Pump struct {
	fn func()

	mu      sync.Mutex
	running bool
	again   bool
}

// New returns a pump of fn; nothing runs until the first Kick.
func New(fn func()) *Pump { return &Pump{fn: fn} }

// Kick makes the pump call its function soon. It never blocks.
func (p *Pump) Kick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		p.again = true
		return
	}
	p.running = true
	go p.run()
}

func (p *Pump) run() {
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
