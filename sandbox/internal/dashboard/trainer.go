package dashboard

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/jr0185/harness/sandbox/internal/faults"
	"github.com/jr0185/harness/sandbox/sdk"
)

// Flows a trainer runs from the dashboard. Each does what a real partner does, with the
// bank's own trainer partner (an A2 app registered by the sandbox, over real mTLS with
// SM2-signed requests through the SDK), so every call arrives in the inspector.
const (
	FlowConsent   = "consent"    // account-information consent: the trainer logs in (password + one-time code) and consents
	FlowPayment   = "payment"    // payment consent confirmed with a one-time code, then the payment
	FlowRevoke    = "revoke"     // the partner revokes its token; the next call is refused
	FlowTamper    = "tamper"     // the answer is tampered with after signing; the SDK refuses it
	FlowRateLimit = "rate-limit" // a burst beyond the app's rate limit gets 429
)

// Partner is the trainer partner's SDK client and registration.
type Partner struct {
	Client      *sdk.Client
	AppID       string
	RedirectURI string           // the dashboard's callback, registered for the app
	BankEnc     *ecdsa.PublicKey // the bank's encryption key (payee field)
}

// Payment is what the payment flow asks the user to consent to.
type Payment struct {
	User         string // the test user to log in as (shown to the trainer)
	DebitAccount string // preselected on the consent page
	DebitID      string // its opaque id in the A2 API
	PayeeAccount string
	PayeeName    string
	Amount       string
}

// Step is one thing a flow did and how it came out.
type Step struct {
	Text string `json:"text"`
	OK   bool   `json:"ok"`
}

// Result is a flow's outcome. OpenURL, when set, is the bank page the trainer opens
// (consent and payment flows finish at the callback).
type Result struct {
	Flow    string `json:"flow"`
	OK      bool   `json:"ok"`
	Steps   []Step `json:"steps"`
	OpenURL string `json:"open_url,omitempty"`
	Hint    string `json:"hint,omitempty"`
}

func (r *Result) step(ok bool, format string, a ...any) {
	r.Steps = append(r.Steps, Step{Text: fmt.Sprintf(format, a...), OK: ok})
}

// ErrNotReady: the trainer partner is not set up (yet).
var ErrNotReady = errors.New("dashboard: the trainer partner is not set up")

// ErrUnknownState: a callback whose state no started flow issued (or already used).
var ErrUnknownState = errors.New("dashboard: unknown or used authorization state")

const (
	maxPending = 32
	pendingTTL = 15 * time.Minute
	burstCalls = 12
)

type pending struct {
	flow     string
	verifier string
	at       time.Time
	pay      Payment // the payment flow's payment, as consented to
}

// Trainer runs the guided flows. Safe for concurrent use.
type Trainer struct {
	Faults  *faults.Registry // tamper flow (sandbox fault injection)
	Payment Payment
	// PaymentFor, when set, looks the payment flow's accounts up when the flow starts
	// (instead of Payment), so the flow follows a reseed of the bank's test data.
	PaymentFor func(ctx context.Context) (Payment, error)
	// Setup registers the trainer partner; called at the first flow, so a bank whose
	// dashboard is never used has no trainer app.
	Setup func(ctx context.Context) (Partner, error)

	setupMu sync.Mutex
	mu      sync.Mutex
	partner *Partner
	pending map[string]pending
	token   *sdk.Token // the last account-information token (revoke flow)
	last    Result     // the last callback's outcome, shown on the dashboard
}

// SetPartner sets the trainer partner once the bank listens.
func (t *Trainer) SetPartner(p Partner) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partner = &p
}

// AppID is the trainer partner's App_ID ("" before it is set up).
func (t *Trainer) AppID() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.partner == nil {
		return ""
	}
	return t.partner.AppID
}

// Last is the last consent or payment flow's outcome.
func (t *Trainer) Last() Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

func (t *Trainer) get(ctx context.Context) (*Partner, error) {
	t.mu.Lock()
	p := t.partner
	t.mu.Unlock()
	if p != nil {
		return p, nil
	}
	if t.Setup == nil {
		return nil, ErrNotReady
	}
	t.setupMu.Lock()
	defer t.setupMu.Unlock()
	t.mu.Lock()
	p = t.partner
	t.mu.Unlock()
	if p != nil {
		return p, nil
	}
	np, err := t.Setup(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotReady, err)
	}
	t.SetPartner(np)
	return &np, nil
}

