package payments

import (
	"context"
	"testing"

	"github.com/jr0185/harness/sandbox/internal/magic"
)

func TestRenotify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, Options{})
	payer := e.user("zhangsan", 0)
	// A payment whose own notification is never delivered (magic payee) can still be
	// fired by the test control: the new row is due at once.
	p := e.create(e.req(payer, user{Account: magic.PayeeNotifyFails, Name: "赵六"}, 100))
	if _, err := e.svc.Confirm(ctx, p.ID, payer.ID); err != nil {
		t.Fatal(err)
	}
	n, err := e.svc.Renotify(ctx, p.ID)
	if err != nil || n.Status != StatusSucceeded || n.AppID != appA {
		t.Fatalf("renotify a succeeded payment: %v %+v", err, n)
	}
	due, _ := e.svc.DueNotifications(ctx, e.clk.Now())
	if len(due) != 1 || due[0].ID != n.ID {
		t.Fatalf("due after renotify: %+v", due)
	}
	pending := e.create(e.req(payer, e.user("lisi", 0), 100))
	if _, err := e.svc.Renotify(ctx, pending.ID); code(err) != "STATE_CONFLICT" {
		t.Fatalf("renotify a pending payment: %v", err)
	}
	if _, err := e.svc.Renotify(ctx, "PAYNOSUCH"); code(err) != "PAYMENT_NOT_FOUND" {
		t.Fatalf("renotify an unknown payment: %v", err)
	}
}
