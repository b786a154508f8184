package conform_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/features"
	"github.com/jr0185/harness/sandbox/conform"
	"github.com/jr0185/harness/sandbox/sdk"
	"github.com/jr0185/harness/steps"
	"github.com/jr0185/harness/steps/driver"
)

// shellPartner is the example partner written with curl and openssl only
// (features/partner/README-sh.md).
const shellPartner = "../../features/partner/examples/sh/partner.sh"

// TestShellPartnerFollowsTheDriverContract drives the shell partner through the command
// transport against an embedded sandbox, as the partner-side suite does: hello, the
// operator registers its public material, configure, list products (A1), link the
// user's accounts (the harness plays the user at the bank's pages), accounts and balance
// (A2). Its answers must equal what the bank's own SDK reads for the same user, and an
// answer whose signature does not verify must be refused as an integrity failure.
func TestShellPartnerFollowsTheDriverContract(t *testing.T) {
	requireShellTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	b, stop, err := conform.StartEmbedded(ctx, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	target := conform.EmbeddedTarget(b, "")
	env, err := steps.NewEnv(target)
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(shellPartner)
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	d, err := driver.NewCommand(script, state)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	t.Cleanup(func() {
		lines, _ := d.Log(ctx)
		t.Logf("partner log:\n%s", strings.Join(lines, "\n"))
	})

	var hello driver.HelloResult
	must(t, d.Do(ctx, driver.Hello, nil, &hello))
	if hello.RedirectURI == "" || hello.ClientCertPEM == "" || hello.SignPublicKeyPEM == "" || hello.EncPublicKeyPEM == "" {
		t.Fatalf("hello lacks public material: %+v", hello)
	}
	if hello.SignPublicKeyPEM == hello.EncPublicKeyPEM {
		t.Fatal("hello answers the same key for signing and encryption")
	}
	var again driver.HelloResult
	must(t, d.Do(ctx, driver.Hello, nil, &again))
	if again != hello {
		t.Fatal("a second hello answered other keys: the partner's keys must be generated once per state folder")
	}
	assertPrivateKeysKeptPrivate(t, state)

	scopes := []string{"products:read", "oauth:token", "accounts:read", "balances:read"}
	cfg := registerShellPartner(ctx, t, env, b.TLSCAFile, hello, scopes)
	must(t, d.Do(ctx, driver.Configure, cfg, nil))
	must(t, d.Do(ctx, driver.Reset, nil, nil))

	oracle := demoClient(t, b.DemoDir)

	t.Run("list_products answers the bank's catalogue", func(t *testing.T) {
		var got driver.ProductsResult
		must(t, d.Do(ctx, driver.ListProducts, nil, &got))
		want := oracleProducts(ctx, t, oracle)
		if len(got.Products) != len(want) {
			t.Fatalf("list_products answered %d products, the bank has %d", len(got.Products), len(want))
		}
		for _, p := range got.Products {
			if want[p.ProductID] != p.Name || p.Name == "" {
				t.Errorf("product %q named %q; the bank names it %q", p.ProductID, p.Name, want[p.ProductID])
			}
		}
	})

	t.Run("accounts before linking is not_linked", func(t *testing.T) {
		if err := d.Do(ctx, driver.Accounts, nil, nil); driver.Code(err) != driver.CodeNotLinked {
			t.Fatalf("want not_linked, got %v", err)
		}
	})

	browser, err := env.NewBrowser("zhangsan")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a redirect with another state is refused", func(t *testing.T) {
		var start driver.AuthorizationResult
		must(t, d.Do(ctx, driver.StartLink, driver.LinkParams{Scopes: []string{"accounts:read"}}, &start))
		forged := hello.RedirectURI + "?code=forged-code&state=not-the-partners-state"
		if err := d.Do(ctx, driver.FinishLink, driver.RedirectParams{RedirectURL: forged}, nil); driver.Code(err) != driver.CodeInvalid {
			t.Fatalf("want invalid for a forged state, got %v", err)
		}
	})

	var link driver.LinkResult
	t.Run("start_link and finish_link link the user's accounts", func(t *testing.T) {
		var start driver.AuthorizationResult
		must(t, d.Do(ctx, driver.StartLink, driver.LinkParams{Scopes: []string{"accounts:read", "balances:read"}, ValidDays: 30}, &start))
		assertAuthorizationURL(t, start.AuthorizationURL, cfg, hello.RedirectURI)
		redirect := consentAtTheBank(ctx, t, browser, start.AuthorizationURL)
		must(t, d.Do(ctx, driver.FinishLink, driver.RedirectParams{RedirectURL: redirect}, &link))
		sort.Strings(link.Scopes)
		if strings.Join(link.Scopes, " ") != "accounts:read balances:read" {
			t.Fatalf("finish_link answered scopes %v", link.Scopes)
		}
		// The code was exchanged: the same redirect again is refused by the partner.
		if err := d.Do(ctx, driver.FinishLink, driver.RedirectParams{RedirectURL: redirect}, nil); err == nil {
			t.Fatal("finish_link accepted the same redirect twice")
		}
	})
	if t.Failed() {
		return
	}

	user := oracleUser(ctx, t, oracle, browser)
	var accounts driver.AccountsResult
	t.Run("accounts answers the user's accounts, masked", func(t *testing.T) {
		must(t, d.Do(ctx, driver.Accounts, nil, &accounts))
		want := oracleAccounts(ctx, t, user)
		if len(accounts.Accounts) != len(want) || len(want) != 2 {
			t.Fatalf("accounts answered %d accounts; zhangsan has %d at the bank (2 seeded)", len(accounts.Accounts), len(want))
		}
		for _, a := range accounts.Accounts {
			m, ok := want[a.AccountID]
			if !ok || a.Masked != m || !strings.Contains(a.Masked, "*") {
				t.Errorf("account %q masked %q; the bank has %q (known: %t)", a.AccountID, a.Masked, m, ok)
			}
		}
	})

	t.Run("balance answers each account's available balance", func(t *testing.T) {
		if len(accounts.Accounts) == 0 {
			t.Skip("no accounts to ask about")
		}
		for _, a := range accounts.Accounts {
			var got driver.BalanceResult
			must(t, d.Do(ctx, driver.Balance, driver.AccountParams{AccountID: a.AccountID}, &got))
			want := oracleBalance(ctx, t, user, a.AccountID)
			if got.AccountID != a.AccountID || got.Available != want.Available || got.Currency != want.Currency || !regexp.MustCompile(`^\d+\.\d\d$`).MatchString(got.Available) {
				t.Errorf("balance of %s answered %+v; the bank has %s %s", a.AccountID, got, want.Available, want.Currency)
			}
		}
		if err := d.Do(ctx, driver.Balance, driver.AccountParams{AccountID: "ac_000000000000000000000000"}, nil); driver.Code(err) != driver.CodeBankError || !strings.Contains(err.Error(), "ACCOUNT_NOT_FOUND") {
			t.Errorf("balance of an account not in the consent: want bank_error ACCOUNT_NOT_FOUND, got %v", err)
		}
	})

	t.Run("unknown actions are unsupported", func(t *testing.T) {
		if err := d.Do(ctx, driver.StartPayment, driver.PaymentParams{Amount: "1.00"}, nil); driver.Code(err) != driver.CodeUnsupported {
			t.Fatalf("want unsupported, got %v", err)
		}
	})

	t.Run("every bank call is logged without tokens or secrets", func(t *testing.T) {
		var tok struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		}
		raw, err := os.ReadFile(filepath.Join(state, "token.json")) // #nosec G304 -- the test's own folder
		must(t, err)
		must(t, json.Unmarshal(raw, &tok))
		if tok.AccessToken == "" || tok.RefreshToken == "" {
			t.Fatalf("the partner kept no token set: %s", raw)
		}
		lines, _ := d.Log(ctx)
		calls := 0
		for _, l := range lines {
			if strings.Contains(l, "bank call ") {
				calls++
			}
			for _, secret := range []string{cfg.AppSecret, tok.AccessToken, tok.RefreshToken} {
				if strings.Contains(l, secret) {
					t.Errorf("the log shows a token or secret: %s", l)
				}
			}
		}
		if calls < 6 {
			t.Errorf("the log names %d bank calls, want one line per call:\n%s", calls, strings.Join(lines, "\n"))
		}
	})

	admin := func(t *testing.T, path string, body any) {
		t.Helper()
		x, err := env.Admin(ctx, "POST", path, body)
		if err != nil || x.Status != 200 {
			t.Fatalf("POST %s: %v %d %s", path, err, x.Status, x.Body)
		}
	}
	logged := func(what string) bool {
		lines, _ := d.Log(ctx)
		return strings.Contains(strings.Join(lines, "\n"), what)
	}
	first := driver.AccountParams{AccountID: accounts.Accounts[0].AccountID}

	t.Run("an expired access token is refreshed", func(t *testing.T) {
		admin(t, "/admin/v1/apps/"+cfg.AppID+"/backdate", map[string]any{"seconds": 301}) // the access token lives 5 minutes
		must(t, d.Do(ctx, driver.Balance, first, nil))
		if !logged("access token refreshed") {
			t.Fatal("the balance succeeded without the partner logging a refresh")
		}
	})

	t.Run("after a bank key rotation the published certificates are fetched", func(t *testing.T) {
		admin(t, "/admin/v1/bank-keys/rotate", nil)
		must(t, d.Do(ctx, driver.Balance, first, nil))
		if !logged("GET /pki/bank-sign-certs.pem -> 200") {
			t.Fatal("the partner verified an answer signed with the new key without fetching it")
		}
	})

	t.Run("revoke ends the link", func(t *testing.T) {
		must(t, d.Do(ctx, driver.Revoke, nil, nil))
		if err := d.Do(ctx, driver.Accounts, nil, nil); driver.Code(err) != driver.CodeNotLinked {
			t.Fatalf("accounts after revoke: want not_linked, got %v", err)
		}
		var h driver.HistoryResult
		must(t, d.Do(ctx, driver.History, nil, &h))
		var kinds []string
		for _, e := range h.Events {
			kinds = append(kinds, e.Kind)
		}
		if strings.Join(kinds, " ") != "authorization revocation" {
			t.Fatalf("history kinds %v, want authorization then revocation", kinds)
		}
	})

	t.Run("a consent that expired answers relink_required", func(t *testing.T) {
		var start driver.AuthorizationResult
		must(t, d.Do(ctx, driver.StartLink, driver.LinkParams{Scopes: []string{"accounts:read"}, ValidDays: 1}, &start))
		must(t, d.Do(ctx, driver.FinishLink, driver.RedirectParams{RedirectURL: consentAtTheBank(ctx, t, browser, start.AuthorizationURL)}, nil))
		must(t, d.Do(ctx, driver.Accounts, nil, nil))
		admin(t, "/admin/v1/apps/"+cfg.AppID+"/backdate", map[string]any{"seconds": 2 * 24 * 3600})
		if err := d.Do(ctx, driver.Accounts, nil, nil); driver.Code(err) != driver.CodeRelinkRequired {
			t.Fatalf("want relink_required, got %v", err)
		}
		if err := d.Do(ctx, driver.Accounts, nil, nil); driver.Code(err) != driver.CodeNotLinked {
			t.Fatalf("after relink_required the partner should have forgotten the grant; got %v", err)
		}
	})

	t.Run("an answer whose signature does not verify is refused", func(t *testing.T) {
		for _, tamper := range []string{"body", "signature"} {
			proxy := tamperingProxy(t, b.URL, b.TLSCAFile, tamper)
			bad := cfg
			bad.BankURL, bad.CAPEM = proxy.URL, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: proxy.Certificate().Raw}))
			bad.BankSignCertsPEM = publicPEM(ctx, t, env, "/pki/bank-sign-certs.pem") // after the rotation above
			must(t, d.Do(ctx, driver.Configure, bad, nil))
			err := d.Do(ctx, driver.ListProducts, nil, nil)
			if driver.Code(err) != driver.CodeIntegrity || !strings.Contains(err.Error(), "does not verify") {
				t.Errorf("tampered %s: want integrity_failure because the signature does not verify, got %v", tamper, err)
			}
			proxy.Close()
		}
	})
}

