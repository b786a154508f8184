package steps

// Probes of the money controls of features/bank/controls.yaml (issue 13): the account
// scope of every user-token interface and of every page of a list, single use and
// validity of consents, the App_ID scope of Idempotency-Keys, and the terms of a payment
// bound to the consent. Each probe builds what it needs from the prober's apps and
// zhangsan's consents, spoils one thing at a time, and checks the values of what comes
// back, not only its status.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

func init() {
	controlProbes["ACCOUNT-SCOPED"] = probeAccountScoped
	controlProbes["CONSENT-SINGLE-USE"] = probeConsentSingleUse
	controlProbes["CONSENT-VALIDITY"] = probeConsentValidity
	controlProbes["IDEMPOTENCY-PER-APP"] = probeIdempotencyPerApp
	controlProbes["PAYMENT-TERMS-BOUND"] = probePaymentTermsBound
}

// ---- payments with chosen terms

// payTerms are a payment's terms: what the user consents to and the partner sends.
type payTerms struct {
	from             string // debit account id
	amount, currency string
	payee, name      string
	memo             string
}

// probeTerms is the prober's payment from zhangsan's account from, with a memo that
// names this one payment.
func probeTerms(from string) payTerms {
	return payTerms{from: from, amount: probeAmount, currency: "CNY", payee: probePayee, name: probePayeeName,
		memo: "probe " + randomNonce()[:12]}
}

// payConsent is zhangsan's single-use consent to app a for t, confirmed at the bank
// with a one-time code: the payment token.
func payConsent(ctx context.Context, a *App, t payTerms) (*Token, error) {
	tok, _, err := obtainToken(ctx, a, proberUser, ConsentRequest{Scopes: []string{"payments:write"}, Payment: true,
		Amount: t.amount, PayeeAccount: t.payee, PayeeName: t.name, DebitAccount: t.from, Accounts: []string{t.from}})
	return tok, err
}

// consented is one payment zhangsan consented to, which a probe sends and spoils: the
// money probes' shared state, the app, the terms and the payment token.
type consented struct {
	m   *moneyProbe
	a   *App
	t   payTerms
	tok *Token
}

// consentedPayment has zhangsan consent to app a (nil: the prober's app for s) paying the
// probe terms from his first account.
func consentedPayment(ctx context.Context, p *prober, s surface, a *App) (*consented, error) {
	m, err := moneyOf(ctx)
	if err != nil {
		return nil, err
	}
	if a == nil {
		if a, err = p.appFor(ctx, s, false); err != nil {
			return nil, err
		}
	}
	c := &consented{m: m, a: a, t: probeTerms(m.zhangsan.Accounts[0].ID)}
	c.tok, err = payConsent(ctx, a, c.t)
	return c, err
}

// payBody is the payment request for t: the payee sealed to the bank's encryption
// certificate (aad "payee").
func payBody(ctx context.Context, e *Env, t payTerms) ([]byte, error) {
	pub, serial, err := e.bankEncKey(ctx)
	if err != nil {
		return nil, err
	}
	env, err := seal(pub, serial, jsonBody(map[string]string{"account": t.payee, "name": t.name}), []byte(payeeAAD))
	if err != nil {
		return nil, err
	}
	return jsonBody(map[string]any{"debit_account_id": t.from, "amount": t.amount, "currency": t.currency,
		"payee": map[string]any{"encrypted": env}, "memo": t.memo}), nil
}

// payCall is POST /a2/v1/payments as app a with the payment token and an
// Idempotency-Key.
func payCall(a *App, tok *Token, body []byte, key string) Call {
	return Call{App: a, Method: "POST", URI: paymentsURI, Body: body,
		Header: http.Header{"X-Jr-Access-Token": {tok.Access}, "Idempotency-Key": {key}}}
}

