package payments

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

// consumeMark stands in for the consent layer: it writes a row in the payment's
// transaction (so the test can see whether that transaction committed) and counts calls.
func consumeMark(calls *atomic.Int64, key string, fail error) func(*sql.Tx) error {
	return func(tx *sql.Tx) error {
		calls.Add(1)
		if fail != nil {
			return fail
		}
		_, err := tx.Exec(`INSERT INTO meta (key, value) VALUES ($1, 'used')`, "consent:"+key)
		return err
	}
}

func TestCreateConfirmedCommitsPaymentConsentAndPostingTogether(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	payer, payee := e.user("zhangsan", 0), e.user("lisi", 0)
	before := e.balance(payer.Account)
	r := e.req(payer, payee, 1234)
	var calls atomic.Int64
	res, err := e.svc.CreateConfirmed(ctx, r, consumeMark(&calls, r.IdempotencyKey, nil))
	if err != nil || res.Replayed || res.Payment.Status != StatusSucceeded || res.Payment.PostingID == "" {
		t.Fatalf("CreateConfirmed = %+v, %v", res, err)
	}
	if got := e.balance(payer.Account); got != before-1234 {
		t.Fatalf("payer balance %d, want %d", got, before-1234)
	}
	if n := e.count(`SELECT COUNT(*) FROM meta WHERE key = $1`, "consent:"+r.IdempotencyKey); n != 1 {
		t.Fatal("the consent's use did not commit with the payment")
	}
	if n := e.count(`SELECT COUNT(*) FROM payment_notifications WHERE payment_id = $1`, res.Payment.ID); n != 1 {
		t.Fatalf("%d notifications", n)
	}
	// Until the HTTP layer stored its answer a duplicate is in flight; then a retry
	// replays it, without consuming again.
	if _, err := e.svc.CreateConfirmed(ctx, r, consumeMark(&calls, r.IdempotencyKey, nil)); code(err) != "IDEMPOTENCY_IN_PROGRESS" {
		t.Fatalf("duplicate before the response was stored: %v", err)
	}
	if err := e.svc.StoreResponse(ctx, r.AppID, r.IdempotencyKey, 201, nil, []byte(`{"first":true}`)); err != nil {
		t.Fatal(err)
	}
	again, err := e.svc.CreateConfirmed(ctx, r, consumeMark(&calls, r.IdempotencyKey, nil))
	if err != nil || !again.Replayed || again.Payment.ID != res.Payment.ID || again.Response == nil ||
		string(again.Response.Body) != `{"first":true}` || calls.Load() != 1 {
		t.Fatalf("replay = %+v, %v; consume called %d times", again, err, calls.Load())
	}
	e.invariants()
}

// A refused consent leaves nothing behind: no payment, no reservation, no posting; a
// retry with the same key can then succeed.
func TestCreateConfirmedRefusedConsentWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	r := e.req(e.user("zhangsan", 0), e.user("lisi", 0), 500)
	var calls atomic.Int64
	_, err := e.svc.CreateConfirmed(ctx, r, consumeMark(&calls, r.IdempotencyKey, problem.ConsentUsed))
	if code(err) != "CONSENT_USED" {
		t.Fatalf("err = %v, want the consume error", err)
	}
	for _, q := range []string{`SELECT COUNT(*) FROM payments`, `SELECT COUNT(*) FROM idempotency_keys`,
		`SELECT COUNT(*) FROM payment_notifications`, `SELECT COUNT(*) FROM postings WHERE kind = 'payment'`} {
		if n := e.count(q); n != 0 {
			t.Fatalf("%s = %d after a refused consent", q, n)
		}
	}
	res, err := e.svc.CreateConfirmed(ctx, r, consumeMark(&calls, r.IdempotencyKey, nil))
	if err != nil || res.Replayed || res.Payment.Status != StatusSucceeded {
		t.Fatalf("retry = %+v, %v", res, err)
	}
	e.invariants()
}

