package payments

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestAppLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name     string
		limits   AppLimits
		amounts  []int64 // created and confirmed in order; the last one is judged
		wantCode string
		detail   string
	}{
		{"201/within the app's limits", AppLimits{PerTxnFen: 10_000, DailyFen: 15_000}, []int64{10_000}, "", ""},
		{"422/above the app's per-transaction limit", AppLimits{PerTxnFen: 10_000}, []int64{10_001}, "LIMIT_EXCEEDED", "per-transaction limit of the app (100.00)"},
		{"422/beyond the app's daily limit", AppLimits{DailyFen: 15_000}, []int64{10_000, 6_000}, "LIMIT_EXCEEDED", "daily limit of the app (150.00)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			tc.limits.AppID = appA
			if _, err := e.svc.SetAppLimits(ctx, tc.limits); err != nil {
				t.Fatal(err)
			}
			zhang, lisi := e.user("zhangsan", 0), e.user("lisi", 0)
			var err error
			for _, fen := range tc.amounts {
				var res Result
				if res, err = e.svc.Create(ctx, e.req(zhang, lisi, fen)); err == nil {
					if _, cerr := e.svc.Confirm(ctx, res.Payment.ID, zhang.ID); cerr != nil {
						t.Fatal(cerr)
					}
				}
			}
			if code(err) != tc.wantCode || (err != nil && !strings.Contains(err.Error(), tc.detail)) {
				t.Fatalf("err = %v, want %s %q", err, tc.wantCode, tc.detail)
			}
			e.invariants()
		})
	}
}

func TestSetAppLimitsRefusesNonsense(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	for name, l := range map[string]AppLimits{
		"400/negative amount":   {AppID: appA, PerTxnFen: -1},
		"400/negative velocity": {AppID: appA, VelocityMax: -1},
		"400/window too long":   {AppID: appA, VelocityWindow: 25 * time.Hour},
		"400/no app":            {},
	} {
		if _, err := e.svc.SetAppLimits(context.Background(), l); code(err) != "PARAMETER_INVALID" {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestVelocity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		opts    Options
		limits  AppLimits
		flagged []bool // per payment, in order
	}{
		{"flagged/the app's payment crossing its threshold", Options{}, AppLimits{VelocityMax: 2, VelocityWindow: time.Minute},
			[]bool{false, false, true}},
		{"flagged/the account's payment crossing the bank's threshold", Options{VelocityAccountMax: 2}, AppLimits{},
			[]bool{false, false, true}},
		{"not flagged/below the thresholds", Options{}, AppLimits{VelocityMax: 3}, []bool{false, false, false}},
		{"not flagged/no thresholds by default", Options{}, AppLimits{}, []bool{false, false, false}},
		{"not flagged/thresholds off", Options{VelocityAppMax: -1, VelocityAccountMax: -1}, AppLimits{}, []bool{false, false, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts)
			tc.limits.AppID = appA
			if _, err := e.svc.SetAppLimits(ctx, tc.limits); err != nil {
				t.Fatal(err)
			}
			zhang, lisi := e.user("zhangsan", 0), e.user("lisi", 0)
			for i, want := range tc.flagged {
				p, err := e.svc.Confirm(ctx, e.create(e.req(zhang, lisi, 100)).ID, zhang.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got := p.Status == StatusRiskReview; got != want || (want && !strings.HasPrefix(p.RiskReason, "velocity:")) {
					t.Fatalf("payment %d: status %s (%s), want flagged %v", i+1, p.Status, p.RiskReason, want)
				}
			}
			if want := tc.flagged[len(tc.flagged)-1]; (e.alarms.count(AlarmVelocity) == 1) != want {
				t.Errorf("velocity alarms %d, want one: %v", e.alarms.count(AlarmVelocity), want)
			}
			// A window later the count starts again.
			e.clk.Advance(2 * time.Minute)
			if p, err := e.svc.Confirm(ctx, e.create(e.req(zhang, lisi, 100)).ID, zhang.ID); err != nil || p.Status != StatusSucceeded {
				t.Fatalf("after the window: %s %v", p.Status, err)
			}
		})
	}
}
