package risk

import (
	"testing"
	"time"
)

// The zero Tracker works; a key locks once when its failures reach the limit, not again
// while locked, and unlocks after lockFor.
func TestTrackerLocksOnceAtTheLimit(t *testing.T) {
	t.Parallel()
	var tr Tracker
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, locked := tr.Locked("A", now); locked {
		t.Fatal("a key never seen is locked")
	}
	for i := 1; i <= 3; i++ {
		n, locked := tr.Fail("A", now, 3, time.Minute, time.Minute)
		if n != i || locked != (i == 3) {
			t.Fatalf("failure %d: %d, %v", i, n, locked)
		}
	}
	for i := 0; i < 3; i++ {
		if _, locked := tr.Fail("A", now, 3, time.Minute, time.Minute); locked {
			t.Fatal("locked again while locked")
		}
	}
	if until, locked := tr.Locked("A", now); !locked || !until.Equal(now.Add(time.Minute)) {
		t.Fatalf("Locked = %v, %v", until, locked)
	}
	if _, locked := tr.Locked("A", now.Add(time.Minute)); locked {
		t.Fatal("still locked after lockFor")
	}
}
