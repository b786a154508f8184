package consent

import (
	"context"
	"database/sql"
	"time"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

// EndAllForApp is the consent side of a partner's exit (JR/T 0185-2020 9.4/1: 保障账户、
// 资金、信息安全，充分履行用户告知义务): every consent the App_ID holds that is still
// active is ended by the bank with reason, and every token of the App_ID is revoked, so
// customers see in the portal that the app can no longer reach their accounts. It
// returns how many consents it ended.
func (s *Service) EndAllForApp(ctx context.Context, appID, reason string) (int64, error) {
	n, err := s.Store.EndAppConsents(ctx, appID, s.Clock.Now(), ByBank, reason)
	if err != nil {
		return 0, problem.Internal.Wrap(err)
	}
	return n, nil
}

// EndAppConsents implements Store: in one transaction, revokes every token of the
// App_ID and ends its active consents.
func (s *SQLStore) EndAppConsents(ctx context.Context, appID string, now time.Time, by, reason string) (int64, error) {
	var n int64
	err := s.tx(ctx, func(t *sql.Tx) error {
		if _, err := t.ExecContext(ctx, revokeByAppSQL, appID, ns(now), by); err != nil {
			return err
		}
		res, err := t.ExecContext(ctx, endByAppSQL, appID, ns(now), by, reason)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
