// Package clock is the sandbox's injected time source. The sandbox clock can be advanced
// (test controls: token, consent and key expiry without waiting); production code never
// calls time.Now directly.
package clock

import (
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

// Fixed is a clock stopped at T, for tests.
type Fixed struct{ T time.Time }

// Now returns T.
func (f Fixed) Now() time.Time { return f.T }
