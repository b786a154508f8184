package payments

import (
	"context"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]time.Duration{
		0: 15 * time.Second, 1: 15 * time.Second, 2: 30 * time.Second, 3: time.Minute, 5: 4 * time.Minute,
		8: 32 * time.Minute, 9: time.Hour, 12: time.Hour, 1000: time.Hour,
	} {
		if got := Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestNotificationOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	zhang, lisi := e.user("zhangsan", 0), e.user("lisi", 0)
	ok := e.create(e.req(zhang, lisi, 100))
	if _, err := e.svc.Confirm(ctx, ok.ID, zhang.ID); err != nil {
		t.Fatal(err)
	}
	pending := e.create(e.req(zhang, lisi, 100)) // not final: no notification
	cancelled := e.create(e.req(zhang, lisi, 100))
	if _, err := e.svc.Cancel(ctx, appA, cancelled.ID); err != nil {
		t.Fatal(err)
	}

	due, err := e.svc.DueNotifications(ctx, e.clk.Now())
	if err != nil || len(due) != 2 {
		t.Fatalf("due = %+v, %v", due, err)
	}
	byPayment := map[string]Notification{}
	for _, n := range due {
		byPayment[n.PaymentID] = n
	}
	if byPayment[ok.ID].Status != StatusSucceeded || byPayment[cancelled.ID].Status != StatusCancelled || byPayment[ok.ID].AppID != appA {
		t.Fatalf("due = %+v", due)
	}
	if _, found := byPayment[pending.ID]; found {
		t.Fatal("a pending payment was notified")
	}

	n := byPayment[ok.ID]
	next, err := e.svc.MarkFailed(ctx, n.ID, "connection refused")
	if err != nil || next.Sub(e.clk.Now()) > 15*time.Second || next.Sub(e.clk.Now()) < 14*time.Second {
		t.Fatalf("MarkFailed = %v, %v", next, err)
	}
	if due, _ := e.svc.DueNotifications(ctx, e.clk.Now()); len(due) != 1 {
		t.Fatalf("a failed notification is due again at once: %+v", due)
	}
	due, _ = e.svc.DueNotifications(ctx, next)
	if len(due) != 2 {
		t.Fatalf("due after the backoff = %+v", due)
	}
	e.clk.Advance(time.Minute)
	next2, err := e.svc.MarkFailed(ctx, n.ID, "timeout")
	if err != nil || next2.Sub(e.clk.Now()) < 29*time.Second || next2.Sub(e.clk.Now()) > 30*time.Second {
		t.Fatalf("second MarkFailed = %v (now %v), %v", next2, e.clk.Now(), err)
	}
	if err := e.svc.MarkDelivered(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.MarkDelivered(ctx, n.ID); err != nil {
		t.Fatalf("second MarkDelivered: %v", err)
	}
	if _, err := e.svc.MarkFailed(ctx, n.ID, "late"); code(err) != "NOT_FOUND" {
		t.Fatalf("MarkFailed after delivery: %v", err)
	}
	if err := e.svc.MarkDelivered(ctx, "NTFNOPE"); code(err) != "NOT_FOUND" {
		t.Fatalf("MarkDelivered unknown: %v", err)
	}
	due, _ = e.svc.DueNotifications(ctx, e.clk.Now().Add(24*time.Hour))
	if len(due) != 1 || due[0].PaymentID != cancelled.ID {
		t.Fatalf("due after delivery = %+v", due)
	}
	// Attempts run out: no longer due.
	for i := 0; i < MaxNotificationAttempts; i++ {
		if _, err := e.svc.MarkFailed(ctx, due[0].ID, "down"); err != nil {
			t.Fatal(err)
		}
	}
	if due, _ := e.svc.DueNotifications(ctx, e.clk.Now().Add(48*time.Hour)); len(due) != 0 {
		t.Fatalf("exhausted notification still due: %+v", due)
	}
}

func TestResumeProcessing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	zhang, lisi := e.user("zhangsan", 0), e.user("lisi", 0)
	p := e.create(e.req(zhang, lisi, 100))
	// The process claimed the payment and was killed before posting.
	if ok, err := e.svc.transition(ctx, e.db.DB, p.ID, StatusPendingConfirmation, StatusProcessing, e.clk.Now(), map[string]any{}); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	n, err := e.svc.ResumeProcessing(ctx)
	if err != nil || n != 1 {
		t.Fatalf("ResumeProcessing = %d, %v", n, err)
	}
	got, _ := e.svc.Get(ctx, appA, p.ID)
	if got.Status != StatusSucceeded || zhang.Balance-e.balance(zhang.Account) != 100 {
		t.Fatalf("after resume: %s", got.Status)
	}
	if n, _ := e.svc.ResumeProcessing(ctx); n != 0 {
		t.Fatalf("second resume settled %d", n)
	}
	e.invariants()
}