// paid insists on a 201 with a payment that succeeded on exactly the terms t: the
// payee's account as its published masked form shows it (how names are masked is
// ANSWER-MASKED's to judge).
func paid(x *Exchange, t payTerms, m maskRules) (string, error) {
	if err := admitted(x); err != nil {
		return "", err
	}
	j := x.JSON()
	id, _ := j["payment_id"].(string)
	var bad []string
	for field, want := range map[string]string{"status": "succeeded", "amount": t.amount, "currency": t.currency,
		"debit_account_id": t.from, "payee_account_masked": m.account(t.payee), "memo": t.memo} {
		if got, _ := j[field].(string); got != want {
			bad = append(bad, fmt.Sprintf("%s %q, want %q", field, got, want))
		}
	}
	if id == "" || len(bad) > 0 {
		return id, fmt.Errorf("the payment answer differs from what was consented and sent: %s (payment %q)", strings.Join(bad, "; "), id)
	}
	return id, nil
}

// moneyProbe is what the money probes of one scenario share: the published masking
// rules and zhangsan's seeded accounts.
type moneyProbe struct {
	masks    maskRules
	zhangsan *seeded
}

func moneyOf(ctx context.Context) (*moneyProbe, error) {
	m := areaState(W(ctx), func() *moneyProbe { return &moneyProbe{} })
	if m.zhangsan != nil {
		return m, nil
	}
	l, err := publishedLimits(ctx)
	if err != nil {
		return nil, err
	}
	if m.masks, err = publishedMasks(l); err != nil {
		return nil, err
	}
	if m.zhangsan, err = seededUser(ctx, proberUser); err != nil {
		return nil, err
	}
	if len(m.zhangsan.Accounts) < 2 {
		return nil, fmt.Errorf("%s holds %d accounts; the probes need two", proberUser, len(m.zhangsan.Accounts))
	}
	return m, nil
}

// ---- CONSENT-SINGLE-USE

// probeConsentSingleUse: a consented payment succeeds; the same payment under a new
// Idempotency-Key is refused 403 CONSENT_USED; the debit account's history holds the
// payment once (JR/T 0185-2020 9.3.2/1c: 单次有效).
func probeConsentSingleUse(ctx context.Context, p *prober, s surface) error {
	c, err := consentedPayment(ctx, p, s, nil)
	if err != nil {
		return err
	}
	m, a, t, tok := c.m, c.a, c.t, c.tok
	body, err := payBody(ctx, p.w.Env, t)
	if err != nil {
		return err
	}
	x, err := p.send(ctx, payCall(a, tok, body, "once-"+randomNonce()))
	if err != nil {
		return err
	}
	id, err := paid(x, t, m.masks)
	if err != nil {
		return err
	}
	again, err := p.send(ctx, payCall(a, tok, body, "twice-"+randomNonce()))
	if err != nil {
		return err
	}
	if err := refusedWith(again, 403, "CONSENT_USED"); err != nil {
		return fmt.Errorf("the same payment under a new Idempotency-Key: %w", err)
	}
	if n, err := postings(ctx, p, a, t); err != nil {
		return err
	} else if n != 1 {
		return fmt.Errorf("the debit account's history holds payment %s (memo %q) %d times, want once", id, t.memo, n)
	}
	return nil
}

// postings counts the lines of the debit account's history whose memo is t's, read
// with zhangsan's account-information token of app a.
func postings(ctx context.Context, p *prober, a *App, t payTerms) (int, error) {
	info, err := p.token(ctx, a)
	if err != nil {
		return 0, err
	}
	x, err := p.send(ctx, Call{App: a, Method: "GET", URI: "/a2/v1/accounts/" + t.from + "/transactions?page_size=100",
		Header: http.Header{"X-Jr-Access-Token": {info.Access}}})
	if err != nil {
		return 0, err
	}
	if err := admitted(x); err != nil {
		return 0, err
	}
	var page struct {
		Items []struct {
			Memo string `json:"memo"`
		} `json:"items"`
	}
	if err := json.Unmarshal(x.Body, &page); err != nil {
		return 0, fmt.Errorf("transaction history: %w", err)
	}
	n := 0
	for _, it := range page.Items {
		if it.Memo == t.memo {
			n++
		}
	}
	return n, nil
}

// ---- IDEMPOTENCY-PER-APP