// A refusal at execution (magic 0.13: insufficient funds) is recorded as a failed
// payment, with the consent used, and moves no money.
func TestCreateConfirmedFailureAtExecutionIsRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	payer := e.user("zhangsan", 0)
	before := e.balance(payer.Account)
	r := e.req(payer, e.user("lisi", 0), MagicInsufficientFundsFen)
	var calls atomic.Int64
	res, err := e.svc.CreateConfirmed(ctx, r, consumeMark(&calls, r.IdempotencyKey, nil))
	if err != nil || res.Payment.Status != StatusFailed || res.Payment.FailureCode != "INSUFFICIENT_FUNDS" {
		t.Fatalf("CreateConfirmed = %+v, %v", res, err)
	}
	if e.balance(payer.Account) != before {
		t.Fatal("a failed payment moved money")
	}
	if n := e.count(`SELECT COUNT(*) FROM meta WHERE key = $1`, "consent:"+r.IdempotencyKey); n != 1 {
		t.Fatal("the consent's use was not recorded with the failed payment")
	}
	if n := e.count(`SELECT COUNT(*) FROM payment_notifications WHERE payment_id = $1 AND status = 'failed'`, res.Payment.ID); n != 1 {
		t.Fatalf("%d failure notifications", n)
	}
	e.invariants()
}

// Concurrent duplicates through group commit: one payment, one consent use, every
// other request told the first is in flight (or, once it is done, a replay).
func TestCreateConfirmedConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	r := e.req(e.user("zhangsan", 0), e.user("lisi", 0), 100)
	const n = 8
	var (
		wg       sync.WaitGroup
		calls    atomic.Int64
		created  atomic.Int64
		mu       sync.Mutex
		outcomes = map[string]int{}
		start    = make(chan struct{})
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := e.svc.CreateConfirmed(ctx, r, consumeMark(&calls, r.IdempotencyKey, nil))
			if err == nil && !res.Replayed {
				created.Add(1)
			}
			mu.Lock()
			outcomes[code(err)]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if created.Load() != 1 || calls.Load() != 1 || outcomes[""]+outcomes["IDEMPOTENCY_IN_PROGRESS"] != n {
		t.Fatalf("created %d, consumed %d, outcomes %v", created.Load(), calls.Load(), outcomes)
	}
	if c := e.count(`SELECT COUNT(*) FROM postings WHERE kind = 'payment'`); c != 1 {
		t.Fatalf("%d payment postings", c)
	}
	e.invariants()
}

