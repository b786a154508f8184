package payments

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"
)

func TestIdempotency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	body := []byte(`{"payment_id":"x","status":"pending_confirmation"}`)
	headers := map[string]string{"Content-Type": "application/json", "X-Bank-Signature": "sig", "X-Bank-Nonce": "n1"}
	tests := []struct {
		name string
		run  func(t *testing.T, e *env, r CreateRequest, first Payment)
	}{
		{"409/duplicate while the first is in flight", func(t *testing.T, e *env, r CreateRequest, _ Payment) {
			if _, err := e.svc.Create(ctx, r); code(err) != "IDEMPOTENCY_IN_PROGRESS" || status(err) != 409 {
				t.Fatalf("err = %v", err)
			}
		}},
		{"200/replay after the response was stored is byte-identical", func(t *testing.T, e *env, r CreateRequest, first Payment) {
			if err := e.svc.StoreResponse(ctx, r.AppID, r.IdempotencyKey, 201, headers, body); err != nil {
				t.Fatal(err)
			}
			// First write wins: a second StoreResponse changes nothing.
			if err := e.svc.StoreResponse(ctx, r.AppID, r.IdempotencyKey, 500, nil, []byte("other")); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ {
				res, err := e.svc.Create(ctx, r)
				if err != nil || !res.Replayed || res.Payment.ID != first.ID || res.Response == nil {
					t.Fatalf("replay = %+v, %v", res, err)
				}
				if res.Response.Status != 201 || !bytes.Equal(res.Response.Body, body) || res.Response.Headers["X-Bank-Signature"] != "sig" || len(res.Response.Headers) != 3 {
					t.Fatalf("stored response = %+v", res.Response)
				}
			}
			got, ok, err := e.svc.LookupResponse(ctx, r.AppID, r.IdempotencyKey)
			if err != nil || !ok || !bytes.Equal(got.Body, body) {
				t.Fatalf("LookupResponse = %+v, %v, %v", got, ok, err)
			}
		}},
		{"200/replay shows the payment's current state", func(t *testing.T, e *env, r CreateRequest, first Payment) {
			if err := e.svc.StoreResponse(ctx, r.AppID, r.IdempotencyKey, 201, headers, body); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Confirm(ctx, first.ID, r.CustomerID); err != nil {
				t.Fatal(err)
			}
			res, err := e.svc.Create(ctx, r)
			if err != nil || res.Payment.Status != StatusSucceeded {
				t.Fatalf("replay = %+v, %v", res.Payment.Status, err)
			}
		}},
		{"422/same key with a different body, in flight", func(t *testing.T, e *env, r CreateRequest, _ Payment) {
			r.AmountFen++
			if _, err := e.svc.Create(ctx, rehash(r)); code(err) != "IDEMPOTENCY_KEY_REUSED" || status(err) != 422 {
				t.Fatalf("err = %v", err)
			}
		}},
		{"422/same key with a different body, done", func(t *testing.T, e *env, r CreateRequest, _ Payment) {
			if err := e.svc.StoreResponse(ctx, r.AppID, r.IdempotencyKey, 201, headers, body); err != nil {
				t.Fatal(err)
			}
			r.PayeeName = "王二"
			if _, err := e.svc.Create(ctx, rehash(r)); code(err) != "IDEMPOTENCY_KEY_REUSED" {
				t.Fatalf("err = %v", err)
			}
		}},
		{"201/the same key at another app is another payment", func(t *testing.T, e *env, r CreateRequest, first Payment) {
			r.AppID = appB
			res, err := e.svc.Create(ctx, r)
			if err != nil || res.Replayed || res.Payment.ID == first.ID {
				t.Fatalf("res = %+v, %v", res, err)
			}
		}},
		{"200/first crashed while answering: replay without stored bytes after the lease", func(t *testing.T, e *env, r CreateRequest, first Payment) {
			e.clk.Advance(DefaultIdempotencyLease + time.Second)
			res, err := e.svc.Create(ctx, r)
			if err != nil || !res.Replayed || res.Payment.ID != first.ID || res.Response != nil {
				t.Fatalf("res = %+v, %v", res, err)
			}
			// The HTTP layer renders and stores it now; later replays get those bytes.
			if err := e.svc.StoreResponse(ctx, r.AppID, r.IdempotencyKey, 201, headers, body); err != nil {
				t.Fatal(err)
			}
			if res, _ := e.svc.Create(ctx, r); res.Response == nil || !bytes.Equal(res.Response.Body, body) {
				t.Fatalf("res = %+v", res)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			r := e.req(e.user("zhangsan", 0), e.user("lisi", 0), 100)
			first := e.create(r)
			tc.run(t, e, r, first)
			if n := e.count(`SELECT COUNT(*) FROM payments WHERE app_id = $1 AND idem_key = $2`, r.AppID, r.IdempotencyKey); n != 1 {
				t.Fatalf("%d payments for one key", n)
			}
		})
	}
}

func TestRefusedRequestFreesItsKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	r := e.req(e.user("zhangsan", 0), e.user("lisi", 0), 0)
	if _, err := e.svc.Create(ctx, r); code(err) != "PARAMETER_INVALID" {
		t.Fatalf("err = %v", err)
	}
	r.AmountFen = 100
	if res, err := e.svc.Create(ctx, rehash(r)); err != nil || res.Replayed {
		t.Fatalf("corrected retry: %+v, %v", res, err)
	}
}

func TestCrashedReservationExpires(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	r := e.req(e.user("zhangsan", 0), e.user("lisi", 0), 100)
	// A process reserved the key and died before creating anything.
	if res, err := e.svc.store.reserve(ctx, r.AppID, r.IdempotencyKey, r.RequestHash, e.clk.Now(), DefaultIdempotencyLease); err != nil || res.outcome != reserved {
		t.Fatalf("reserve = %+v, %v", res, err)
	}
	if _, err := e.svc.Create(ctx, r); code(err) != "IDEMPOTENCY_IN_PROGRESS" {
		t.Fatalf("within the lease: %v", err)
	}
	e.clk.Advance(DefaultIdempotencyLease + time.Second)
	res, err := e.svc.Create(ctx, r)
	if err != nil || res.Replayed || res.Payment.Status != StatusPendingConfirmation {
		t.Fatalf("after the lease: %+v, %v", res, err)
	}
}

func TestLateOriginalCannotCompleteATakenOverKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	r := e.req(e.user("zhangsan", 0), e.user("lisi", 0), 100)
	slow, err := e.svc.store.reserve(ctx, r.AppID, r.IdempotencyKey, r.RequestHash, e.clk.Now(), DefaultIdempotencyLease)
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(DefaultIdempotencyLease + time.Second)
	taken := e.create(r) // takes the expired reservation over
	// The slow original wakes up and tries to create its payment.
	if _, err := e.svc.create(ctx, r, slow.owner, e.clk.Now()); err != errLostReservation {
		t.Fatalf("late original: %v", err)
	}
	if n := e.count(`SELECT COUNT(*) FROM payments`); n != 1 {
		t.Fatalf("%d payments, want only %s", n, taken.ID)
	}
}

// TestConcurrentDuplicatesExactlyOneProceeds races goroutines on one key: exactly one
// creates the payment; every other one is told the first is in flight.
func TestConcurrentDuplicatesExactlyOneProceeds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	r := e.req(e.user("zhangsan", 0), e.user("lisi", 0), 100)
	const n = 8
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		created []string
		codes   = map[string]int{}
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := e.svc.Create(ctx, r)
			mu.Lock()
			defer mu.Unlock()
			if err == nil && !res.Replayed {
				created = append(created, res.Payment.ID)
			}
			codes[code(err)]++
		}()
	}
	close(start)
	wg.Wait()
	if len(created) != 1 || codes[""] != 1 || codes["IDEMPOTENCY_IN_PROGRESS"] != n-1 {
		t.Fatalf("created %v, outcomes %v", created, codes)
	}
	if c := e.count(`SELECT COUNT(*) FROM payments`); c != 1 {
		t.Fatalf("%d payments", c)
	}
}

func TestValidIdempotencyKey(t *testing.T) {
	t.Parallel()
	for k, want := range map[string]bool{
		"": false, "a": true, "550e8400-e29b-41d4-a716-446655440000": true, "order:42.retry_1": true,
		"with space": false, "引号": false, string(make([]byte, 65)): false, "x\n": false,
	} {
		if got := ValidIdempotencyKey(k); got != want {
			t.Errorf("ValidIdempotencyKey(%q) = %v", k, got)
		}
	}
}
