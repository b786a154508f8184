package bank_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/sdk"
)

// TestRiskReviewThroughAdmin: a large payment is held for review (JR/T 0185-2020
// 10.2.3/3), listed for the operator, approved, executed, and its notification shows in
// the admin API.
func TestRiskReviewThroughAdmin(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	ctx := context.Background()
	notifyURL, notes := notifyReceiver(t, tb)
	client := onboardPartner(t, tb, notifyURL)
	browser := pgNewBrowser(t, tb)
	zhang, lisi := pgCustomer(t, tb, "zhangsan"), pgCustomer(t, tb, "lisi")
	auth, _ := client.AuthorizationURL(sdk.AuthRequest{RedirectURI: pgRedirect, Scopes: []string{"accounts:read"}, ValidDays: 1})
	atok, err := client.ExchangeCode(ctx, consentThroughPages(t, browser, auth.URL, "zhangsan", false), auth.Verifier, pgRedirect)
	if err != nil {
		t.Fatal(err)
	}
	debitID := zhangAccountID(t, client, atok, zhang.Accounts[0].Number)
	pay := func(amount, key string) map[string]any {
		t.Helper()
		pauth, _ := client.AuthorizationURL(sdk.AuthRequest{RedirectURI: pgRedirect, Scopes: []string{"payments:write"}, ConsentType: "payment",
			Amount: amount, Currency: "CNY", PayeeAccount: lisi.Accounts[0].Number, PayeeName: lisi.Name, DebitAccount: zhang.Accounts[0].Number})
		ptok, err := client.ExchangeCode(ctx, consentThroughPages(t, browser, pauth.URL, "zhangsan", true), pauth.Verifier, pgRedirect)
		if err != nil {
			t.Fatal(err)
		}
		r, err := client.ForUser(ptok).Do(ctx, "POST", "/a2/v1/payments", paymentBody(t, tb, debitID, amount, lisi.Accounts[0].Number, lisi.Name, "review"),
			http.Header{"Idempotency-Key": {key}})
		if err != nil || r.Status != 201 {
			t.Fatalf("payment: %v %s", err, r.Body)
		}
		var v map[string]any
		_ = json.Unmarshal(r.Body, &v)
		return v
	}
	held := pay("88888.88", "review-1")
	if held["status"] != "risk_review" {
		t.Fatalf("the magic amount was not held: %v", held)
	}
	id := held["payment_id"].(string)
	st, out := tb.admin("GET", "/admin/v1/payments/review", nil)
	if st != 200 || !strings.Contains(mustJSON(out), id) {
		t.Fatalf("review list: %d %v", st, out)
	}
	if st, out := tb.admin("POST", "/admin/v1/payments/"+id+"/approve", map[string]any{"reviewer": "", "note": "x"}); st != 400 {
		t.Fatalf("approval without a reviewer: %d %v", st, out)
	}
	st, out = tb.admin("POST", "/admin/v1/payments/"+id+"/approve", map[string]any{"reviewer": "ops-lead", "note": "customer called back"})
	if st != 200 || out["payment"].(map[string]any)["status"] != "succeeded" {
		t.Fatalf("approve: %d %v", st, out)
	}
	if st, out := tb.admin("POST", "/admin/v1/payments/"+id+"/reject", map[string]any{"reviewer": "ops-lead", "note": "late"}); st != 409 {
		t.Fatalf("rejecting a finished payment: %d %v", st, out)
	}
	rejected := pay("88888.88", "review-2")
	st, out = tb.admin("POST", "/admin/v1/payments/"+rejected["payment_id"].(string)+"/reject", map[string]any{"reviewer": "ops-lead", "note": "suspicious"})
	if st != 200 || out["payment"].(map[string]any)["status"] == "succeeded" {
		t.Fatalf("reject: %d %v", st, out)
	}
	deadline := time.After(15 * time.Second)
	for got := 0; got < 2; got++ {
		select {
		case <-notes:
		case <-deadline:
			t.Fatalf("only %d notifications delivered", got)
		}
	}
	var listed map[string]any
	for i := 0; i < 50; i++ { // delivery is recorded just after the partner answers
		st, listed = tb.admin("GET", "/admin/v1/apps/"+client.Config().AppID+"/notifications", nil)
		if st == 200 && strings.Count(mustJSON(listed), `"delivered_at"`) >= 2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(mustJSON(listed), id) || strings.Count(mustJSON(listed), `"delivered_at"`) < 2 {
		t.Fatalf("notifications: %v", listed)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