// requireShellTools skips only when openssl cannot do SM2; curl and jq are installed by
// `make deps`.
func requireShellTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"bash", "curl", "jq", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: run `make deps`", tool)
		}
	}
	out, err := exec.Command("openssl", "list", "-public-key-algorithms").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("SM2")) {
		t.Skipf("this openssl has no SM2 (%v)", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// assertPrivateKeysKeptPrivate: every private key in the state folder is readable by its
// owner only.
func assertPrivateKeysKeptPrivate(t *testing.T, state string) {
	t.Helper()
	keys, _ := filepath.Glob(filepath.Join(state, "keys", "*.key"))
	if len(keys) < 3 {
		t.Fatalf("want the client, signing and encryption keys in the state folder, found %v", keys)
	}
	for _, k := range keys {
		fi, err := os.Stat(k)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(k), fi.Mode().Perm())
		}
	}
}

// registerShellPartner plays the bank's operator: registers and approves an A2 app for
// the partner's public material and hands back what the bank issued.
func registerShellPartner(ctx context.Context, t *testing.T, env *steps.Env, caFile string, h driver.HelloResult, scopes []string) driver.ConfigureParams {
	t.Helper()
	admin := func(path string, body any) map[string]any {
		x, err := env.Admin(ctx, "POST", path, body)
		if err != nil || x.Status/100 != 2 {
			t.Fatalf("POST %s: %v %d %s", path, err, x.Status, x.Body)
		}
		return x.JSON()
	}
	reg := admin("/admin/v1/apps", map[string]any{"name": "shell partner", "level": "A2", "scopes": scopes,
		"redirect_uris": []string{h.RedirectURI}})
	app, _ := reg["app"].(map[string]any)
	creds, _ := reg["credentials"].(map[string]any)
	c := driver.ConfigureParams{BankURL: env.T.BaseURL, Scopes: scopes}
	c.AppID, _ = app["app_id"].(string)
	c.AppSecret, _ = creds["app_secret"].(string)
	c.AppSecretSerial, _ = creds["serial"].(string)
	if c.AppID == "" || c.AppSecret == "" {
		t.Fatalf("registration answered %v", reg)
	}
	admin("/admin/v1/apps/"+c.AppID+"/actions/approve", nil)
	admin("/admin/v1/apps/"+c.AppID+"/credentials", map[string]any{"kind": "client_cert", "pem": h.ClientCertPEM})
	for kind, pub := range map[string]string{"sm2_sign": h.SignPublicKeyPEM, "sm2_enc": h.EncPublicKeyPEM} {
		out := admin("/admin/v1/apps/"+c.AppID+"/credentials", map[string]any{"kind": kind, "pem": pub, "valid_days": 365})
		cred, _ := out["credential"].(map[string]any)
		serial, _ := cred["serial"].(string)
		if kind == "sm2_sign" {
			c.SignSerial = serial
		} else {
			c.EncSerial = serial
		}
	}
	ca, err := os.ReadFile(caFile) // #nosec G304 -- the embedded bank's own CA file
	must(t, err)
	c.CAPEM = string(ca)
	c.BankSignCertsPEM = publicPEM(ctx, t, env, "/pki/bank-sign-certs.pem")
	c.BankEncCertPEM = publicPEM(ctx, t, env, "/pki/bank-enc.crt")
	return c
}

