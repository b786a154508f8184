package sdk

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/jr0185/harness/sandbox/protocol"
)

// scripted is a bank stand-in that answers with scripted statuses, signing every
// answer with its SM2 key the way the bank does, and records what it received.
type scripted struct {
	key      *sm2.PrivateKey
	statuses []int
	calls    atomic.Int64
	mu       sync.Mutex
	nonces   []string
	keys     []string
	badSig   bool
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(s.calls.Add(1)) - 1
	cr, _ := protocol.ParseAuthorization(r.Header.Get("Authorization"))
	s.mu.Lock()
	s.nonces = append(s.nonces, cr.Nonce)
	s.keys = append(s.keys, r.Header.Get("Idempotency-Key"))
	s.mu.Unlock()
	status := s.statuses[min(n, len(s.statuses)-1)]
	body := []byte(`{"ok":true}`)
	if status == 409 {
		body = []byte(`{"code":"IDEMPOTENCY_IN_PROGRESS"}`)
	}
	ts, nonce := protocol.Timestamp(time.Now()), protocol.NewNonce()
	sig, _ := protocol.SignSM2(s.key, protocol.ResponseStringToSign(ts, nonce, body))
	if s.badSig {
		sig, _ = protocol.SignSM2(s.key, []byte("something else"))
	}
	w.Header().Set(protocol.HeaderTimestamp, ts)
	w.Header().Set(protocol.HeaderNonce, nonce)
	w.Header().Set(protocol.HeaderSignature, sig)
	w.Header().Set(protocol.HeaderSerial, "01")
	if status == 429 {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func newScripted(t *testing.T, statuses ...int) (*scripted, *Client, *time.Time) {
	t.Helper()
	key, _ := sm2.GenerateKey(rand.Reader)
	s := &scripted{key: key, statuses: statuses}
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	now := time.Now()
	signKey, _ := sm2.GenerateKey(rand.Reader)
	c, err := New(Config{BaseURL: srv.URL, AppID: "APPTEST", SignKey: signKey, SignSerial: "1", HTTPClient: srv.Client(),
		BankKeys: map[string]*ecdsa.PublicKey{"01": &key.PublicKey}, Now: func() time.Time { return now },
		Resilience: Resilience{MaxAttempts: 3, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, FailureThreshold: 3, OpenFor: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	return s, c, &now
}

func TestRetries(t *testing.T) {
	t.Parallel()
	key := http.Header{"Idempotency-Key": {"order-1"}}
	tests := []struct {
		name      string
		statuses  []int
		method    string
		header    http.Header
		wantCalls int64
		wantCode  int
		maxWait   time.Duration // MaxBackoff (default 5ms)
		minTook   time.Duration
	}{
		{"retried/GET after two 503s", []int{503, 503, 200}, "GET", nil, 3, 200, 0, 0},
		{"retried/POST with key after 409 in progress", []int{409, 201}, "POST", key, 2, 201, 0, 0},
		{"retried/POST with key after 429 waits the whole Retry-After", []int{429, 201}, "POST", key, 2, 201, 2 * time.Second, time.Second},
		{"gives up/429 whose Retry-After is beyond MaxBackoff, rather than come back early", []int{429, 201}, "POST", key, 1, 429, 0, 0},
		{"not retried/POST without key", []int{503, 201}, "POST", nil, 1, 503, 0, 0},
		{"not retried/4xx answer", []int{422, 201}, "POST", key, 1, 422, 0, 0},
		{"gives up/after max attempts", []int{503}, "GET", nil, 3, 503, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, c, _ := newScripted(t, tc.statuses...)
			c.cfg.Resilience.MaxBackoff = 5 * time.Millisecond
			if tc.maxWait > 0 {
				c.cfg.Resilience.MaxBackoff = tc.maxWait
			}
			start := time.Now()
			r, err := c.Do(context.Background(), tc.method, "/a2/v1/payments", []byte(`{}`), tc.header)
			if err != nil || r.Status != tc.wantCode || s.calls.Load() != tc.wantCalls {
				t.Fatalf("status %v err %v calls %d; want %d after %d calls", r, err, s.calls.Load(), tc.wantCode, tc.wantCalls)
			}
			if took := time.Since(start); took < tc.minTook {
				t.Fatalf("retried after %v, before the Retry-After of %v", took, tc.minTook)
			}
			seen := map[string]bool{}
			for i, n := range s.nonces {
				if seen[n] {
					t.Fatal("a retry reused a nonce")
				}
				seen[n] = true
				if s.keys[i] != tc.header.Get("Idempotency-Key") {
					t.Fatal("a retry changed the idempotency key")
				}
			}
		})
	}
}

func TestIntegrityFailureIsNeverRetried(t *testing.T) {
	t.Parallel()
	s, c, _ := newScripted(t, 200)
	s.badSig = true
	_, err := c.Do(context.Background(), "GET", "/a2/v1/accounts", nil, nil)
	if !errors.Is(err, ErrIntegrity) || s.calls.Load() != 1 {
		t.Fatalf("err %v after %d calls; want ErrIntegrity after 1", err, s.calls.Load())
	}
}

func TestCircuitBreaker(t *testing.T) {
	t.Parallel()
	s, c, now := newScripted(t, 503, 503, 503, 503, 200)
	c.cfg.Resilience.MaxAttempts = 1
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if r, err := c.Do(ctx, "GET", "/a1/v1/products", nil, nil); err != nil || r.Status != 503 {
			t.Fatalf("call %d: %v %v", i, r, err)
		}
	}
	if _, err := c.Do(ctx, "GET", "/a1/v1/products", nil, nil); !errors.Is(err, ErrCircuitOpen) || s.calls.Load() != 3 || !c.CircuitOpen() {
		t.Fatalf("after 3 failures: err %v, calls %d; want ErrCircuitOpen without a call", err, s.calls.Load())
	}
	*now = now.Add(2 * time.Minute) // the cool-down passes: one trial, which fails again
	if r, err := c.Do(ctx, "GET", "/a1/v1/products", nil, nil); err != nil || r.Status != 503 || s.calls.Load() != 4 {
		t.Fatalf("trial: %v %v calls %d", r, err, s.calls.Load())
	}
	if _, err := c.Do(ctx, "GET", "/a1/v1/products", nil, nil); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("a failed trial must reopen the circuit: %v", err)
	}
	*now = now.Add(2 * time.Minute) // next trial succeeds and closes it
	if r, err := c.Do(ctx, "GET", "/a1/v1/products", nil, nil); err != nil || r.Status != 200 || c.CircuitOpen() {
		t.Fatalf("successful trial: %v %v", r, err)
	}
}

// TestCircuitIsolatesAFailingEndpoint: the circuit of a failing interface opens while
// other interfaces stay in use (JR/T 0185-2020 10.1.2/2).
func TestCircuitIsolatesAFailingEndpoint(t *testing.T) {
	t.Parallel()
	s, c, _ := newScripted(t, 503, 503, 503, 200)
	c.cfg.Resilience.MaxAttempts = 1
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		_, _ = c.Do(ctx, "GET", "/a2/v1/accounts/ac_1f00/balance", nil, nil)
	}
	if _, err := c.Do(ctx, "GET", "/a2/v1/accounts/ac_2e00/balance?x=1", nil, nil); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("the balance endpoint (any account) must be refused after 3 failures: %v", err)
	}
	if !c.CircuitOpenFor("GET", "/a2/v1/accounts/ac_1f00/balance") || c.CircuitOpenFor("GET", "/a2/v1/accounts") {
		t.Fatal("only the failing endpoint's circuit is open")
	}
	if r, err := c.Do(ctx, "GET", "/a2/v1/accounts", nil, nil); err != nil || r.Status != 200 || s.calls.Load() != 4 {
		t.Fatalf("another endpoint stays in use: %v %v calls %d", r, err, s.calls.Load())
	}
}

func TestEndpointKey(t *testing.T) {
	for in, want := range map[string]string{
		"/a2/v1/accounts":                     "GET /a2/v1/accounts",
		"/a2/v1/accounts/ac_12ab/balance?x=1": "GET /a2/v1/accounts/{id}/balance",
		"/a2/v1/payments/PAY0001":             "GET /a2/v1/payments/{id}",
		"/a1/v2/products?page=2":              "GET /a1/v2/products",
	} {
		if got := EndpointKey("GET", in); got != want {
			t.Errorf("EndpointKey(%q) = %q, want %q", in, got, want)
		}
	}
}
