package refpartner_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/steps/driver"
)

// fullNumber is a card or account number in the clear: 13 to 19 digits standing alone
// (the harness's own rule; request ids and U_API_IDs mix digits with letters).
var fullNumber = regexp.MustCompile(`(?:^|[^0-9A-Za-z_])(\d{13,19})(?:[^0-9A-Za-z_]|$)`)

// TestReferencePartnerFullFlow drives the reference partner through its driver
// endpoint against a real embedded sandbox, playing the user at the bank's pages:
// products (A1), link, accounts, balance, holdings, a payment with its signed
// notification, payment status, history, revocation — and checks its log.
func TestReferencePartnerFullFlow(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")

	var prods driver.ProductsResult
	w.must(driver.ListProducts, nil, &prods)
	if len(prods.Products) == 0 || prods.Products[0].ProductID == "" || prods.Products[0].Name == "" {
		t.Fatalf("products: %+v", prods)
	}
	if code := w.do(driver.Balance, driver.AccountParams{AccountID: "ac_0000"}, nil); code != driver.CodeNotLinked {
		t.Fatalf("balance before linking: %q, want not_linked", code)
	}

	accts := w.link("accounts:read", "balances:read", "holdings:read")
	debit := accts[0]
	if !strings.Contains(debit.Masked, "*") || fullNumber.MatchString(debit.Masked) {
		t.Fatalf("account not masked: %+v", debit)
	}
	var bal driver.BalanceResult
	w.must(driver.Balance, driver.AccountParams{AccountID: debit.AccountID}, &bal)
	if bal.AccountID != debit.AccountID || bal.Currency != "CNY" || !regexp.MustCompile(`^-?\d+\.\d\d$`).MatchString(bal.Available) {
		t.Fatalf("balance: %+v", bal)
	}
	var hold driver.HoldingsResult
	w.must(driver.Holdings, nil, &hold)
	if hold.Holdings == nil {
		t.Fatal("holdings: nil")
	}

	// A payment to lisi, confirmed at the bank with a one-time code.
	lisi := w.customer("lisi")
	var start driver.AuthorizationResult
	w.must(driver.StartPayment, driver.PaymentParams{AccountID: debit.AccountID, Amount: "10.00", PayeeAccount: lisi.Accounts[0].Number,
		PayeeName: lisi.Name, Reference: "order 42"}, &start)
	if !strings.Contains(start.AuthorizationURL, "code_challenge_method=S256") || !strings.Contains(start.AuthorizationURL, "amount=10.00") {
		t.Fatalf("payment consent URL: %s", start.AuthorizationURL)
	}
	redirect := newBrowser(w).consent(start.AuthorizationURL, "zhangsan", true)
	var pay driver.PaymentResult
	w.must(driver.FinishPayment, driver.RedirectParams{RedirectURL: redirect}, &pay)
	if pay.PaymentID == "" || pay.Status == "" {
		t.Fatalf("payment: %+v", pay)
	}
	var again driver.PaymentResult
	w.must(driver.FinishPayment, driver.RedirectParams{RedirectURL: redirect}, &again)
	if again != pay {
		t.Fatalf("finishing the same payment again: %+v, want %+v", again, pay)
	}

	// The bank's signed notification reaches the partner's server and is accepted.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n driver.NotificationsResult
		w.must(driver.Notifications, nil, &n)
		if len(n.Notifications) > 0 && n.Notifications[len(n.Notifications)-1].PaymentID == pay.PaymentID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no notification of %s accepted: %+v", pay.PaymentID, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var st driver.PaymentResult
	w.must(driver.PaymentStatus, driver.PaymentIDParams{PaymentID: pay.PaymentID}, &st)
	if st.PaymentID != pay.PaymentID || st.Status != "succeeded" {
		t.Fatalf("payment status: %+v", st)
	}

	w.must(driver.Revoke, nil, nil)
	if code := w.do(driver.Balance, driver.AccountParams{AccountID: debit.AccountID}, nil); code != driver.CodeNotLinked {
		t.Fatalf("balance after revoking: %q, want not_linked", code)
	}
	var hist driver.HistoryResult
	w.must(driver.History, nil, &hist)
	var kinds []string
	for _, e := range hist.Events {
		kinds = append(kinds, e.Kind)
		if fullNumber.MatchString(e.Detail) {
			t.Errorf("history carries a full number: %s", e.Detail)
		}
	}
	if strings.Join(kinds, ",") != "authorization,payment,revocation" {
		t.Fatalf("history kinds %v", kinds)
	}
	var status driver.StatusResult
	w.must(driver.Status, nil, &status)
	if status.Circuit != "closed" || len(status.Alarms) != 0 {
		t.Fatalf("status: %+v", status)
	}

	// The log: one line per bank call, nothing secret or full.
	lines, err := w.drv.Log(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	for _, l := range lines {
		if strings.Contains(l, `msg="bank call"`) {
			calls++
			for _, k := range []string{"method=", "path=", "uapi_id=", "request_id=", "status=", "code=", "latency_ms="} {
				if !strings.Contains(l, k) {
					t.Errorf("call line without %s: %s", k, l)
				}
			}
			if strings.Contains(l, "?") {
				t.Errorf("call line with a query: %s", l)
			}
		}
		if fullNumber.MatchString(l) || strings.Contains(strings.ToLower(l), "token=") {
			t.Errorf("log line carries a full number or a token: %s", l)
		}
		for _, c := range []string{"zhangsan", "lisi"} {
			cu := w.customer(c)
			for _, n := range []string{cu.Accounts[0].Number, cu.ResidentID, cu.Mobile} {
				if strings.Contains(l, n) {
					t.Errorf("log line carries %s's full number %s…: %s", c, n[:4], l)
				}
			}
		}
	}
	// products, token, accounts, balance, holdings, token, payment, status, revoke.
	if calls != 9 {
		t.Fatalf("%d call lines, want one per bank call:\n%s", calls, strings.Join(lines, "\n"))
	}
	var empty driver.LogResult
	w.must(driver.Reset, nil, nil)
	w.must(driver.Log, nil, &empty)
	if len(empty.Lines) != 0 {
		t.Fatalf("log after reset: %v", empty.Lines)
	}
}
