package steps

// The partner-side suite (features/partner): the sandbox plays the bank and the harness
// judges a partner's integration by what it does — what it answers through the driver
// contract (steps/driver), what the bank observed it send, and what it did next after a
// good or a bad answer (JR/T 0185-2020 7.2.2, 7.3.3, 7.3.4, 9.2.2, 9.3.1–9.3.5, 10.1.2,
// 12.3; modelled on the OpenID Foundation's client test plans).
//
// The partner is onboarded once per run: its public material (hello) is registered with
// the bank through the test-control API as one A2 app, and the bank's answer is handed to
// it (configure). Each scenario then resets the partner, clears the app's faults and
// starts reading the bank's observations of that App_ID from where they stand. Partner
// scenarios share one partner, so they run one at a time.

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"
	tjx509 "github.com/tjfoc/gmsm/x509"

	"github.com/jr0185/harness/steps/driver"
)

// partnerRun is the partner under test, onboarded once per run.
type partnerRun struct {
	once  sync.Once
	err   error
	hello driver.HelloResult
	appID string
	conf  driver.ConfigureParams // what the partner was last configured with
	away  bool                   // configured with another bank_url (an impostor) since
	// baseline is the App_ID as onboarding left it; every scenario starts from it.
	baseline appBaseline
}

// partnerState is one scenario's view of the partner.
type partnerState struct {
	after, hsAfter int64 // observation cursors at the scenario's start
	user           string
	accounts       []driver.Account
	answers        []actionAnswer // every action of the scenario, in order
	payment        driver.PaymentResult
	handed         []string // full numbers the harness handed to the partner (payee accounts)
	marks          map[string]time.Time
	probe          map[string]any
	probeID        string
	truthBefore    int64 // the debit account's balance (fen) before a payment, as the harness read it

	// The bank as adversary (partner_adversary.go): the rounds of the last walk, the
	// partner's alarm count and accepted notifications before it, and the bank's
	// redirects of a consent the walk's rounds finish.
	rounds                    []adversaryRound
	alarmsAtWalk, notesAtWalk int
	walkFrom                  int64 // the bank's observation cursor when the walk began
	linkRedirect              string
	paymentRedirect           string

	ready bool     // partnerReady ran: the After hooks judge the scenario
	codes []string // authorization codes the bank redirected with (the partner must not expose them)
	oauth oauthState
}

// actionAnswer is one action the harness asked for and how the partner answered.
type actionAnswer struct {
	Action     string
	Start, End time.Time
	Err        error
	Result     any
}

func pst(w *World) *partnerState {
	return areaState(w, func() *partnerState { return &partnerState{marks: map[string]time.Time{}} })
}

func init() { registrars = append(registrars, registerPartner) }

