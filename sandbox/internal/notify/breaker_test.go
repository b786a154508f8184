package notify

import (
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name    string
		answers []bool // recorded in order at t0
		at      time.Duration
		allowed bool
	}{
		{"closed/new endpoint", nil, 0, true},
		{"closed/two failures in a row", []bool{false, false}, 0, true},
		{"open/three failures in a row", []bool{false, false, false}, 0, false},
		{"open/just inside the first pause", []bool{false, false, false}, breakerPause - time.Millisecond, false},
		{"half open/at the end of the pause", []bool{false, false, false}, breakerPause, true},
		{"closed/an answer resets the count", []bool{false, false, true, false, false}, 0, true},
		{"open/a failed half-open try doubles the pause", []bool{false, false, false, false}, 2*breakerPause - time.Millisecond, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var b breaker
			for _, ok := range tc.answers {
				b.record(t0, ok)
			}
			if got := b.allow(t0.Add(tc.at)); got != tc.allowed {
				t.Errorf("allow = %v, want %v", got, tc.allowed)
			}
		})
	}
}
