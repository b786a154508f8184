package risk

import (
	"testing"
	"time"
)

// JR/T 0185-2020 10.2.1/2: a surge of business failures throttles that App_ID only.
func TestWatcherThrottlesTheAbnormalApp(t *testing.T) {
	t.Parallel()
	w := NewWatcher(Options{Threshold: 3, Window: time.Minute, ThrottleFor: 5 * time.Minute})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w.Observe("A", false, now) // successes do not count
	for i := 0; i < 2; i++ {
		if _, tripped := w.Observe("A", true, now); tripped {
			t.Fatal("tripped below the threshold")
		}
	}
	w.Observe("B", true, now)
	trip, tripped := w.Observe("A", true, now)
	if !tripped || trip.AppID != "A" || trip.Failures != 3 {
		t.Fatalf("trip = %+v, %v; want App_ID A after 3 failures", trip, tripped)
	}
	if _, ok := w.Throttled("A", now.Add(time.Minute)); !ok {
		t.Error("A is not throttled")
	}
	if _, ok := w.Throttled("B", now); ok {
		t.Error("B is throttled though it failed once")
	}
	if _, ok := w.Throttled("A", now.Add(6*time.Minute)); ok {
		t.Error("the throttle outlived ThrottleFor")
	}
}

func TestWatcherForgetsOldFailures(t *testing.T) {
	t.Parallel()
	w := NewWatcher(Options{Threshold: 2, Window: time.Minute})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w.Observe("A", true, now)
	if _, tripped := w.Observe("A", true, now.Add(2*time.Minute)); tripped {
		t.Fatal("failures outside the window tripped the rule")
	}
}

func TestEventsAreKeptPerApp(t *testing.T) {
	t.Parallel()
	w := NewWatcher(Options{MaxEvents: 2})
	for i := 0; i < 3; i++ {
		w.Record(Event{AppID: "A", Kind: "risk.throttled"})
	}
	if got := w.Events("A"); len(got) != 2 || got[1].ID != "EVT000003" {
		t.Fatalf("Events(A) = %+v, want the last two", got)
	}
	if got := w.Events("B"); len(got) != 0 {
		t.Fatalf("Events(B) = %+v, want none", got)
	}
}