func publicPEM(ctx context.Context, t *testing.T, env *steps.Env, path string) string {
	t.Helper()
	x, err := env.Admin(ctx, "GET", path, nil)
	if err != nil || x.Status != 200 || !bytes.Contains(x.Body, []byte("BEGIN CERTIFICATE")) {
		t.Fatalf("GET %s: %v %d", path, err, x.Status)
	}
	return string(x.Body)
}

// assertAuthorizationURL: the bank's authorize endpoint, this app, PKCE S256 and a state.
func assertAuthorizationURL(t *testing.T, raw string, c driver.ConfigureParams, redirect string) {
	t.Helper()
	u, err := url.Parse(raw)
	must(t, err)
	q := u.Query()
	if !strings.HasPrefix(raw, c.BankURL+"/oauth/authorize?") || q.Get("client_id") != c.AppID || q.Get("redirect_uri") != redirect ||
		q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || len(q.Get("state")) < 16 ||
		q.Get("response_type") != "code" || q.Get("valid_days") != "30" {
		t.Fatalf("authorization URL %s", raw)
	}
}

// consentAtTheBank plays the user and returns the bank's redirect to the partner.
func consentAtTheBank(ctx context.Context, t *testing.T, b *steps.Browser, authURL string) string {
	t.Helper()
	q, err := b.Consent(ctx, steps.Authorization{URL: authURL}, false, true)
	must(t, err)
	if q.Get("code") == "" {
		t.Fatalf("the bank's redirect has no code: %v", q)
	}
	return b.Last.Header.Get("Location")
}

