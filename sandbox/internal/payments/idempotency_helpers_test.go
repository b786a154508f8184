package payments

import (
	"context"
	"database/sql"
	"time"
)

// reserve is reserve (idempotency.go) in a transaction of its own: a reservation
// taken by a request that has not created its payment yet.
func (s *SQLStore) reserve(ctx context.Context, appID, key, hash string, now time.Time, lease time.Duration) (res reservation, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		res, err = reserve(ctx, s.q(tx), appID, key, hash, now, lease)
		return err
	})
	return res, err
}

// create records a payment under a reservation taken earlier, in its own transaction.
func (s *Service) create(ctx context.Context, r CreateRequest, owner string, now time.Time) (p Payment, err error) {
	err = s.store.tx(ctx, func(tx *sql.Tx) error {
		p, _, err = s.createTx(ctx, s.store.q(tx), r, "", StatusPendingConfirmation, owner, false, now)
		return err
	})
	return p, err
}
