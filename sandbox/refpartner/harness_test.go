package refpartner_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/refpartner"
	"github.com/jr0185/harness/steps/driver"
)

// world is one embedded sandbox bank and one partner driven over its HTTP driver, the
// way the partner-side harness drives a partner: hello, registration of the partner's
// public material through the admin API, configure.
type world struct {
	t     *testing.T
	b     *bank.Bank
	cfg   bank.Config
	https *http.Client // trusts the sandbox CA
	drv   driver.Driver
	appID string
	hello driver.HelloResult
	via   *tproxy // the proxy the partner reaches the bank through, if any
}

var appScopes = []string{"products:read", "oauth:token", "accounts:read", "balances:read", "holdings:read", "payments:write", "payments:read"}

func startBank(t *testing.T) (*bank.Bank, bank.Config, *http.Client) {
	t.Helper()
	cfg := bank.DefaultConfig()
	cfg.DataDir, cfg.Addr, cfg.Customers, cfg.Products = t.TempDir(), "127.0.0.1:0", 6, 12
	b, err := bank.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.Close(ctx)
	})
	ca, err := os.ReadFile(b.TLSCAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return b, cfg, &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}}}
}

// newWorld starts a bank and a partner (mutant "" is the reference) and onboards it.
func newWorld(t *testing.T, mutant string) *world {
	t.Helper()
	b, cfg, https := startBank(t)
	w := &world{t: t, b: b, cfg: cfg, https: https}
	w.startPartner(mutant)
	return w
}

func (w *world) startPartner(mutant string) { w.start(refpartner.Options{Mutant: mutant}, "") }

// helloOnly starts a partner and asks for its public material only.
func (w *world) helloOnly(o refpartner.Options) {
	w.t.Helper()
	u, stop, err := refpartner.Serve(context.Background(), o, "127.0.0.1:0")
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(stop)
	w.drv = driver.NewHTTP(u, nil)
	w.must(driver.Hello, nil, &w.hello)
}