// Limits hold for payments created and executed in one transaction (checked once, at
// creation, counting pending payments too; 10.2.1/3).
func TestCreateConfirmedEnforcesDailyLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{UserDailyLimitFen: 1000})
	payer, payee := e.user("zhangsan", 0), e.user("lisi", 0)
	var calls atomic.Int64
	first := e.req(payer, payee, 600)
	if res, err := e.svc.CreateConfirmed(ctx, first, consumeMark(&calls, first.IdempotencyKey, nil)); err != nil || res.Payment.Status != StatusSucceeded {
		t.Fatalf("first: %+v, %v", res, err)
	}
	pending := e.create(e.req(payer, payee, 300)) // pending confirmation: counts too
	second := e.req(payer, payee, 200)
	if _, err := e.svc.CreateConfirmed(ctx, second, consumeMark(&calls, second.IdempotencyKey, nil)); code(err) != "LIMIT_EXCEEDED" {
		t.Fatalf("second: %v, want LIMIT_EXCEEDED (600 done + 300 pending + 200 > 1000)", err)
	}
	if n := e.count(`SELECT COUNT(*) FROM payments WHERE payment_id <> $1 AND status = 'succeeded'`, pending.ID); n != 1 {
		t.Fatalf("%d succeeded payments", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM meta WHERE key = $1`, "consent:"+second.IdempotencyKey); n != 0 {
		t.Fatal("a refused payment used its consent")
	}
	third := e.req(payer, payee, 100)
	if res, err := e.svc.CreateConfirmed(ctx, third, consumeMark(&calls, third.IdempotencyKey, nil)); err != nil || res.Payment.Status != StatusSucceeded {
		t.Fatalf("third (exactly at the limit): %+v, %v", res, err)
	}
	e.invariants()
}

// answerRecorder is an Answer whose Sign stamps each body with a serial number, so a
// test sees which signing produced the stored answer, and records what it rendered.
type answerRecorder struct {
	mu       sync.Mutex
	signed   []string // bodies signed, in order
	rendered []Status // statuses rendered
}

func (a *answerRecorder) answer() Answer {
	return Answer{
		Render: func(p Payment) (int, []byte, error) {
			a.mu.Lock()
			a.rendered = append(a.rendered, p.Status)
			a.mu.Unlock()
			return 201, []byte(`{"id":"` + p.ID + `","status":"` + string(p.Status) + `"}`), nil
		},
		Sign: func(status int, body []byte) (StoredResponse, error) {
			a.mu.Lock()
			defer a.mu.Unlock()
			a.signed = append(a.signed, string(body))
			return StoredResponse{Status: status, Headers: map[string]string{"X-Signing": string(rune('0' + len(a.signed)))}, Body: body}, nil
		},
	}
}

// The answer signed ahead for the expected outcome is the one stored, in the payment's
// own transaction: a retry replays it byte for byte with no StoreResponse call.
func TestCreateConfirmedAnsweredStoresTheAnswerSignedAhead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	r := e.req(e.user("zhangsan", 0), e.user("lisi", 0), 700)
	var calls atomic.Int64
	var a answerRecorder
	res, err := e.svc.CreateConfirmedAnswered(ctx, r, consumeMark(&calls, r.IdempotencyKey, nil), a.answer())
	if err != nil || res.Replayed || res.Payment.Status != StatusSucceeded || res.Response == nil {
		t.Fatalf("CreateConfirmedAnswered = %+v, %v", res, err)
	}
	want := `{"id":"` + res.Payment.ID + `","status":"succeeded"}`
	if len(a.signed) != 1 || a.signed[0] != want || string(res.Response.Body) != want || res.Response.Headers["X-Signing"] != "1" {
		t.Fatalf("signed %q, answer %+v; want one signing of %s", a.signed, res.Response, want)
	}
	if n := e.count(`SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = $1 AND state = 'done'`, r.IdempotencyKey); n != 1 {
		t.Fatal("the answer was not stored with the payment")
	}
	again, err := e.svc.CreateConfirmedAnswered(ctx, r, consumeMark(&calls, r.IdempotencyKey, nil), a.answer())
	if err != nil || !again.Replayed || again.Response == nil || string(again.Response.Body) != want ||
		again.Response.Headers["X-Signing"] != "1" || calls.Load() != 1 {
		t.Fatalf("replay = %+v, %v; consume called %d times", again, err, calls.Load())
	}
	e.invariants()
}

// When the outcome is not the one expected — a refusal at execution recorded as a failed
// payment — the answer is rendered from the actual payment and signed again.
func TestCreateConfirmedAnsweredSignsTheActualOutcomeWhenItDiffers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	r := e.req(e.user("zhangsan", 0), e.user("lisi", 0), MagicInsufficientFundsFen)
	var calls atomic.Int64
	var a answerRecorder
	res, err := e.svc.CreateConfirmedAnswered(ctx, r, consumeMark(&calls, r.IdempotencyKey, nil), a.answer())
	if err != nil || res.Payment.Status != StatusFailed || res.Response == nil {
		t.Fatalf("CreateConfirmedAnswered = %+v, %v", res, err)
	}
	want := `{"id":"` + res.Payment.ID + `","status":"failed"}`
	if len(a.signed) != 2 || a.signed[1] != want || string(res.Response.Body) != want || res.Response.Headers["X-Signing"] != "2" {
		t.Fatalf("signed %q, answer %+v; want the failed outcome signed second", a.signed, res.Response)
	}
	e.invariants()
}

// A refusal (here the consent already used) stores no answer and leaves the key
// free, as CreateConfirmed does; an Answer without its functions is a programming error.
func TestCreateConfirmedAnsweredRefusalStoresNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	payer := e.user("zhangsan", 0)
	r := e.req(payer, e.user("lisi", 0), 500)
	var calls atomic.Int64
	var a answerRecorder
	_, err := e.svc.CreateConfirmedAnswered(ctx, r, consumeMark(&calls, r.IdempotencyKey, problem.ConsentUsed), a.answer())
	if code(err) != "CONSENT_USED" {
		t.Fatalf("err = %v, want the consume error", err)
	}
	if n := e.count(`SELECT COUNT(*) FROM idempotency_keys`); n != 0 {
		t.Fatalf("%d idempotency keys after a refusal", n)
	}
	if _, err := e.svc.CreateConfirmedAnswered(ctx, r, consumeMark(&calls, r.IdempotencyKey, nil), Answer{}); code(err) != "INTERNAL_ERROR" {
		t.Fatalf("without an answer: %v", err)
	}
}
