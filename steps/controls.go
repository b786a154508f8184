package steps

// Controls × surfaces (features/bank/controls.yaml): every security control the bank
// suite judges is probed on every surface it guards — each interface of the bank's own
// published catalogue (/docs/apis.json) that the control's selector picks, so an
// interface the bank adds is judged without a new scenario — and every (control,
// surface) pair a run checked is recorded for the report's matrix.

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/jr0185/harness/features"
	"github.com/jr0185/harness/steps/report"
)

// controlProbe judges one control on one surface: nil when the control holds there.
type controlProbe func(ctx context.Context, p *prober, s surface) error

// controlProbes are the probes by control ID; each step area registers its own in init
// (TestControlsHaveProbesAndScenarios: every control of controls.yaml has one).
var controlProbes = map[string]controlProbe{}

// surface is one thing a control guards: an interface of the published catalogue, or a
// bank page.
type surface struct {
	API  *pubAPI
	Page string
}

func (s surface) String() string {
	if s.API != nil {
		return s.API.APIID
	}
	return "page:" + s.Page
}

func (s surface) describe() string {
	if s.API != nil {
		return fmt.Sprintf("%s (%s %s, %s)", s.API.APIID, s.API.Method, s.API.Path, s.API.Level)
	}
	return "the bank's " + s.Page + " page"
}

// surfacesOf lists the surfaces a control guards in a published catalogue.
func surfacesOf(c features.Control, cat *pubCatalogue) []surface {
	var out []surface
	for i := range cat.APIs {
		a := &cat.APIs[i]
		if a.Lifecycle.State == "offline" {
			continue
		}
		if c.Surfaces.Selects(features.Interface{Level: a.Level, Method: a.Method, Scope: a.Scope, UserToken: a.UserToken}) {
			out = append(out, surface{API: a})
		}
	}
	for _, p := range c.Surfaces.Pages {
		out = append(out, surface{Page: p})
	}
	return out
}

// controlCheck is one probe's outcome, kept for the run's matrix.
type controlCheck struct {
	scenario string
	err      error
}

// controlBook is the run's record of every (control, surface) pair probed.
type controlBook struct {
	mu     sync.Mutex
	checks map[[2]string][]controlCheck // {control, surface} → outcomes
	nonces map[string]bool              // answer nonces seen (ANSWER-SIGNED: never repeated)
}

func (b *controlBook) record(control, surface, scenario string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.checks == nil {
		b.checks = map[[2]string][]controlCheck{}
	}
	k := [2]string{control, surface}
	b.checks[k] = append(b.checks[k], controlCheck{scenario: scenario, err: err})
}

// freshNonce records an answer nonce and reports whether it was new to the run.
func (b *controlBook) freshNonce(n string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.nonces == nil {
		b.nonces = map[string]bool{}
	}
	if b.nonces[n] {
		return false
	}
	b.nonces[n] = true
	return true
}

func (b *controlBook) outcomes(control, surface string) []controlCheck {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]controlCheck(nil), b.checks[[2]string{control, surface}]...)
}

// bankControls loads controls.yaml once per process.
var bankControls = sync.OnceValues(func() ([]features.Control, error) {
	cat, err := features.Load()
	if err != nil {
		return nil, err
	}
	return features.Controls(cat)
})

func controlByID(id string) (features.Control, error) {
	all, err := bankControls()
	if err != nil {
		return features.Control{}, err
	}
	for _, c := range all {
		if c.ID == id {
			return c, nil
		}
	}
	return features.Control{}, fmt.Errorf("features/bank/controls.yaml has no control %q", id)
}

func init() {
	registrars = append(registrars, registerControls)
	matrixBuilders["bank"] = append(matrixBuilders["bank"], controlsMatrix)
}

func registerControls(sc *godog.ScenarioContext) {
	sc.Step(`^the bank enforces "([A-Z0-9-]+)" on every surface it guards$`, enforcesEverywhere)
}

