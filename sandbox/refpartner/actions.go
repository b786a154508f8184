package refpartner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
	"github.com/jr0185/harness/steps/driver"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// listProducts is A1: GET /a1/v1/products (HMAC-SM3 with the App_Secret).
func (p *Partner) listProducts(ctx context.Context, _ json.RawMessage) (any, error) {
	r, err := p.send(ctx, http.MethodGet, "/a1/v1/products", nil, nil)
	if err != nil {
		return nil, asDriver(err)
	}
	var page struct {
		Items []struct {
			Code string `json:"code"`
			Name string `json:"name"`
		} `json:"items"`
	}
	if err := json.Unmarshal(r.Body, &page); err != nil {
		return nil, fail(driver.CodeInternal, "the product list is not JSON")
	}
	out := driver.ProductsResult{Products: []driver.Product{}}
	for _, pr := range page.Items {
		out.Products = append(out.Products, driver.Product{ProductID: pr.Code, Name: pr.Name})
	}
	return out, nil
}

// authorize builds the bank's consent URL (PKCE S256 and a random state, kept to
// finish the authorization).
func (p *Partner) authorize(req sdk.AuthRequest) (sdk.Authorization, error) {
	client, err := p.sdkClient()
	if err != nil {
		return sdk.Authorization{}, err
	}
	req.RedirectURI = p.opts.RedirectURI
	if p.is(FixedState) {
		req.State = mutantState
	}
	a, err := client.AuthorizationURL(req)
	if err != nil {
		return a, fail(driver.CodeInvalid, "%v", err)
	}
	if p.is(NoPKCE) {
		u, _ := url.Parse(a.URL)
		q := u.Query()
		q.Del("code_challenge")
		q.Del("code_challenge_method")
		u.RawQuery = q.Encode()
		a.URL, a.Verifier = u.String(), ""
	}
	return a, nil
}

func (p *Partner) startLink(_ context.Context, params json.RawMessage) (any, error) {
	var lp driver.LinkParams
	if err := decodeParams(params, &lp); err != nil {
		return nil, err
	}
	if len(lp.Scopes) == 0 {
		return nil, fail(driver.CodeInvalid, "scopes are required")
	}
	a, err := p.authorize(sdk.AuthRequest{Scopes: lp.Scopes, ValidDays: lp.ValidDays})
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.link = &pendingLink{verifier: a.Verifier, state: a.State}
	p.mu.Unlock()
	return driver.AuthorizationResult{AuthorizationURL: a.URL}, nil
}

// redirect reads the bank's redirect to the partner: the code, after checking the state
// (JR/T 0185-2020 9.3.1/1; RFC 6749 10.12) — and no code at all when the bank redirected
// with an error (the user refused: 9.3.2/1b).
func (p *Partner) redirect(raw, wantState string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fail(driver.CodeInvalid, "redirect_url: %v", err)
	}
	q := u.Query()
	if e := q.Get("error"); e != "" && !p.is(ExchangesOnErrorRedirect) {
		return "", fail(driver.CodeBankError, "the bank redirected with error %s", e)
	}
	if !p.is(NoStateCheck) && (wantState == "" || q.Get("state") != wantState) {
		return "", fail(driver.CodeInvalid, "the redirect's state does not match an authorization this partner started: ignored")
	}
	if q.Get("code") == "" {
		return "", fail(driver.CodeInvalid, "the redirect carries no code")
	}
	return q.Get("code"), nil
}

// exchange trades a code for tokens (PKCE verifier, registered redirect URI).
func (p *Partner) exchange(ctx context.Context, code, verifier string) (*sdk.Token, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {p.opts.RedirectURI}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	if p.is(LogsCodes) {
		p.logger.Info("exchanging the authorization code", "code", code, "code_verifier", verifier)
	}
	return p.token(ctx, form)
}