// Run runs one flow.
func (t *Trainer) Run(ctx context.Context, flow string) (Result, error) {
	p, err := t.get(ctx)
	if err != nil {
		return Result{}, err
	}
	switch flow {
	case FlowConsent, FlowPayment:
		return t.start(ctx, p, flow)
	case FlowRevoke:
		return t.revoke(ctx, p), nil
	case FlowTamper:
		return t.tamper(ctx, p), nil
	case FlowRateLimit:
		return t.rateLimit(ctx, p), nil
	}
	return Result{}, fmt.Errorf("dashboard: unknown flow %q", flow)
}

// start builds the authorization URL (PKCE S256) the trainer opens.
func (t *Trainer) start(ctx context.Context, p *Partner, flow string) (Result, error) {
	req := sdk.AuthRequest{RedirectURI: p.RedirectURI, Scopes: []string{"accounts:read", "balances:read"}, ValidDays: 30}
	hint := "Log in as zhangsan / Sandbox#2020; the one-time code is on the simulated phone (/phone?user=zhangsan)."
	pay := t.Payment
	if flow == FlowPayment {
		if t.PaymentFor != nil {
			var err error
			if pay, err = t.PaymentFor(ctx); err != nil {
				return Result{}, fmt.Errorf("%w: the payment flow's accounts: %v", ErrNotReady, err)
			}
		}
		req = sdk.AuthRequest{RedirectURI: p.RedirectURI, Scopes: []string{"payments:write"}, ConsentType: "payment",
			Amount: pay.Amount, Currency: "CNY", PayeeAccount: pay.PayeeAccount, PayeeName: pay.PayeeName, DebitAccount: pay.DebitAccount}
		hint = fmt.Sprintf("Log in as %s / Sandbox#2020, ask for the payment code, read it on the simulated phone (/phone?user=%s), approve.", pay.User, pay.User)
	}
	auth, err := p.Client.AuthorizationURL(req)
	if err != nil {
		return Result{}, err
	}
	now := time.Now()
	t.mu.Lock()
	if t.pending == nil {
		t.pending = map[string]pending{}
	}
	for s, pe := range t.pending {
		if now.Sub(pe.at) > pendingTTL || len(t.pending) >= maxPending {
			delete(t.pending, s)
		}
	}
	t.pending[auth.State] = pending{flow: flow, verifier: auth.Verifier, at: now, pay: pay}
	t.mu.Unlock()
	r := Result{Flow: flow, OK: true, OpenURL: auth.URL, Hint: hint}
	r.step(true, "authorization URL built with PKCE S256 for App_ID %s; the user logs in and consents at the bank", p.AppID)
	return r, nil
}

// Callback finishes a consent or payment flow at the redirect: the user's refusal, or
// the code exchanged for a token and the first call made with it.
func (t *Trainer) Callback(ctx context.Context, state, code, errCode, errDesc string) (Result, error) {
	p, err := t.get(ctx)
	if err != nil {
		return Result{}, err
	}
	t.mu.Lock()
	pe, ok := t.pending[state]
	delete(t.pending, state)
	t.mu.Unlock()
	if !ok || state == "" {
		return Result{}, ErrUnknownState
	}
	r := Result{Flow: pe.flow}
	defer func() {
		t.mu.Lock()
		t.last = r
		t.mu.Unlock()
	}()
	if errCode != "" {
		r.step(false, "the bank redirected with error=%s (%s): the user did not consent; no code, no token", clip(errCode), clip(errDesc))
		return r, nil
	}
	tok, err := p.Client.ExchangeCode(ctx, code, pe.verifier, p.RedirectURI)
	if err != nil {
		r.step(false, "code exchange refused: %v", err)
		return r, nil
	}
	r.step(true, "code exchanged for a certificate-bound token (consent %s, scope %q)", tok.ConsentID, tok.Scope)
	user := p.Client.ForUser(tok)
	if pe.flow == FlowConsent {
		t.mu.Lock()
		t.token = tok
		t.mu.Unlock()
		resp, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
		r.OK = r.call(resp, err, "GET /a2/v1/accounts", 200)
		return r, nil
	}
	body, err := paymentBody(p, pe.pay)
	if err != nil {
		r.step(false, "payment body: %v", err)
		return r, nil
	}
	key := "trainer-" + randomHex(8)
	resp, err := user.Do(ctx, "POST", "/a2/v1/payments", body, http.Header{"Idempotency-Key": {key}})
	r.OK = r.call(resp, err, "POST /a2/v1/payments ("+pe.pay.Amount+" CNY to "+pe.pay.PayeeName+")", 201)
	return r, nil
}