// enforcesEverywhere probes one control on every surface of the live catalogue it
// guards, records each pair, and fails naming every surface where it does not hold.
func enforcesEverywhere(ctx context.Context, id string) error {
	w := W(ctx)
	c, err := controlByID(id)
	if err != nil {
		return err
	}
	probe, ok := controlProbes[id]
	if !ok {
		return fmt.Errorf("no probe judges control %s (steps: controlProbes)", id)
	}
	// No interface changes its lifecycle state while the control is probed on all of
	// them (the lifecycle scenarios retire one and reinstate it): held to the scenario's end.
	if h := holdOf(w); !h.held {
		w.Env.lifecycle.RLock()
		*h = lifecycleHold{held: true}
	}
	cat, err := catalogue(ctx)
	if err != nil {
		return err
	}
	surfaces := surfacesOf(c, cat)
	if len(surfaces) == 0 {
		return fmt.Errorf("control %s selects no surface of the published catalogue (%d interfaces)", id, len(cat.APIs))
	}
	p := newProber(w)
	var failed []string
	for _, s := range surfaces {
		err := probe(ctx, p, s)
		w.Env.controls.record(id, s.String(), w.Scenario, err)
		if err != nil {
			failed = append(failed, s.describe()+": "+err.Error())
			continue
		}
		w.Note("%s holds on %s", id, s.describe())
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s (%s) does not hold on %d of %d surfaces:\n  %s", id, strings.Join(c.Clauses, ", "),
			len(failed), len(surfaces), strings.Join(failed, "\n  "))
	}
	return nil
}