func registerPartner(sc *godog.ScenarioContext) {
	sc.Step(`^the partner under test, onboarded at the bank$`, partnerReady)
	sc.Step(`^the partner has linked "(\w+)"'s accounts for "([^"]*)"$`, partnerLinks)
	sc.Step(`^the partner is asked to list the products$`, func(ctx context.Context) error {
		var r driver.ProductsResult
		return partnerDo(ctx, driver.ListProducts, nil, &r)
	})
	sc.Step(`^the partner is asked for the balance of the user's first account$`, func(ctx context.Context) error {
		return partnerBalance(ctx, 1)
	})
	sc.Step(`^the partner is asked for the balance of the user's first account (\d+) times$`, partnerBalance)
	sc.Step(`^the partner is asked for the balance of an account with no user linked$`, func(ctx context.Context) error {
		var r driver.BalanceResult
		return partnerDo(ctx, driver.Balance, driver.AccountParams{AccountID: "ac_000000000000000000000000"}, &r)
	})
	sc.Step(`^the partner is asked for the user's accounts$`, func(ctx context.Context) error {
		var r driver.AccountsResult
		return partnerDo(ctx, driver.Accounts, struct{}{}, &r)
	})
	sc.Step(`^the partner answered with the user's accounts$`, partnerAccountsAgain)
	sc.Step(`^the partner is asked for the user's holdings$`, func(ctx context.Context) error {
		var r driver.HoldingsResult
		return partnerDo(ctx, driver.Holdings, struct{}{}, &r)
	})
	sc.Step(`^the partner is asked to pay "([\d.]+)" from the user's first account to "(\d+)" named "([^"]+)"$`, partnerPays)
	sc.Step(`^the partner is asked for the status of that payment$`, func(ctx context.Context) error {
		s := pst(W(ctx))
		var r driver.PaymentResult
		return partnerDo(ctx, driver.PaymentStatus, driver.PaymentIDParams{PaymentID: s.payment.PaymentID}, &r)
	})
	sc.Step(`^the partner is asked to revoke the user's authorization$`, func(ctx context.Context) error {
		return partnerDo(ctx, driver.Revoke, struct{}{}, nil)
	})

	// What the partner answered.
	sc.Step(`^the partner answered with the products the bank publishes$`, partnerProductsMatch)
	sc.Step(`^the partner answered with the balance the bank holds for that account$`, partnerBalanceMatches)
	sc.Step(`^the partner answered with the holdings the bank holds for the user$`, partnerHoldingsMatch)
	sc.Step(`^the partner refused with "([a-z_]+)"$`, partnerRefused)
	sc.Step(`^the partner refused with "([a-z_]+)" or "([a-z_]+)"$`, partnerRefusedEither)
	sc.Step(`^the partner refused at least one of them itself with "([a-z_]+)"$`, partnerRefusedSome)
	sc.Step(`^the partner reported the payment "([a-z_]+)"$`, partnerPaymentStatus)
	sc.Step(`^the partner's accounts are shown masked$`, partnerAccountsMasked)
	sc.Step(`^the partner's signing and encryption public keys differ$`, partnerKeysDiffer)
	sc.Step(`^the partner's history shows (?:an? )?"([a-z_]+)"(?:, (?:an? )?"([a-z_]+)")?(?: and (?:an? )?"([a-z_]+)")?$`, partnerHistory)
	sc.Step(`^the partner's status shows its circuit open and an alarm$`, func(ctx context.Context) error { return partnerStatus(ctx, true) })
	sc.Step(`^the partner's status shows an alarm$`, func(ctx context.Context) error { return partnerStatus(ctx, false) })

	registerPartnerBank(sc)
	registerPartnerChecks(sc)
	registerPartnerAdversary(sc)
	registerPartnerImpostor(sc)
	registerPartnerOAuth(sc)
	registerPartnerTime(sc)
	registerPartnerGuard(sc)
}

// ---- onboarding

// onboardPartner asks the partner for its public material, registers it with the bank as
// one A2 app and hands the bank's answer back (once per run).
func (e *Env) onboardPartner(ctx context.Context) (*partnerRun, error) {
	if e.Partner == nil {
		return nil, errors.New("no partner driver: run the partner suite with --partner <driver>")
	}
	e.partner.once.Do(func() { e.partner.err = e.onboard(ctx) })
	return &e.partner, e.partner.err
}

