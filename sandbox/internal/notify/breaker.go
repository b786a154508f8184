package notify

import (
	"sync"
	"time"
)

// Breaker policy: after breakerTrips transport failures in a row an endpoint is not
// tried for a pause, breakerPause at first, doubling up to breakerMaxPause; then one
// notification is tried (half open): an answer closes the breaker, a failure opens it
// again for the next pause.
const (
	breakerTrips    = 3
	breakerPause    = 5 * time.Second
	breakerMaxPause = 5 * time.Minute
)

// breaker is one endpoint's circuit breaker.
type breaker struct {
	mu       sync.Mutex
	failures int // transport failures in a row
	pause    time.Duration
	until    time.Time // open until then
}

// allow reports whether a notification may be sent now.
func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !now.Before(b.until)
}

// record notes whether the endpoint answered.
func (b *breaker) record(now time.Time, answered bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if answered {
		b.failures, b.pause, b.until = 0, 0, time.Time{}
		return
	}
	b.failures++
	if b.failures < breakerTrips {
		return
	}
	b.pause = min(max(2*b.pause, breakerPause), breakerMaxPause)
	b.until = now.Add(b.pause)
}