// demoClient is the bank's own Go SDK with the demo partner's credentials: the oracle.
func demoClient(t *testing.T, dir string) *sdk.Client {
	t.Helper()
	cfg, _, err := sdk.LoadDir(dir)
	must(t, err)
	c, err := sdk.New(cfg)
	must(t, err)
	return c
}

func oracleGet(ctx context.Context, t *testing.T, do func(context.Context, string, string, []byte, http.Header) (*sdk.Response, error), path string, out any) {
	t.Helper()
	r, err := do(ctx, "GET", path, nil, nil)
	if err != nil || r.Status != 200 {
		t.Fatalf("oracle GET %s: %v %v", path, err, r)
	}
	must(t, json.Unmarshal(r.Body, out))
}

func oracleProducts(ctx context.Context, t *testing.T, c *sdk.Client) map[string]string {
	t.Helper()
	want := map[string]string{}
	for page := 1; ; page++ {
		var p struct {
			Items []struct{ Code, Name string }
			Total int
		}
		oracleGet(ctx, t, c.Do, "/a1/v1/products?page="+strconv.Itoa(page)+"&page_size=20", &p)
		for _, it := range p.Items {
			want[it.Code] = it.Name
		}
		if len(p.Items) == 0 || len(want) >= p.Total {
			return want
		}
	}
}

