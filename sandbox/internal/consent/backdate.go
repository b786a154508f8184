package consent

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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

// backdateCols lists, per table, the time columns Backdate shifts (0 means "not yet"
// and stays 0).
var backdateCols = []struct {
	table string
	cols  []string
}{
	{"auth_requests", []string{"created_at", "expires_at", "decided_at"}},
	{"auth_codes", []string{"created_at", "expires_at", "used_at"}},
	{"consents", []string{"created_at", "expires_at", "revoked_at", "used_at"}},
	{"oauth_tokens", []string{"created_at", "expires_at", "rotated_at", "revoked_at"}},
}

// Backdate implements the test control over SQL, in one transaction.
func (s *SQLStore) Backdate(ctx context.Context, appID string, d time.Duration) (int64, error) {
	var total int64
	err := s.tx(ctx, func(t *sql.Tx) error {
		for _, tc := range backdateCols {
			set := make([]string, len(tc.cols))
			for i, c := range tc.cols {
				set[i] = fmt.Sprintf("%[1]s = CASE WHEN %[1]s = 0 THEN 0 ELSE %[1]s - $2 END", c)
			}
			// #nosec G201 -- table and column names are the constants above
			res, err := t.ExecContext(ctx, "UPDATE "+tc.table+" SET "+strings.Join(set, ", ")+" WHERE app_id = $1", appID, int64(d))
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
