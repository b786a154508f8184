package steps

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEventually(t *testing.T) {
	t.Parallel()
	notYet := errors.New("the audit log has no record of the call")
	t.Run("passes once the state is written, after failed reads", func(t *testing.T) {
		t.Parallel()
		reads := 0
		err := eventually(context.Background(), 2*time.Second, func() error {
			if reads++; reads < 4 {
				return notYet
			}
			return nil
		})
		if err != nil || reads != 4 {
			t.Errorf("eventually = %v after %d reads, want nil after 4", err, reads)
		}
	})
	t.Run("fails with the last error once the deadline passed", func(t *testing.T) {
		t.Parallel()
		start, reads := time.Now(), 0
		err := eventually(context.Background(), 300*time.Millisecond, func() error { reads++; return notYet })
		if !errors.Is(err, notYet) || !strings.Contains(err.Error(), "still so after 300ms") {
			t.Errorf("eventually = %v, want the last error and the wait", err)
		}
		if took := time.Since(start); took < 300*time.Millisecond || reads < 2 {
			t.Errorf("gave up after %s and %d reads, want no earlier than 300ms and more than one read", took, reads)
		}
	})
	t.Run("stops when the scenario's context ends", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := eventually(ctx, time.Minute, func() error { return notYet })
		if !errors.Is(err, context.Canceled) || !errors.Is(err, notYet) {
			t.Errorf("eventually = %v, want the read's error and context.Canceled", err)
		}
	})
}