// start starts a partner and onboards it; bankURL overrides the bank address the
// partner is given (a tampering proxy).
func (w *world) start(o refpartner.Options, bankURL string) {
	t := w.t
	t.Helper()
	u, stop, err := refpartner.Serve(context.Background(), o, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	w.drv = driver.NewHTTP(u, nil)
	w.must(driver.Hello, nil, &w.hello)
	w.onboard(bankURL)
}

// onboard registers the partner's public material as an A2 app and configures it.
func (w *world) onboard(bankURL string) {
	t := w.t
	t.Helper()
	h := w.hello
	_, out := w.admin("POST", "/admin/v1/apps", map[string]any{"name": "Reference partner", "level": "A2", "scopes": appScopes,
		"redirect_uris": []string{h.RedirectURI}, "notify_url": h.NotifyURL}, 201)
	app, _ := out["app"].(map[string]any)
	creds, _ := out["credentials"].(map[string]any)
	w.appID, _ = app["app_id"].(string)
	w.admin("POST", "/admin/v1/apps/"+w.appID+"/actions/approve", nil, 200)
	w.admin("POST", "/admin/v1/apps/"+w.appID+"/credentials", map[string]any{"kind": "client_cert", "pem": h.ClientCertPEM}, 201)
	serial := func(kind, pemText string) string {
		_, out := w.admin("POST", "/admin/v1/apps/"+w.appID+"/credentials", map[string]any{"kind": kind, "pem": pemText, "valid_days": 365}, 201)
		c, _ := out["credential"].(map[string]any)
		s, _ := c["serial"].(string)
		return s
	}
	signSerial, encSerial := serial("sm2_sign", h.SignPublicKeyPEM), serial("sm2_enc", h.EncPublicKeyPEM)
	_, cert := w.admin("POST", "/admin/v1/pki/test-server-certs", map[string]any{"csr": h.NotifyCSRPEM}, 201)
	ca, _ := os.ReadFile(w.b.TLSCAFile)
	secret, _ := creds["app_secret"].(string)
	secretSerial, _ := creds["serial"].(string)
	certPEM, _ := cert["certificate"].(string)
	if bankURL == "" {
		bankURL = w.b.URL
	}
	w.must(driver.Configure, driver.ConfigureParams{BankURL: bankURL, AppID: w.appID, AppSecret: secret, AppSecretSerial: secretSerial,
		SignSerial: signSerial, EncSerial: encSerial, CAPEM: string(ca), BankSignCertsPEM: w.public("/pki/bank-sign-certs.pem"),
		BankEncCertPEM: w.public("/pki/bank-enc.crt"), Scopes: appScopes, NotifyCertPEM: certPEM}, nil)
}

func (w *world) public(path string) string {
	w.t.Helper()
	resp, err := w.https.Get(w.b.URL + path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// admin calls the sandbox's admin API and insists on the status.
func (w *world) admin(method, path string, body any, want int) (int, map[string]any) {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.b.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+w.b.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.https.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if want != 0 && resp.StatusCode != want {
		w.t.Fatalf("%s %s: HTTP %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// do runs an action and returns the partner's error code ("" on success).
func (w *world) do(action string, params, out any) string {
	w.t.Helper()
	err := w.drv.Do(context.Background(), action, params, out)
	if err != nil && driver.Code(err) == "" {
		w.t.Fatalf("%s: %v", action, err)
	}
	return driver.Code(err)
}

func (w *world) must(action string, params, out any) {
	w.t.Helper()
	if err := w.drv.Do(context.Background(), action, params, out); err != nil {
		w.t.Fatalf("%s: %v", action, err)
	}
}

// customer is a seeded test customer.
func (w *world) customer(name string) *fakedata.Customer {
	w.t.Helper()
	c, ok := fakedata.Generate(w.cfg.Seed, fakedata.Size{Customers: w.cfg.Customers, Products: w.cfg.Products}).Customer(name)
	if !ok {
		w.t.Fatalf("no customer %s", name)
	}
	return c
}

// link links zhangsan's accounts for scopes and returns the accounts.
func (w *world) link(scopes ...string) []driver.Account {
	w.t.Helper()
	accts, _ := w.linkWith(newBrowser(w), scopes...)
	return accts
}

func (w *world) linkWith(b *browser, scopes ...string) ([]driver.Account, *browser) {
	w.t.Helper()
	var a driver.AuthorizationResult
	w.must(driver.StartLink, driver.LinkParams{Scopes: scopes, ValidDays: 30}, &a)
	var l driver.LinkResult
	w.must(driver.FinishLink, driver.RedirectParams{RedirectURL: b.consent(a.AuthorizationURL, "zhangsan", false)}, &l)
	var accts driver.AccountsResult
	w.must(driver.Accounts, nil, &accts)
	if len(accts.Accounts) == 0 {
		w.t.Fatal("no accounts after linking")
	}
	return accts.Accounts, b
}

// browser is the test user at the bank's pages (no JavaScript: a cookie jar, redirects
// followed by hand, forms read from the HTML).
type browser struct {
	w *world
	c *http.Client
}

func newBrowser(w *world) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{w: w, c: &http.Client{Jar: jar, Timeout: 20 * time.Second, Transport: w.https.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, target string, form url.Values) (string, string) {
	b.w.t.Helper()
	if !strings.HasPrefix(target, "https://") {
		target = b.w.b.URL + target
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, target, body)
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return string(raw), resp.Header.Get("Location")
}

func field(page, name string) string {
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func (b *browser) phoneCode(user string) string {
	b.w.t.Helper()
	phone, _ := b.do("GET", "/phone?user="+user, nil)
	m := regexp.MustCompile(`class="otp-code">(\d{6})<`).FindStringSubmatch(phone)
	if m == nil {
		b.w.t.Fatalf("no code on %s's phone", user)
	}
	return m[1]
}

// consent opens the authorization URL, logs in with password and one-time code,
// approves (a payment with its one-time code) and returns the bank's redirect to the
// partner, which is never followed.
func (b *browser) consent(authURL, user string, payment bool) string {
	t := b.w.t
	t.Helper()
	if b.w.via != nil { // the user's browser goes to the bank itself, not through the partner's proxy
		authURL = b.w.b.URL + strings.TrimPrefix(authURL, b.w.via.url)
	}
	_, loc := b.do("GET", authURL, nil)
	if !strings.HasPrefix(loc, "/login?") {
		t.Fatalf("authorization URL did not lead to the login page: %q", loc)
	}
	lu, _ := url.Parse(loc)
	next := lu.Query().Get("next")
	page, _ := b.do("GET", loc, nil)
	_, otpURL := b.do("POST", "/login", url.Values{"csrf": {field(page, "csrf")}, "next": {next}, "username": {user}, "password": {fakedata.TestPassword}})
	page, _ = b.do("GET", otpURL, nil)
	b.do("POST", "/login/otp", url.Values{"csrf": {field(page, "csrf")}, "next": {next}, "code": {b.phoneCode(user)}})
	page, _ = b.do("GET", next, nil)
	csrf, req := field(page, "csrf"), field(page, "req")
	if csrf == "" || req == "" {
		t.Fatalf("no consent form:\n%s", page)
	}
	form := url.Values{"csrf": {csrf}, "req": {req}, "decision": {"approve"}}
	checked := regexp.MustCompile(`name="account" value="(ac_[0-9a-f]+)"[^>]*checked`).FindAllStringSubmatch(page, -1)
	all := regexp.MustCompile(`name="account" value="(ac_[0-9a-f]+)"`).FindAllStringSubmatch(page, -1)
	if payment {
		pick := all
		if len(checked) > 0 {
			pick = checked
		}
		form.Add("account", pick[0][1])
		b.do("POST", "/oauth/consent/code", url.Values{"csrf": {csrf}, "req": {req}})
		form.Set("otp", b.phoneCode(user))
	} else {
		for _, a := range all {
			form.Add("account", a[1])
		}
	}
	_, loc = b.do("POST", "/oauth/consent", form)
	if !strings.HasPrefix(loc, b.w.hello.RedirectURI+"?") {
		t.Fatalf("consent did not redirect to the partner: %q", loc)
	}
	return loc
}