// probeIdempotencyPerApp: two apps send one Idempotency-Key with byte-identical bodies,
// each under zhangsan's consent to it: two payments, each app answered its own and
// unable to read the other's; each retry is answered byte for byte, and the key with
// another body is refused 422 IDEMPOTENCY_KEY_REUSED (10.2.2/2; 9.3.2/1a: the App_ID is
// a dimension of authorization).
func probeIdempotencyPerApp(ctx context.Context, p *prober, s surface) error {
	m, err := moneyOf(ctx)
	if err != nil {
		return err
	}
	var apps [2]*App
	var toks [2]*Token
	for i := range apps {
		if apps[i], err = p.appFor(ctx, s, i == 1); err != nil {
			return err
		}
	}
	t := probeTerms(m.zhangsan.Accounts[0].ID)
	for i, a := range apps {
		if toks[i], err = payConsent(ctx, a, t); err != nil {
			return err
		}
	}
	body, err := payBody(ctx, p.w.Env, t)
	if err != nil {
		return err
	}
	key := "shared-" + randomNonce()
	var first [2]*Exchange
	var ids [2]string
	for i, a := range apps {
		if first[i], err = p.send(ctx, payCall(a, toks[i], body, key)); err != nil {
			return err
		}
		if ids[i], err = paid(first[i], t, m.masks); err != nil {
			return fmt.Errorf("app %d of 2 under Idempotency-Key %s: %w", i+1, key, err)
		}
	}
	if ids[0] == ids[1] {
		return fmt.Errorf("the second app's payment under the first app's Idempotency-Key was answered with the first app's payment %s: keys are not scoped to the App_ID", ids[0])
	}
	for i, a := range apps {
		other := ids[1-i]
		x, err := p.send(ctx, Call{App: a, Method: "GET", URI: paymentsURI + "/" + other})
		if err != nil {
			return err
		}
		if err := refusedWith(x, 404, "PAYMENT_NOT_FOUND"); err != nil {
			return fmt.Errorf("app %d reading the other app's payment %s: %w", i+1, other, err)
		}
		retry, err := p.send(ctx, payCall(a, toks[i], body, key))
		if err != nil {
			return err
		}
		if err := sameAnswer(first[i], retry); err != nil {
			return fmt.Errorf("app %d retrying Idempotency-Key %s: %w", i+1, key, err)
		}
	}
	changed := t
	changed.memo += " changed"
	other, err := payBody(ctx, p.w.Env, changed)
	if err != nil {
		return err
	}
	x, err := p.send(ctx, payCall(apps[0], toks[0], other, key))
	if err != nil {
		return err
	}
	if err := refusedWith(x, 422, "IDEMPOTENCY_KEY_REUSED"); err != nil {
		return fmt.Errorf("Idempotency-Key %s with another body: %w", key, err)
	}
	return nil
}

// sameAnswer: a retry is answered with the first answer byte for byte, its signature
// headers included.
func sameAnswer(first, retry *Exchange) error {
	if retry.Status != first.Status || string(retry.Body) != string(first.Body) {
		return fmt.Errorf("answered HTTP %d %s; the first answer was HTTP %d %s", retry.Status, clip(string(retry.Body), 160),
			first.Status, clip(string(first.Body), 160))
	}
	for _, h := range []string{"X-JR-Signature", "X-JR-Nonce", "X-JR-Timestamp"} {
		if retry.Header.Get(h) != first.Header.Get(h) {
			return fmt.Errorf("its %s differs from the first answer's: not replayed byte for byte", h)
		}
	}
	return nil
}

// ---- PAYMENT-TERMS-BOUND