func (e *Env) onboard(ctx context.Context) error {
	p := &e.partner
	if err := e.Partner.Do(ctx, driver.Hello, struct{}{}, &p.hello); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	h := p.hello
	if err := checkHello(h); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	reg := map[string]any{"name": "Partner under test: " + clip(h.Name, 60), "level": "A2",
		"scopes": append(append([]string(nil), A1Scopes...), A2Scopes...), "redirect_uris": []string{h.RedirectURI}}
	if h.NotifyURL != "" {
		reg["notify_url"] = h.NotifyURL
	}
	out, err := e.adminOK(ctx, "POST", "/admin/v1/apps", reg, 201)
	if err != nil {
		return err
	}
	cp := driver.ConfigureParams{BankURL: e.T.BaseURL, Scopes: append(append([]string(nil), A1Scopes...), A2Scopes...)}
	cp.AppID, _ = dig(out, "app", "app_id").(string)
	cp.AppSecret, _ = dig(out, "credentials", "app_secret").(string)
	cp.AppSecretSerial, _ = dig(out, "credentials", "serial").(string)
	if cp.AppID == "" {
		return fmt.Errorf("registration answer has no app.app_id: %v", out)
	}
	if _, err := e.adminOK(ctx, "POST", "/admin/v1/apps/"+cp.AppID+"/actions/approve", nil, 200); err != nil {
		return err
	}
	if _, err := e.adminOK(ctx, "POST", "/admin/v1/apps/"+cp.AppID+"/credentials", map[string]any{"kind": "client_cert", "pem": h.ClientCertPEM}, 201); err != nil {
		return err
	}
	for kind, pub := range map[string]string{"sm2_sign": h.SignPublicKeyPEM, "sm2_enc": h.EncPublicKeyPEM} {
		out, err := e.adminOK(ctx, "POST", "/admin/v1/apps/"+cp.AppID+"/credentials", map[string]any{"kind": kind, "pem": pub, "valid_days": 365}, 201)
		if err != nil {
			return err
		}
		serial, _ := dig(out, "credential", "serial").(string)
		if kind == "sm2_sign" {
			cp.SignSerial = serial
		} else {
			cp.EncSerial = serial
		}
	}
	if h.NotifyCSRPEM != "" {
		out, err := e.adminOK(ctx, "POST", "/admin/v1/pki/test-server-certs", map[string]any{"csr": h.NotifyCSRPEM}, 201)
		if err != nil {
			return fmt.Errorf("a certificate for the partner's notification server: %w", err)
		}
		cp.NotifyCertPEM, _ = out["certificate"].(string)
	}
	cp.CAPEM = string(e.caPEM)
	for path, dst := range map[string]*string{"/pki/bank-sign-certs.pem": &cp.BankSignCertsPEM, "/pki/bank-enc.crt": &cp.BankEncCertPEM} {
		x, err := e.get(ctx, path)
		if err != nil || x.Status != 200 {
			return fmt.Errorf("GET %s: %v", path, err)
		}
		*dst = string(x.Body)
	}
	if err := e.Partner.Do(ctx, driver.Configure, cp, nil); err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	p.appID, p.conf = cp.AppID, cp
	p.baseline, err = e.snapshotApp(ctx, cp.AppID)
	return err
}

// reconfigure puts the partner back on the bank's current signing certificates when a
// scenario changed them (a bank key rotation), and back on the bank's address after a
// scenario pointed it at an impostor: every scenario starts from a partner configured
// with what the bank publishes now, so no verdict depends on which scenario ran before.
func (e *Env) reconfigure(ctx context.Context) error {
	p := &e.partner
	x, err := e.get(ctx, "/pki/bank-sign-certs.pem")
	if err != nil || x.Status != 200 {
		return fmt.Errorf("GET /pki/bank-sign-certs.pem: %v", err)
	}
	if string(x.Body) == p.conf.BankSignCertsPEM && !p.away {
		return nil
	}
	cp := p.conf
	cp.BankSignCertsPEM = string(x.Body)
	if err := e.Partner.Do(ctx, driver.Configure, cp, nil); err != nil {
		return fmt.Errorf("configure (back to the bank's address and current signing certificates): %w", err)
	}
	p.conf, p.away = cp, false
	return nil
}

// checkHello insists on well-formed public material.
func checkHello(h driver.HelloResult) error {
	block, _ := pem.Decode([]byte(h.ClientCertPEM))
	if block == nil {
		return errors.New("client_cert_pem holds no PEM certificate")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return fmt.Errorf("client_cert_pem: %w", err)
	}
	if err := distinctKeys(h); err != nil {
		return err
	}
	if u, err := url.Parse(h.RedirectURI); err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("redirect_uri %q is not an https URL", h.RedirectURI)
	}
	return nil
}

// distinctKeys insists the partner's signing and encryption public keys are SM2 keys
// in PEM, and two different keys.
func distinctKeys(h driver.HelloResult) error {
	sign, err := tjx509.ReadPublicKeyFromPem([]byte(h.SignPublicKeyPEM))
	if err != nil {
		return fmt.Errorf("sign_public_key_pem is not an SM2 public key in PEM: %v", err)
	}
	enc, err := tjx509.ReadPublicKeyFromPem([]byte(h.EncPublicKeyPEM))
	if err != nil {
		return fmt.Errorf("enc_public_key_pem is not an SM2 public key in PEM: %v", err)
	}
	if sign.X.Cmp(enc.X) == 0 && sign.Y.Cmp(enc.Y) == 0 {
		return errors.New("the partner offers one SM2 key pair for both signing and encryption (JR/T 0185-2020 7.3.4/1: separate keys)")
	}
	return nil
}

