package consent

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Backdate is a sandbox test control: every stored time of one App_ID's authorization
// requests, codes, consents and tokens moves d into the past, exactly as if d had
// passed for that app alone. The expiry checks (code, token, consent: 9.2.1 b) 3),
// 9.3.2/1c) then run unchanged against the bank's clock. Unlike advancing the bank's
// clock, it cannot expire another app's tokens, codes or request timestamps, so
// conformance scenarios running side by side stay independent.
func (s *Service) Backdate(ctx context.Context, appID string, d time.Duration) (int64, error) {
	b, ok := s.Store.(interface {
		Backdate(ctx context.Context, appID string, d time.Duration) (int64, error)
	})
	if !ok {
		return 0, problem.Internal.Wrap(errors.New("consent: the store cannot backdate"))
	}
	if d <= 0 {
		return 0, invalid("the duration to backdate must be positive")
	}
	n, err := b.Backdate(ctx, appID, d)
	if err != nil {
		return 0, problem.Internal.Wrap(err)
	}
	return n, nil
}

// backdateSQL shifts every time column of one app's rows; 0 means "not yet" and stays 0.
var backdateSQL = []string{
	`UPDATE auth_requests SET created_at = created_at - $2, expires_at = expires_at - $2,
		decided_at = CASE WHEN decided_at = 0 THEN 0 ELSE decided_at - $2 END WHERE app_id = $1`,
	`UPDATE auth_codes SET created_at = created_at - $2, expires_at = expires_at - $2,
		used_at = CASE WHEN used_at = 0 THEN 0 ELSE used_at - $2 END WHERE app_id = $1`,
	`UPDATE consents SET created_at = created_at - $2, expires_at = expires_at - $2,
		revoked_at = CASE WHEN revoked_at = 0 THEN 0 ELSE revoked_at - $2 END,
		used_at = CASE WHEN used_at = 0 THEN 0 ELSE used_at - $2 END WHERE app_id = $1`,
	`UPDATE oauth_tokens SET created_at = created_at - $2, expires_at = expires_at - $2,
		rotated_at = CASE WHEN rotated_at = 0 THEN 0 ELSE rotated_at - $2 END,
		revoked_at = CASE WHEN revoked_at = 0 THEN 0 ELSE revoked_at - $2 END WHERE app_id = $1`,
}

// Backdate implements the test control over SQL, in one transaction.
func (s *SQLStore) Backdate(ctx context.Context, appID string, d time.Duration) (int64, error) {
	var total int64
	err := s.tx(ctx, func(t *sql.Tx) error {
		for _, q := range backdateSQL {
			res, err := t.ExecContext(ctx, q, appID, int64(d))
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	return total, err
}
