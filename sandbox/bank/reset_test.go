package bank_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/sdk"
)

// rsAccountToken consents zhangsan's accounts to the client through the bank's pages
// and returns a client acting with the token, and the account list's answer.
func rsAccountToken(t *testing.T, client *sdk.Client, browser *pgBrowser) (*sdk.UserSession, *sdk.Token, string) {
	t.Helper()
	ctx := context.Background()
	tok := accountsToken(t, client, browser, "zhangsan", 30, "accounts:read", "balances:read")
	user := client.ForUser(tok)
	r, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
	if err != nil || r.Status != 200 {
		t.Fatalf("accounts: %v %v", err, r)
	}
	return user, tok, string(r.Body)
}

// rsPay makes a 10.00 payment from zhangsan's first card to lisi's, consented at the
// bank with the payment code.
func rsPay(t *testing.T, tb *testBank, client *sdk.Client, browser *pgBrowser, debitID string, zhang, lisi *fakedata.Customer) {
	t.Helper()
	ctx := context.Background()
	ptok := paymentToken(t, client, browser, "zhangsan", "10.00", zhang.Accounts[0].Number, lisi.Accounts[0].Number, lisi.Name)
	body := paymentBody(t, tb, debitID, "10.00", lisi.Accounts[0].Number, lisi.Name, "before the reset")
	pr, err := client.ForUser(ptok).Do(ctx, "POST", "/a2/v1/payments", body, http.Header{"Idempotency-Key": {"reset-payment-1"}})
	if err != nil || pr.Status != 201 || !strings.Contains(string(pr.Body), `"status":"succeeded"`) {
		t.Fatalf("payment: %v %v", err, pr)
	}
}

// rsAccountID finds the opaque id of an account in an account list by its masked number.
func rsAccountID(t *testing.T, list, number string) string {
	t.Helper()
	masked := number[:4] + " **** **** " + number[len(number)-4:]
	for _, a := range listedAccounts([]byte(list)) {
		if a.Masked == masked {
			return a.ID
		}
	}
	t.Fatalf("account %s not in %s", masked, list)
	return ""
}

func TestResetPutsTheSeedBackKeepsAppsAndEndsConsents(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	ctx := context.Background()
	seeded := tb.snapshot()
	client := onboardPartner(t, tb, "")
	browser := pgNewBrowser(t, tb)
	zhang, lisi := pgCustomer(t, tb, "zhangsan"), pgCustomer(t, tb, "lisi")

	user, _, list := rsAccountToken(t, client, browser)
	debitID := rsAccountID(t, list, zhang.Accounts[0].Number)
	rsPay(t, tb, client, browser, debitID, zhang, lisi)
	if reflect.DeepEqual(tb.snapshot()["accounts"], seeded["accounts"]) {
		t.Fatal("the payment changed no balance")
	}

	r, out := tb.adminCall("POST", "/admin/v1/reset", nil)
	if r.Status != 200 || out["seed"] != float64(tb.cfg.Seed) || out["customers"] != float64(tb.cfg.Customers) {
		t.Fatalf("reset: %v", r)
	}
	after := tb.snapshot()
	for _, table := range []string{"accounts", "products", "product_holdings", "account_transactions"} {
		if !reflect.DeepEqual(after[table], seeded[table]) {
			t.Errorf("after the reset, %s differs from the seed", table)
		}
	}
	for _, table := range []string{"payments", "consents", "oauth_tokens", "login_sessions", "idempotency_keys", "payment_notifications"} {
		if len(after[table]) != 0 {
			t.Errorf("after the reset, %s still has %d rows", table, len(after[table]))
		}
	}
	if err := tb.b.CheckLedger(ctx); err != nil {
		t.Errorf("ledger after the reset: %v", err)
	}

	// The old consent's token is refused with the catalogued error.
	r2, err := user.Do(ctx, "GET", "/a2/v1/accounts/"+debitID+"/balance", nil, nil)
	var apiErr *sdk.APIError
	if err != nil || !errors.As(sdk.AsAPIError(r2), &apiErr) || r2.Status != 401 || apiErr.Code != "TOKEN_INVALID" {
		t.Fatalf("the old token after the reset: %v %v", err, r2)
	}

	// The app still works: the user logs in again (the session is gone), consents again,
	// and the account keeps its opaque id.
	_, _, list2 := rsAccountToken(t, client, browser)
	if id := rsAccountID(t, list2, zhang.Accounts[0].Number); id != debitID {
		t.Errorf("zhangsan's card has id %s after the reset, was %s", id, debitID)
	}

	// The reset is itself audited.
	if err := tb.b.FlushAudit(); err != nil {
		t.Fatal(err)
	}
	_, au := tb.adminCall("GET", "/admin/v1/audit?request_id="+r.Header.Get("X-Request-ID"), nil)
	if recs, _ := au["records"].([]any); len(recs) != 1 || !strings.Contains(jsonText(recs[0]), "admin.testctl.reset") {
		t.Errorf("audit records of the reset: %v", au)
	}
}

