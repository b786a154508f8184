package payments

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/ledger"
	"github.com/jr0185/harness/sandbox/internal/money"
	"github.com/jr0185/harness/sandbox/internal/pii"
)

func TestCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	zhang, zhang2, lisi, wang := e.user("zhangsan", 0), e.user("zhangsan", 1), e.user("lisi", 0), e.user("wangwu", 0)
	ext := user{Account: external, Name: "赵六"}
	tests := []struct {
		name       string
		req        CreateRequest
		wantStatus int
		wantCode   string
		detail     string
	}{
		{"201/pending confirmation", e.req(zhang, lisi, 10000), 0, "", ""},
		{"201/to own other account", e.req(zhang, zhang2, 10000), 0, "", ""},
		{"201/external payee", e.req(zhang, ext, 10000), 0, "", ""},
		{"201/empty currency means CNY", func() CreateRequest { r := e.req(zhang, lisi, 1); r.Currency = ""; return rehash(r) }(), 0, "", ""},
		{"400/idempotency key missing", func() CreateRequest { r := e.req(zhang, lisi, 1); r.IdempotencyKey = ""; return r }(), 400, "IDEMPOTENCY_KEY_INVALID", ""},
		{"400/idempotency key malformed", func() CreateRequest { r := e.req(zhang, lisi, 1); r.IdempotencyKey = "a b"; return r }(), 400, "IDEMPOTENCY_KEY_INVALID", ""},
		{"400/amount zero", e.req(zhang, lisi, 0), 400, "PARAMETER_INVALID", "amount"},
		{"400/amount negative", e.req(zhang, lisi, -100), 400, "PARAMETER_INVALID", "amount"},
		{"400/amount above MaxFen", e.req(zhang, lisi, money.MaxFen+1), 400, "PARAMETER_INVALID", "amount"},
		{"400/payee name missing", func() CreateRequest { r := e.req(zhang, lisi, 1); r.PayeeName = "  "; return rehash(r) }(), 400, "PARAMETER_INVALID", "payee name"},
		{"400/memo with control characters", func() CreateRequest { r := e.req(zhang, lisi, 1); r.Memo = "a\x00b"; return rehash(r) }(), 400, "PARAMETER_INVALID", "memo"},
		{"400/payer equals payee", e.req(zhang, zhang, 1), 400, "PARAMETER_INVALID", "differ"},
		{"403/payer account of another customer", func() CreateRequest { r := e.req(lisi, zhang, 1); r.CustomerID = zhang.ID; return rehash(r) }(), 403, "PAYER_ACCOUNT_NOT_AUTHORIZED", ""},
		{"403/payer account unknown", func() CreateRequest { r := e.req(zhang, lisi, 1); r.PayerAccount = external; return rehash(r) }(), 403, "PAYER_ACCOUNT_NOT_AUTHORIZED", ""},
		{"403/bank-internal payer", func() CreateRequest {
			r := e.req(zhang, lisi, 1)
			r.PayerAccount = ledger.EquityAccount
			return rehash(r)
		}(), 403, "PAYER_ACCOUNT_NOT_AUTHORIZED", ""},
		{"422/payee fails the Luhn check", e.req(zhang, user{Account: "6222000000000000021", Name: "x"}, 1), 422, "PAYEE_ACCOUNT_INVALID", "Luhn"},
		{"422/payee not a card number", e.req(zhang, user{Account: "62220000000000000２0", Name: "x"}, 1), 422, "PAYEE_ACCOUNT_INVALID", ""},
		{"422/payee is a bank-internal account", e.req(zhang, user{Account: ledger.ExternalClearingAccount, Name: "x"}, 1), 422, "PAYEE_ACCOUNT_INVALID", ""},
		{"422/payee name mismatch", e.req(zhang, user{Account: lisi.Account, Name: "王二"}, 1), 422, "PAYEE_NAME_MISMATCH", ""},
		{"422/payee account frozen", e.req(zhang, wang, 1), 422, "PAYEE_ACCOUNT_UNAVAILABLE", ""},
		{"422/payer account frozen (wangwu)", e.req(wang, zhang, 100), 422, "ACCOUNT_FROZEN", "frozen"},
		{"422/currency not CNY", func() CreateRequest { r := e.req(zhang, lisi, 1); r.Currency = "USD"; return rehash(r) }(), 422, "CURRENCY_UNSUPPORTED", ""},
		{"422/per-transaction limit (zhangsan 500,000.01)", e.req(zhang, lisi, 50_000_001), 422, "LIMIT_EXCEEDED", "per-transaction limit of the debit account (500000.00)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := e.svc.Create(context.Background(), tc.req)
			if status(err) != tc.wantStatus || code(err) != tc.wantCode {
				t.Fatalf("err = %v (status %d), want %d %s", err, status(err), tc.wantStatus, tc.wantCode)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tc.detail) {
					t.Errorf("detail %q does not mention %q", err, tc.detail)
				}
				if strings.Contains(err.Error(), tc.req.PayerAccount) && len(tc.req.PayerAccount) > 12 {
					t.Errorf("error shows the full payer account: %v", err)
				}
				if n := e.count(`SELECT COUNT(*) FROM payments WHERE app_id = $1 AND idem_key = $2`, appA, tc.req.IdempotencyKey); n != 0 {
					t.Errorf("a refused request created a payment")
				}
				return
			}
			p := res.Payment
			if res.Replayed || p.Status != StatusPendingConfirmation || p.AmountFen != tc.req.AmountFen || p.Currency != "CNY" {
				t.Fatalf("payment = %+v", p)
			}
			if p.PayeeExternal != (tc.req.PayeeAccount == external) {
				t.Errorf("PayeeExternal = %v", p.PayeeExternal)
			}
			if got, err := e.svc.Get(context.Background(), appA, p.ID); err != nil || got.ID != p.ID {
				t.Errorf("Get = %+v, %v", got, err)
			}
		})
	}
	t.Cleanup(e.invariants)
}