// controlsMatrix is the report's controls × surfaces table for a bank-suite run: one row
// per control and surface the bank's catalogue has now, with the scenarios that probed
// it and the outcome; a pair no scenario of the run probed is "uncovered".
func controlsMatrix(ctx context.Context, e *Env, _ report.Run) (report.Matrix, error) {
	m := report.Matrix{ID: "bank-controls", Title: "Controls × surfaces",
		Note: "Every security control the bank suite judges (features/bank/controls.yaml) on every surface it guards: the " +
			"interfaces of the bank's published catalogue its selector picks, and named bank pages. A pair no scenario of " +
			"this run probed is uncovered.",
		Columns: []string{"Control", "Requirements", "Surface", "Scenarios"}}
	controls, err := bankControls()
	if err != nil {
		return m, err
	}
	x, err := e.get(ctx, "/docs/apis.json")
	if err != nil || x.Status != 200 {
		return m, fmt.Errorf("GET /docs/apis.json: HTTP %d %v", x.Status, err)
	}
	var cat pubCatalogue
	if err := json.Unmarshal(x.Body, &cat); err != nil {
		return m, fmt.Errorf("/docs/apis.json: %w", err)
	}
	for _, c := range controls {
		for _, s := range surfacesOf(c, &cat) {
			row := report.MatrixRow{Status: "uncovered"}
			var scenarios []string
			var firstErr error
			for _, o := range e.controls.outcomes(c.ID, s.String()) {
				if !containsString(scenarios, o.scenario) {
					scenarios = append(scenarios, o.scenario)
				}
				if o.err != nil && firstErr == nil {
					firstErr = o.err
				}
			}
			switch {
			case firstErr != nil:
				row.Status = report.VerdictFailed
			case len(scenarios) > 0:
				row.Status = report.VerdictPassed
			}
			sort.Strings(scenarios)
			row.Cells = []string{c.ID, strings.Join(c.Clauses, " "), s.describe(), strings.Join(scenarios, "; ")}
			m.Rows = append(m.Rows, row)
		}
	}
	return m, nil
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// ---- the prober: valid requests for any published interface

// prober builds, for any interface of the catalogue, a request the bank must admit —
// the baseline a probe then spoils in exactly one way. It registers its own apps (a
// fresh one on request: a probe that provokes authentication failures must not trip the
// App_ID's lockout for the next surface) and obtains zhangsan's consents for them.
type prober struct {
	w      *World
	apps   map[string]*App // the shared app of each level
	tokens map[*App]*Token // zhangsan's account-information token, per app
	accts  map[*App]string // zhangsan's first account id, as the app's token lists it
	pays   map[*App]string // a payment the app made
	n      int
	code   string // a product code of the published list

	gw     *gatewayLimits            // the bank's published gateway limits, once read
	certs  map[*App]*tls.Certificate // a second registered client certificate, per app
	narrow map[string]*Token         // tokens whose consent lacks one scope, by app and scope
}

// proberUser is the test user whose consents the prober obtains.
const proberUser = "zhangsan"

// proberScopes are the account-information scopes of the prober's consents.
var proberScopes = []string{"accounts:read", "balances:read", "transactions:read", "limits:read", "holdings:read"}

func newProber(w *World) *prober {
	return &prober{w: w, apps: map[string]*App{}, tokens: map[*App]*Token{}, accts: map[*App]string{}, pays: map[*App]string{},
		certs: map[*App]*tls.Certificate{}, narrow: map[string]*Token{}}
}

// app returns the prober's app for a level; fresh registers a new one.
func (p *prober) app(ctx context.Context, level string, fresh bool) (*App, error) {
	if a, ok := p.apps[level]; ok && !fresh {
		return a, nil
	}
	scopes := A1Scopes
	if level == "A2" {
		scopes = append(append([]string(nil), A2Scopes...), A1Scopes...)
	}
	p.n++
	a, err := p.w.Env.RegisterApp(ctx, fmt.Sprintf("Conformance probe %s %d %s", level, p.n, randomNonce()[:6]), AppSpec{Level: level, Scopes: scopes})
	if err != nil {
		return nil, err
	}
	if !fresh {
		p.apps[level] = a
	}
	return a, nil
}

// appFor is the app to call surface s with.
func (p *prober) appFor(ctx context.Context, s surface, fresh bool) (*App, error) {
	level := "A2"
	if s.API != nil && s.API.Level == "A1" {
		level = "A1"
	}
	return p.app(ctx, level, fresh)
}

func (p *prober) token(ctx context.Context, a *App) (*Token, error) {
	if t, ok := p.tokens[a]; ok {
		return t, nil
	}
	t, _, err := obtainToken(ctx, a, proberUser, ConsentRequest{Scopes: proberScopes, ValidDays: 1})
	if err != nil {
		return nil, err
	}
	p.tokens[a] = t
	return t, nil
}

// send signs and sends a call and keeps it as the scenario's evidence.
func (p *prober) send(ctx context.Context, c Call) (*Exchange, error) {
	x, err := p.w.Env.Do(ctx, c, nil)
	if err != nil {
		return nil, err
	}
	p.w.Note("probe %s", x.Evidence())
	return x, nil
}

// account is zhangsan's first account id as app a's token lists it.
func (p *prober) account(ctx context.Context, a *App) (string, error) {
	if id, ok := p.accts[a]; ok {
		return id, nil
	}
	t, err := p.token(ctx, a)
	if err != nil {
		return "", err
	}
	x, err := p.send(ctx, Call{App: a, Method: "GET", URI: "/a2/v1/accounts", Header: http.Header{"X-Jr-Access-Token": {t.Access}}})
	if err != nil {
		return "", err
	}
	list, _ := x.JSON()["accounts"].([]any)
	if x.Status != 200 || len(list) == 0 {
		return "", fmt.Errorf("GET /a2/v1/accounts for %s: HTTP %d %s", proberUser, x.Status, clip(string(x.Body), 200))
	}
	m, _ := list[0].(map[string]any)
	id, _ := m["account_id"].(string)
	p.accts[a] = id
	return id, nil
}

// productCode is a code of the bank's published product list.
func (p *prober) productCode(ctx context.Context) (string, error) {
	if p.code != "" {
		return p.code, nil
	}
	a, err := p.app(ctx, "A1", false)
	if err != nil {
		return "", err
	}
	x, err := p.send(ctx, Call{App: a, Method: "GET", URI: "/a1/v1/products?page_size=1"})
	if err != nil {
		return "", err
	}
	items, _ := x.JSON()["items"].([]any)
	if x.Status != 200 || len(items) == 0 {
		return "", fmt.Errorf("GET /a1/v1/products: HTTP %d %s", x.Status, clip(string(x.Body), 200))
	}
	m, _ := items[0].(map[string]any)
	p.code, _ = m["code"].(string)
	return p.code, nil
}

// payment makes one small consented payment as app a and returns its id.
func (p *prober) payment(ctx context.Context, a *App) (string, error) {
	if id, ok := p.pays[a]; ok {
		return id, nil
	}
	c, err := p.paymentCall(ctx, a)
	if err != nil {
		return "", err
	}
	x, err := p.send(ctx, c)
	if err != nil {
		return "", err
	}
	id, _ := x.JSON()["payment_id"].(string)
	if x.Status/100 != 2 || id == "" {
		return "", fmt.Errorf("the prober's payment: HTTP %d %s", x.Status, clip(string(x.Body), 200))
	}
	p.pays[a] = id
	return id, nil
}

// Probe payments: 0.01 CNY from zhangsan's first account to a card at another bank.
const (
	probeAmount     = "0.01"
	probePayee      = "6222000000000000020"
	probePayeeName  = "赵六"
	formContentType = "application/x-www-form-urlencoded"
)

// paymentCall is a payment the bank must execute: zhangsan's fresh single-use consent
// for it, the payee sealed to the bank's encryption certificate, a new Idempotency-Key.
func (p *prober) paymentCall(ctx context.Context, a *App) (Call, error) {
	from, err := p.account(ctx, a)
	if err != nil {
		return Call{}, err
	}
	t, _, err := obtainToken(ctx, a, proberUser, ConsentRequest{Scopes: []string{"payments:write"}, Payment: true,
		Amount: probeAmount, PayeeAccount: probePayee, PayeeName: probePayeeName, DebitAccount: from})
	if err != nil {
		return Call{}, err
	}
	pub, serial, err := p.w.Env.bankEncKey(ctx)
	if err != nil {
		return Call{}, err
	}
	env, err := seal(pub, serial, jsonBody(map[string]string{"account": probePayee, "name": probePayeeName}), []byte(payeeAAD))
	if err != nil {
		return Call{}, err
	}
	body := jsonBody(map[string]any{"debit_account_id": from, "amount": probeAmount, "currency": "CNY",
		"payee": map[string]any{"encrypted": env}, "memo": "conformance probe"})
	return Call{App: a, Method: "POST", URI: paymentsURI, Body: body,
		Header: http.Header{"X-Jr-Access-Token": {t.Access}, "Idempotency-Key": {"probe-" + randomNonce()}}}, nil
}

// valid builds a request for s.API that the bank must admit and answer 2xx, as app a.
// An interface the prober does not know how to call correctly is an error: the suite
// cannot judge it, and says so, rather than passing it unjudged.
func (p *prober) valid(ctx context.Context, a *App, s surface) (Call, error) {
	if s.API == nil {
		return Call{}, fmt.Errorf("%s is a page, not an interface", s)
	}
	api := *s.API
	switch {
	case api.Method == "POST" && api.Scope == "payments:write":
		return p.paymentCall(ctx, a)
	case api.Method == "POST" && api.Path == "/a2/v1/oauth/token":
		return p.codeExchange(ctx, a)
	case api.Method == "POST" && api.Path == "/a2/v1/oauth/revoke":
		return Call{App: a, Method: "POST", URI: api.Path, Body: []byte("token=" + url.QueryEscape("probe-"+randomNonce())),
			ContentType: formContentType}, nil
	case api.Method != "GET":
		return Call{}, fmt.Errorf("the suite knows no valid request for %s %s (%s): it cannot judge it", api.Method, api.Path, api.APIID)
	}
	uri, err := p.fillPath(ctx, a, api)
	if err != nil {
		return Call{}, err
	}
	c := Call{App: a, Method: "GET", URI: uri, Header: http.Header{}}
	if api.UserToken {
		t, err := p.token(ctx, a)
		if err != nil {
			return Call{}, err
		}
		c.Header.Set("X-JR-Access-Token", t.Access)
	}
	return c, nil
}

// fillPath puts values the app may read into the interface's path parameters.
func (p *prober) fillPath(ctx context.Context, a *App, api pubAPI) (string, error) {
	parts := strings.Split(api.Path, "/")
	for i, seg := range parts {
		if !strings.HasPrefix(seg, ":") {
			continue
		}
		var v string
		var err error
		switch name := seg[1:]; name {
		case "account_id":
			v, err = p.account(ctx, a)
		case "payment_id":
			v, err = p.payment(ctx, a)
		case "code", "product_code":
			v, err = p.productCode(ctx)
		default:
			err = fmt.Errorf("the suite knows no value for path parameter %s of %s: it cannot judge it", name, api.APIID)
		}
		if err != nil {
			return "", err
		}
		parts[i] = url.PathEscape(v)
	}
	return strings.Join(parts, "/"), nil
}

// codeExchange is a token request the bank must answer 200: the code of a fresh consent
// of zhangsan's to app a, with its PKCE verifier.
func (p *prober) codeExchange(ctx context.Context, a *App) (Call, error) {
	b, err := browserOf(ctx, proberUser)
	if err != nil {
		return Call{}, err
	}
	auth := p.w.Env.AuthorizationURL(a, ConsentRequest{Scopes: []string{"accounts:read"}, ValidDays: 1})
	q, err := b.Consent(ctx, auth, false, true)
	if err != nil {
		return Call{}, fmt.Errorf("%s at the bank's consent pages: %w", proberUser, err)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {p.w.Env.T.RedirectURI},
		"code_verifier": {auth.Verifier}}
	return Call{App: a, Method: "POST", URI: "/a2/v1/oauth/token", Body: []byte(form.Encode()), ContentType: formContentType}, nil
}

// admitted insists the bank answered the valid request 2xx.
func admitted(x *Exchange) error {
	if x.Err != nil {
		return fmt.Errorf("the correct request got no answer: %v", x.Err)
	}
	if x.Status/100 != 2 {
		return fmt.Errorf("the correct request was refused: %s", x.Evidence())
	}
	return nil
}

// refusedWith insists the bank refused with this status and one of the codes.
func refusedWith(x *Exchange, status int, codes ...string) error {
	if x.Err != nil {
		return fmt.Errorf("no answer (want HTTP %d %s): %v", status, strings.Join(codes, "/"), x.Err)
	}
	if x.Status != status || !containsString(codes, x.Code()) {
		return fmt.Errorf("want HTTP %d %s, got %s", status, strings.Join(codes, " or "), x.Evidence())
	}
	return nil
}

// ---- probes of the gateway's authentication and integrity controls

func init() {
	controlProbes["AUTH-REQUIRED"] = probeAuthRequired
	controlProbes["REQUEST-INTEGRITY"] = probeRequestIntegrity
	controlProbes["ANSWER-SIGNED"] = probeAnswerSigned
}

// probeAuthRequired: the valid request sent without its Authorization header is refused
// 401 AUTH_MISSING with a signed answer (JR/T 0185-2020 9.2.1 b) 1)).
func probeAuthRequired(ctx context.Context, p *prober, s surface) error {
	_, c, err := p.baseline(ctx, s, false)
	if err != nil {
		return err
	}
	c.Fault = FaultUnsigned
	x, err := p.send(ctx, c)
	if err != nil {
		return err
	}
	if err := refusedWith(x, 401, "AUTH_MISSING"); err != nil {
		return err
	}
	return p.w.Env.VerifyAnswer(ctx, nil, x)
}

// probeRequestIntegrity: the valid request with its MAC or signature computed over a
// different body, then over a different path, is refused (401 MAC_INVALID on A1,
// SIGNATURE_INVALID on A2); the same request correctly signed is admitted (9.2.2/1-2).
// A fresh app per surface: three refusals must not pause the App_ID for the next one.
func probeRequestIntegrity(ctx context.Context, p *prober, s surface) error {
	_, c, err := p.baseline(ctx, s, true)
	if err != nil {
		return err
	}
	code := "SIGNATURE_INVALID"
	if s.API.Level == "A1" {
		code = "MAC_INVALID"
	}
	for _, f := range []Fault{FaultOtherBody, FaultOtherURI} {
		bad := c
		bad.Fault = f
		x, err := p.send(ctx, bad)
		if err != nil {
			return err
		}
		if err := refusedWith(x, 401, code); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	x, err := p.send(ctx, c)
	if err != nil {
		return err
	}
	return admitted(x)
}

// probeAnswerSigned: an accepted and a refused answer both carry the bank's signature
// by a published key, over a timestamp that is the bank's current time and a nonce
// never seen before in the run (7.2.2/2, 9.2.2/2).
func probeAnswerSigned(ctx context.Context, p *prober, s surface) error {
	a, c, err := p.baseline(ctx, s, false)
	if err != nil {
		return err
	}
	refused := c
	refused.Fault = FaultUnsigned
	for _, call := range []Call{refused, c} {
		x, err := p.send(ctx, call)
		if err != nil {
			return err
		}
		macApp := (*App)(nil) // the A1 answer MAC: only on an authenticated A1 call
		if call.Fault == FaultNone {
			if err := admitted(x); err != nil {
				return err
			}
			if s.API.Level == "A1" {
				macApp = a
			}
		}
		if err := p.w.Env.VerifyAnswer(ctx, macApp, x); err != nil {
			return fmt.Errorf("%s: %w", x.Evidence(), err)
		}
		if err := freshAnswer(p.w.Env, x); err != nil {
			return fmt.Errorf("%s: %w", x.Evidence(), err)
		}
	}
	return nil
}

// answerSkew is how far an answer's X-JR-Timestamp may be from the harness's clock.
const answerSkew = 60 * time.Second

// freshAnswer checks the answer's signed timestamp is now and its nonce new to the run.
func freshAnswer(e *Env, x *Exchange) error {
	ts, err := strconv.ParseInt(x.Header.Get("X-JR-Timestamp"), 10, 64)
	if err != nil {
		return fmt.Errorf("X-JR-Timestamp %q is not unix seconds", x.Header.Get("X-JR-Timestamp"))
	}
	if skew := time.Since(time.Unix(ts, 0)); skew > answerSkew || skew < -answerSkew {
		return fmt.Errorf("X-JR-Timestamp %d is %s away from now: a signed answer must carry the time it was signed", ts, skew.Round(time.Second))
	}
	n := x.Header.Get("X-JR-Nonce")
	if len(n) < 16 {
		return fmt.Errorf("X-JR-Nonce %q is too short to be unique", n)
	}
	if !e.controls.freshNonce(n) {
		return fmt.Errorf("X-JR-Nonce %q was already used by an earlier answer: a replayed answer could not be told from a new one", n)
	}
	return nil
}
