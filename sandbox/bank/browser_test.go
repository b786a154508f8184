package bank_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/sdk"
)

// Browser tests: the bank's pages and the dashboard driven by Debian's headless
// Chromium through chromedp, over real TLS. `make deps` installs chromium; without it
// these tests fail (they are acceptance tests, not optional).
//
// Trust: Chromium does not take a CA file on its command line, and adding the sandbox CA
// to an NSS database would need certutil (another package) and a HOME of its own. The
// tests pin instead: --ignore-certificate-errors-spki-list names the SHA-256 of the
// exact public keys Chromium may accept (the bank's TLS key and the test partner's
// callback server's), so the TLS handshake is real and any other certificate is still
// refused. It is not --ignore-certificate-errors.
//
// Screenshots are written as PNG to $JR0185_SCREENSHOTS (default .artifacts/screenshots
// at the repository root, git-ignored, where CI collects test artifacts); the path is
// logged.

const browserTimeout = 45 * time.Second

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium on PATH: run `make deps` (installs Debian's chromium) or set CHROMIUM=/path/to/chromium")
	return ""
}

var shotDirOnce sync.Once

func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("JR0185_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), ".artifacts", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	shotDirOnce.Do(func() { fmt.Fprintf(os.Stderr, "browser tests: screenshots in %s\n", dir) })
	return dir
}

// shot saves a full-page PNG named after the test and step.
func shot(t *testing.T, ctx context.Context, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var buf []byte
		if err := chromedp.FullScreenshot(&buf, 100).Do(ctx); err != nil { // quality 100: PNG
			return err
		}
		file := filepath.Join(screenshotDir(t), strings.ReplaceAll(t.Name(), "/", "_")+"-"+name+".png")
		t.Logf("screenshot %s", file)
		return os.WriteFile(file, buf, 0o600)
	})
}

// spkiHash is the base64 SHA-256 of a certificate's SubjectPublicKeyInfo.
func spkiHash(c *x509.Certificate) string {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// bankTLSKey is the hash of the key the bank's TLS server presents, read through a
// verified handshake (trusting the sandbox CA).
func bankTLSKey(t *testing.T, tb *testBank) string {
	t.Helper()
	cfg := tb.http.Transport.(*http.Transport).TLSClientConfig.Clone()
	conn, err := tls.Dial("tcp", tb.b.Addr, cfg)
	if err != nil {
		t.Fatalf("TLS to the bank: %v", err)
	}
	defer conn.Close()
	return spkiHash(conn.ConnectionState().PeerCertificates[0])
}

// newChromium starts headless Chromium trusting exactly the given keys and returns a
// tab's context, bounded by browserTimeout.
func newChromium(t *testing.T, trusted ...string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
		chromedp.Flag("ignore-certificate-errors-spki-list", strings.Join(trusted, ",")),
		chromedp.NoSandbox, // tests may run as root in a container; Chromium's sandbox refuses root
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc(); cancel() })
	if err := chromedp.Run(bctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return bctx
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		_ = chromedp.Run(ctx, shot(t, ctx, "failed"))
		var loc, body string
		_ = chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Text("body", &body, chromedp.ByQuery))
		t.Fatalf("%s: %v\nat %s:\n%.1500s", what, err, loc, body)
	}
}

// browserPartner is a partner registered for the browser tests, whose redirect URI is
// an HTTPS server of the test's: the browser really arrives there with the code or the
// error.
type browserPartner struct {
	client   *sdk.Client
	redirect string
	key      string // SPKI hash of the callback server's certificate
	got      chan url.Values
}

func newBrowserPartner(t *testing.T, tb *testBank) *browserPartner {
	t.Helper()
	p := &browserPartner{got: make(chan url.Values, 4)}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.got <- r.URL.Query()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = fmt.Fprint(w, `<!doctype html><title>Partner callback</title><h1 id="partner">Back at the partner</h1>`)
	}))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	p.redirect, p.key = srv.URL+"/cb", spkiHash(srv.Certificate())

	// The tests judge the bank's pages; onboardPartnerWith's client neither retries nor
	// fast-fails.
	p.client = onboardPartnerWith(t, tb, map[string]any{"name": "Browser Wallet", "level": "A2",
		"scopes": []string{"oauth:token", "accounts:read", "balances:read", "products:read"}, "redirect_uris": []string{p.redirect}})
	return p
}

// callback waits for the browser to arrive at the partner's redirect URI.
func (p *browserPartner) callback(t *testing.T) url.Values {
	t.Helper()
	select {
	case q := <-p.got:
		return q
	case <-time.After(10 * time.Second):
		t.Fatal("the browser never arrived at the partner's redirect URI")
		return nil
	}
}

