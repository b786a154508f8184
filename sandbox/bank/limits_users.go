package bank

import (
	"github.com/jr0185/harness/sandbox/internal/consent"
	"github.com/jr0185/harness/sandbox/internal/otp"
	"github.com/jr0185/harness/sandbox/internal/seed"
	"github.com/jr0185/harness/sandbox/internal/server"
	"github.com/jr0185/harness/sandbox/internal/sessions"
	"github.com/jr0185/harness/sandbox/internal/store"

	"context"
)

// usersLimits is the "users" section of /docs/limits.json: the one-time codes, the
// login lockout, the bank session and the token lifetimes, as the services run them
// (JR/T 0185-2020 7.2.1/b2, 10.2.2/1, 9.3.1/3, 9.2.1/b3).
func usersLimits(o *otp.Service, s *sessions.Service, c *consent.Service) server.LimitSection {
	oo, so, co := o.Options(), s.Options(), c.Options()
	return server.LimitSection{
		"otp_ttl_seconds":                   int(oo.TTL.Seconds()),
		"otp_max_attempts":                  oo.MaxAttempts,
		"otp_codes_per_step":                oo.MaxCodesPerPurpose,
		"otp_payment_codes_per_app_hour":    oo.MaxPaymentCodesPerHour,
		"login_fail_limit_per_browser":      so.FailLimit,
		"login_fail_limit_unknown_browsers": so.UserFailLimit,
		"login_fail_window_seconds":         int(so.FailWindow.Seconds()),
		"login_lock_seconds":                int(so.LockFor.Seconds()),
		"login_known_browser_days":          int(so.KnownFor.Hours() / 24),
		"login_code_step_seconds":           int(so.PendingTTL.Seconds()),
		"session_idle_seconds":              int(so.IdleTimeout.Seconds()),
		"session_max_seconds":               int(so.MaxLifetime.Seconds()),
		"auth_request_seconds":              int(co.AuthRequestTTL.Seconds()),
		"auth_code_seconds":                 int(co.CodeTTL.Seconds()),
		"access_token_seconds":              int(co.AccessTokenTTL.Seconds()),
	}
}

// paymentsLimits is the "payments" section: consent validity and the idempotency scope
// (9.3.2/1c, 10.2.2/2).
func paymentsLimits(c *consent.Service) server.LimitSection {
	co := c.Options()
	return server.LimitSection{
		"payment_consent_seconds":  int(co.PaymentValidity.Seconds()),
		"account_consent_max_days": co.MaxValidDays,
		"idempotency_key_scope":    "app_id",
	}
}

// maskingRules is the "masking" section: how answers show account and card numbers,
// mobile and ID numbers and names (7.2.2/3b), as package pii masks them — what a
// partner parses and what a conformance suite checks masked values against.
func maskingRules() server.LimitSection {
	return server.LimitSection{
		"account":     map[string]any{"keep_first": 4, "keep_last": 4, "hidden": " **** **** "},
		"mobile":      map[string]any{"keep_first": 3, "keep_last": 4, "hidden": "****"},
		"resident_id": map[string]any{"keep_first": 6, "keep_last": 4, "hidden": "********"},
		"name":        map[string]any{"keep_first_chars": 1, "hidden_char": "*", "compound_surname_kept": true},
	}
}

// testUsers is the test-data control's lookup in sandbox mode, nil otherwise.
func testUsers(cfg Config, db *store.DB) func(ctx context.Context, username string) (seed.TestUser, error) {
	if !cfg.Sandbox() {
		return nil
	}
	return func(ctx context.Context, username string) (seed.TestUser, error) {
		return seed.LookupTestUser(ctx, db, username)
	}
}