func oracleUser(ctx context.Context, t *testing.T, c *sdk.Client, b *steps.Browser) *sdk.UserSession {
	t.Helper()
	const redirect = "https://partner.example/callback" // the demo partner's
	auth, err := c.AuthorizationURL(sdk.AuthRequest{RedirectURI: redirect, Scopes: []string{"accounts:read", "balances:read"}, ValidDays: 1})
	must(t, err)
	q, err := b.Consent(ctx, steps.Authorization{URL: auth.URL}, false, true)
	must(t, err)
	if q.Get("code") == "" {
		t.Fatalf("the oracle's consent ended without a code: %v", q)
	}
	tok, err := c.ExchangeCode(ctx, q.Get("code"), auth.Verifier, redirect)
	must(t, err)
	return c.ForUser(tok)
}

func oracleAccounts(ctx context.Context, t *testing.T, u *sdk.UserSession) map[string]string {
	t.Helper()
	var l struct {
		Accounts []struct {
			ID     string `json:"account_id"`
			Masked string `json:"account_number_masked"`
		}
	}
	oracleGet(ctx, t, u.Do, "/a2/v1/accounts", &l)
	want := map[string]string{}
	for _, a := range l.Accounts {
		want[a.ID] = a.Masked
	}
	return want
}

func oracleBalance(ctx context.Context, t *testing.T, u *sdk.UserSession, id string) driver.BalanceResult {
	t.Helper()
	var b driver.BalanceResult
	oracleGet(ctx, t, u.Do, "/a2/v1/accounts/"+id+"/balance", &b)
	return b
}

