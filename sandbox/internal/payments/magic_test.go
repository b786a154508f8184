package payments

import (
	"context"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/magic"
)

// TestMagicConfirmationFailed: amount 0.22 ends failed with PAYMENT_CONFIRMATION_FAILED
// after confirmation, and no money moves.
func TestMagicConfirmationFailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	payer, payee := e.user("zhangsan", 0), e.user("lisi", 0)
	p := e.create(e.req(payer, payee, magic.AmountConfirmFailedFen))
	got, err := e.svc.Confirm(context.Background(), p.ID, payer.ID)
	if code(err) != "PAYMENT_CONFIRMATION_FAILED" && got.FailureCode != "PAYMENT_CONFIRMATION_FAILED" {
		t.Fatalf("confirm: %v %+v", err, got)
	}
	if p, _ = e.svc.Get(context.Background(), appA, p.ID); p.Status != StatusFailed || p.FailureCode != "PAYMENT_CONFIRMATION_FAILED" {
		t.Fatalf("payment %s %s", p.Status, p.FailureCode)
	}
	if e.balance(payer.Account) != payer.Balance || e.balance(payee.Account) != payee.Balance {
		t.Fatal("money moved")
	}
	e.invariants()
}

// TestMagicNotifications: the delayed-notification payee's notification is due only
// after magic.NotifyDelay; the failing payee's is never due and says why.
func TestMagicNotifications(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name      string
		payee     string
		opts      Options
		dueNow    bool
		dueLater  bool
		exhausted bool
	}{
		{"delayed payee: due only after the delay", magic.PayeeNotifyDelayed, Options{}, false, true, false},
		{"failing payee: never due, attempts exhausted", magic.PayeeNotifyFails, Options{}, false, false, true},
		{"ordinary external payee: due at once", external, Options{}, true, true, false},
		{"delayed payee with magic disabled: due at once", magic.PayeeNotifyDelayed, Options{DisableMagic: true}, true, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts)
			payer := e.user("zhangsan", 0)
			p := e.create(e.req(payer, user{Account: tc.payee, Name: "赵六"}, 100))
			if p, err := e.svc.Confirm(ctx, p.ID, payer.ID); err != nil || p.Status != StatusSucceeded {
				t.Fatalf("confirm: %v %s", err, p.Status)
			}
			due := func(at time.Time) bool {
				list, err := e.svc.DueNotifications(ctx, at)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range list {
					if n.PaymentID == p.ID {
						return true
					}
				}
				return false
			}
			now := e.clk.Now()
			if due(now) != tc.dueNow || due(now.Add(magic.NotifyDelay+time.Second)) != tc.dueLater {
				t.Fatalf("due now %v, after the delay %v", due(now), due(now.Add(magic.NotifyDelay+time.Second)))
			}
			list, _ := e.svc.Notifications(ctx, appA, 10)
			if len(list) != 1 || (list[0].Attempts == MaxNotificationAttempts) != tc.exhausted || (tc.exhausted && list[0].LastError == "") {
				t.Fatalf("notifications %+v", list)
			}
		})
	}
}

func TestMagicResponse(t *testing.T) {
	t.Parallel()
	on, off := &Service{}, &Service{opts: Options{DisableMagic: true}}
	for _, tc := range []struct {
		name        string
		s           *Service
		fen         int64
		unavailable bool
		delay       time.Duration
	}{
		{"5.03 answers 503", on, magic.AmountUnavailableFen, true, 0},
		{"8.08 answers slowly", on, magic.AmountSlowFen, false, magic.SlowDelay},
		{"other amounts answer at once", on, 100, false, 0},
		{"magic disabled: 5.03 answers at once", off, magic.AmountUnavailableFen, false, 0},
	} {
		if u, d := tc.s.MagicResponse(tc.fen); u != tc.unavailable || d != tc.delay {
			t.Errorf("%s: %v %v", tc.name, u, d)
		}
	}
}