// loginWithCode plays the user at the bank's login pages in the browser: username and
// password, then the one-time code read from the simulated phone in a second tab.
func loginWithCode(t *testing.T, ctx context.Context, bankURL, user string) {
	t.Helper()
	run(t, ctx, "password step",
		chromedp.WaitVisible("#username", chromedp.ByQuery),
		chromedp.SendKeys("#username", user, chromedp.ByQuery),
		chromedp.SendKeys("#password", pgPassword, chromedp.ByQuery),
		shot(t, ctx, "1-login"),
		chromedp.Submit("#password", chromedp.ByQuery),
		chromedp.WaitVisible("#code", chromedp.ByQuery),
	)
	code := phoneCode(t, ctx, bankURL, user, "2-phone")
	if len(code) != 6 {
		t.Fatalf("the phone shows %q, want a 6-digit code", code)
	}
	run(t, ctx, "one-time code step",
		chromedp.SendKeys("#code", code, chromedp.ByQuery),
		shot(t, ctx, "3-code"),
		chromedp.Submit("#code", chromedp.ByQuery),
	)
}

// consentInBrowser opens the partner's authorization URL, logs in with password and
// one-time code, ticks the accounts and clicks the decision button.
func consentInBrowser(t *testing.T, ctx context.Context, tb *testBank, p *browserPartner, decision string) url.Values {
	t.Helper()
	auth, err := p.client.AuthorizationURL(sdk.AuthRequest{RedirectURI: p.redirect, Scopes: []string{"accounts:read", "balances:read"}, ValidDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "authorization URL", chromedp.Navigate(auth.URL))
	loginWithCode(t, ctx, tb.b.URL, "zhangsan")
	var body string
	run(t, ctx, "consent page",
		chromedp.WaitVisible(`button[name="decision"][value="approve"]`, chromedp.ByQuery),
		chromedp.Text("body", &body, chromedp.ByQuery),
	)
	if !strings.Contains(body, "Browser Wallet") || !strings.Contains(body, "查看账户余额") {
		t.Errorf("the consent page does not say who asks for what:\n%.800s", body)
	}
	run(t, ctx, "choosing the accounts",
		chromedp.Evaluate(`document.querySelectorAll('input[name="account"]').forEach(e => { if (!e.checked) e.click(); })`, nil),
		shot(t, ctx, "4-consent"),
		chromedp.Click(`button[name="decision"][value="`+decision+`"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#partner", chromedp.ByQuery),
		shot(t, ctx, "5-back-at-partner"),
	)
	q := p.callback(t)
	if q.Get("state") != auth.State {
		t.Fatalf("redirect state %q, want %q", q.Get("state"), auth.State)
	}
	if decision == "approve" {
		tok, err := p.client.ExchangeCode(context.Background(), q.Get("code"), auth.Verifier, p.redirect)
		if err != nil {
			t.Fatalf("exchanging the code from the browser's redirect: %v", err)
		}
		q.Set("access_token", tok.AccessToken)
	}
	return q
}

func TestBrowserConsentWithPasswordAndOneTimeCode(t *testing.T) {
	tb := startBank(t, nil)
	p := newBrowserPartner(t, tb)
	ctx := newChromium(t, bankTLSKey(t, tb), p.key)
	q := consentInBrowser(t, ctx, tb, p, "approve")
	r, err := p.client.ForUser(&sdk.Token{AccessToken: q.Get("access_token"), Expiry: time.Now().Add(time.Hour)}).
		Do(context.Background(), "GET", "/a2/v1/accounts", nil, nil)
	if err != nil || r.Status != 200 {
		t.Fatalf("accounts with the token from the browser's consent: %v %v", err, r)
	}
}

func TestBrowserRefusalSendsTheErrorToThePartner(t *testing.T) {
	tb := startBank(t, nil)
	p := newBrowserPartner(t, tb)
	ctx := newChromium(t, bankTLSKey(t, tb), p.key)
	q := consentInBrowser(t, ctx, tb, p, "refuse")
	if q.Get("error") != "access_denied" || q.Get("code") != "" {
		t.Fatalf("the partner's redirect got %v, want error=access_denied and no code", q)
	}
}

func TestBrowserPortalRevocationStopsTheNextCall(t *testing.T) {
	tb := startBank(t, nil)
	p := newBrowserPartner(t, tb)
	ctx := newChromium(t, bankTLSKey(t, tb), p.key)
	q := consentInBrowser(t, ctx, tb, p, "approve")
	user := p.client.ForUser(&sdk.Token{AccessToken: q.Get("access_token"), Expiry: time.Now().Add(time.Hour)})
	if r, err := user.Do(context.Background(), "GET", "/a2/v1/accounts", nil, nil); err != nil || r.Status != 200 {
		t.Fatalf("accounts before revocation: %v %v", err, r)
	}
	var portal string
	run(t, ctx, "the portal lists the consent",
		chromedp.Navigate(tb.b.URL+"/portal"),
		chromedp.WaitVisible(`form[action^="/portal/consents/"] button`, chromedp.ByQuery),
		chromedp.Text("body", &portal, chromedp.ByQuery),
		shot(t, ctx, "6-portal"),
	)
	if !strings.Contains(portal, "Browser Wallet") {
		t.Fatalf("the portal does not list the consent to Browser Wallet:\n%.800s", portal)
	}
	run(t, ctx, "revoking in the portal",
		chromedp.Click(`form[action^="/portal/consents/"] button`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`form[action^="/portal/consents/"] button`, chromedp.ByQuery),
		shot(t, ctx, "7-revoked"),
	)
	r, err := user.Do(context.Background(), "GET", "/a2/v1/accounts", nil, nil)
	if err == nil {
		err = sdk.AsAPIError(r)
	}
	apiErr, ok := err.(*sdk.APIError)
	if !ok || apiErr.Status != problem.ConsentRevoked.Status || apiErr.Code != problem.ConsentRevoked.Code {
		t.Fatalf("the call after revocation: %v; want the catalogued %d %s", err, problem.ConsentRevoked.Status, problem.ConsentRevoked.Code)
	}
	t.Logf("after revocation the bank answers %d %s", apiErr.Status, apiErr.Code)
}

func TestBrowserDashboardShowsALiveCallWithItsSteps(t *testing.T) {
	tb := startBank(t, nil)
	ctx := newChromium(t, bankTLSKey(t, tb))
	dashboardLogin(t, ctx, tb) // the event stream is open
	run(t, ctx, "the calls table", chromedp.WaitVisible("#calls", chromedp.ByQuery))
	// A call made now, while the page is open, arrives live.
	p := newBrowserPartner(t, tb)
	r, err := p.client.Do(context.Background(), "GET", "/a1/v1/products", nil, nil)
	if err != nil || r.Status != 200 {
		t.Fatalf("partner call: %v %v", err, r)
	}
	appID := p.client.Config().AppID
	row := `#calls tbody tr[data-app="` + appID + `"]`
	var steps string
	run(t, ctx, "the call arrives on the dashboard",
		chromedp.WaitVisible(row, chromedp.ByQuery),
		chromedp.Text(row+" td.steps", &steps, chromedp.ByQuery),
		shot(t, ctx, "1-live-call"),
	)
	for _, want := range []string{"✓ tls", "✓ app", "✓ signature", "✓ timestamp", "✓ scope", "✓ rate_limit", "✓ nonce", "✓ business"} {
		if !strings.Contains(steps, want) {
			t.Errorf("the A1 call's steps %q lack %q", steps, want)
		}
	}
	// An A2 call without the user's token: the certificate and signature pass, the
	// token step fails, live.
	if r, err := p.client.Do(context.Background(), "GET", "/a2/v1/accounts", nil, nil); err != nil || r.Status != 401 {
		t.Fatalf("A2 call without a token: %v %v", err, r)
	}
	run(t, ctx, "the refused call arrives on the dashboard",
		chromedp.WaitVisible(row+` .step.fail[data-step="token"]`, chromedp.ByQuery),
		chromedp.Text(`#calls tbody tr:first-child td.steps`, &steps, chromedp.ByQuery),
		shot(t, ctx, "2-refused-call"),
	)
	for _, want := range []string{"✓ tls", "✓ certificate", "✓ signature", "✗ token"} {
		if !strings.Contains(steps, want) {
			t.Errorf("the A2 call's steps %q lack %q", steps, want)
		}
	}
	// A guided flow from the page: the tampered response, refused by the SDK, shows
	// up with its failed step and the fault.
	var result string
	run(t, ctx, "tampered-response flow",
		chromedp.Click("#flow-tamper", chromedp.ByQuery),
		chromedp.WaitVisible(`#flow-result[data-flow="tamper"]`, chromedp.ByQuery),
		chromedp.Text("#flow-result", &result, chromedp.ByQuery),
		chromedp.WaitVisible(`#calls tbody tr .result-cell`, chromedp.ByQuery),
		shot(t, ctx, "3-tamper-flow"),
	)
	if !strings.Contains(result, "SDK refused the tampered answer") {
		t.Errorf("tamper flow result: %s", result)
	}
	var cells string
	run(t, ctx, "the tampered call in the table", chromedp.Text("#calls tbody", &cells, chromedp.ByQuery))
	if !strings.Contains(cells, "fault tamper-body") {
		t.Errorf("the table does not show the tampered call:\n%.1500s", cells)
	}
}

// dashboardLogin opens the dashboard and logs in with the admin token.
func dashboardLogin(t *testing.T, ctx context.Context, tb *testBank) {
	t.Helper()
	run(t, ctx, "logging in to the dashboard",
		chromedp.Navigate(tb.b.URL+"/dashboard"),
		chromedp.WaitVisible("#token", chromedp.ByQuery),
		chromedp.SendKeys("#token", tb.b.AdminToken, chromedp.ByQuery),
		chromedp.Submit("#token", chromedp.ByQuery),
		chromedp.WaitVisible("#live.on", chromedp.ByQuery),
	)
}

// phoneCode reads the user's latest one-time code in a second tab (the user's phone),
// taking a screenshot of it named shotName unless that is empty.
func phoneCode(t *testing.T, ctx context.Context, bankURL, user, shotName string) string {
	t.Helper()
	phone, cancel := chromedp.NewContext(ctx)
	defer cancel()
	var code string
	actions := []chromedp.Action{chromedp.Navigate(bankURL + "/phone?user=" + url.QueryEscape(user)),
		chromedp.Text(".otp-code", &code, chromedp.ByQuery)}
	if shotName != "" {
		actions = append(actions, shot(t, phone, shotName))
	}
	run(t, phone, "reading the code on the simulated phone", actions...)
	return strings.TrimSpace(code)
}

func TestBrowserDashboardGuidedConsentAndPayment(t *testing.T) {
	tb := startBank(t, nil)
	ctx := newChromium(t, bankTLSKey(t, tb))
	dashboardLogin(t, ctx, tb)
	var last string
	run(t, ctx, "consent flow: to the bank's pages",
		chromedp.Click("#flow-consent", chromedp.ByQuery),
		chromedp.WaitVisible("#open-consent", chromedp.ByQuery),
		chromedp.Click("#open-consent", chromedp.ByQuery),
	)
	loginWithCode(t, ctx, tb.b.URL, "zhangsan")
	run(t, ctx, "consent flow: consent, back at the dashboard",
		chromedp.WaitVisible(`button[name="decision"][value="approve"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('input[name="account"]').forEach(e => { if (!e.checked) e.click(); })`, nil),
		chromedp.Click(`button[name="decision"][value="approve"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#last", chromedp.ByQuery),
		chromedp.Text("#last", &last, chromedp.ByQuery),
		shot(t, ctx, "1-consent-done"),
	)
	if !strings.Contains(last, "consent flow: done") || !strings.Contains(last, "GET /a2/v1/accounts answered 200") {
		t.Fatalf("consent flow outcome:\n%s", last)
	}
	run(t, ctx, "payment flow: to the bank's consent page",
		chromedp.Click("#flow-payment", chromedp.ByQuery),
		chromedp.WaitVisible("#open-consent", chromedp.ByQuery),
		chromedp.Click("#open-consent", chromedp.ByQuery),
		chromedp.WaitVisible(`form[action="/oauth/consent/code"] button`, chromedp.ByQuery),
		chromedp.Click(`form[action="/oauth/consent/code"] button`, chromedp.ByQuery),
		chromedp.WaitVisible("#otp", chromedp.ByQuery),
	)
	code := phoneCode(t, ctx, tb.b.URL, "zhangsan", "")
	run(t, ctx, "payment flow: confirm with the code, back at the dashboard",
		chromedp.SendKeys("#otp", code, chromedp.ByQuery),
		shot(t, ctx, "2-payment-consent"),
		chromedp.Click(`button[name="decision"][value="approve"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#last", chromedp.ByQuery),
		chromedp.Text("#last", &last, chromedp.ByQuery),
		shot(t, ctx, "3-payment-done"),
	)
	if !strings.Contains(last, "payment flow: done") || !strings.Contains(last, "answered 201") {
		t.Fatalf("payment flow outcome:\n%s", last)
	}
	var result string
	run(t, ctx, "revocation flow",
		chromedp.Click("#flow-revoke", chromedp.ByQuery),
		chromedp.WaitVisible(`#flow-result[data-flow="revoke"]`, chromedp.ByQuery),
		chromedp.Text("#flow-result", &result, chromedp.ByQuery),
		chromedp.Click("#flow-rate-limit", chromedp.ByQuery),
		chromedp.WaitVisible(`#flow-result[data-flow="rate-limit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#calls tbody tr .step.fail[data-step="rate_limit"]`, chromedp.ByQuery),
		shot(t, ctx, "4-rate-limit"),
	)
	if !strings.Contains(result, "revoked token refused: 401") && !strings.Contains(result, "revoked token refused: 403") {
		t.Errorf("revocation flow result: %s", result)
	}
}
