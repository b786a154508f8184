package bank_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
)

// expectAPIError fails unless r is the catalogued error code with status.
func expectAPIError(t testing.TB, what string, r *sdk.Response, err error, status int, code string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var e *sdk.APIError
	if !errors.As(sdk.AsAPIError(r), &e) || r.Status != status || e.Code != code {
		t.Fatalf("%s: got HTTP %d %s, want %d %s", what, r.Status, r.Body, status, code)
	}
}

// TestA2TokenRefusals: each refusal of the acceptance list about tokens and consents,
// over mutual TLS, with its catalogued error and nothing changed.
func TestA2TokenRefusals(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	ctx := context.Background()
	notifyURL, _ := notifyReceiver(t, tb)
	client := onboardPartner(t, tb, notifyURL)
	other := onboardPartner(t, tb, notifyURL) // a second partner app
	browser := pgNewBrowser(t, tb)
	zhang, lisi := pgCustomer(t, tb, "zhangsan"), pgCustomer(t, tb, "lisi")

	tok := accountsToken(t, client, browser, "zhangsan", 7, "accounts:read")
	user := client.ForUser(&sdk.Token{AccessToken: tok.AccessToken, Expiry: time.Now().Add(time.Hour)})
	r, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
	if err != nil || r.Status != 200 {
		t.Fatalf("accounts: %v %s", err, r.Body)
	}
	var list struct {
		Accounts []struct {
			ID string `json:"account_id"`
		}
	}
	_ = json.Unmarshal(r.Body, &list)
	if len(list.Accounts) == 0 {
		t.Fatalf("no accounts: %s", r.Body)
	}
	acct := list.Accounts[0].ID

	// Lisi's account id, learned through her own consent to the same partner.
	lisiBrowser := pgNewBrowser(t, tb)
	ltok := accountsToken(t, client, lisiBrowser, "lisi", 7, "accounts:read")
	lr, _ := client.ForUser(ltok).Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
	var llist struct {
		Accounts []struct {
			ID string `json:"account_id"`
		}
	}
	_ = json.Unmarshal(lr.Body, &llist)
	lisiAcct := llist.Accounts[0].ID
	_ = lisi

	t.Run("404/another user's account", func(t *testing.T) {
		before := tb.snapshot()
		r, err := user.Do(ctx, "GET", "/a2/v1/accounts/"+lisiAcct, nil, nil)
		expectAPIError(t, "lisi's account with zhangsan's token", r, err, 404, "ACCOUNT_NOT_FOUND")
		nr, nerr := user.Do(ctx, "GET", "/a2/v1/accounts/ac_000000000000000000000000", nil, nil)
		expectAPIError(t, "nonexistent account", nr, nerr, 404, "ACCOUNT_NOT_FOUND")
		var a, b map[string]any
		_ = json.Unmarshal(r.Body, &a)
		_ = json.Unmarshal(nr.Body, &b)
		if a["detail"] != b["detail"] || a["title"] != b["title"] {
			t.Errorf("another user's account is distinguishable from a nonexistent one: %s vs %s", r.Body, nr.Body)
		}
		tb.assertUnchanged(before, "other user's account")
	})
	t.Run("403/scope not consented", func(t *testing.T) {
		before := tb.snapshot()
		r, err := user.Do(ctx, "GET", "/a2/v1/accounts/"+acct+"/balance", nil, nil)
		expectAPIError(t, "balance without balances:read consent", r, err, 403, "SCOPE_NOT_CONSENTED")
		tb.assertUnchanged(before, "scope")
	})
	t.Run("403/token presented by another app", func(t *testing.T) {
		r, err := other.ForUser(&sdk.Token{AccessToken: tok.AccessToken, Expiry: time.Now().Add(time.Hour)}).Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
		expectAPIError(t, "another app's token", r, err, 403, "TOKEN_APP_MISMATCH")
	})
	t.Run("401/token with another certificate of the same app", func(t *testing.T) {
		cert := issueCert(t, tb, zhangAppID(t, client), time.Now(), time.Hour)
		certPEM := pemCert(cert.Certificate[0])
		if st, out := tb.admin("POST", "/admin/v1/apps/"+zhangAppID(t, client)+"/credentials", map[string]any{"kind": "client_cert", "pem": certPEM}); st != 201 {
			t.Fatalf("register second certificate: %d %v", st, out)
		}
		cfg := client.Config()
		cfg.ClientCert = &cert
		cfg.HTTPClient = nil
		c2, err := sdk.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		r, err := c2.ForUser(&sdk.Token{AccessToken: tok.AccessToken, Expiry: time.Now().Add(time.Hour)}).Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
		expectAPIError(t, "token over another certificate", r, err, 401, "TOKEN_CERT_MISMATCH")
	})
	t.Run("401/revoked token", func(t *testing.T) {
		t2 := accountsToken(t, client, browser, "zhangsan", 7, "accounts:read")
		if err := client.Revoke(ctx, t2.AccessToken); err != nil {
			t.Fatal(err)
		}
		r, err := client.ForUser(&sdk.Token{AccessToken: t2.AccessToken, Expiry: time.Now().Add(time.Hour)}).Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
		expectAPIError(t, "revoked token", r, err, 401, "TOKEN_REVOKED")
	})
	t.Run("409+422/idempotency conflicts and reused single-use consent", func(t *testing.T) {
		ptok := paymentToken(t, client, browser, "zhangsan", "1.00", zhang.Accounts[0].Number, lisi.Accounts[0].Number, lisi.Name)
		payer := client.ForUser(&sdk.Token{AccessToken: ptok.AccessToken, Expiry: time.Now().Add(time.Hour)})
		body := paymentBody(t, tb, zhangAccountID(t, client, tok, zhang.Accounts[0].Number), "1.00", lisi.Accounts[0].Number, lisi.Name, "first")
		// Concurrent duplicates: one payment; every answer is the first result or 409.
		var wg sync.WaitGroup
		results := make([]*sdk.Response, 6)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], _ = payer.Do(ctx, "POST", "/a2/v1/payments", body, http.Header{"Idempotency-Key": {"idem-conflict-1"}})
			}()
		}
		wg.Wait()
		created := ""
		for _, r := range results {
			switch {
			case r == nil:
				t.Fatal("a duplicate got no answer")
			case r.Status == 201:
				if created != "" && string(r.Body) != created {
					t.Fatalf("two different payments for one key:\n%s\n%s", created, r.Body)
				}
				created = string(r.Body)
			case r.Status == 409:
				if !strings.Contains(string(r.Body), "IDEMPOTENCY_IN_PROGRESS") {
					t.Fatalf("409 is not IDEMPOTENCY_IN_PROGRESS: %s", r.Body)
				}
			default:
				t.Fatalf("duplicate answered %d %s", r.Status, r.Body)
			}
		}
		if created == "" {
			t.Fatal("no duplicate created the payment")
		}
		before := tb.snapshot()
		other := paymentBody(t, tb, zhangAccountID(t, client, tok, zhang.Accounts[0].Number), "1.00", lisi.Accounts[0].Number, lisi.Name, "changed memo")
		r, err := payer.Do(ctx, "POST", "/a2/v1/payments", other, http.Header{"Idempotency-Key": {"idem-conflict-1"}})
		expectAPIError(t, "same key, another body", r, err, 422, "IDEMPOTENCY_KEY_REUSED")
		r, err = payer.Do(ctx, "POST", "/a2/v1/payments", body, http.Header{"Idempotency-Key": {"idem-conflict-2"}})
		expectAPIError(t, "single-use consent used again with a new key", r, err, 403, "CONSENT_USED")
		tb.assertUnchanged(before, "idempotency conflicts")
	})
	t.Run("401/expired token", func(t *testing.T) {
		if st, out := tb.admin("POST", "/admin/v1/clock/advance", map[string]any{"seconds": 600}); st != 200 {
			t.Fatalf("advance clock: %d %v", st, out)
		}
		cfg := client.Config()
		cfg.Now = func() time.Time { return time.Now().Add(600 * time.Second) } // sign with the bank's clock
		c2, err := sdk.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		r, err := c2.ForUser(&sdk.Token{AccessToken: tok.AccessToken, Expiry: time.Now().Add(time.Hour)}).Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
		expectAPIError(t, "expired token", r, err, 401, "TOKEN_EXPIRED")
	})
}