// tamperingProxy forwards to the bank and spoils each API answer after the bank signed it:
// one digit of the body changed, or one bit of the signature flipped.
func tamperingProxy(t *testing.T, bankURL, caFile, what string) *httptest.Server {
	t.Helper()
	ca, err := os.ReadFile(caFile) // #nosec G304 -- the embedded bank's own CA file
	must(t, err)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	target, err := url.Parse(bankURL)
	must(t, err)
	p := httputil.NewSingleHostReverseProxy(target)
	p.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
	p.ModifyResponse = func(r *http.Response) error {
		if !strings.HasPrefix(r.Request.URL.Path, "/a1/") && !strings.HasPrefix(r.Request.URL.Path, "/a2/") {
			return nil // the published certificates pass untouched
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		_ = r.Body.Close()
		switch what {
		case "body":
			i := bytes.IndexAny(body, "0123456789")
			if i < 0 {
				return fmt.Errorf("no digit to tamper with in %q", body)
			}
			body[i] = '0' + (body[i]-'0'+1)%10
		case "signature":
			sig, err := base64.StdEncoding.DecodeString(r.Header.Get("X-JR-Signature"))
			if err != nil || len(sig) == 0 {
				return fmt.Errorf("no signature to tamper with: %v", err)
			}
			sig[len(sig)-1] ^= 0x01
			r.Header.Set("X-JR-Signature", base64.StdEncoding.EncodeToString(sig))
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	return httptest.NewTLSServer(p)
}

// TestShellPartnerPassesTheProductAndBalanceScenarios runs the shell partner (curl +
// openssl, following features/partner/DRIVER.md) through the partner suite's product,
// balance and impostor features (a second configure pointing it at an impostor bank:
// curl refuses its certificate), as `sandbox conform --partner exec:...` does.
func TestShellPartnerPassesTheProductAndBalanceScenarios(t *testing.T) {
	shellPartnerPasses(t, "product, balance and impostor", 8, func(s steps.ScenarioInfo) bool {
		return strings.HasPrefix(s.Path(), "partner/products.feature") || strings.HasPrefix(s.Path(), "partner/balance.feature") ||
			strings.HasPrefix(s.Path(), "partner/impostor.feature")
	})
}

// TestShellPartnerPassesTheOAuthScenarios runs the shell partner through the OAuth
// scenarios of what it implements (features/partner/README-sh.md): forged, missing and
// used states, fresh unguessable states, the user's refusal — all but the one that
// needs payments.
func TestShellPartnerPassesTheOAuthScenarios(t *testing.T) {
	shellPartnerPasses(t, "OAuth", 4, func(s steps.ScenarioInfo) bool {
		return strings.HasPrefix(s.Path(), "partner/oauth.feature") && !strings.Contains(s.Name, "payment")
	})
}

// shellPartnerPasses runs the scenarios pick selects (at least least of them) against
// the shell partner and insists every one passes.
func shellPartnerPasses(t *testing.T, what string, least int, pick func(steps.ScenarioInfo) bool) {
	requireShellTools(t)
	abs, err := filepath.Abs(shellPartner)
	if err != nil {
		t.Fatal(err)
	}
	all, err := steps.Scenarios(features.FS, "partner")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, s := range all {
		if pick(s) {
			paths = append(paths, s.Path())
		}
	}
	if len(paths) < least {
		t.Fatalf("only %d %s scenarios: the selection proves too little", len(paths), what)
	}
	var out bytes.Buffer
	o, err := conform.Run(context.Background(), conform.Options{Partner: "exec:" + abs,
		Paths: paths, Format: "progress", Output: &out, NoColors: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	passed := passedAll(t, o, len(paths), &out)
	t.Logf("shell partner (curl + openssl): %d/%d %s scenarios passed", passed, len(paths), what)
}