// TestExecution runs each payment to the state its inputs lead to, and checks the money.
func TestExecution(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     Options
		build    func(e *env) CreateRequest
		before   func(e *env, p Payment) // between creation and confirmation
		want     Status
		wantCode string
		moved    bool
	}{
		{name: "succeeded/in-bank transfer", build: func(e *env) CreateRequest { return e.req(e.user("zhangsan", 0), e.user("lisi", 0), 12345) },
			want: StatusSucceeded, moved: true},
		{name: "succeeded/external payee via clearing", build: func(e *env) CreateRequest {
			return e.req(e.user("zhangsan", 0), user{Account: external, Name: "赵六"}, 12345)
		}, want: StatusSucceeded, moved: true},
		{name: "succeeded/just below the review threshold", build: func(e *env) CreateRequest {
			return e.req(e.user("zhangsan", 0), e.user("lisi", 0), DefaultRiskReviewFen-1)
		}, want: StatusSucceeded, moved: true},
		{name: "failed/insufficient funds (lisi pays 40,000.00)", build: func(e *env) CreateRequest {
			return e.req(e.user("lisi", 0), e.user("zhangsan", 0), 4_000_000)
		}, want: StatusFailed, wantCode: "INSUFFICIENT_FUNDS"},
		{name: "failed/magic amount 0.13", build: func(e *env) CreateRequest { return e.req(e.user("zhangsan", 0), e.user("lisi", 0), 13) },
			want: StatusFailed, wantCode: "INSUFFICIENT_FUNDS"},
		{name: "succeeded/magic amount 0.13 with magic disabled", opts: Options{DisableMagic: true},
			build: func(e *env) CreateRequest { return e.req(e.user("zhangsan", 0), e.user("lisi", 0), 13) }, want: StatusSucceeded, moved: true},
		{name: "failed/magic closed payee", build: func(e *env) CreateRequest {
			return e.req(e.user("zhangsan", 0), user{Account: MagicPayeeClosed, Name: "赵六"}, 100)
		}, want: StatusFailed, wantCode: "PAYEE_ACCOUNT_UNAVAILABLE"},
		{name: "failed/payer frozen after creation", build: func(e *env) CreateRequest { return e.req(e.user("zhangsan", 0), e.user("lisi", 0), 100) },
			before: func(e *env, p Payment) {
				e.exec(`UPDATE accounts SET status = 'frozen' WHERE account_no = $1`, p.PayerAccount)
			},
			want: StatusFailed, wantCode: "ACCOUNT_FROZEN"},
		{name: "failed/payee frozen after creation", build: func(e *env) CreateRequest { return e.req(e.user("zhangsan", 0), e.user("lisi", 0), 100) },
			before: func(e *env, p Payment) {
				e.exec(`UPDATE accounts SET status = 'frozen' WHERE account_no = $1`, p.PayeeAccount)
			},
			want: StatusFailed, wantCode: "PAYEE_ACCOUNT_UNAVAILABLE"},
		{name: "failed/daily limit lowered after creation", build: func(e *env) CreateRequest { return e.req(e.user("zhangsan", 0), e.user("lisi", 0), 100) },
			before: func(e *env, p Payment) {
				e.exec(`UPDATE accounts SET daily_limit_fen = 99 WHERE account_no = $1`, p.PayerAccount)
			},
			want: StatusFailed, wantCode: "LIMIT_EXCEEDED"},
		{name: "risk_review/large amount", build: func(e *env) CreateRequest { return e.req(e.user("zhangsan", 0), e.user("lisi", 0), 6_000_000) },
			want: StatusRiskReview},
		{name: "risk_review/exactly the threshold", build: func(e *env) CreateRequest {
			return e.req(e.user("zhangsan", 0), e.user("lisi", 0), DefaultRiskReviewFen)
		}, want: StatusRiskReview},
		{name: "risk_review/magic 88888.88 above a raised threshold", opts: Options{RiskReviewFen: 100_000_000},
			build: func(e *env) CreateRequest { return e.req(e.user("zhangsan", 0), e.user("lisi", 0), MagicRiskReviewFen) }, want: StatusRiskReview},
		{name: "risk_review/flagged payee", build: func(e *env) CreateRequest {
			return e.req(e.user("zhangsan", 0), user{Account: MagicPayeeFlagged, Name: "赵六"}, 100)
		}, want: StatusRiskReview},
		{name: "succeeded/large amount with no threshold", opts: Options{RiskReviewFen: -1},
			build: func(e *env) CreateRequest { return e.req(e.user("zhangsan", 0), e.user("lisi", 0), 6_000_000) }, want: StatusSucceeded, moved: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts)
			ctx := context.Background()
			r := tc.build(e)
			credit := r.PayeeAccount
			if r.PayeeAccount == external || r.PayeeAccount == MagicPayeeClosed || r.PayeeAccount == MagicPayeeFlagged {
				credit = ledger.ExternalClearingAccount
			}
			payerBefore, creditBefore := e.balance(r.PayerAccount), e.balance(credit)
			p := e.create(r)
			if tc.before != nil {
				tc.before(e, p)
			}
			got, err := e.svc.Confirm(ctx, p.ID, r.CustomerID)
			if err != nil {
				t.Fatalf("Confirm: %v", err)
			}
			if got.Status != tc.want || got.FailureCode != tc.wantCode {
				t.Fatalf("status %s %s, want %s %s (%s)", got.Status, got.FailureCode, tc.want, tc.wantCode, got.FailureDetail)
			}
			if stored, _ := e.svc.Get(ctx, appA, p.ID); stored.Status != got.Status || stored.FailureCode != got.FailureCode {
				t.Errorf("stored %s, returned %s", stored.Status, got.Status)
			}
			if tc.wantCode != "" && (got.Failure() == nil || got.Failure().Code != tc.wantCode) {
				t.Errorf("Failure() = %v", got.Failure())
			}
			var delta int64
			if tc.moved {
				delta = r.AmountFen
			}
			if d := payerBefore - e.balance(r.PayerAccount); d != delta {
				t.Errorf("payer debited %d, want %d", d, delta)
			}
			if d := e.balance(credit) - creditBefore; d != delta {
				t.Errorf("payee credited %d, want %d", d, delta)
			}
			postings := e.count(`SELECT COUNT(*) FROM postings WHERE reference = $1`, "payment:"+p.ID)
			notes := e.count(`SELECT COUNT(*) FROM payment_notifications WHERE payment_id = $1`, p.ID)
			if tc.moved != (postings == 1) || (tc.moved && got.PostingID == "") {
				t.Errorf("%d postings for a payment that moved money: %v", postings, tc.moved)
			}
			if want := int64(map[bool]int{true: 1}[got.Status.Final()]); notes != want {
				t.Errorf("%d notifications, want %d", notes, want)
			}
			if tc.moved {
				// The payment shows in both histories (6.2 A2: 交易历史).
				if n := e.count(`SELECT COUNT(*) FROM account_transactions WHERE txn_id LIKE $1`, got.PostingID+"-%"); n != map[bool]int64{true: 1, false: 2}[credit == ledger.ExternalClearingAccount] {
					t.Errorf("%d history rows", n)
				}
			}
			if want := map[bool]int{true: 1}[tc.want == StatusRiskReview]; e.alarms.count(AlarmRiskReview) != want {
				t.Errorf("risk alarms = %d, want %d", e.alarms.count(AlarmRiskReview), want)
			}
			e.invariants()
		})
	}
}