// probePaymentTermsBound: under one consent, a payment differing in the debit account,
// the amount, the currency, the payee account or the payee name is refused 403
// PAYMENT_NOT_CONSENTED, each under its own Idempotency-Key; the consented payment is
// then executed with exactly its terms (10.2.2/2: 核实用户本人意愿; 9.3.1/2: 核验).
func probePaymentTermsBound(ctx context.Context, p *prober, s surface) error {
	c, err := consentedPayment(ctx, p, s, nil)
	if err != nil {
		return err
	}
	m, a, t, tok := c.m, c.a, c.t, c.tok
	variants := []struct {
		what string
		set  func(*payTerms)
	}{
		{"another debit account of the user", func(v *payTerms) { v.from = m.zhangsan.Accounts[1].ID }},
		{"another amount", func(v *payTerms) { v.amount = "0.02" }},
		{"another currency", func(v *payTerms) { v.currency = "USD" }},
		{"another payee account", func(v *payTerms) { v.payee = luhnVariant(t.payee) }},
		{"another payee name", func(v *payTerms) { v.name = "孙七" }},
		{"a longer payee name", func(v *payTerms) { v.name = t.name + "六" }},
	}
	for _, vt := range variants {
		v := t
		vt.set(&v)
		body, err := payBody(ctx, p.w.Env, v)
		if err != nil {
			return err
		}
		x, err := p.send(ctx, payCall(a, tok, body, "terms-"+randomNonce()))
		if err != nil {
			return err
		}
		if err := refusedWith(x, 403, "PAYMENT_NOT_CONSENTED"); err != nil {
			return fmt.Errorf("a payment with %s than consented: %w", vt.what, err)
		}
	}
	body, err := payBody(ctx, p.w.Env, t)
	if err != nil {
		return err
	}
	x, err := p.send(ctx, payCall(a, tok, body, "terms-"+randomNonce()))
	if err != nil {
		return err
	}
	_, err = paid(x, t, m.masks)
	return err
}

// luhnVariant is another Luhn-valid card number on the same BIN and length.
func luhnVariant(card string) string {
	base := card[:len(card)-3]
	for n := 0; n < 100; n++ {
		c := fmt.Sprintf("%s%02d", base, (n+37)%100)
		for d := '0'; d <= '9'; d++ {
			if v := c + string(d); v != card && luhnValid(v) {
				return v
			}
		}
	}
	return card
}

