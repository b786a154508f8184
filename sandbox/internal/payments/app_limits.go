package payments

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jr0185/harness/sandbox/internal/money"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// AppLimits are one App_ID's payment limits, set by the bank after assessing the
// partner's risk tolerance (JR/T 0185-2020 10.2.1/3: 交易额度与风险承受能力相匹配), and its
// velocity threshold (10.2.3/1). A zero field means the bank's default (Options).
type AppLimits struct {
	AppID          string
	PerTxnFen      int64         // largest single payment; 0: no app-specific limit
	DailyFen       int64         // total per calendar day; 0: Options.AppDailyLimitFen
	VelocityMax    int           // payments within VelocityWindow before review; 0: Options.VelocityAppMax (default none)
	VelocityWindow time.Duration // 0: Options.VelocityWindow
	UpdatedAt      time.Time
}

// Bounds of what an operator may set.
const (
	maxVelocityPayments = 100_000
	maxVelocityWindow   = 24 * time.Hour
)

// SetAppLimits records an app's payment limits (the caller checked the app exists).
func (s *Service) SetAppLimits(ctx context.Context, l AppLimits) (AppLimits, error) {
	switch {
	case l.AppID == "":
		return AppLimits{}, problem.ParameterInvalid.WithDetail("app id is required")
	case l.PerTxnFen < 0 || l.DailyFen < 0 || l.PerTxnFen > money.MaxFen || l.DailyFen > money.MaxFen:
		return AppLimits{}, problem.ParameterInvalid.WithDetail("limits must be amounts from 0.00 (the bank's default) upwards")
	case l.VelocityMax < 0 || l.VelocityMax > maxVelocityPayments:
		return AppLimits{}, problem.ParameterInvalid.WithDetail("velocity_max_payments must be from 0 (the bank's default) to %d", maxVelocityPayments)
	case l.VelocityWindow < 0 || l.VelocityWindow > maxVelocityWindow || l.VelocityWindow%time.Second != 0:
		return AppLimits{}, problem.ParameterInvalid.WithDetail("velocity_window_seconds must be from 0 (the bank's default) to 86400")
	}
	l.UpdatedAt = s.clock.Now()
	_, err := s.store.DB.ExecContext(ctx, `INSERT INTO payment_app_limits (app_id, per_txn_fen, daily_fen, velocity_max, velocity_window_s, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app_id) DO UPDATE SET per_txn_fen = $2, daily_fen = $3, velocity_max = $4,
		velocity_window_s = $5, updated_at = $6`,
		l.AppID, l.PerTxnFen, l.DailyFen, l.VelocityMax, int64(l.VelocityWindow/time.Second), l.UpdatedAt.UnixNano())
	if err != nil {
		return AppLimits{}, problem.Internal.Wrap(err)
	}
	return s.AppLimits(ctx, l.AppID)
}

// AppLimits returns the limits in force for an app, the bank's defaults filled in.
func (s *Service) AppLimits(ctx context.Context, appID string) (AppLimits, error) {
	l, err := s.appLimits(ctx, s.store.DB, appID)
	if err != nil {
		return AppLimits{}, problem.Internal.Wrap(err)
	}
	return l, nil
}

func (s *Service) appLimits(ctx context.Context, q querier, appID string) (AppLimits, error) {
	l := AppLimits{AppID: appID}
	var window, updated int64
	err := q.QueryRowContext(ctx, `SELECT per_txn_fen, daily_fen, velocity_max, velocity_window_s, updated_at FROM payment_app_limits WHERE app_id = $1`,
		appID).Scan(&l.PerTxnFen, &l.DailyFen, &l.VelocityMax, &window, &updated)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return l, err
	}
	l.VelocityWindow = time.Duration(window) * time.Second
	if updated != 0 {
		l.UpdatedAt = time.Unix(0, updated)
	}
	if l.DailyFen == 0 {
		l.DailyFen = s.opts.AppDailyLimitFen
	}
	if l.VelocityMax == 0 {
		l.VelocityMax = s.opts.VelocityAppMax
	}
	if l.VelocityWindow == 0 {
		l.VelocityWindow = s.opts.VelocityWindow
	}
	return l, nil
}
