package steps

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// How long a step waits for what the bank writes after it has answered.
const (
	// asyncWithin bounds the wait for audit records (the audit writer commits in
	// batches), alarms, metrics, event notices and lifecycle notices. 10 s: on a
	// two-core machine running several suites at once, 5 s was once not enough.
	asyncWithin = 10 * time.Second
	// notifyWithin bounds the wait for a notification to reach the app's receiver
	// (the bank's notifier delivers it, and retries, in the background).
	notifyWithin = 30 * time.Second
)

// eventually runs check until it succeeds or within has passed, and then returns its
// last error. Every step that reads state the bank writes asynchronously — audit
// records, alarms, metrics, notifications, notices — reads it through eventually: a
// bank may answer before that state is written (JR/T 0185-2020 does not ask it to wait),
// so a single read is a flake, not a verdict. Only checks that something *is* there
// retry; a check that something is absent reads once (waiting cannot prove absence).
func eventually(ctx context.Context, within time.Duration, check func() error) error {
	deadline := time.Now().Add(within)
	pause := 20 * time.Millisecond
	for {
		err := check()
		if err == nil {
			return nil
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("%w (still so after %s)", err, within)
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(min(pause, time.Until(deadline))):
		}
		pause = min(2*pause, 250*time.Millisecond)
	}
}
