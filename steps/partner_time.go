package steps

// Time and patience (JR/T 0185-2020 9.3.4/2, 10.1.2/2): every request's timestamp is the
// time it was sent — the bank observes each one, its skew from the bank's clock, and
// whether they advance with the calls — and a partner gives up on an answer that comes
// later than its documented limit (DRIVER.md: 5 s), reports, and never pays twice.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/cucumber/godog"

	"github.com/jr0185/harness/steps/driver"
)

// Bounds the partner is judged by (features/partner/DRIVER.md, "Time").
const (
	maxTimestampSkew = 10 * time.Second // a request's timestamp vs the bank's clock at receipt
	answerLimit      = 5 * time.Second  // give up on a bank answer after at most this
)

func registerPartnerTime(sc *godog.ScenarioContext) {
	sc.Step(`^(\d+) seconds pass$`, func(ctx context.Context, n int) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(n)*time.Second + 100*time.Millisecond):
			return nil
		}
	})
	sc.Step(`^every request the partner made carried a timestamp within 10 seconds of the bank's clock$`, partnerTimestampsCurrent)
	sc.Step(`^the partner's request timestamps advanced with its calls$`, partnerTimestampsAdvance)
	sc.Step(`^the bank will answer the partner's next call to "([a-z0-9.]+)" (\d+) seconds late$`, func(ctx context.Context, api string, secs int) error {
		pst(W(ctx)).marks["slow"] = time.Now()
		return injectPartnerFault(ctx, "slow", api, 1, map[string]any{"delay_ms": secs * 1000})
	})
	sc.Step(`^the partner gave up on the late answer within its 5-second limit and a 2-second margin$`, partnerGaveUp)
	sc.Step(`^once the bank has answered the late call, it had moved at most "([\d.]+)" from the user's first account, exactly that if the partner reported the payment made$`, partnerMovedAtMostOnce)
}

// partnerTimestampsCurrent: the bank received every request of the scenario within
// maxTimestampSkew of the time it carries.
func partnerTimestampsCurrent(ctx context.Context) error {
	obs, err := apiCalls(ctx)
	if err != nil {
		return err
	}
	for _, o := range obs {
		ts, err := strconv.ParseInt(o.Timestamp, 10, 64)
		if err != nil {
			return fmt.Errorf("%v carried no Unix-seconds timestamp (%q)", o, o.Timestamp)
		}
		if skew := time.Duration(o.TimestampSkewMS) * time.Millisecond; skew > maxTimestampSkew || skew < -maxTimestampSkew {
			return fmt.Errorf("%v carried timestamp %d, %v from the bank's clock (at most %v): timestamp each request when it is sent, from a synchronised clock", o, ts, skew.Round(time.Second), maxTimestampSkew)
		}
	}
	return nil
}

// partnerTimestampsAdvance: two requests the bank received 2 s or more apart carry
// timestamps at least 1 s apart, and no timestamp goes back by more than 1 s — a
// timestamp taken once and reused (at configure, per action, cached) fails.
func partnerTimestampsAdvance(ctx context.Context) error {
	obs, err := apiCalls(ctx)
	if err != nil {
		return err
	}
	sort.Slice(obs, func(i, j int) bool { return obs[i].Seq < obs[j].Seq })
	first, last := obs[0], obs[len(obs)-1]
	if last.Time.Sub(first.Time) < 2*time.Second {
		return fmt.Errorf("the scenario's calls span %v: judging timestamps needs 2 s or more", last.Time.Sub(first.Time).Round(time.Millisecond))
	}
	ts := func(o observation) int64 { n, _ := strconv.ParseInt(o.Timestamp, 10, 64); return n }
	for i := 1; i < len(obs); i++ {
		if ts(obs[i]) < ts(obs[i-1])-1 {
			return fmt.Errorf("%v carried timestamp %s, earlier than the one before it (%s)", obs[i], obs[i].Timestamp, obs[i-1].Timestamp)
		}
	}
	for _, a := range obs {
		for _, b := range obs {
			if b.Time.Sub(a.Time) >= 2*time.Second && ts(b)-ts(a) < 1 {
				return fmt.Errorf("the bank received %v %v after %v, yet both carry timestamp %s: the partner does not take the time when it sends a request",
					b, b.Time.Sub(a.Time).Round(time.Millisecond), a, a.Timestamp)
			}
		}
	}
	return nil
}

// partnerGaveUp: the scenario's last action (the one the late answer belonged to) ended
// within the partner's documented limit and a margin, whatever it answered.
func partnerGaveUp(ctx context.Context) error {
	s := pst(W(ctx))
	a, err := s.last()
	if err != nil {
		return err
	}
	took := a.End.Sub(a.Start)
	if limit := answerLimit + 2*time.Second; took > limit {
		return fmt.Errorf("the partner answered %s only after %v, waiting for a late bank answer: it must give up on an answer after at most %v and report it",
			a.Action, took.Round(time.Millisecond), answerLimit)
	}
	W(ctx).Note("the partner answered %s after %v (%s)", a.Action, took.Round(time.Millisecond), orOK(driver.Code(a.Err)))
	return nil
}

// lateCallAnswered waits (up to 20 s) until the bank has answered the call the slow
// fault delayed, so nothing of the scenario is still in flight when it is judged.
func lateCallAnswered(ctx context.Context) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		obs, err := seen(ctx)
		if err != nil {
			return err
		}
		for _, o := range obs {
			if o.Fault == "slow" {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("after 20 s the bank has still not answered the call it was told to answer late: did the partner send it?")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// partnerMovedAtMostOnce: once the late call is answered, the user's account moved by
// nothing or by the amount — by the amount if the partner reported the payment made
// (a retry with a new Idempotency-Key pays twice).
func partnerMovedAtMostOnce(ctx context.Context, amount string) error {
	if err := lateCallAnswered(ctx); err != nil {
		return err
	}
	s := pst(W(ctx))
	moved, want, err := debitMoved(ctx, amount)
	if err != nil {
		return err
	}
	after := s.truthBefore - moved
	made := false
	if a, err := s.last(); err == nil && a.Action == driver.FinishPayment && a.Err == nil {
		made = true
	}
	switch {
	case moved != 0 && moved != want:
		return fmt.Errorf("the user's account moved by %s (from %s to %s): a payment of %s was made more than once", yuan(moved), yuan(s.truthBefore), yuan(after), amount)
	case made && moved != want:
		return fmt.Errorf("the partner reported the payment made, but the user's account moved by %s, not %s", yuan(moved), amount)
	}
	W(ctx).Note("the user's account moved by %s; the partner reported the payment made: %v", yuan(moved), made)
	return nil
}
