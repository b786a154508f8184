package bank

import (
	"context"
	"sync"

	"github.com/jr0185/harness/sandbox/internal/accounts"
	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/ledger"
	"github.com/jr0185/harness/sandbox/internal/otp"
	"github.com/jr0185/harness/sandbox/internal/seed"
	"github.com/jr0185/harness/sandbox/internal/store"
)

// resetter is the sandbox's reset and reseed test control (sandbox mode only): the
// business data goes back to a seeded data set in one transaction (seed.Reset), and
// the simulated phones are emptied. Apps, credentials, bank keys and the audit log stay.
type resetter struct {
	mu  sync.Mutex // one reset at a time
	db  *store.DB
	ids accounts.IDs
	otp *otp.Service
	clk clock.Clock
}

// Reset reloads the data set in force (to is nil) or the one to names (a reseed).
func (r *resetter) Reset(ctx context.Context, to *seed.Spec) (seed.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	spec, err := seed.Current(ctx, r.db)
	if err != nil {
		return seed.Result{}, err
	}
	if to != nil {
		products := spec.Size.Products
		spec = *to
		if spec.Size.Products == 0 {
			spec.Size.Products = products // a reseed keeps the product count unless told
		}
	}
	res, err := seed.Reset(ctx, r.db, spec, r.ids, r.clk.Now())
	if err != nil {
		return res, err
	}
	r.otp.ClearInbox()
	return res, nil
}

// resetFor is the reset test control in sandbox mode, nil otherwise.
func resetFor(cfg Config, db *store.DB, ids accounts.IDs, o *otp.Service, clk clock.Clock) func(context.Context, *seed.Spec) (seed.Result, error) {
	if !cfg.Sandbox() {
		return nil
	}
	return (&resetter{db: db, ids: ids, otp: o, clk: clk}).Reset
}

// CheckLedger verifies the ledger invariants on the live database (tests: after a reset
// under traffic, money is only moved, never made).
func (b *Bank) CheckLedger(ctx context.Context) error { return ledger.CheckInvariants(ctx, b.db.DB) }