// partnerReady onboards the partner (first scenario), puts the bank's side of it back
// where every scenario starts (isolate), resets it and starts the scenario's view of the
// bank's observations.
func partnerReady(ctx context.Context) error {
	w := W(ctx)
	p, err := w.Env.onboardPartner(ctx)
	if err != nil {
		return err
	}
	if err := w.Env.isolate(ctx); err != nil {
		return err
	}
	if err := w.Env.Partner.Do(ctx, driver.Reset, struct{}{}, nil); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	s := pst(w)
	obs, err := w.Env.observations(ctx, p.appID, 0)
	if err != nil {
		return err
	}
	s.after = obs.last
	hs, err := w.Env.handshakes(ctx, 0)
	if err != nil {
		return err
	}
	s.hsAfter = hs.last
	s.ready = true
	w.Vars["partner.app"] = p.appID
	w.Note("partner %q (%s) as app %s, driver %s", p.hello.Name, p.hello.Language, p.appID, w.Env.Partner.Describe())
	return nil
}

// ---- actions

// partnerDo runs one action and keeps its answer; a partner refusal is an answer, not a
// step failure (the Then steps judge it). Transport failures fail the step.
func partnerDo(ctx context.Context, action string, params, out any) error {
	w := W(ctx)
	s := pst(w)
	a := actionAnswer{Action: action, Start: time.Now()}
	err := w.Env.Partner.Do(ctx, action, params, out)
	a.End, a.Err, a.Result = time.Now(), err, out
	s.answers = append(s.answers, a)
	if err != nil && driver.Code(err) == "" {
		return fmt.Errorf("driver %s: %w", action, err)
	}
	if err != nil {
		w.Note("partner %s → refused: %v", action, err)
	} else {
		w.Note("partner %s → ok", action)
	}
	return nil
}

// partnerDoOK runs one action the scenario needs to go on: a partner refusal fails the
// step ("<action> refused: …").
func partnerDoOK(ctx context.Context, action string, params, out any) error {
	if err := partnerDo(ctx, action, params, out); err != nil {
		return err
	}
	if a, _ := pst(W(ctx)).last(); a.Err != nil {
		return fmt.Errorf("%s refused: %w", action, a.Err)
	}
	return nil
}

// last returns the scenario's last answer.
func (s *partnerState) last() (actionAnswer, error) {
	if len(s.answers) == 0 {
		return actionAnswer{}, errors.New("the partner was not asked anything yet")
	}
	return s.answers[len(s.answers)-1], nil
}

// partnerLinks plays the user through an account-information consent the partner
// started, then asks the partner for the user's accounts.
func partnerLinks(ctx context.Context, user, scopes string) error {
	w := W(ctx)
	s := pst(w)
	raw, err := partnerStartLink(ctx, scopes)
	if err != nil {
		return err
	}
	redirect, err := userAtBank(ctx, user, raw, false)
	if err != nil {
		return err
	}
	var link driver.LinkResult
	if err := partnerDoOK(ctx, driver.FinishLink, driver.RedirectParams{RedirectURL: redirect}, &link); err != nil {
		return err
	}
	if u, err := url.Parse(redirect); err == nil {
		s.oauth.finished = append(s.oauth.finished, u.Query().Get("state"))
	}
	s.user = user
	if !strings.Contains(" "+scopes+" ", " accounts:read ") {
		return nil
	}
	var accts driver.AccountsResult
	if err := partnerDoOK(ctx, driver.Accounts, struct{}{}, &accts); err != nil {
		return err
	}
	if len(accts.Accounts) == 0 {
		return fmt.Errorf("the partner lists no account of %s after the consent", user)
	}
	s.accounts = accts.Accounts
	w.Vars["partner.account"] = accts.Accounts[0].AccountID
	return nil
}

// userAtBank checks that an authorization URL the partner built sends the user to the
// bank's own pages with PKCE S256 and a state (JR/T 0185-2020 9.3.1/1: the user
// authenticates at the bank), then plays the user there, consenting, and returns the
// bank's redirect to the partner's redirect URI.
func userAtBank(ctx context.Context, user, raw string, payment bool) (string, error) {
	return userDecides(ctx, user, raw, payment, true)
}

