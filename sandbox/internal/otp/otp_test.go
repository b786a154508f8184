package otp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/clock"

	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/store"
)

func newService(t *testing.T) (*Service, *clock.Manual, *store.DB) {
	t.Helper()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "bank.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	c := clock.NewManual(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	return NewService(&SQLStore{DB: db.DB}, c, Options{}), c, db
}

func wrong(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestVerify(t *testing.T) {
	t.Parallel()
	const cust = "CUST000001"
	tests := []struct {
		name string
		want *problem.Error // nil: accepted
		run  func(ctx context.Context, s *Service, c *clock.Manual) error
	}{
		{"ok/right code", nil, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			code, _ := s.Issue(ctx, cust, PurposeLogin)
			return s.Verify(ctx, cust, PurposeLogin, code)
		}},
		{"ok/fifth attempt right", nil, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			code, _ := s.Issue(ctx, cust, PurposeLogin)
			for i := 0; i < 4; i++ {
				_ = s.Verify(ctx, cust, PurposeLogin, wrong(code))
			}
			return s.Verify(ctx, cust, PurposeLogin, code)
		}},
		{"401 OTP_USED/second use", problem.OTPUsed, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			code, _ := s.Issue(ctx, cust, PurposeLogin)
			if err := s.Verify(ctx, cust, PurposeLogin, code); err != nil {
				return err
			}
			return s.Verify(ctx, cust, PurposeLogin, code)
		}},
		{"401 OTP_EXPIRED/after five minutes", problem.OTPExpired, func(ctx context.Context, s *Service, c *clock.Manual) error {
			code, _ := s.Issue(ctx, cust, PurposeLogin)
			c.Advance(DefaultTTL)
			return s.Verify(ctx, cust, PurposeLogin, code)
		}},
		{"401 OTP_INVALID/wrong code", problem.OTPInvalid, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			code, _ := s.Issue(ctx, cust, PurposeLogin)
			return s.Verify(ctx, cust, PurposeLogin, wrong(code))
		}},
		{"401 OTP_INVALID/not six digits", problem.OTPInvalid, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			_, _ = s.Issue(ctx, cust, PurposeLogin)
			return s.Verify(ctx, cust, PurposeLogin, "12345x")
		}},
		{"401 OTP_INVALID/superseded code", problem.OTPInvalid, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			old, _ := s.Issue(ctx, cust, PurposeLogin)
			for {
				if cur, _ := s.Issue(ctx, cust, PurposeLogin); cur != old {
					break
				}
			}
			return s.Verify(ctx, cust, PurposeLogin, old)
		}},
		{"401 OTP_INVALID/code of another purpose", problem.OTPInvalid, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			code, _ := s.Issue(ctx, cust, PaymentPurpose("APP1", "ar_1"))
			return s.Verify(ctx, cust, PaymentPurpose("APP1", "ar_2"), code)
		}},
		{"401 OTP_INVALID/code of another customer", problem.OTPInvalid, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			code, _ := s.Issue(ctx, "CUST000002", PurposeLogin)
			return s.Verify(ctx, cust, PurposeLogin, code)
		}},
		{"401 OTP_INVALID/none issued", problem.OTPInvalid, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			return s.Verify(ctx, cust, PurposeLogin, "123456")
		}},
		{"401 OTP_REQUIRED/empty code", problem.OTPRequired, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			_, _ = s.Issue(ctx, cust, PurposeLogin)
			return s.Verify(ctx, cust, PurposeLogin, "")
		}},
		{"403 OTP_TOO_MANY_ATTEMPTS/fifth wrong attempt", problem.OTPTooManyAttempts, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			code, _ := s.Issue(ctx, cust, PurposeLogin)
			for i := 0; i < 4; i++ {
				if err := s.Verify(ctx, cust, PurposeLogin, wrong(code)); !errors.Is(err, problem.OTPInvalid) {
					return err
				}
			}
			return s.Verify(ctx, cust, PurposeLogin, wrong(code))
		}},
		{"403 OTP_TOO_MANY_ATTEMPTS/right code after five wrong", problem.OTPTooManyAttempts, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			code, _ := s.Issue(ctx, cust, PurposeLogin)
			for i := 0; i < 5; i++ {
				_ = s.Verify(ctx, cust, PurposeLogin, wrong(code))
			}
			return s.Verify(ctx, cust, PurposeLogin, code)
		}},
		// Issue 14 item 7: the guesses of one step are not renewed by asking for a new code.
		{"ok/four wrong, a re-issue, then right", nil, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			p := PaymentPurpose("APP1", "ar_1")
			code, _ := s.Issue(ctx, cust, p)
			for i := 0; i < 4; i++ {
				_ = s.Verify(ctx, cust, p, wrong(code))
			}
			code, err := s.Issue(ctx, cust, p)
			if err != nil {
				return err
			}
			return s.Verify(ctx, cust, p, code)
		}},
		{"403 OTP_TOO_MANY_ATTEMPTS/three wrong, a re-issue, two wrong, then right", problem.OTPTooManyAttempts, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			p := PaymentPurpose("APP1", "ar_1")
			code, _ := s.Issue(ctx, cust, p)
			for i := 0; i < 3; i++ {
				_ = s.Verify(ctx, cust, p, wrong(code))
			}
			code, _ = s.Issue(ctx, cust, p)
			for i := 0; i < 2; i++ {
				_ = s.Verify(ctx, cust, p, wrong(code))
			}
			return s.Verify(ctx, cust, p, code)
		}},
		{"403 OTP_TOO_MANY_ATTEMPTS/no new code after five wrong", problem.OTPTooManyAttempts, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			p := LoginPurpose("pending1")
			code, _ := s.Issue(ctx, cust, p)
			for i := 0; i < 5; i++ {
				_ = s.Verify(ctx, cust, p, wrong(code))
			}
			_, err := s.Issue(ctx, cust, p)
			return err
		}},
		{"ok/a step whose code was used starts afresh", nil, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			p := LoginPurpose("pending1")
			code, _ := s.Issue(ctx, cust, p)
			for i := 0; i < 4; i++ {
				_ = s.Verify(ctx, cust, p, wrong(code))
			}
			if err := s.Verify(ctx, cust, p, code); err != nil {
				return err
			}
			code, _ = s.Issue(ctx, cust, p)
			for i := 0; i < 4; i++ {
				_ = s.Verify(ctx, cust, p, wrong(code))
			}
			return s.Verify(ctx, cust, p, code)
		}},
		{"429 OTP_SEND_LIMITED/a fourth code for one step", problem.OTPSendLimited, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			for i := 0; i < DefaultMaxCodesPerPurpose; i++ {
				if _, err := s.Issue(ctx, cust, PaymentPurpose("APP1", "ar_1")); err != nil {
					return err
				}
			}
			_, err := s.Issue(ctx, cust, PaymentPurpose("APP1", "ar_1"))
			return err
		}},
		{"429 OTP_SEND_LIMITED/an app's twenty-first payment code to one customer within the hour", problem.OTPSendLimited, func(ctx context.Context, s *Service, c *clock.Manual) error {
			for i := 0; i < DefaultMaxPaymentCodesPerHour; i++ {
				if _, err := s.Issue(ctx, cust, PaymentPurpose("APP1", fmt.Sprint("ar_", i))); err != nil {
					return err
				}
				c.Advance(time.Minute)
			}
			_, err := s.Issue(ctx, cust, PaymentPurpose("APP1", "ar_next"))
			var pe *problem.Error
			if errors.As(err, &pe) && (pe.RetryAfter < 35*60 || pe.RetryAfter > 41*60) {
				return fmt.Errorf("Retry-After %d s, want the 40 minutes until the oldest code leaves the hour", pe.RetryAfter)
			}
			return err
		}},
		{"ok/payment codes of another app or customer, or an hour old, are not counted", nil, func(ctx context.Context, s *Service, c *clock.Manual) error {
			for i := 0; i < DefaultMaxPaymentCodesPerHour; i++ {
				if _, err := s.Issue(ctx, cust, PaymentPurpose("APP1", fmt.Sprint("ar_", i))); err != nil {
					return err
				}
			}
			if _, err := s.Issue(ctx, cust, PaymentPurpose("APP2", "ar_x")); err != nil {
				return err
			}
			if _, err := s.Issue(ctx, "CUST000002", PaymentPurpose("APP1", "ar_x")); err != nil {
				return err
			}
			c.Advance(time.Hour)
			_, err := s.Issue(ctx, cust, PaymentPurpose("APP1", "ar_y"))
			return err
		}},
		{"ok/backdated to just inside its lifetime", nil, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			code, _ := s.Issue(ctx, cust, LoginPurpose("pending1"))
			if _, err := s.Backdate(ctx, cust, DefaultTTL-time.Second); err != nil {
				return err
			}
			return s.Verify(ctx, cust, LoginPurpose("pending1"), code)
		}},
		{"401 OTP_EXPIRED/backdated past its lifetime", problem.OTPExpired, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			code, _ := s.Issue(ctx, cust, LoginPurpose("pending1"))
			if _, err := s.Backdate(ctx, cust, DefaultTTL); err != nil {
				return err
			}
			return s.Verify(ctx, cust, LoginPurpose("pending1"), code)
		}},
		{"400 PARAMETER_INVALID/unknown purpose", problem.ParameterInvalid, func(ctx context.Context, s *Service, _ *clock.Manual) error {
			_, err := s.Issue(ctx, cust, "transfer")
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, c, _ := newService(t)
			err := tc.run(context.Background(), s, c)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			var pe *problem.Error
			if !errors.As(err, &pe) || pe.Code != tc.want.Code || pe.Status != tc.want.Status {
				t.Fatalf("want %s (%d), got %v", tc.want.Code, tc.want.Status, err)
			}
		})
	}
}

