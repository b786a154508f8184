package faults

import (
	"errors"
	"testing"
	"time"
)

func TestInject(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		spec Spec
		ok   bool
	}{
		{"accepted/backend-down on one API of one app", Spec{Kind: BackendDown, AppID: "A", APIID: "x"}, true},
		{"accepted/error-rate of one app", Spec{Kind: ErrorRate, AppID: "A", Rate: 0.5}, true},
		{"refused/no scope would take down everything", Spec{Kind: BackendDown}, false},
		{"refused/unknown kind", Spec{Kind: "meteor", AppID: "A"}, false},
		{"refused/rate above 1", Spec{Kind: ErrorRate, AppID: "A", Rate: 1.5}, false},
		{"refused/slow without delay", Spec{Kind: Slow, AppID: "A"}, false},
		{"refused/duration above an hour", Spec{Kind: BackendDown, AppID: "A", Duration: 7200}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := New(time.Now)
			_, err := r.Inject(c.spec)
			if c.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Fatalf("Inject(%+v) = %v, want ok %v", c.spec, err, c.ok)
			}
		})
	}
}

// JR/T 0185-2020 10.1.2/1: a fault behind one interface of one app hits only that.
func TestApplyIsolatesTheFault(t *testing.T) {
	t.Parallel()
	r := New(time.Now)
	if _, err := r.Inject(Spec{Kind: BackendDown, AppID: "A", APIID: "x"}); err != nil {
		t.Fatal(err)
	}
	if e := r.Apply("A", "x"); !e.Fail || !e.FirstHit {
		t.Errorf("the faulty interface answered: %+v", e)
	}
	if e := r.Apply("A", "x"); !e.Fail || e.FirstHit {
		t.Errorf("second call: %+v, want a failure that is not the first hit", e)
	}
	if e := r.Apply("A", "y"); e.Fail {
		t.Error("another interface of the app failed")
	}
	if e := r.Apply("B", "x"); e.Fail {
		t.Error("another app failed on the faulty interface")
	}
	r.IgnoreAPIScope = true
	if e := r.Apply("A", "y"); !e.Fail {
		t.Error("IgnoreAPIScope (the mutant) did not spread the fault")
	}
}

func TestErrorRateIsDeterministic(t *testing.T) {
	t.Parallel()
	r := New(time.Now)
	if _, err := r.Inject(Spec{Kind: ErrorRate, AppID: "A", Rate: 0.25}); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for i := 0; i < 20; i++ {
		if r.Apply("A", "x").Fail {
			failed++
		}
	}
	if failed != 5 {
		t.Fatalf("%d of 20 calls failed at rate 0.25, want 5", failed)
	}
}

func TestFaultsEnd(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := New(func() time.Time { return now })
	if _, err := r.Inject(Spec{Kind: BackendDown, AppID: "A", Count: 2}); err != nil {
		t.Fatal(err)
	}
	f, err := r.Inject(Spec{Kind: Slow, AppID: "B", DelayMS: 5, Duration: 60})
	if err != nil {
		t.Fatal(err)
	}
	r.Apply("A", "x")
	r.Apply("A", "x")
	if e := r.Apply("A", "x"); e.Fail {
		t.Error("a fault with count 2 affected a third call")
	}
	if d := r.Degraded(); len(d) != 0 {
		t.Errorf("Degraded() = %v after the only backend fault ended", d)
	}
	now = now.Add(61 * time.Second)
	if e := r.Apply("B", "x"); e.Delay != 0 {
		t.Error("a fault outlived its duration")
	}
	if r.Clear(f.ID) {
		t.Error("Clear reported an expired fault as active")
	}
	if _, err := r.Inject(Spec{Kind: BackendDown, AppID: "A", APIID: "x"}); err != nil {
		t.Fatal(err)
	}
	if n := r.ClearScope("A", ""); n != 1 || len(r.List()) != 0 {
		t.Errorf("ClearScope cleared %d, %d left", n, len(r.List()))
	}
}

func TestPartnerKinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		spec      Spec
		wantErr   bool
		wantRetry int
	}{
		{"accepted/rate-limit defaults to Retry-After 1", Spec{Kind: RateLimit, AppID: "A"}, false, 1},
		{"accepted/rate-limit with Retry-After 60", Spec{Kind: RateLimit, AppID: "A", RetryAfter: 60}, false, 60},
		{"refused/rate-limit Retry-After above 60", Spec{Kind: RateLimit, AppID: "A", RetryAfter: 61}, true, 0},
		{"refused/rate-limit negative Retry-After", Spec{Kind: RateLimit, AppID: "A", RetryAfter: -1}, true, 0},
		{"refused/retry_after_seconds on another kind", Spec{Kind: TamperBody, AppID: "A", RetryAfter: 5}, true, 0},
		{"accepted/backend-down with Retry-After 1", Spec{Kind: BackendDown, AppID: "A", RetryAfter: 1}, false, 1},
		{"accepted/backend-down without Retry-After gets 5", Spec{Kind: BackendDown, AppID: "A"}, false, 5},
		{"refused/tamper-body scoped by API only", Spec{Kind: TamperBody, APIID: "x"}, true, 0},
		{"refused/lose-response without app_id", Spec{Kind: LoseResponse, APIID: "x"}, true, 0},
		{"accepted/strip-signature of one app", Spec{Kind: StripSignature, AppID: "A", Count: 1}, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := New(time.Now).Inject(c.spec)
			if c.wantErr != (err != nil) || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Fatalf("Inject(%+v) = %v", c.spec, err)
			}
			if err == nil && f.RetryAfter != c.wantRetry {
				t.Fatalf("retry_after_seconds %d, want %d", f.RetryAfter, c.wantRetry)
			}
		})
	}
}

