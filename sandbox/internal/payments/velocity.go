package payments

import (
	"context"
	"fmt"
	"time"

	"github.com/jr0185/harness/sandbox/internal/mutant"
)

// AlarmVelocity is raised when a payment crosses a velocity threshold.
const AlarmVelocity = "payment_velocity"

// DefaultVelocityWindow is the velocity window when neither Options nor AppLimits set one.
const DefaultVelocityWindow = time.Minute

// velocityReason is the risk engine's real-time velocity rule (JR/T 0185-2020 10.2.3/1:
// 对应用方和用户账户资金活动情况进行实时监控): a payment is held for review when, counting
// itself, more than the allowed number of payments were created within the window by
// its App_ID (the app's own threshold, AppLimits) or from its debit account (across
// apps, Options.VelocityAccountMax). Only the payment that crosses a threshold — and
// any after it inside the window — is flagged; cancelled payments do not count. app is
// the App_ID's limits when the caller read them already in this transaction, else nil.
func (s *Service) velocityReason(ctx context.Context, q querier, p Payment, now time.Time, app *AppLimits) (string, error) {
	if s.opts.Mutant.Is(mutant.NoVelocityCheck) {
		return "", nil
	}
	if app == nil {
		l, err := s.appLimits(ctx, q, p.AppID)
		if err != nil {
			return "", err
		}
		app = &l
	}
	l := *app
	checks := []struct {
		column, value, who string
		max                int
		window             time.Duration
	}{
		{"app_id", p.AppID, "App_ID " + p.AppID, l.VelocityMax, l.VelocityWindow},
		{"payer_account", p.PayerAccount, "the debit account", s.opts.VelocityAccountMax, s.opts.VelocityWindow},
	}
	for _, c := range checks {
		if c.max <= 0 || c.window <= 0 {
			continue
		}
		var n int
		// #nosec G202 -- column is one of two constants above; values are bound
		err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM payments WHERE `+c.column+` = $1 AND created_at >= $2 AND created_at <= $3 AND status <> $4`,
			c.value, now.Add(-c.window).UnixNano(), now.UnixNano(), string(StatusCancelled)).Scan(&n)
		if err != nil {
			return "", err
		}
		if n > c.max {
			return fmt.Sprintf("velocity: %d payments from %s within %s (threshold %d)", n, c.who, c.window, c.max), nil
		}
	}
	return "", nil
}
