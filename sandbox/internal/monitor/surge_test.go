package monitor

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"
)

// JR/T 0185-2020 10.1.1/2b: a surge of server-side failures raises one alarm.
func TestSurgeRaisesOneAlarm(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := NewAlarms(10, NewMetrics(), slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now })
	s := NewSurge(a, SurgeOptions{MinCalls: 4, Ratio: 0.5})
	for i, status := range []int{200, 503, 200, 503, 503, 503} {
		s.Observe("A", "api", status, now.Add(time.Duration(i)*time.Second))
	}
	s.Observe("B", "api", 200, now)
	got := a.Recent(0, "")
	if len(got) != 1 || got[0].Kind != "error-rate" || got[0].AppID != "A" {
		t.Fatalf("alarms = %+v, want one error-rate alarm for A", got)
	}
}

func TestSurgeIgnoresClientErrors(t *testing.T) {
	t.Parallel()
	now := time.Now()
	a := NewAlarms(10, NewMetrics(), slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now })
	s := NewSurge(a, SurgeOptions{MinCalls: 2})
	for i := 0; i < 5; i++ {
		s.Observe("A", "api", 400, now)
	}
	if got := a.Recent(0, ""); len(got) != 0 {
		t.Fatalf("client errors raised %+v", got)
	}
}

// surgeReference is the rule as first written (recount the whole window per call): the
// queue must give the same alarms for calls in time order.
type surgeReference struct {
	opts      SurgeOptions
	calls     []surgeCall
	lastAlarm time.Time
}

func (r *surgeReference) observe(status int, now time.Time) (trip bool, failed, n int) {
	keep := r.calls[:0]
	for _, c := range r.calls {
		if now.Sub(c.at) < r.opts.Window {
			keep = append(keep, c)
		}
	}
	r.calls = append(keep, surgeCall{at: now, failed: status >= 500})
	for _, c := range r.calls {
		if c.failed {
			failed++
		}
	}
	n = len(r.calls)
	trip = n >= r.opts.MinCalls && float64(failed) >= r.opts.Ratio*float64(n) &&
		(r.lastAlarm.IsZero() || now.Sub(r.lastAlarm) >= r.opts.Cooldown)
	if trip {
		r.lastAlarm = now
	}
	return trip, failed, n
}

func TestSurgeMatchesRecount(t *testing.T) {
	t.Parallel()
	opts := SurgeOptions{Window: 10 * time.Second, MinCalls: 5, Ratio: 0.4, Cooldown: 3 * time.Second}.withDefaults()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := NewAlarms(100000, NewMetrics(), slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now })
	s := NewSurge(a, opts)
	ref := &surgeReference{opts: opts}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		now = now.Add(time.Duration(rng.IntN(int(200 * time.Millisecond)))) // ties included
		status := 200
		if rng.IntN(3) == 0 {
			status = 503
		}
		before := len(a.Recent(0, ""))
		s.Observe("A", "api", status, now)
		trip, failed, n := ref.observe(status, now)
		w := s.keys[[2]string{"A", "api"}]
		if w.failed != failed || w.len() != n {
			t.Fatalf("call %d: window %d failed of %d, recount %d of %d", i, w.failed, w.len(), failed, n)
		}
		if raised := len(a.Recent(0, "")) > before; raised != trip {
			t.Fatalf("call %d: alarm raised %v, recount %v", i, raised, trip)
		}
	}
}

// A sandbox clock reset (the clock goes back) neither panics nor lets the window grow.
func TestSurgeClockGoesBack(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := NewAlarms(10, NewMetrics(), slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now })
	s := NewSurge(a, SurgeOptions{Window: time.Second})
	at := now
	for i := 0; i < 10000; i++ {
		step := 10 * time.Millisecond
		switch i % 1000 {
		case 0:
			step = -time.Hour // reset
		case 500:
			step = -500 * time.Millisecond // within the window
		}
		at = at.Add(step)
		s.Observe("A", "api", 200, at)
		if w := s.keys[[2]string{"A", "api"}]; w.len() > 200 || len(w.calls) > 2*200+surgeCompactAt {
			t.Fatalf("call %d: %d calls in the window (%d kept)", i, w.len(), len(w.calls))
		}
	}
}
