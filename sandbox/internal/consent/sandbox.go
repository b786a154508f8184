package consent

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Sandbox test controls on one app's session state, for the partner-side suite: does
// the partner refresh an expired token, and ask the user again when its consent ends?

// ExpireAccessTokens makes every live access token of the App_ID expire now (JR/T
// 0185-2020 9.2.1 b) 3)); refresh tokens stay valid, so the partner can refresh. It
// returns how many tokens it expired.
func (s *Service) ExpireAccessTokens(ctx context.Context, appID string) (int64, error) {
	st, ok := s.Store.(interface {
		ExpireAccessTokens(ctx context.Context, appID string, now time.Time) (int64, error)
	})
	if !ok {
		return 0, problem.Internal.Wrap(errors.New("consent: the store cannot expire tokens"))
	}
	n, err := st.ExpireAccessTokens(ctx, appID, s.Clock.Now())
	if err != nil {
		return 0, problem.Internal.Wrap(err)
	}
	return n, nil
}

// WithdrawAllForApp ends every active consent of the App_ID exactly as if each customer
// had revoked it in the portal (9.3.2/2): the consents show revoked by the user and
// every token under them stops working. It returns how many consents it ended.
func (s *Service) WithdrawAllForApp(ctx context.Context, appID string) (int64, error) {
	n, err := s.Store.EndAppConsents(ctx, appID, s.Clock.Now(), ByUser, "withdrawn by the customer")
	if err != nil {
		return 0, problem.Internal.Wrap(err)
	}
	return n, nil
}

// ExpireAccessTokens implements the test control: unrevoked access tokens that have not
// expired get expires_at = now (a token is expired from its expiry instant on).
func (s *SQLStore) ExpireAccessTokens(ctx context.Context, appID string, now time.Time) (int64, error) {
	var n int64
	err := s.tx(ctx, func(t *sql.Tx) error {
		res, err := t.ExecContext(ctx, `UPDATE oauth_tokens SET expires_at = $2
			WHERE app_id = $1 AND kind = $3 AND revoked_at = 0 AND expires_at > $2`, appID, ns(now), tokenAccess)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
