package sdk

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Resilience configures retries and the circuit breaker. Zero values take defaults.
type Resilience struct {
	// MaxAttempts for a retryable request (GET, or any request with an
	// Idempotency-Key): the first try plus retries. Default 3; 1 disables retries.
	MaxAttempts int
	// BaseBackoff is the first retry delay, doubled each time, with jitter. Default 200ms.
	BaseBackoff time.Duration
	// MaxBackoff caps a delay, including one asked for by Retry-After. Default 5s.
	MaxBackoff time.Duration
	// FailureThreshold consecutive failures (transport errors, 5xx, 429) open the
	// circuit. Default 5.
	FailureThreshold int
	// OpenFor is how long an open circuit refuses calls before one trial. Default 30s.
	OpenFor time.Duration
}

func (r Resilience) withDefaults() Resilience {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = 3
	}
	if r.BaseBackoff <= 0 {
		r.BaseBackoff = 200 * time.Millisecond
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = 5 * time.Second
	}
	if r.FailureThreshold <= 0 {
		r.FailureThreshold = 5
	}
	if r.OpenFor <= 0 {
		r.OpenFor = 30 * time.Second
	}
	return r
}

// ErrCircuitOpen is returned without calling the bank while the circuit is open
// (JR/T 0185-2020 10.1.2/2a: 熔断 — stop calling after repeated failures instead of
// hammering the bank).
var ErrCircuitOpen = errors.New("sdk: circuit open after repeated failures; not calling the bank")

// breaker is a consecutive-failure circuit breaker with a single half-open trial.
type breaker struct {
	mu        sync.Mutex
	failures  int
	openUntil time.Time
	trial     bool
}

// allow reports whether a call may go out now.
func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.openUntil.IsZero() {
		return true
	}
	if now.Before(b.openUntil) || b.trial {
		return false
	}
	b.trial = true // half-open: one call decides
	return true
}

func (b *breaker) record(ok bool, now time.Time, r Resilience) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok {
		b.failures, b.openUntil, b.trial = 0, time.Time{}, false
		return
	}
	b.failures++
	if b.trial || b.failures >= r.FailureThreshold {
		b.openUntil, b.trial = now.Add(r.OpenFor), false
	}
}

// CircuitOpen reports whether the breaker is refusing calls now.
func (c *Client) CircuitOpen() bool {
	c.brk.mu.Lock()
	defer c.brk.mu.Unlock()
	return !c.brk.openUntil.IsZero() && c.cfg.Now().Before(c.brk.openUntil)
}

// failed says whether an outcome counts against the circuit.
func failed(r *Response, err error) bool {
	if err != nil {
		return !errors.Is(err, ErrIntegrity) && !errors.Is(err, context.Canceled)
	}
	return r.Status >= 500 || r.Status == http.StatusTooManyRequests
}

// retryable says whether an outcome of a retryable request should be tried again.
func retryable(r *Response, err error) bool {
	if err != nil {
		return !errors.Is(err, ErrIntegrity) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	switch r.Status {
	case http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	case http.StatusConflict:
		return strings.Contains(string(r.Body), "IDEMPOTENCY_IN_PROGRESS")
	}
	return false
}

// delay is the wait before retry n (1-based), honouring Retry-After.
func (c *Client) delay(n int, r *Response) time.Duration {
	res := c.cfg.Resilience
	d := res.BaseBackoff << (n - 1)
	if r != nil {
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err == nil && s > 0 {
			d = time.Duration(s) * time.Second
		}
	}
	if d > res.MaxBackoff {
		d = res.MaxBackoff
	}
	return d/2 + rand.N(d/2+1) // #nosec G404 -- jitter, not security
}