func paymentBody(p *Partner, pay Payment) ([]byte, error) {
	body, _, err := sdk.SealedPaymentBody(p.BankEnc, "", sdk.PaymentOrder{DebitAccountID: pay.DebitID, Amount: pay.Amount, PayeeAccount: pay.PayeeAccount, PayeeName: pay.PayeeName, Memo: "trainer dashboard"})
	return body, err
}

// call notes one SDK call's outcome; ok when it answered want.
func (r *Result) call(resp *sdk.Response, err error, what string, want int) bool {
	switch {
	case errors.Is(err, sdk.ErrIntegrity):
		r.step(false, "%s: the SDK refused the answer: %v", what, err)
	case err != nil:
		r.step(false, "%s: %v", what, err)
	case resp.Status != want:
		r.step(false, "%s answered %d: %s", what, resp.Status, clip(string(resp.Body)))
	default:
		r.step(true, "%s answered %d, response signature verified (bank key %s)", what, resp.Status, resp.Integrity.Serial)
		return true
	}
	return false
}

// revoke: the partner revokes the user's token (RFC 7009); the next call with it is
// refused with the catalogued error.
func (t *Trainer) revoke(ctx context.Context, p *Partner) Result {
	r := Result{Flow: FlowRevoke}
	t.mu.Lock()
	tok := t.token
	t.token = nil
	t.mu.Unlock()
	if tok == nil {
		r.step(false, "no token to revoke: run the consent flow first (or revoke in the user's portal at /portal)")
		return r
	}
	if err := p.Client.Revoke(ctx, tok.AccessToken); err != nil {
		r.step(false, "revocation refused: %v", err)
		return r
	}
	r.step(true, "token of consent %s revoked at the bank", tok.ConsentID)
	resp, err := p.Client.ForUser(tok).Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
	var apiErr *sdk.APIError
	if err == nil {
		err = sdk.AsAPIError(resp)
	}
	if errors.As(err, &apiErr) {
		r.step(true, "GET /a2/v1/accounts with the revoked token refused: %d %s", apiErr.Status, apiErr.Code)
		r.OK = true
		return r
	}
	r.step(false, "GET /a2/v1/accounts with the revoked token was not refused: %v", err)
	return r
}

// tamper: one answer to the trainer partner is changed after the bank signed it; the
// SDK must refuse it (the partner's side of JR/T 0185-2020 9.2.2/1).
func (t *Trainer) tamper(ctx context.Context, p *Partner) Result {
	r := Result{Flow: FlowTamper}
	if t.Faults == nil {
		r.step(false, "fault injection is not available (sandbox mode only)")
		return r
	}
	f, err := t.Faults.Inject(faults.Spec{Kind: faults.TamperBody, AppID: p.AppID, APIID: "a1.products.list", Count: 1, Duration: 60})
	if err != nil {
		r.step(false, "injecting the fault: %v", err)
		return r
	}
	defer t.Faults.Clear(f.ID)
	r.step(true, "fault %s injected: the next answer to App_ID %s has one digit changed after signing", f.ID, p.AppID)
	resp, err := p.Client.Do(ctx, "GET", "/a1/v1/products", nil, nil)
	if errors.Is(err, sdk.ErrIntegrity) {
		r.step(true, "the SDK refused the tampered answer (HTTP %d): %v", resp.Status, err)
		r.OK = true
		return r
	}
	if err != nil {
		r.step(false, "the call failed otherwise: %v", err)
		return r
	}
	r.step(false, "the SDK accepted a tampered answer (HTTP %d)", resp.Status)
	return r
}

// rateLimit: a burst of concurrent calls beyond the app's rate limit; the bank answers
// 429 with Retry-After to the excess (JR/T 0185-2020 10.1.2/2).
func (t *Trainer) rateLimit(ctx context.Context, p *Partner) Result {
	r := Result{Flow: FlowRateLimit}
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	for i := 0; i < burstCalls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := p.Client.Do(ctx, "GET", "/a1/v1/products", nil, nil)
			k := "error"
			if resp != nil {
				k = fmt.Sprint(resp.Status)
			}
			if err != nil && resp == nil {
				k = "error: " + clip(err.Error())
			}
			mu.Lock()
			counts[k]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.step(true, "%d calls sent at once by App_ID %s: %v", burstCalls, p.AppID, counts)
	if counts["429"] > 0 {
		r.step(true, "%d refused with 429 RATE_LIMITED (Retry-After): the bank's flow control held", counts["429"])
		r.OK = true
	} else {
		r.step(false, "no call was refused with 429")
	}
	return r
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