func jsonText(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestReseedChangesTheDataAndTheTestUsersStillLogIn(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	ctx := context.Background()
	client := onboardPartner(t, tb, "")
	before := tb.snapshot()

	const newSeed = 4242
	r, out := tb.adminCall("POST", "/admin/v1/reseed", map[string]any{"seed": newSeed, "size": 7})
	if r.Status != 200 || out["seed"] != float64(newSeed) || out["customers"] != float64(7) || out["products"] != float64(tb.cfg.Products) {
		t.Fatalf("reseed: %v", r)
	}
	after := tb.snapshot()
	if reflect.DeepEqual(after["accounts"], before["accounts"]) || len(after["customers"]) != 7 {
		t.Fatalf("the reseed left %d customers and the accounts unchanged=%v", len(after["customers"]), reflect.DeepEqual(after["accounts"], before["accounts"]))
	}
	if err := tb.b.CheckLedger(ctx); err != nil {
		t.Errorf("ledger after the reseed: %v", err)
	}
	zhang, ok := fakedata.Generate(newSeed, fakedata.Size{Customers: 7}).Customer("zhangsan")
	if !ok {
		t.Fatal("no zhangsan in the new data set")
	}
	_, _, list := rsAccountToken(t, client, pgNewBrowser(t, tb))
	rsAccountID(t, list, zhang.Accounts[0].Number) // the new seed's card

	// A reset now restores the reseeded data set, not the configured one.
	if r, out := tb.adminCall("POST", "/admin/v1/reset", nil); r.Status != 200 || out["seed"] != float64(newSeed) {
		t.Fatalf("reset after the reseed: %v", r)
	}
	if !reflect.DeepEqual(tb.snapshot()["accounts"], after["accounts"]) {
		t.Error("a reset after the reseed did not restore the reseeded accounts")
	}
}

func TestReseedRefusesBadInputAndChangesNothing(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	before := tb.snapshot()
	for _, c := range []struct {
		name string
		body any
		code string
	}{
		{"seed missing", map[string]any{"size": 5}, "PARAMETER_INVALID"},
		{"size missing", map[string]any{"seed": 1}, "PARAMETER_INVALID"},
		{"too few customers for the test users", map[string]any{"seed": 1, "size": 2}, "PARAMETER_INVALID"},
		{"too many customers", map[string]any{"seed": 1, "size": 1_000_000}, "PARAMETER_INVALID"},
		{"too few products", map[string]any{"seed": 1, "size": 5, "products": 3}, "PARAMETER_INVALID"},
		{"unknown field", map[string]any{"seed": 1, "size": 5, "users": 5}, "BODY_INVALID"},
		{"seed not a number", `{"seed": "x", "size": 5}`, "BODY_INVALID"},
	} {
		r, _ := tb.adminCall("POST", "/admin/v1/reseed", c.body)
		if r.Status != 400 || r.Prob.Code != c.code {
			t.Errorf("%s: %v, want 400 %s", c.name, r, c.code)
		}
	}
	if r, _ := tb.adminCall("POST", "/admin/v1/reset", `{"seed": 3}`); r.Status != 400 || r.Prob.Code != "BODY_INVALID" {
		t.Errorf("reset with a body: %v, want 400 BODY_INVALID (reseed takes a seed)", r)
	}
	if after := tb.snapshot(); !reflect.DeepEqual(after["accounts"], before["accounts"]) {
		t.Error("a refused reseed changed the accounts")
	}
}

func TestResetAndReseedExistOnlyInSandboxMode(t *testing.T) {
	t.Parallel()
	tb := startBank(t, func(c *bank.Config) { c.Mode = "production" })
	for _, path := range []string{"/admin/v1/reset", "/admin/v1/reseed"} {
		if r, _ := tb.adminCall("POST", path, map[string]any{"seed": 1, "size": 5}); r.Status != 404 {
			t.Errorf("%s in production mode: %v, want 404", path, r)
		}
	}
}