// userDecides is userAtBank with the user's decision: a refusal brings the bank's error
// redirect (error=access_denied) back. The code and state of every redirect are kept
// (the secrets scan looks for codes; the OAuth scenarios replay states).
func userDecides(ctx context.Context, user, raw string, payment, approve bool) (string, error) {
	w := W(ctx)
	p := &w.Env.partner
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("authorization_url %q: %w", clip(raw, 200), err)
	}
	bank, _ := url.Parse(w.Env.T.BaseURL)
	q := u.Query()
	switch {
	case u.Scheme != "https" || u.Host != bank.Host || u.Path != "/oauth/authorize":
		return "", fmt.Errorf("the partner sends the user to %s://%s%s, not to the bank's authorization page %s/oauth/authorize",
			u.Scheme, u.Host, u.Path, w.Env.T.BaseURL)
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) < 43:
		return "", fmt.Errorf("the authorization request has no PKCE S256 code challenge (RFC 7636): %s", clip(u.RawQuery, 300))
	case len(q.Get("state")) < 8:
		return "", fmt.Errorf("the authorization request has no unguessable state: %q", q.Get("state"))
	case q.Get("client_id") != p.appID:
		return "", fmt.Errorf("the authorization request names client_id %q, not the partner's App_ID %s", q.Get("client_id"), p.appID)
	case q.Get("redirect_uri") != p.hello.RedirectURI:
		return "", fmt.Errorf("the authorization request's redirect_uri %q is not the registered %q", q.Get("redirect_uri"), p.hello.RedirectURI)
	}
	b, err := browserOf(ctx, user)
	if err != nil {
		return "", err
	}
	back, err := b.Consent(ctx, Authorization{URL: u.RequestURI(), State: q.Get("state")}, payment, approve)
	if err != nil {
		return "", fmt.Errorf("%s at the bank's consent pages: %w", user, err)
	}
	switch {
	case approve && back.Get("code") == "":
		return "", fmt.Errorf("the bank redirected without a code: %v", back)
	case !approve && back.Get("error") == "":
		return "", fmt.Errorf("the user refused but the bank redirected without an error: %v", back)
	}
	s := pst(w)
	if c := back.Get("code"); c != "" {
		s.codes = append(s.codes, c)
	}
	if approve {
		w.Note("%s logged in at the bank with password and one-time code and consented", user)
	} else {
		w.Note("%s logged in at the bank with password and one-time code and refused (%s)", user, back.Get("error"))
	}
	return p.hello.RedirectURI + "?" + back.Encode(), nil
}

func partnerBalance(ctx context.Context, times int) error {
	id := W(ctx).Vars["partner.account"]
	if id == "" {
		return errors.New("no account: link the user's accounts first")
	}
	for i := 0; i < times; i++ {
		var r driver.BalanceResult
		if err := partnerDo(ctx, driver.Balance, driver.AccountParams{AccountID: id}, &r); err != nil {
			return err
		}
	}
	return nil
}

// partnerPays plays a payment: the partner starts a payment consent, the user confirms
// it at the bank with a one-time code, the partner makes the payment.
func partnerPays(ctx context.Context, amount, payee, name string) error {
	if err := partnerPaymentConsented(ctx, amount, payee, name); err != nil {
		return err
	}
	s := pst(W(ctx))
	return partnerDo(ctx, driver.FinishPayment, driver.RedirectParams{RedirectURL: s.paymentRedirect}, &s.payment)
}

// partnerAccountsAgain: the partner's last accounts answer lists the accounts it listed
// when the user linked them.
func partnerAccountsAgain(ctx context.Context) error {
	a, err := lastOK(ctx, driver.Accounts)
	if err != nil {
		return err
	}
	got := a.Result.(*driver.AccountsResult).Accounts
	want := pst(W(ctx)).accounts
	if len(got) != len(want) || len(got) == 0 {
		return fmt.Errorf("the partner listed %d accounts, %d when the user linked them", len(got), len(want))
	}
	for i := range got {
		if got[i].AccountID != want[i].AccountID {
			return fmt.Errorf("the partner listed account %s, not %s", got[i].AccountID, want[i].AccountID)
		}
	}
	return nil
}