func luhnValid(s string) bool {
	sum := 0
	for i := 0; i < len(s); i++ {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// ---- CONSENT-VALIDITY

// probeConsentValidity: a fresh app gets zhangsan's one-day consent; 30 seconds before
// it ends (backdated for the app alone) the refreshed token is admitted on the
// interface, one second after it ends it is refused 403 CONSENT_EXPIRED, and so is a
// refresh (9.3.2/1c: 阶段性有效).
func probeConsentValidity(ctx context.Context, p *prober, s surface) error {
	m, err := moneyOf(ctx)
	if err != nil {
		return err
	}
	a, err := p.appFor(ctx, s, true) // the backdate moves every consent of the app
	if err != nil {
		return err
	}
	tok, _, err := obtainToken(ctx, a, proberUser, ConsentRequest{Scopes: proberScopes, ValidDays: 1})
	if err != nil {
		return err
	}
	if tok.Refresh == "" {
		return fmt.Errorf("the token endpoint gave a one-day account-information consent no refresh token")
	}
	uri := strings.ReplaceAll(s.API.Path, ":account_id", m.zhangsan.Accounts[0].ID)
	if strings.Contains(uri, "/:") {
		return fmt.Errorf("the suite knows no value for a path parameter of %s", s.API.Path)
	}
	if err := backdate(ctx, a, 86400-30); err != nil {
		return err
	}
	fresh, err := refresh(ctx, p, a, tok.Refresh)
	if err != nil {
		return fmt.Errorf("30 seconds before the consent ends: %w", err)
	}
	x, err := p.send(ctx, Call{App: a, Method: "GET", URI: uri, Header: http.Header{"X-Jr-Access-Token": {fresh.Access}}})
	if err != nil {
		return err
	}
	if err := admitted(x); err != nil {
		return fmt.Errorf("30 seconds before the consent ends: %w", err)
	}
	if err := backdate(ctx, a, 31); err != nil {
		return err
	}
	x, err = p.send(ctx, Call{App: a, Method: "GET", URI: uri, Header: http.Header{"X-Jr-Access-Token": {fresh.Access}}})
	if err != nil {
		return err
	}
	if err := refusedWith(x, 403, "CONSENT_EXPIRED"); err != nil {
		return fmt.Errorf("one second after the consent ended: %w", err)
	}
	if _, err := refresh(ctx, p, a, fresh.Refresh); err == nil {
		return fmt.Errorf("one second after the consent ended, its refresh token still gets a new access token")
	}
	return nil
}

// refresh redeems a refresh token (RFC 6749 6) as app a.
func refresh(ctx context.Context, p *prober, a *App, rt string) (*Token, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	x, err := p.send(ctx, Call{App: a, Method: "POST", URI: "/a2/v1/oauth/token", Body: []byte(form.Encode()), ContentType: formContentType})
	if err != nil {
		return nil, err
	}
	if x.Status != 200 {
		return nil, fmt.Errorf("refresh_token grant refused: %s", x.Evidence())
	}
	t := tokenFrom(x)
	if t.Access == "" {
		return nil, fmt.Errorf("the refresh_token grant answered no access_token")
	}
	return t, nil
}

// backdate lets secs seconds pass for app a alone (sandbox test control).
func backdate(ctx context.Context, a *App, secs int) error {
	w := W(ctx)
	if _, err := w.Env.adminOK(ctx, "POST", "/admin/v1/apps/"+a.ID+"/backdate", map[string]any{"seconds": secs}, 200); err != nil {
		return err
	}
	w.Note("%d seconds passed for %s (sandbox test control /admin/v1/apps/{id}/backdate)", secs, a.ID)
	return nil
}

// ---- ACCOUNT-SCOPED

// scopeProbe is what ACCOUNT-SCOPED judges one surface with: zhangsan's consent to a
// fresh app for his second account only (a fresh app per surface: refusals in a row
// would have the bank throttle one app for an abnormal pattern, 10.2.1/2), and the
// accounts it must refuse alike.
type scopeProbe struct {
	a       *App
	narrow  *Token
	inside  string            // the consented account
	outside map[string]string // what it is → an account id outside the consent
}

func scopeOf(ctx context.Context, p *prober, s surface) (*scopeProbe, error) {
	m, err := moneyOf(ctx)
	if err != nil {
		return nil, err
	}
	lisi, err := seededUser(ctx, "lisi")
	if err != nil {
		return nil, err
	}
	sp := &scopeProbe{inside: m.zhangsan.Accounts[1].ID,
		outside: map[string]string{"the user's own account outside the consent": m.zhangsan.Accounts[0].ID,
			"another user's account": lisi.Accounts[0].ID, "an account that does not exist": "ac_" + randomNonce()[:24]}}
	if sp.a, err = p.appFor(ctx, s, true); err != nil {
		return nil, err
	}
	sp.narrow, _, err = obtainToken(ctx, sp.a, proberUser, ConsentRequest{Scopes: proberScopes, ValidDays: 1, Accounts: []string{sp.inside}})
	return sp, err
}

// probeAccountScoped: with zhangsan's consent to his second account only, the
// interface answers the consented account, refuses his first account, lisi's and one
// that does not exist with one and the same answer, and lists nothing else on any page
// (9.3.2/1a: 对于未授权的资源禁止访问; 9.3.1/2; 10.2.2/2).
func probeAccountScoped(ctx context.Context, p *prober, s surface) error {
	sp, err := scopeOf(ctx, p, s)
	if err != nil {
		return err
	}
	a, api := sp.a, *s.API
	switch {
	case api.Method == "POST" && api.Scope == "payments:write":
		return scopedPayment(ctx, p, a, sp)
	case strings.Contains(api.Path, ":account_id"):
		if err := scopedAccountPath(ctx, p, a, sp, api); err != nil {
			return err
		}
		if api.Scope == "transactions:read" {
			return scopedPages(ctx, p, a, sp, api)
		}
		return nil
	case api.Path == "/a2/v1/accounts":
		x, err := p.send(ctx, Call{App: a, Method: "GET", URI: api.Path, Header: http.Header{"X-Jr-Access-Token": {sp.narrow.Access}}})
		if err != nil {
			return err
		}
		if err := admitted(x); err != nil {
			return err
		}
		var got []string
		list, _ := x.JSON()["accounts"].([]any)
		for _, it := range list {
			m, _ := it.(map[string]any)
			id, _ := m["account_id"].(string)
			got = append(got, id)
		}
		if !slices.Equal(got, []string{sp.inside}) {
			return fmt.Errorf("the account list under a consent to one account lists %v, want exactly [%s]", got, sp.inside)
		}
		return nil
	case api.Scope == "holdings:read":
		return scopedHoldings(ctx, p, a, sp, api)
	}
	return fmt.Errorf("the suite knows no way to judge the account scope of %s %s (%s)", api.Method, api.Path, api.APIID)
}

// sameRefusal compares refusals for different ids: the same status and the same
// problem, apart from the request id and the id asked for.
func sameRefusal(xs map[string]*Exchange, ids map[string]string) error {
	var ref, refWhat string
	for what, x := range xs {
		var v map[string]any
		if err := json.Unmarshal(x.Body, &v); err != nil {
			return fmt.Errorf("%s: the refusal is not a JSON problem: %s", what, clip(string(x.Body), 160))
		}
		delete(v, "request_id")
		norm := fmt.Sprintf("%d %s", x.Status, strings.ReplaceAll(string(jsonBody(v)), ids[what], "{id}"))
		if ref == "" {
			ref, refWhat = norm, what
			continue
		}
		if norm != ref {
			return fmt.Errorf("the refusals tell the accounts apart: %s is answered %s, %s %s", refWhat, clip(ref, 200), what, clip(norm, 200))
		}
	}
	return nil
}

func scopedAccountPath(ctx context.Context, p *prober, a *App, sp *scopeProbe, api pubAPI) error {
	get := func(id string) (*Exchange, error) {
		return p.send(ctx, Call{App: a, Method: "GET", URI: strings.ReplaceAll(api.Path, ":account_id", id),
			Header: http.Header{"X-Jr-Access-Token": {sp.narrow.Access}}})
	}
	x, err := get(sp.inside)
	if err != nil {
		return err
	}
	if err := admitted(x); err != nil {
		return fmt.Errorf("the consented account: %w", err)
	}
	refusals := map[string]*Exchange{}
	for what, id := range sp.outside {
		x, err := get(id)
		if err != nil {
			return err
		}
		if err := refusedWith(x, 404, "ACCOUNT_NOT_FOUND"); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		refusals[what] = x
	}
	return sameRefusal(refusals, sp.outside)
}

// scopedPages walks the consented account's history page by page (small pages, up to
// a fixed time so that new payments do not shift them) and checks the pages hold
// exactly what one large page holds — and none of the transactions of the user's other
// account, read with his consent to both.
func scopedPages(ctx context.Context, p *prober, a *App, sp *scopeProbe, api pubAPI) error {
	to := url.QueryEscape(time.Now().Add(-2 * time.Second).UTC().Format(time.RFC3339))
	page := func(tok *Token, id string, n, size int) ([]string, int, error) {
		uri := fmt.Sprintf("%s?to=%s&page=%d&page_size=%d", strings.ReplaceAll(api.Path, ":account_id", id), to, n, size)
		x, err := p.send(ctx, Call{App: a, Method: "GET", URI: uri, Header: http.Header{"X-Jr-Access-Token": {tok.Access}}})
		if err != nil {
			return nil, 0, err
		}
		if err := admitted(x); err != nil {
			return nil, 0, err
		}
		var pg struct {
			Items []struct {
				ID string `json:"transaction_id"`
			} `json:"items"`
			Total int `json:"total"`
		}
		if err := json.Unmarshal(x.Body, &pg); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", uri, err)
		}
		var ids []string
		for _, it := range pg.Items {
			ids = append(ids, it.ID)
		}
		return ids, pg.Total, nil
	}
	// walk reads a history page by page (each page judged by onPage) up to its total.
	walk := func(tok *Token, id string, size int, onPage func(n int, ids []string) error) ([]string, error) {
		var all []string
		for n := 1; ; n++ {
			ids, total, err := page(tok, id, n, size)
			if err == nil && onPage != nil {
				err = onPage(n, ids)
			}
			if err != nil {
				return nil, err
			}
			all = append(all, ids...)
			if len(ids) == 0 || len(all) >= total || n > 1000 {
				if len(all) != total {
					return nil, fmt.Errorf("the history of account %s totals %d, its pages of %d hold %d", id, total, size, len(all))
				}
				return all, nil
			}
		}
	}
	whole, err := walk(sp.narrow, sp.inside, 100, nil)
	if err != nil {
		return err
	}
	broad, err := p.token(ctx, a) // zhangsan's consent to the app for every account
	if err != nil {
		return err
	}
	others, err := walk(broad, sp.outside["the user's own account outside the consent"], 100, nil)
	if err != nil {
		return err
	}
	const size = 4
	walked, err := walk(sp.narrow, sp.inside, size, func(n int, ids []string) error {
		for _, id := range ids {
			if slices.Contains(others, id) {
				return fmt.Errorf("page %d of the consented account's history holds transaction %s of the account outside the consent", n, id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !slices.Equal(walked, whole) {
		return fmt.Errorf("pages of %d hold %d transactions %v…, pages of 100 hold %d %v…: paging changes what the history holds",
			size, len(walked), head(walked), len(whole), head(whole))
	}
	return nil
}

func head(ids []string) []string { return ids[:min(3, len(ids))] }

// scopedHoldings: the holdings under the narrow consent, decrypted with the app's key,
// are all on the consented account.
func scopedHoldings(ctx context.Context, p *prober, a *App, sp *scopeProbe, api pubAPI) error {
	x, err := p.send(ctx, Call{App: a, Method: "GET", URI: api.Path, Header: http.Header{"X-Jr-Access-Token": {sp.narrow.Access}}})
	if err != nil {
		return err
	}
	if err := admitted(x); err != nil {
		return err
	}
	plain := x.Body // holdings in clear are another scenario's to judge (7.2.2/3c); their scope is this one's
	if _, sealed := x.JSON()["encrypted"]; sealed {
		if plain, err = openHoldings(a, x); err != nil {
			return err
		}
	}
	var hs struct {
		Holdings []struct {
			AccountID string `json:"account_id"`
		} `json:"holdings"`
	}
	if err := json.Unmarshal(plain, &hs); err != nil {
		return fmt.Errorf("decrypted holdings: %w", err)
	}
	for _, h := range hs.Holdings {
		if h.AccountID != sp.inside {
			return fmt.Errorf("the holdings under a consent to account %s include one on account %s", sp.inside, h.AccountID)
		}
	}
	return nil
}

// openHoldings decrypts a holdings answer with the app's encryption key.
func openHoldings(a *App, x *Exchange) ([]byte, error) {
	var ans struct {
		Encrypted *envelope `json:"encrypted"`
	}
	if err := json.Unmarshal(x.Body, &ans); err != nil || ans.Encrypted == nil {
		return nil, fmt.Errorf("the holdings answer is not an encrypted envelope: %s", clip(string(x.Body), 200))
	}
	return open(a.EncKey, *ans.Encrypted, []byte(holdingsAAD))
}

// scopedPayment: under a payment consent from zhangsan's first account (the one outside
// the account-information consent), a payment from his second, from lisi's and from an
// account that does not exist are refused alike
// (403 PAYMENT_NOT_CONSENTED); the consented one is executed.
func scopedPayment(ctx context.Context, p *prober, a *App, sp *scopeProbe) error {
	c, err := consentedPayment(ctx, p, surface{}, a)
	if err != nil {
		return err
	}
	m, t, tok := c.m, c.t, c.tok
	from := map[string]string{"the user's account outside the payment consent": sp.inside,
		"another user's account": sp.outside["another user's account"], "an account that does not exist": sp.outside["an account that does not exist"]}
	refusals := map[string]*Exchange{}
	for what, id := range from {
		v := t
		v.from = id
		body, err := payBody(ctx, p.w.Env, v)
		if err != nil {
			return err
		}
		x, err := p.send(ctx, payCall(a, tok, body, "scope-"+randomNonce()))
		if err != nil {
			return err
		}
		if err := refusedWith(x, 403, "PAYMENT_NOT_CONSENTED"); err != nil {
			return fmt.Errorf("a payment from %s: %w", what, err)
		}
		refusals[what] = x
	}
	if err := sameRefusal(refusals, from); err != nil {
		return err
	}
	body, err := payBody(ctx, p.w.Env, t)
	if err != nil {
		return err
	}
	x, err := p.send(ctx, payCall(a, tok, body, "scope-"+randomNonce()))
	if err != nil {
		return err
	}
	_, err = paid(x, t, m.masks)
	return err
}
