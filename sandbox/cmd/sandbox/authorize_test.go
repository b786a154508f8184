package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/bank"
)

// TestCLIAuthorizeTokenCall walks the A2 path a person takes with the CLI: authorize,
// log in and consent at the bank's pages (here driven by a plain HTTP client), token,
// then a signed A2 call that sends the saved token and verifies the answer.
func TestCLIAuthorizeTokenCall(t *testing.T) {
	t.Parallel()
	b, dataDir := startCLIBank(t, func(cfg *bank.Config) { cfg.Customers, cfg.Products = 5, 12 })
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.Close(ctx)
	})
	out, err := runCLI(t, "authorize", "--data-dir", dataDir, "--scope", "accounts:read,balances:read")
	if err != nil {
		t.Fatalf("authorize: %v\n%s", err, out)
	}
	authURL := strings.Fields(out)[0]

	ca, _ := os.ReadFile(b.TLSCAFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, target string, form url.Values) (string, string) {
		t.Helper()
		if !strings.HasPrefix(target, "https://") {
			target = b.URL + target
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
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return string(raw), resp.Header.Get("Location")
	}
	field := func(page, name string) string {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no %s field in:\n%s", name, page)
		}
		return html.UnescapeString(m[1])
	}
	_, loginURL := do("GET", authURL, nil)
	next := mustQuery(t, loginURL).Get("next")
	page, _ := do("GET", loginURL, nil)
	_, otpURL := do("POST", "/login", url.Values{"csrf": {field(page, "csrf")}, "next": {next}, "username": {"zhangsan"}, "password": {"Sandbox#2020"}})
	page, _ = do("GET", otpURL, nil)
	phone, _ := do("GET", "/phone?user=zhangsan", nil)
	code := regexp.MustCompile(`class="otp-code">(\d{6})<`).FindStringSubmatch(phone)
	if code == nil {
		t.Fatalf("no code on the phone:\n%s", phone)
	}
	do("POST", "/login/otp", url.Values{"csrf": {field(page, "csrf")}, "next": {next}, "code": {code[1]}})
	page, _ = do("GET", next, nil)
	accts := regexp.MustCompile(`name="account" value="(ac_[0-9a-f]+)"`).FindAllStringSubmatch(page, -1)
	form := url.Values{"csrf": {field(page, "csrf")}, "req": {field(page, "req")}, "decision": {"approve"}}
	for _, a := range accts {
		form.Add("account", a[1])
	}
	_, redirect := do("POST", "/oauth/consent", form)
	if !strings.HasPrefix(redirect, demoRedirect+"?") {
		t.Fatalf("consent redirect: %q", redirect)
	}

	if out, err := runCLI(t, "token", "--data-dir", dataDir, redirect); err != nil || !strings.Contains(out, "token saved") {
		t.Fatalf("token: %v\n%s", err, out)
	}
	out, err = runCLI(t, "call", "--data-dir", dataDir, "GET", "/a2/v1/accounts")
	if err != nil || !strings.Contains(out, "HTTP 200") || !strings.Contains(out, "account_number_masked") || !strings.Contains(out, "integrity: verified") {
		t.Fatalf("A2 call with the saved token: %v\n%s", err, out)
	}

	// A payment from the command line: a payment consent confirmed with a one-time code
	// at the bank, then `sandbox pay`, then the same Idempotency-Key again.
	debit := accts[0][1]
	out, err = runCLI(t, "authorize", "--data-dir", dataDir, "--payment", "--amount", "10.00",
		"--payee-account", "6222000000000000020", "--payee-name", "赵六", "--debit-account", debit)
	if err != nil {
		t.Fatalf("authorize --payment: %v\n%s", err, out)
	}
	_, consentURL := do("GET", strings.Fields(out)[0], nil) // still logged in: straight to the consent page
	page, _ = do("GET", consentURL, nil)
	do("POST", "/oauth/consent/code", url.Values{"csrf": {field(page, "csrf")}, "req": {field(page, "req")}})
	phone, _ = do("GET", "/phone?user=zhangsan", nil)
	code = regexp.MustCompile(`class="otp-code">(\d{6})<`).FindStringSubmatch(phone) // newest first
	if code == nil {
		t.Fatalf("no payment code on the phone:\n%s", phone)
	}
	_, redirect = do("POST", "/oauth/consent", url.Values{"csrf": {field(page, "csrf")}, "req": {field(page, "req")},
		"decision": {"approve"}, "account": {debit}, "otp": {code[1]}})
	if out, err := runCLI(t, "token", "--data-dir", dataDir, redirect); err != nil || !strings.Contains(out, "payments:write") {
		t.Fatalf("token for the payment: %v\n%s", err, out)
	}
	pay := []string{"pay", "--data-dir", dataDir, "--amount", "10.00", "--payee-account", "6222000000000000020",
		"--payee-name", "赵六", "--from", debit, "--idempotency-key", "cli-test-1"}
	first, err := runCLI(t, pay...)
	if err != nil || !strings.Contains(first, "HTTP 201") || !strings.Contains(first, `"status": "succeeded"`) || !strings.Contains(first, "integrity: verified") {
		t.Fatalf("sandbox pay: %v\n%s", err, first)
	}
	again, err := runCLI(t, pay...)
	paymentID := regexp.MustCompile(`"payment_id": "(PAY\w+)"`)
	if err != nil || !strings.Contains(again, "Idempotent-Replayed: true") || paymentID.FindString(again) != paymentID.FindString(first) {
		t.Fatalf("sandbox pay with the same Idempotency-Key must replay the first answer: %v\n%s\nfirst:\n%s", err, again, first)
	}
}

func mustQuery(t *testing.T, loc string) url.Values {
	t.Helper()
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}