func (e *env) exec(query string, args ...any) {
	e.t.Helper()
	if _, err := e.db.Exec(query, args...); err != nil {
		e.t.Fatal(err)
	}
}

func TestRiskReviewDecisions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name     string
		decide   func(s *Service, id string) (Payment, error)
		want     Status
		wantCode string
		moved    bool
	}{
		{"approved/succeeded", func(s *Service, id string) (Payment, error) {
			return s.Approve(ctx, id, "admin", "customer called back")
		},
			StatusSucceeded, "", true},
		{"rejected/no money moved", func(s *Service, id string) (Payment, error) { return s.Reject(ctx, id, "admin", "suspected fraud") },
			StatusRejected, "", false},
		{"400/approve without a reviewer", func(s *Service, id string) (Payment, error) { return s.Approve(ctx, id, " ", "") },
			StatusRiskReview, "PARAMETER_INVALID", false},
		{"404/approve an unknown payment", func(s *Service, _ string) (Payment, error) { return s.Approve(ctx, "PAYNOPE", "admin", "") },
			StatusRiskReview, "PAYMENT_NOT_FOUND", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			zhang, lisi := e.user("zhangsan", 0), e.user("lisi", 0)
			p := e.create(e.req(zhang, lisi, 6_000_000))
			if p, err := e.svc.Confirm(ctx, p.ID, zhang.ID); err != nil || p.Status != StatusRiskReview {
				t.Fatalf("Confirm = %s, %v", p.Status, err)
			}
			if list, _ := e.svc.ForReview(ctx); len(list) != 1 || list[0].ID != p.ID || !strings.Contains(list[0].RiskReason, "large amount") {
				t.Fatalf("ForReview = %+v", list)
			}
			got, err := tc.decide(e.svc, p.ID)
			if code(err) != tc.wantCode {
				t.Fatalf("err = %v, want %s", err, tc.wantCode)
			}
			now, _ := e.svc.Get(ctx, appA, p.ID)
			if now.Status != tc.want || (err == nil && got.Status != tc.want) {
				t.Fatalf("status %s / %s, want %s", got.Status, now.Status, tc.want)
			}
			if moved := zhang.Balance-e.balance(zhang.Account) == p.AmountFen; moved != tc.moved {
				t.Errorf("money moved = %v, want %v", moved, tc.moved)
			}
			if err == nil && now.ReviewedBy != "admin" {
				t.Errorf("reviewer not recorded: %+v", now)
			}
			// A decided payment cannot be decided again.
			if err == nil {
				if _, err := e.svc.Approve(ctx, p.ID, "admin", ""); code(err) != "STATE_CONFLICT" {
					t.Errorf("second decision: %v", err)
				}
			}
			e.invariants()
		})
	}
}

func TestConfirmCancelAndGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	zhang, lisi := e.user("zhangsan", 0), e.user("lisi", 0)
	tests := []struct {
		name     string
		act      func(p Payment) (Payment, error)
		wantCode string
		want     Status
	}{
		{"404/confirm by another customer", func(p Payment) (Payment, error) { return e.svc.Confirm(ctx, p.ID, lisi.ID) }, "PAYMENT_NOT_FOUND", StatusPendingConfirmation},
		{"404/confirm an unknown payment", func(Payment) (Payment, error) { return e.svc.Confirm(ctx, "PAYNOPE", zhang.ID) }, "PAYMENT_NOT_FOUND", StatusPendingConfirmation},
		{"409/confirm twice", func(p Payment) (Payment, error) {
			if _, err := e.svc.Confirm(ctx, p.ID, zhang.ID); err != nil {
				return p, err
			}
			return e.svc.Confirm(ctx, p.ID, zhang.ID)
		}, "STATE_CONFLICT", StatusSucceeded},
		{"200/cancel pending", func(p Payment) (Payment, error) { return e.svc.Cancel(ctx, appA, p.ID) }, "", StatusCancelled},
		{"404/cancel another app's payment", func(p Payment) (Payment, error) { return e.svc.Cancel(ctx, appB, p.ID) }, "PAYMENT_NOT_FOUND", StatusPendingConfirmation},
		{"409/cancel a succeeded payment", func(p Payment) (Payment, error) {
			if _, err := e.svc.Confirm(ctx, p.ID, zhang.ID); err != nil {
				return p, err
			}
			return e.svc.Cancel(ctx, appA, p.ID)
		}, "STATE_CONFLICT", StatusSucceeded},
		{"409/confirm a cancelled payment", func(p Payment) (Payment, error) {
			if _, err := e.svc.Cancel(ctx, appA, p.ID); err != nil {
				return p, err
			}
			return e.svc.Confirm(ctx, p.ID, zhang.ID)
		}, "STATE_CONFLICT", StatusCancelled},
		{"404/get another app's payment", func(p Payment) (Payment, error) { return e.svc.Get(ctx, appB, p.ID) }, "PAYMENT_NOT_FOUND", StatusPendingConfirmation},
		{"200/get by idempotency key", func(p Payment) (Payment, error) { return e.svc.GetByKey(ctx, appA, p.IdempotencyKey) }, "", StatusPendingConfirmation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := e.create(e.req(zhang, lisi, 100))
			got, err := tc.act(p)
			if code(err) != tc.wantCode {
				t.Fatalf("err = %v, want %s", err, tc.wantCode)
			}
			if err == nil && got.Status != tc.want {
				t.Errorf("returned status %s, want %s", got.Status, tc.want)
			}
			if now, _ := e.svc.Get(ctx, appA, p.ID); now.Status != tc.want {
				t.Errorf("stored status %s, want %s", now.Status, tc.want)
			}
		})
	}
	t.Cleanup(e.invariants)
}

func TestLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name   string
		opts   Options
		run    func(e *env) error // returns the error of the payment that should hit the limit
		detail string
	}{
		{"422/daily limit of the account", Options{RiskReviewFen: -1}, func(e *env) error {
			zhang, lisi := e.user("zhangsan", 0), e.user("lisi", 0)
			e.create(e.req(zhang, lisi, 50_000_000)) // pending counts
			p := e.create(e.req(zhang, lisi, 50_000_000))
			if _, err := e.svc.Confirm(ctx, p.ID, zhang.ID); err != nil {
				return err
			}
			_, err := e.svc.Create(ctx, e.req(zhang, lisi, 1))
			return err
		}, "daily limit of the debit account (1000000.00), 1000000.00 already used today"},
		{"422/daily limit of the app", Options{AppDailyLimitFen: 100_000}, func(e *env) error {
			zhang, lisi := e.user("zhangsan", 0), e.user("lisi", 0)
			e.create(e.req(zhang, lisi, 60_000))
			r := e.req(zhang, lisi, 60_000)
			other := r
			other.AppID = appB // another app's budget is its own
			if _, err := e.svc.Create(ctx, other); err != nil {
				return err
			}
			_, err := e.svc.Create(ctx, r)
			return err
		}, "daily limit of the app (1000.00), 600.00 already used today"},
		{"422/daily limit of the user across accounts", Options{UserDailyLimitFen: 100_000}, func(e *env) error {
			zhang, zhang2, lisi := e.user("zhangsan", 0), e.user("zhangsan", 1), e.user("lisi", 0)
			e.create(e.req(zhang, lisi, 60_000))
			_, err := e.svc.Create(ctx, e.req(zhang2, lisi, 60_000))
			return err
		}, "daily limit of the user (1000.00)"},
		{"201/cancelled and failed payments free the limit", Options{AppDailyLimitFen: 100_000}, func(e *env) error {
			zhang, lisi := e.user("zhangsan", 0), e.user("lisi", 0)
			p := e.create(e.req(zhang, lisi, 60_000))
			if _, err := e.svc.Cancel(ctx, appA, p.ID); err != nil {
				return err
			}
			p = e.create(e.req(lisi, zhang, 60_000))
			e.exec(`UPDATE accounts SET status = 'frozen' WHERE account_no = $1`, lisi.Account)
			if p, err := e.svc.Confirm(ctx, p.ID, lisi.ID); err != nil || p.Status != StatusFailed {
				return fmt.Errorf("confirm: %s %v", p.Status, err)
			}
			e.exec(`UPDATE accounts SET status = 'active' WHERE account_no = $1`, lisi.Account)
			_, err := e.svc.Create(ctx, e.req(zhang, lisi, 100_000))
			return err
		}, ""},
		{"201/yesterday's payments do not count", Options{AppDailyLimitFen: 100_000}, func(e *env) error {
			zhang, lisi := e.user("zhangsan", 0), e.user("lisi", 0)
			e.create(e.req(zhang, lisi, 100_000))
			e.clk.Advance(24 * time.Hour)
			_, err := e.svc.Create(ctx, e.req(zhang, lisi, 100_000))
			return err
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts)
			err := tc.run(e)
			if tc.detail == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if code(err) != "LIMIT_EXCEEDED" || status(err) != 422 || !strings.Contains(err.Error(), tc.detail) {
				t.Fatalf("err = %v, want LIMIT_EXCEEDED naming %q", err, tc.detail)
			}
			if e.alarms.count(AlarmLimitExceeded) == 0 {
				t.Error("no alarm raised")
			}
		})
	}
}