func TestCodesAreSixRandomDigits(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t)
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		code, err := s.Issue(context.Background(), "CUST000001", LoginPurpose(fmt.Sprint("p", i)))
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != 6 || code[0] < '0' || code[5] > '9' {
			t.Fatalf("code %q is not six digits", code)
		}
		seen[code] = true
	}
	if len(seen) < 45 {
		t.Fatalf("only %d distinct codes out of 50", len(seen))
	}
}

func TestConcurrentGuessesNeverExceedTheLimit(t *testing.T) {
	t.Parallel()
	s, _, db := newService(t)
	ctx := context.Background()
	code, _ := s.Issue(ctx, "CUST000001", PurposeLogin)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); _ = s.Verify(ctx, "CUST000001", PurposeLogin, wrong(code)) }()
	}
	wg.Wait()
	var attempts int
	if err := db.QueryRowContext(ctx, `SELECT attempts FROM otp_codes`).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if attempts != DefaultMaxAttempts {
		t.Fatalf("attempts = %d, want exactly %d", attempts, DefaultMaxAttempts)
	}
	if err := s.Verify(ctx, "CUST000001", PurposeLogin, code); !errors.Is(err, problem.OTPTooManyAttempts) {
		t.Fatalf("right code after exhaustion: %v", err)
	}
}

