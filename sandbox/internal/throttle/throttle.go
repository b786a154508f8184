// Package throttle counts authentication failures per key (a client address) and
// shuts a key out for a while after too many: the operator's API cannot be guessed at
// (JR/T 0185-2020 10.1.2/1b: 对接口调用的异常行为进行监测……采取限制措施). It is
// safe for concurrent use and keeps at most MaxKeys keys.
package throttle

import (
	"sync"
	"time"
)

// Throttle is a failure counter with a shut-out. The zero value is not usable; set
// every field.
type Throttle struct {
	Max     int           // failures within Window that shut the key out
	Window  time.Duration // failures older than this are forgotten
	Penalty time.Duration // how long a key stays shut out after its last failure
	MaxKeys int           // keys tracked at most; the oldest are forgotten first

	mu   sync.Mutex
	keys map[string]*state
}

type state struct {
	fails []time.Time // within Window, oldest first
	until time.Time   // shut out until
	last  time.Time
}

// Blocked reports whether key is shut out at now, and for how much longer.
func (t *Throttle) Blocked(key string, now time.Time) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.keys[key]
	if st == nil || !now.Before(st.until) {
		return 0, false
	}
	return st.until.Sub(now), true
}

// Fail records a failure and reports whether it shut the key out (true once per
// episode: the failure that reached Max).
func (t *Throttle) Fail(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.keys == nil {
		t.keys = map[string]*state{}
	}
	st := t.keys[key]
	if st == nil {
		t.evict()
		st = &state{}
		t.keys[key] = st
	}
	st.last = now
	kept := st.fails[:0]
	for _, f := range st.fails {
		if now.Sub(f) < t.Window {
			kept = append(kept, f)
		}
	}
	st.fails = append(kept, now)
	if len(st.fails) < t.Max {
		return false
	}
	tripped := !now.Before(st.until) // a new episode, not a failure while shut out
	st.until = now.Add(t.Penalty)
	return tripped
}

// Succeed forgets a key's failures (a right answer ends the count).
func (t *Throttle) Succeed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, key)
}

// evict drops the least recently failing key when the map is full.
func (t *Throttle) evict() {
	if t.MaxKeys <= 0 || len(t.keys) < t.MaxKeys {
		return
	}
	var oldest string
	var at time.Time
	for k, st := range t.keys {
		if oldest == "" || st.last.Before(at) {
			oldest, at = k, st.last
		}
	}
	delete(t.keys, oldest)
}