func (p *Partner) finishLink(ctx context.Context, params json.RawMessage) (any, error) {
	var rp driver.RedirectParams
	if err := decodeParams(params, &rp); err != nil {
		return nil, err
	}
	p.mu.Lock()
	link := p.link
	if old := p.usedLinks[stateOf(rp.RedirectURL)]; old != nil && p.is(AcceptsUsedState) {
		link = old
	}
	p.mu.Unlock()
	if link == nil {
		return nil, fail(driver.CodeInvalid, "no link was started")
	}
	code, err := p.redirect(rp.RedirectURL, link.state)
	if err != nil {
		return nil, err
	}
	t, err := p.exchange(ctx, code, link.verifier)
	if err != nil {
		return nil, err
	}
	scopes := strings.Fields(t.Scope)
	p.mu.Lock()
	p.user, p.link = &user{access: t.AccessToken, refresh: t.RefreshToken, scopes: scopes}, nil
	if p.usedLinks == nil {
		p.usedLinks = map[string]*pendingLink{}
	}
	p.usedLinks[link.state] = link
	p.mu.Unlock()
	p.record("authorization", "the user linked their accounts for %s (consent %s)", strings.Join(scopes, " "), t.ConsentID)
	attrs := []any{"consent_id", t.ConsentID, "scopes", strings.Join(scopes, " ")}
	if p.is(LogsTokens) {
		attrs = append(attrs, "access_token", t.AccessToken, "refresh_token", t.RefreshToken)
	}
	p.logger.Info("user linked", attrs...)
	return driver.LinkResult{Scopes: scopes}, nil
}

