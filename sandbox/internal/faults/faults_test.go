package faults

import (
	"errors"
	"testing"
	"time"
)

func TestInject(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		spec Spec
		ok   bool
	}{
		{"accepted/backend-down on one API of one app", Spec{Kind: BackendDown, AppID: "A", APIID: "x"}, true},
		{"accepted/error-rate of one app", Spec{Kind: ErrorRate, AppID: "A", Rate: 0.5}, true},
		{"refused/no scope would take down everything", Spec{Kind: BackendDown}, false},
		{"refused/unknown kind", Spec{Kind: "meteor", AppID: "A"}, false},
		{"refused/rate above 1", Spec{Kind: ErrorRate, AppID: "A", Rate: 1.5}, false},
		{"refused/slow without delay", Spec{Kind: Slow, AppID: "A"}, false},
		{"refused/duration above an hour", Spec{Kind: BackendDown, AppID: "A", Duration: 7200}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := New(time.Now)
			_, err := r.Inject(c.spec)
			if c.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Fatalf("Inject(%+v) = %v, want ok %v", c.spec, err, c.ok)
			}
		})
	}
}

// JR/T 0185-2020 10.1.2/1: a fault behind one interface of one app hits only that.
func TestApplyIsolatesTheFault(t *testing.T) {
	t.Parallel()
	r := New(time.Now)
	if _, err := r.Inject(Spec{Kind: BackendDown, AppID: "A", APIID: "x"}); err != nil {
		t.Fatal(err)
	}
	if e := r.Apply("A", "x"); !e.Fail || !e.FirstHit {
		t.Errorf("the faulty interface answered: %+v", e)
	}
	if e := r.Apply("A", "x"); !e.Fail || e.FirstHit {
		t.Errorf("second call: %+v, want a failure that is not the first hit", e)
	}
	if e := r.Apply("A", "y"); e.Fail {
		t.Error("another interface of the app failed")
	}
	if e := r.Apply("B", "x"); e.Fail {
		t.Error("another app failed on the faulty interface")
	}
	r.IgnoreAPIScope = true
	if e := r.Apply("A", "y"); !e.Fail {
		t.Error("IgnoreAPIScope (the mutant) did not spread the fault")
	}
}

func TestErrorRateIsDeterministic(t *testing.T) {
	t.Parallel()
	r := New(time.Now)
	if _, err := r.Inject(Spec{Kind: ErrorRate, AppID: "A", Rate: 0.25}); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for i := 0; i < 20; i++ {
		if r.Apply("A", "x").Fail {
			failed++
		}
	}
	if failed != 5 {
		t.Fatalf("%d of 20 calls failed at rate 0.25, want 5", failed)
	}
}

func TestFaultsEnd(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := New(func() time.Time { return now })
	if _, err := r.Inject(Spec{Kind: BackendDown, AppID: "A", Count: 2}); err != nil {
		t.Fatal(err)
	}
	f, err := r.Inject(Spec{Kind: Slow, AppID: "B", DelayMS: 5, Duration: 60})
	if err != nil {
		t.Fatal(err)
	}
	r.Apply("A", "x")
	r.Apply("A", "x")
	if e := r.Apply("A", "x"); e.Fail {
		t.Error("a fault with count 2 affected a third call")
	}
	if d := r.Degraded(); len(d) != 0 {
		t.Errorf("Degraded() = %v after the only backend fault ended", d)
	}
	now = now.Add(61 * time.Second)
	if e := r.Apply("B", "x"); e.Delay != 0 {
		t.Error("a fault outlived its duration")
	}
	if r.Clear(f.ID) {
		t.Error("Clear reported an expired fault as active")
	}
	if _, err := r.Inject(Spec{Kind: BackendDown, AppID: "A", APIID: "x"}); err != nil {
		t.Fatal(err)
	}
	if n := r.ClearScope("A", ""); n != 1 || len(r.List()) != 0 {
		t.Errorf("ClearScope cleared %d, %d left", n, len(r.List()))
	}
}
