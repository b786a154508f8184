package bank_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/pki"
	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
)

type notification struct {
	header http.Header
	body   []byte
}

// notifyReceiver is the partner's HTTPS endpoint for notifications, on 127.0.0.1 with a
// certificate from the sandbox TLS CA.
func notifyReceiver(t testing.TB, tb *testBank) (string, <-chan notification) {
	t.Helper()
	ln := receiverListener(t, tb)
	ch := make(chan notification, 8)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		ch <- notification{header: r.Header.Clone(), body: b}
		w.WriteHeader(204)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "https://" + ln.Addr().(*net.TCPAddr).String() + "/notify", ch
}

// receiverListener is a TLS listener on 127.0.0.1 with the bank's server certificate
// (from the sandbox TLS CA, which the notifier trusts), for a partner's endpoint.
func receiverListener(t testing.TB, tb *testBank) net.Listener {
	t.Helper()
	dir := filepath.Join(tb.cfg.DataDir, "pki")
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// onboardPartner registers an A2 partner through the admin API the way a bank would:
// registration, approval, and its certificate and SM2 keys (generated here, issued by
// the sandbox CA), then returns an SDK client built from the credential folder.
func onboardPartner(t testing.TB, tb *testBank, notifyURL string) *sdk.Client {
	t.Helper()
	return onboardPartnerWith(t, tb, map[string]any{"name": "E2E Wallet", "level": "A2",
		"scopes":        []string{"oauth:token", "accounts:read", "balances:read", "payments:write", "payments:read"},
		"redirect_uris": []string{pgRedirect}, "notify_url": notifyURL})
}

// onboardPartnerWith registers and approves an app as reg describes and equips it like
// onboardPartner does.
func onboardPartnerWith(t testing.TB, tb *testBank, reg map[string]any) *sdk.Client {
	t.Helper()
	name, _ := reg["name"].(string)
	st, out := tb.admin("POST", "/admin/v1/apps", reg)
	if st != 201 {
		t.Fatalf("register: %d %v", st, out)
	}
	appID := out["app"].(map[string]any)["app_id"].(string)
	if st, out := tb.admin("POST", "/admin/v1/apps/"+appID+"/actions/approve", nil); st != 200 {
		t.Fatalf("approve: %d %v", st, out)
	}
	pk, _, err := pki.LoadOrCreateBank(pki.DefaultOptions(filepath.Join(tb.cfg.DataDir, "pki")))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pc, err := pk.GeneratePartnerKeys(dir, appID, name, pki.A2KeyValidity)
	if err != nil {
		t.Fatal(err)
	}
	for kind, file := range map[string]string{"client_cert": "client.crt", "sm2_sign": "sign.crt", "sm2_enc": "enc.crt"} {
		raw, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if st, out := tb.admin("POST", "/admin/v1/apps/"+appID+"/credentials", map[string]any{"kind": kind, "pem": string(raw)}); st != 201 {
			t.Fatalf("register %s: %d %v", kind, st, out)
		}
	}
	creds, _ := json.Marshal(sdk.Credentials{BaseURL: tb.b.URL, AppID: appID, SignSerial: pc.SignKeySerial(), EncSerial: pc.EncKeySerial()})
	if err := os.WriteFile(filepath.Join(dir, sdk.CredentialsFile), creds, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := sdk.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The tests judge the bank's own answers (409s, lost answers), so the SDK neither
	// retries nor fast-fails for them; its retries and breaker have their own tests.
	cfg.Resilience = sdk.Resilience{MaxAttempts: 1, FailureThreshold: 1 << 30}
	c, err := sdk.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// consentThroughPages plays the user at the bank: open the authorization URL, log in
// with password and one-time code if needed, choose the accounts, approve (with the
// payment code for a payment), and return the code from the redirect.
func consentThroughPages(t testing.TB, b *pgBrowser, authURL, user string, payment bool) string {
	t.Helper()
	u, _ := url.Parse(authURL)
	p := b.get(u.RequestURI())
	if p.Status == 303 && strings.HasPrefix(p.Location, "/login?") {
		next, _ := url.Parse(p.Location)
		b.login(user, next.Query().Get("next"))
		p = b.get(next.Query().Get("next"))
	} else {
		p.expect(t, 303, "/oauth/consent?")
		p = b.get(p.Location)
	}
	p.expect(t, 200, "")
	csrf, req, accts := pgField(p.Body, "csrf"), pgField(p.Body, "req"), pgAccounts(p.Body)
	form := url.Values{"csrf": {csrf}, "req": {req}, "decision": {"approve"}}
	if payment {
		form["account"] = accts[:1]
		b.post("/oauth/consent/code", url.Values{"csrf": {csrf}, "req": {req}}).expect(t, 303, "/oauth/consent?")
		form.Set("otp", b.phoneCode(user))
	} else {
		form["account"] = accts
	}
	q := pgRedirectQuery(t, b.post("/oauth/consent", form))
	if q.Get("code") == "" {
		t.Fatalf("no code in the redirect: %v", q)
	}
	return q.Get("code")
}

// accountsToken consents user's accounts to client for scopes, valid validDays, through
// the bank's pages, and returns the token.
func accountsToken(t testing.TB, client *sdk.Client, browser *pgBrowser, user string, validDays int, scopes ...string) *sdk.Token {
	t.Helper()
	auth, err := client.AuthorizationURL(sdk.AuthRequest{RedirectURI: pgRedirect, Scopes: scopes, ValidDays: validDays})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := client.ExchangeCode(context.Background(), consentThroughPages(t, browser, auth.URL, user, false), auth.Verifier, pgRedirect)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return tok
}

// paymentToken consents one payment of amount CNY from the debit account number to the
// payee through the bank's pages (confirmed with the payment code) and returns the
// payment token.
func paymentToken(t testing.TB, client *sdk.Client, browser *pgBrowser, user, amount, debitAccount, payeeAccount, payeeName string) *sdk.Token {
	t.Helper()
	pauth, err := client.AuthorizationURL(sdk.AuthRequest{RedirectURI: pgRedirect, Scopes: []string{"payments:write"}, ConsentType: "payment",
		Amount: amount, Currency: "CNY", PayeeAccount: payeeAccount, PayeeName: payeeName, DebitAccount: debitAccount})
	if err != nil {
		t.Fatal(err)
	}
	ptok, err := client.ExchangeCode(context.Background(), consentThroughPages(t, browser, pauth.URL, user, true), pauth.Verifier, pgRedirect)
	if err != nil {
		t.Fatalf("payment token: %v", err)
	}
	return ptok
}

// TestA2EndToEnd is the whole A2 journey over real TLS: SDK → authorization URL → the
// user logs in at the bank with password and one-time code → consents → code → token
// (mTLS + SM2 signature) → balance → payment consent confirmed with a one-time code →
// payment → signed notification received and verified → status succeeded → balance
// moved → the user revokes in the portal → the next call is refused.
func TestA2EndToEnd(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	ctx := context.Background()
	notifyURL, notes := notifyReceiver(t, tb)
	client := onboardPartner(t, tb, notifyURL)
	browser := pgNewBrowser(t, tb)
	zhang := pgCustomer(t, tb, "zhangsan")
	lisi := pgCustomer(t, tb, "lisi")

	// Account information consent and token.
	tok := accountsToken(t, client, browser, "zhangsan", 30, "accounts:read", "balances:read")
	user := client.ForUser(tok)
	r, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
	if err != nil || r.Status != 200 {
		t.Fatalf("accounts: %v %s", err, r.Body)
	}
	var list struct {
		Accounts []struct {
			ID     string `json:"account_id"`
			Masked string `json:"account_number_masked"`
		}
	}
	_ = json.Unmarshal(r.Body, &list)
	debitMasked := zhang.Accounts[0].Number[:4] + " **** **** " + zhang.Accounts[0].Number[len(zhang.Accounts[0].Number)-4:]
	debitID := ""
	for _, a := range list.Accounts {
		if a.Masked == debitMasked {
			debitID = a.ID
		}
	}
	if debitID == "" || strings.Contains(string(r.Body), zhang.Accounts[0].Number) {
		t.Fatalf("account list: %s", r.Body)
	}
	balance := func() string {
		t.Helper()
		r, err := user.Do(ctx, "GET", "/a2/v1/accounts/"+debitID+"/balance", nil, nil)
		if err != nil || r.Status != 200 {
			t.Fatalf("balance: %v %s", err, r.Body)
		}
		var b struct{ Ledger string }
		_ = json.Unmarshal(r.Body, &b)
		return b.Ledger
	}
	before := balance()

	// Payment consent, confirmed at the bank with a one-time code, then the payment.
	ptok := paymentToken(t, client, browser, "zhangsan", "10.00", zhang.Accounts[0].Number, lisi.Accounts[0].Number, lisi.Name)
	body := paymentBody(t, tb, debitID, "10.00", lisi.Accounts[0].Number, lisi.Name, "e2e")
	hdr := http.Header{"Idempotency-Key": {"e2e-payment-0001"}}
	pr, err := client.ForUser(ptok).Do(ctx, "POST", "/a2/v1/payments", body, hdr)
	if err != nil || pr.Status != 201 {
		t.Fatalf("payment: %v %s", err, pr.Body)
	}
	var pay struct {
		ID     string `json:"payment_id"`
		Status string
	}
	_ = json.Unmarshal(pr.Body, &pay)
	if pay.Status != "succeeded" {
		t.Fatalf("payment status %q: %s", pay.Status, pr.Body)
	}
	// A retry with the same key gets the first answer byte for byte, signature included.
	again, err := client.ForUser(ptok).Do(ctx, "POST", "/a2/v1/payments", body, hdr)
	if err != nil || again.Status != 201 || string(again.Body) != string(pr.Body) ||
		again.Header.Get(protocol.HeaderSignature) != pr.Header.Get(protocol.HeaderSignature) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay differs: %v\n%s\n%s", err, pr.Body, again.Body)
	}

	// The signed notification arrives and verifies with the bank's key.
	keys := tb.bankKeys
	select {
	case n := <-notes:
		msg := protocol.ResponseStringToSign(n.header.Get(protocol.HeaderTimestamp), n.header.Get(protocol.HeaderNonce), n.body)
		pub := keys[n.header.Get(protocol.HeaderSerial)]
		if pub == nil || !protocol.VerifySM2(pub, msg, n.header.Get(protocol.HeaderSignature)) {
			t.Fatalf("notification signature does not verify: %v %s", n.header, n.body)
		}
		if !strings.Contains(string(n.body), pay.ID) || !strings.Contains(string(n.body), `"status":"succeeded"`) {
			t.Fatalf("notification body: %s", n.body)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no notification within 15s")
	}
	st, err := client.Do(ctx, "GET", "/a2/v1/payments/"+pay.ID, nil, nil)
	if err != nil || st.Status != 200 || !strings.Contains(string(st.Body), `"status":"succeeded"`) {
		t.Fatalf("payment status: %v %s", err, st.Body)
	}
	if after := balance(); !moneyMoved(before, after, "10.00") {
		t.Fatalf("balance %s -> %s, want 10.00 less", before, after)
	}

	// The user revokes the account-information consent in the portal.
	p := browser.get("/portal")
	p.expect(t, 200, "")
	id := regexp.MustCompile(`action="/portal/consents/(` + regexp.QuoteMeta(tok.ConsentID) + `)/revoke"`).FindStringSubmatch(p.Body)
	if id == nil {
		t.Fatalf("portal does not offer to revoke %s:\n%s", tok.ConsentID, p.Body)
	}
	browser.post("/portal/consents/"+id[1]+"/revoke", url.Values{"csrf": {pgField(p.Body, "csrf")}}).expect(t, 303, "/portal")
	r, err = user.Do(ctx, "GET", "/a2/v1/accounts/"+debitID+"/balance", nil, nil)
	var apiErr *sdk.APIError
	if err != nil || !errors.As(sdk.AsAPIError(r), &apiErr) || apiErr.Code != "CONSENT_REVOKED" || r.Status != 403 {
		t.Fatalf("after revocation: %v %d %s", err, r.Status, r.Body)
	}
}

// moneyMoved reports whether after == before - amount (decimal strings, two places).
func moneyMoved(before, after, amount string) bool {
	fen := func(s string) int64 {
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimPrefix(s, "-")
		w, f, _ := strings.Cut(s, ".")
		var n int64
		for _, c := range w + f {
			n = n*10 + int64(c-'0')
		}
		if neg {
			n = -n
		}
		return n
	}
	return fen(before)-fen(amount) == fen(after)
}