func TestPartnerKindEffectsHonourCount(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind  Kind
		check func(Effect) bool
	}{
		{TamperBody, func(e Effect) bool { return e.Mangle == TamperBody }},
		{TamperSignature, func(e Effect) bool { return e.Mangle == TamperSignature }},
		{StripSignature, func(e Effect) bool { return e.Mangle == StripSignature }},
		{RateLimit, func(e Effect) bool { return e.Throttle && e.RetryAfter == 1 && !e.Fail }},
		{LoseResponse, func(e Effect) bool { return e.LoseResponse && !e.Fail }},
	}
	for _, c := range cases {
		t.Run(string(c.kind)+" changes count answers then ends", func(t *testing.T) {
			r := New(time.Now)
			if _, err := r.Inject(Spec{Kind: c.kind, AppID: "A", Count: 2}); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ {
				if e := r.Apply("A", "x"); !c.check(e) || e.Fault == nil {
					t.Fatalf("call %d: %+v", i, e)
				}
			}
			if e := r.Apply("A", "x"); e.Fault != nil || c.check(e) {
				t.Fatalf("third call still affected: %+v", e)
			}
			if len(r.Degraded()) != 0 {
				t.Fatal("a partner-suite fault marked the API degraded")
			}
		})
	}
}

func TestAdversaryKindsAndForgedErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		spec    Spec
		wantErr bool
	}{
		{"accepted/unknown-serial on one API of one app", Spec{Kind: UnknownSerial, AppID: "A", APIID: "x"}, false},
		{"accepted/retired-key on one app", Spec{Kind: RetiredKey, AppID: "A"}, false},
		{"refused/retired-key without app_id", Spec{Kind: RetiredKey, APIID: "x"}, true},
		{"accepted/forged CONSENT_REVOKED spoiled by tamper-body", Spec{Kind: TamperBody, AppID: "A", APIID: "x", Problem: "CONSENT_REVOKED"}, false},
		{"accepted/forged error spoiled by retired-key", Spec{Kind: RetiredKey, AppID: "A", Problem: "TOKEN_REVOKED"}, false},
		{"refused/problem on a kind that does not spoil", Spec{Kind: RateLimit, AppID: "A", Problem: "CONSENT_REVOKED"}, true},
		{"refused/problem on lose-response", Spec{Kind: LoseResponse, AppID: "A", Problem: "CONSENT_REVOKED"}, true},
		{"refused/problem that is not an error code", Spec{Kind: TamperBody, AppID: "A", Problem: "consent revoked"}, true},
		{"refused/problem on notifications", Spec{Kind: TamperBody, AppID: "A", APIID: NotificationAPI, Problem: "PAYMENT_REJECTED"}, true},
		{"accepted/strip-signature on notifications", Spec{Kind: StripSignature, AppID: "A", APIID: NotificationAPI}, false},
		{"refused/backend-down on notifications", Spec{Kind: BackendDown, AppID: "A", APIID: NotificationAPI}, true},
		{"refused/lose-response on notifications", Spec{Kind: LoseResponse, AppID: "A", APIID: NotificationAPI}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(time.Now).Inject(c.spec)
			if c.wantErr != (err != nil) || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Fatalf("Inject(%+v) = %v", c.spec, err)
			}
		})
	}
}

func TestForgedErrorReachesTheEffect(t *testing.T) {
	t.Parallel()
	r := New(time.Now)
	if _, err := r.Inject(Spec{Kind: UnknownSerial, AppID: "A", APIID: "x", Problem: "CONSENT_REVOKED", Count: 1}); err != nil {
		t.Fatal(err)
	}
	if e := r.Apply("A", "y"); e.Fault != nil {
		t.Fatalf("another API was affected: %+v", e)
	}
	e := r.Apply("A", "x")
	if e.Mangle != UnknownSerial || e.Problem != "CONSENT_REVOKED" || !e.FirstHit {
		t.Fatalf("effect %+v, want unknown-serial forging CONSENT_REVOKED", e)
	}
	if e := r.Apply("A", "x"); e.Fault != nil {
		t.Fatalf("a count-1 fault affected a second call: %+v", e)
	}
}

// Notifications and API answers never share a fault: an app-wide fault ("its next
// answer") is not spent on a notification, and a notification fault touches no answer.
func TestNotificationFaultsAreSeparateFromAnswers(t *testing.T) {
	t.Parallel()
	r := New(time.Now)
	if _, err := r.Inject(Spec{Kind: TamperBody, AppID: "A", Count: 1}); err != nil {
		t.Fatal(err)
	}
	if e := r.Apply("A", NotificationAPI); e.Fault != nil {
		t.Fatalf("an app-wide answer fault spoiled a notification: %+v", e)
	}
	if _, err := r.Inject(Spec{Kind: RetiredKey, AppID: "A", APIID: NotificationAPI, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if e := r.Apply("A", "x"); e.Mangle != TamperBody {
		t.Fatalf("the answer got %+v, want the app-wide tamper-body", e)
	}
	if e := r.Apply("A", "x"); e.Fault != nil {
		t.Fatalf("a notification fault spoiled an answer: %+v", e)
	}
	r.IgnoreAPIScope = true // not even the faults-take-down-all-apis mutant mixes them
	if e := r.Apply("A", "x"); e.Fault != nil {
		t.Fatalf("a notification fault spoiled an answer under IgnoreAPIScope: %+v", e)
	}
	if e := r.Apply("A", NotificationAPI); e.Mangle != RetiredKey {
		t.Fatalf("the notification got %+v, want retired-key", e)
	}
}
