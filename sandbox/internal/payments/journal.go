package payments

import (
	"context"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"time"
)

// Journal writes the audit record of a change of a payment in the transaction that makes
// the change (JR/T 0185-2020 7.3.3/1: 完整的日志记录; 12.3/1): a change whose record
// cannot be written is rolled back with it, so no money moves unrecorded. The bank
// wires the audit log's outbox (audit.WriteChange).
type Journal interface {
	PaymentChanged(ctx context.Context, q querier, p Payment, at time.Time) error
}

// journal records p's new status, unless it is processing: a payment passes through
// processing inside the transaction that settles it (its next status is recorded
// there), so every payment has a record of each status it rests in, and its last
// record shows its current status.
func (s *Service) journal(ctx context.Context, q querier, p Payment, at time.Time) error {
	if s.opts.Journal == nil || p.Status == StatusProcessing || s.opts.Mutant.Is(mutant.PaymentUnjournaled) {
		return nil
	}
	return s.opts.Journal.PaymentChanged(ctx, q, p, at)
}