func TestConcurrentRightCodeWorksOnce(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t)
	ctx := context.Background()
	code, _ := s.Issue(ctx, "CUST000001", PurposeLogin)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.Verify(ctx, "CUST000001", PurposeLogin, code) == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d verifications succeeded, want 1", ok)
	}
}

func TestInboxShowsLatestCodesOnlyInMemory(t *testing.T) {
	t.Parallel()
	s, c, db := newService(t)
	ctx := context.Background()
	var codes []string
	for i := 0; i < 12; i++ {
		code, err := s.Issue(ctx, "CUST000001", LoginPurpose(fmt.Sprint("p", i)))
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, code)
	}
	pay, _ := s.Issue(ctx, "CUST000001", PaymentPurpose("APP1", "ar_x"))
	msgs := s.Inbox(ctx, "CUST000001")
	if len(msgs) != defaultInboxSize {
		t.Fatalf("inbox holds %d messages, want %d", len(msgs), defaultInboxSize)
	}
	if msgs[0].Code != pay || msgs[0].Purpose != PaymentPurpose("APP1", "ar_x") || msgs[1].Code != codes[11] {
		t.Fatalf("inbox not newest first: %+v", msgs[:2])
	}
	if len(s.Inbox(ctx, "CUST000002")) != 0 {
		t.Fatal("another customer's phone shows messages")
	}
	if err := s.Verify(ctx, "CUST000001", PaymentPurpose("APP1", "ar_x"), pay); err != nil {
		t.Fatal(err)
	}
	c.Advance(DefaultTTL)
	msgs = s.Inbox(ctx, "CUST000001")
	if !msgs[0].Used || !msgs[0].Expired {
		t.Fatalf("inbox state: %+v", msgs[0])
	}

	// JR/T 0185-2020 7.2.2/3: no code in the clear in the database.
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM otp_codes`).Scan(&n); err != nil || n != 13 {
		t.Fatalf("otp rows = %d, %v", n, err)
	}
	rows, err := db.QueryContext(ctx, `SELECT otp_id, customer_id, purpose, code_mac FROM otp_codes`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, cust, purpose, mac string
		if err := rows.Scan(&id, &cust, &purpose, &mac); err != nil {
			t.Fatal(err)
		}
		for _, code := range append(codes, pay) {
			for _, col := range []string{id, cust, purpose} {
				if bytes.Contains([]byte(col), []byte(code)) {
					t.Fatalf("code %s stored in the clear", code)
				}
			}
		}
		if len(mac) != 64 {
			t.Fatalf("code_mac %q is not an HMAC-SM3", mac)
		}
	}

	// After a restart (a new service: new pepper, empty phone) old codes are gone.
	s2 := NewService(&SQLStore{DB: db.DB}, c, Options{})
	if len(s2.Inbox(ctx, "CUST000001")) != 0 {
		t.Fatal("inbox survived a restart")
	}
	code, _ := s.Issue(ctx, "CUST000003", PurposeLogin)
	if err := s2.Verify(ctx, "CUST000003", PurposeLogin, code); !errors.Is(err, problem.OTPInvalid) {
		t.Fatalf("code issued before the restart: %v", err)
	}
}

func TestPurgeDeletesExpiredCodes(t *testing.T) {
	t.Parallel()
	s, c, _ := newService(t)
	ctx := context.Background()
	_, _ = s.Issue(ctx, "CUST000001", PurposeLogin)
	c.Advance(time.Hour)
	_, _ = s.Issue(ctx, "CUST000002", PurposeLogin)
	n, err := s.Purge(ctx, c.Now())
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v", n, err)
	}
}