// TestStatementLinesMaskNames: the transaction history is answered to partners, so a
// payment's statement lines name the payer and the payee masked (JR/T 0185-2020
// 7.2.2/3b: 将…姓名向应用方进行反馈，应脱敏); the payment keeps the payee's name.
func TestStatementLinesMaskNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	ctx := context.Background()
	payer, payee := e.user("zhangsan", 0), e.user("lisi", 0)
	p := e.create(e.req(payer, payee, 100))
	got, err := e.svc.Confirm(ctx, p.ID, payer.ID)
	if err != nil || got.Status != StatusSucceeded || got.PayeeName != payee.Name {
		t.Fatalf("Confirm: %+v %v", got, err)
	}
	for acct, want := range map[string]string{payer.Account: pii.MaskName(payee.Name), payee.Account: pii.MaskName(payer.Name)} {
		var cp string
		if err := e.db.QueryRowContext(ctx, `SELECT counterparty FROM account_transactions WHERE txn_id LIKE $1 AND account_no = $2`,
			got.PostingID+"-%", acct).Scan(&cp); err != nil {
			t.Fatal(err)
		}
		if cp != want || strings.Contains(cp, payee.Name) || strings.Contains(cp, payer.Name) {
			t.Errorf("statement line of %s names its counterparty %q, want %q", pii.MaskCard(acct), cp, want)
		}
	}
}