func (p *Partner) accounts(ctx context.Context, _ json.RawMessage) (any, error) {
	r, err := p.userCall(ctx, http.MethodGet, "/a2/v1/accounts")
	if err != nil {
		return nil, err
	}
	var list struct {
		Accounts []struct {
			ID     string `json:"account_id"`
			Masked string `json:"account_number_masked"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal(r.Body, &list); err != nil {
		return nil, fail(driver.CodeInternal, "the account list is not JSON")
	}
	out := driver.AccountsResult{Accounts: []driver.Account{}}
	for _, a := range list.Accounts {
		out.Accounts = append(out.Accounts, driver.Account{AccountID: a.ID, Masked: a.Masked})
	}
	return out, nil
}

// accountParam reads the account_id of an action's parameters.
func accountParam(params json.RawMessage) (string, error) {
	var ap driver.AccountParams
	if err := decodeParams(params, &ap); err != nil {
		return "", err
	}
	if ap.AccountID == "" || strings.ContainsAny(ap.AccountID, "/?#") {
		return "", fail(driver.CodeInvalid, "account_id is required")
	}
	return ap.AccountID, nil
}

func (p *Partner) balance(ctx context.Context, params json.RawMessage) (any, error) {
	id, err := accountParam(params)
	if err != nil {
		return nil, err
	}
	r, err := p.userCall(ctx, http.MethodGet, "/a2/v1/accounts/"+id+"/balance")
	if err != nil {
		return nil, err
	}
	if p.is(ScopeCreep) { // an API the user did not consent to (9.3.5/1)
		_, _ = p.userCall(ctx, http.MethodGet, "/a2/v1/accounts/"+id+"/transactions")
	}
	var b struct {
		ID        string `json:"account_id"`
		Available string `json:"available"`
		Currency  string `json:"currency"`
	}
	if err := json.Unmarshal(r.Body, &b); err != nil {
		return nil, fail(driver.CodeInternal, "the balance is not JSON")
	}
	return driver.BalanceResult{AccountID: b.ID, Available: b.Available, Currency: b.Currency}, nil
}

// transactions reads the first page of an account's transactions (9.3.5/1: only when
// asked for them) and returns the items as the bank sent them.
func (p *Partner) transactions(ctx context.Context, params json.RawMessage) (any, error) {
	id, err := accountParam(params)
	if err != nil {
		return nil, err
	}
	r, err := p.userCall(ctx, http.MethodGet, "/a2/v1/accounts/"+id+"/transactions")
	if err != nil {
		return nil, err
	}
	var page struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(r.Body, &page); err != nil {
		return nil, fail(driver.CodeInternal, "the transactions are not JSON")
	}
	if page.Items == nil {
		page.Items = []map[string]any{}
	}
	return driver.TransactionsResult{Transactions: page.Items}, nil
}

// holdings decrypts the holdings the bank sealed to the partner's encryption key; they
// are returned to the caller only — never logged or stored.
func (p *Partner) holdings(ctx context.Context, _ json.RawMessage) (any, error) {
	r, err := p.userCall(ctx, http.MethodGet, "/a2/v1/holdings")
	if err != nil {
		return nil, err
	}
	var sealed struct {
		Encrypted json.RawMessage `json:"encrypted"`
		AAD       string          `json:"aad"`
	}
	if err := json.Unmarshal(r.Body, &sealed); err != nil || len(sealed.Encrypted) == 0 {
		return nil, fail(driver.CodeIntegrity, "the holdings are not sealed to this partner: not used")
	}
	plain, err := sdk.OpenEnvelope(p.encKey(), sealed.Encrypted, sealed.AAD)
	if err != nil {
		p.alarm("the holdings envelope did not open: not used")
		return nil, fail(driver.CodeIntegrity, "the holdings envelope did not open: %v", err)
	}
	var h driver.HoldingsResult
	if err := json.Unmarshal(plain, &h); err != nil {
		return nil, fail(driver.CodeInternal, "the decrypted holdings are not JSON")
	}
	if h.Holdings == nil {
		h.Holdings = []map[string]any{}
	}
	if p.is(LogsHoldings) {
		p.logger.Info("holdings", "holdings", string(plain))
	}
	return h, nil
}

// stateOf is the state of a redirect URL ("" when it has none or does not parse).
func stateOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Query().Get("state")
}

func newIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "pay-" + hex.EncodeToString(b)
}

// startPayment asks the user's consent to one payment: amount, payee and debit account
// are in the consent URL, so the user confirms exactly this payment at the bank.
func (p *Partner) startPayment(_ context.Context, params json.RawMessage) (any, error) {
	var pp driver.PaymentParams
	if err := decodeParams(params, &pp); err != nil {
		return nil, err
	}
	if pp.AccountID == "" || pp.Amount == "" || pp.PayeeAccount == "" || pp.PayeeName == "" {
		return nil, fail(driver.CodeInvalid, "account_id, amount, payee_account and payee_name are required")
	}
	a, err := p.authorize(sdk.AuthRequest{Scopes: []string{"payments:write"}, ConsentType: "payment", Amount: pp.Amount,
		Currency: "CNY", PayeeAccount: pp.PayeeAccount, PayeeName: pp.PayeeName, DebitAccount: pp.AccountID})
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	// One Idempotency-Key per payment, chosen now and reused on every retry.
	p.payments[a.State] = &pendingPayment{verifier: a.Verifier, state: a.State, params: pp, idemKey: newIdempotencyKey()}
	p.mu.Unlock()
	payee := mask(pp.PayeeAccount)
	if p.is(LogsFullNumbers) {
		payee = pp.PayeeAccount
	}
	p.logger.Info("payment consent started", "amount", pp.Amount, "payee", payee, "debit_account_id", pp.AccountID)
	return driver.AuthorizationResult{AuthorizationURL: a.URL}, nil
}

// finishPayment exchanges the payment consent's code and creates the payment with the
// payee sealed to the bank's encryption certificate. Calling it again for the same
// redirect answers the payment already made, and a payment whose answer was lost is
// retried with the same key and body: it never pays twice.
func (p *Partner) finishPayment(ctx context.Context, params json.RawMessage) (any, error) {
	var rp driver.RedirectParams
	if err := decodeParams(params, &rp); err != nil {
		return nil, err
	}
	u, err := url.Parse(rp.RedirectURL)
	if err != nil {
		return nil, fail(driver.CodeInvalid, "redirect_url: %v", err)
	}
	p.mu.Lock()
	pay := p.payments[u.Query().Get("state")]
	if pay == nil && p.is(NoStateCheck) {
		for _, pending := range p.payments { // whichever payment is pending
			pay = pending
		}
	}
	p.mu.Unlock()
	if pay == nil {
		_, err := p.redirect(rp.RedirectURL, "")
		if err == nil {
			err = fail(driver.CodeInvalid, "the redirect's state does not match a payment this partner started: ignored")
		}
		return nil, err
	}
	if pay.result != nil {
		return *pay.result, nil
	}
	if pay.token == "" {
		code, err := p.redirect(rp.RedirectURL, pay.state)
		if err != nil {
			return nil, err
		}
		t, err := p.exchange(ctx, code, pay.verifier)
		if err != nil {
			return nil, err
		}
		pay.token = t.AccessToken
	}
	if pay.body == nil {
		body, err := p.paymentBody(pay.params)
		if err != nil {
			return nil, err
		}
		pay.body = body
	}
	if p.is(LogsFullNumbers) {
		p.logger.Info("paying", "payee_account", pay.params.PayeeAccount, "amount", pay.params.Amount)
	}
	r, err := p.send(ctx, http.MethodPost, "/a2/v1/payments", pay.body, http.Header{sdk.HeaderAccessToken: {pay.token},
		protocol.HeaderIdempotKey: {pay.idemKey}})
	if err != nil {
		return nil, asDriver(err)
	}
	var res driver.PaymentResult
	if err := json.Unmarshal(r.Body, &res); err != nil || res.PaymentID == "" {
		return nil, fail(driver.CodeInternal, "the payment answer has no payment_id")
	}
	pay.result = &res
	payee := mask(pay.params.PayeeAccount)
	if p.is(HistoryFullNumbers) {
		payee = pay.params.PayeeAccount
	}
	p.record("payment", "payment %s of %s CNY to %s: %s", res.PaymentID, pay.params.Amount, payee, res.Status)
	p.logger.Info("payment created", "payment_id", res.PaymentID, "status", res.Status, "payee", mask(pay.params.PayeeAccount))
	return res, nil
}

// paymentBody is the payment request, the payee sealed to the bank (7.2.2).
func (p *Partner) paymentBody(pp driver.PaymentParams) ([]byte, error) {
	payee, err := json.Marshal(map[string]string{"account": pp.PayeeAccount, "name": pp.PayeeName})
	if err != nil {
		return nil, err
	}
	var payeeField any
	if p.is(PlaintextPayee) {
		payeeField = map[string]string{"account": pp.PayeeAccount, "name": pp.PayeeName}
	} else {
		p.mu.Lock()
		pub, serial := p.bankEnc, p.bankEncSN
		p.mu.Unlock()
		env, err := protocol.Seal(pub, serial, payee, []byte("payee"))
		if err != nil {
			return nil, fail(driver.CodeInternal, "sealing the payee: %v", err)
		}
		payeeField = map[string]any{"encrypted": env}
	}
	return json.Marshal(map[string]any{"debit_account_id": pp.AccountID, "amount": pp.Amount, "currency": "CNY",
		"payee": payeeField, "memo": pp.Reference})
}

func (p *Partner) paymentStatus(ctx context.Context, params json.RawMessage) (any, error) {
	var ip driver.PaymentIDParams
	if err := decodeParams(params, &ip); err != nil {
		return nil, err
	}
	if ip.PaymentID == "" || strings.ContainsAny(ip.PaymentID, "/?#") {
		return nil, fail(driver.CodeInvalid, "payment_id is required")
	}
	r, err := p.send(ctx, http.MethodGet, "/a2/v1/payments/"+ip.PaymentID, nil, nil)
	if err != nil {
		return nil, asDriver(err)
	}
	var res driver.PaymentResult
	if err := json.Unmarshal(r.Body, &res); err != nil {
		return nil, fail(driver.CodeInternal, "the payment is not JSON")
	}
	return res, nil
}

// revoke revokes the user's grant at the bank (its refresh token, or the access token)
// and forgets the user.
func (p *Partner) revoke(ctx context.Context, _ json.RawMessage) (any, error) {
	p.mu.Lock()
	u := p.user
	p.mu.Unlock()
	if u == nil {
		return nil, fail(driver.CodeNotLinked, "no user has linked accounts")
	}
	tok := u.refresh
	if tok == "" {
		tok = u.access
	}
	if _, err := p.send(ctx, http.MethodPost, "/a2/v1/oauth/revoke", []byte(url.Values{"token": {tok}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}); err != nil {
		return nil, asDriver(err)
	}
	p.mu.Lock()
	p.user = nil
	p.mu.Unlock()
	p.record("revocation", "the user's authorization was revoked at the bank")
	p.logger.Info("user authorization revoked")
	return struct{}{}, nil
}
