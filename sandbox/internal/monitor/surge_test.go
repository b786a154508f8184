package monitor

import (
	"io"
	"log/slog"
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
