// Package clock is the sandbox's injected time source. The sandbox clock can be advanced
// (test controls: token, consent and key expiry without waiting); production code never
// calls time.Now directly.
package clock

import (
	"sync"
	"sync/atomic"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// Sandbox is the real clock plus an adjustable offset. Safe for concurrent use.
type Sandbox struct {
	offset atomic.Int64 // nanoseconds
}

// New returns a sandbox clock with no offset.
func New() *Sandbox { return &Sandbox{} }

// Now returns wall time plus the offset.
func (c *Sandbox) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Advance moves the clock forward (or back, for negative d) and returns the new offset.
func (c *Sandbox) Advance(d time.Duration) time.Duration {
	return time.Duration(c.offset.Add(int64(d)))
}

// Offset is the current offset from wall time.
func (c *Sandbox) Offset() time.Duration { return time.Duration(c.offset.Load()) }

// Reset returns the clock to wall time.
func (c *Sandbox) Reset() { c.offset.Store(0) }

// Manual is a clock that moves only when told to, for tests. Safe for concurrent use.
type Manual struct {
	mu sync.Mutex
	t  time.Time
}

// NewManual returns a manual clock stopped at t.
func NewManual(t time.Time) *Manual { return &Manual{t: t} }

// Now returns the clock's time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.t
}

// Advance moves the clock by d.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	m.t = m.t.Add(d)
	m.mu.Unlock()
}
