package payments

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jr0185/harness/sandbox/internal/ledger"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Renotify is the "fire a notification" test control: a new outbox row for the
// payment's final status, due now (magic delays do not apply: the operator asked for
// it now). The notifier delivers it on its next pass. A payment not yet final has no
// notification to send (409).
func (s *Service) Renotify(ctx context.Context, paymentID string) (Notification, error) {
	now := s.clock.Now()
	n := Notification{ID: ledger.NewID("NTF"), PaymentID: paymentID, NextAttemptAt: now, CreatedAt: now}
	err := s.store.tx(ctx, func(tx *sql.Tx) error {
		q := s.store.q(tx)
		p, err := getPayment(ctx, q, paymentID)
		if err != nil {
			return err
		}
		if !p.Status.Final() {
			return problem.StateConflict.WithDetail("payment %s is %s: it is notified when it reaches a final status", p.ID, p.Status)
		}
		n.AppID, n.Status = p.AppID, p.Status
		return insertNotification(ctx, q, n.ID, p, 0, now, "", now)
	})
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, errNotFound) {
		return Notification{}, problem.PaymentNotFound.WithDetail("no payment %q", clipText(paymentID, 40))
	}
	if err != nil {
		return Notification{}, problem.From(err)
	}
	return n, nil
}
