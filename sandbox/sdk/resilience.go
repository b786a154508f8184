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
	// FailureThreshold consecutive failures (transport errors, 5xx, 429) of one
	// endpoint open that endpoint's circuit. Default 5.
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

// breakers holds one circuit per endpoint (method and path with identifiers folded), so a
// failing interface is isolated and the others stay in use (JR/T 0185-2020 10.1.2/2:
// 故障识别与隔离).
type breakers struct {
	mu sync.Mutex
	m  map[string]*breaker
}

// maxCircuits bounds the endpoints tracked; beyond it they share one circuit per method.
const maxCircuits = 256

func (bs *breakers) get(method, pathWithQuery string) *breaker {
	key := EndpointKey(method, pathWithQuery)
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.m == nil {
		bs.m = map[string]*breaker{}
	}
	b, ok := bs.m[key]
	if !ok {
		if len(bs.m) >= maxCircuits {
			key = method + " *"
			if b, ok = bs.m[key]; ok {
				return b
			}
		}
		b = &breaker{}
		bs.m[key] = b
	}
	return b
}

// EndpointKey names the endpoint a request goes to, for its circuit: the method and the
// path without its query, every segment after the family and version (/a2/v1) that
// holds a digit — an account or payment id — folded to "{id}":
// GET /a2/v1/accounts/{id}/balance.
func EndpointKey(method, pathWithQuery string) string {
	path, _, _ := strings.Cut(pathWithQuery, "?")
	segs := strings.Split(path, "/")
	for i := 3; i < len(segs); i++ {
		if strings.ContainsAny(segs[i], "0123456789") {
			segs[i] = "{id}"
		}
	}
	return method + " " + strings.Join(segs, "/")
}

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

func (b *breaker) open(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.openUntil.IsZero() && now.Before(b.openUntil)
}

// CircuitOpen reports whether the circuit of any endpoint is refusing calls now.
func (c *Client) CircuitOpen() bool {
	c.brk.mu.Lock()
	list := make([]*breaker, 0, len(c.brk.m))
	for _, b := range c.brk.m {
		list = append(list, b)
	}
	c.brk.mu.Unlock()
	for _, b := range list {
		if b.open(c.cfg.Now()) {
			return true
		}
	}
	return false
}

// CircuitOpenFor reports whether the circuit of the endpoint a request would go to is
// refusing calls now.
func (c *Client) CircuitOpenFor(method, pathWithQuery string) bool {
	return c.brk.get(method, pathWithQuery).open(c.cfg.Now())
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

// delay is the wait before retry n (1-based). A Retry-After is a minimum: the wait is
// at least that long (plus up to a tenth of jitter), and when it is longer than
// MaxBackoff there is no retry at all (ok false) rather than one that comes back early.
func (c *Client) delay(n int, r *Response) (d time.Duration, ok bool) {
	res := c.cfg.Resilience
	if r != nil {
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err == nil && s > 0 {
			d = time.Duration(s) * time.Second
			if d > res.MaxBackoff {
				return 0, false
			}
			return d + rand.N(d/10+1), true // #nosec G404 -- jitter, not security
		}
	}
	d = res.BaseBackoff << (n - 1)
	if d > res.MaxBackoff {
		d = res.MaxBackoff
	}
	return d/2 + rand.N(d/2+1), true // #nosec G404 -- jitter, not security
}