func zhangAppID(t *testing.T, c *sdk.Client) string { t.Helper(); return c.Config().AppID }

// listedAccount is one entry of an account list (GET /a2/v1/accounts).
type listedAccount struct {
	ID     string `json:"account_id"`
	Masked string `json:"account_number_masked"`
}

// listedAccounts decodes an account list's entries (none when it does not decode).
func listedAccounts(body []byte) []listedAccount {
	var list struct{ Accounts []listedAccount }
	_ = json.Unmarshal(body, &list)
	return list.Accounts
}

// zhangAccountID finds the opaque id of an account number through the account list.
func zhangAccountID(t testing.TB, c *sdk.Client, tok *sdk.Token, number string) string {
	t.Helper()
	r, err := c.ForUser(&sdk.Token{AccessToken: tok.AccessToken, Expiry: time.Now().Add(time.Hour)}).Do(context.Background(), "GET", "/a2/v1/accounts", nil, nil)
	if err != nil || r.Status != 200 {
		t.Fatalf("accounts: %v", err)
	}
	for _, a := range listedAccounts(r.Body) {
		if strings.HasSuffix(a.Masked, number[len(number)-4:]) && strings.HasPrefix(a.Masked, number[:4]) {
			return a.ID
		}
	}
	t.Fatalf("account %s… not in %s", number[:4], r.Body)
	return ""
}

func paymentBody(t testing.TB, tb *testBank, debitID, amount, payee, name, memo string) []byte {
	t.Helper()
	_, bankEnc, err := sdk.LoadSM2Cert(filepath.Join(tb.b.DataDir, "pki", "bank-enc.crt"))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := json.Marshal(map[string]string{"account": payee, "name": name})
	env, err := protocol.Seal(bankEnc, "", plain, []byte("payee"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"debit_account_id": debitID, "amount": amount, "currency": "CNY", "payee": map[string]any{"encrypted": env}, "memo": memo})
	return b
}
