package bank_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
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
	atok := accountsToken(t, client, browser, "zhangsan", 1, "accounts:read")
	debitID := zhangAccountID(t, client, atok, zhang.Accounts[0].Number)
	pay := func(amount, key string) map[string]any {
		t.Helper()
		ptok := paymentToken(t, client, browser, "zhangsan", amount, zhang.Accounts[0].Number, lisi.Accounts[0].Number, lisi.Name)
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
