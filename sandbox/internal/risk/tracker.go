package risk

import (
	"sync"
	"time"
)

// Tracker counts failures per key (an App_ID) within a sliding window and locks a key
// whose failures within the window reach a limit: the rule of both the gateway's
// authentication lockout (JR/T 0185-2020 10.1.2/1b) and the abnormal-pattern throttle
// (10.2.1/2). The zero value is ready to use; safe for concurrent use.
type Tracker struct {
	mu   sync.Mutex
	keys map[string]*tracked
}

type tracked struct {
	times []time.Time // failures within the window, oldest first
	until time.Time   // locked before this
}

// Fail records a failure of key at now and returns the failures within window, this
// one included. When they reach limit and key is not locked already, it locks key until
// now+lockFor and forgets them (locked true).
func (t *Tracker) Fail(key string, now time.Time, limit int, window, lockFor time.Duration) (failures int, locked bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.keys == nil {
		t.keys = map[string]*tracked{}
	}
	k, ok := t.keys[key]
	if !ok {
		k = &tracked{}
		t.keys[key] = k
	}
	keep := k.times[:0]
	for _, x := range k.times {
		if now.Sub(x) < window {
			keep = append(keep, x)
		}
	}
	k.times = append(keep, now)
	if len(k.times) < limit || now.Before(k.until) {
		return len(k.times), false
	}
	failures = len(k.times)
	k.until, k.times = now.Add(lockFor), k.times[:0]
	return failures, true
}

// Locked reports whether key is locked at now, and until when.
func (t *Tracker) Locked(key string, now time.Time) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k, ok := t.keys[key]
	if !ok || !now.Before(k.until) {
		return time.Time{}, false
	}
	return k.until, true
}

// Forget drops key's failures and lock (a right answer ends a run of wrong ones).
func (t *Tracker) Forget(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, key)
}
