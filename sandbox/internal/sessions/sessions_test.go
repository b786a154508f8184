package sessions

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/clock"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/otp"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/seed"
	"github.com/jr0185/harness/sandbox/internal/store"
)

var _ Codes = (*otp.Service)(nil)

type env struct {
	s     *Service
	codes *otp.Service
	clock *clock.Manual
	db    *store.DB
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "bank.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := seed.IfEmpty(ctx, db, 1, fakedata.Size{Customers: 3, Products: 1}); err != nil {
		t.Fatal(err)
	}
	c := clock.NewManual(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	codes := otp.NewService(&otp.SQLStore{DB: db.DB}, c, otp.Options{})
	return &env{s: NewService(&SQLStore{DB: db.DB}, codes, c, Options{}), codes: codes, clock: c, db: db}
}

// phone reads the latest code from the simulated phone.
func (e *env) phone(t *testing.T, customerID string) string {
	t.Helper()
	msgs := e.codes.Inbox(context.Background(), customerID)
	if len(msgs) == 0 {
		t.Fatal("no code on the phone")
	}
	return msgs[0].Code
}

func (e *env) login(t *testing.T, username string) Session {
	t.Helper()
	ctx := context.Background()
	p, err := e.s.Login(ctx, username, fakedata.TestPassword)
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.s.CompleteLogin(ctx, p.Token, e.phone(t, p.CustomerID))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wrongCode(c string) string {
	if c == "000000" {
		return "000001"
	}
	return "000000"
}

func TestLogin(t *testing.T) {
	t.Parallel()
	pw := fakedata.TestPassword
	runLoginCases(t, []loginCase{
		{"ok/password then one-time code", nil, func(ctx context.Context, t *testing.T, e *env) error {
			p, err := e.s.Login(ctx, "zhangsan", pw)
			if err != nil {
				return err
			}
			if p.MaskedMobile == "" || p.CustomerID != "CUST000001" {
				t.Errorf("pending = %+v", p)
			}
			s, err := e.s.CompleteLogin(ctx, p.Token, e.phone(t, p.CustomerID))
			if err != nil {
				return err
			}
			if s.Token == p.Token || len(s.Token) < 40 {
				t.Error("the session token must be new after the second factor")
			}
			got, err := e.s.Get(ctx, s.Token)
			if got.CustomerID != "CUST000001" || got.Username != "zhangsan" {
				t.Errorf("session = %+v", got)
			}
			return err
		}},
		{"ok/activity keeps the session alive", nil, func(ctx context.Context, t *testing.T, e *env) error {
			s := e.login(t, "lisi")
			for i := 0; i < 3; i++ {
				e.clock.Advance(4 * time.Minute)
				if _, err := e.s.Touch(ctx, s.Token); err != nil {
					return err
				}
			}
			_, err := e.s.Get(ctx, s.Token)
			return err
		}},
		{"ok/lock ends after its time", nil, func(ctx context.Context, t *testing.T, e *env) error {
			for i := 0; i < DefaultFailLimit; i++ {
				_, _ = e.s.Login(ctx, "wangwu", "wrong")
			}
			e.clock.Advance(15 * time.Minute)
			_, err := e.s.Login(ctx, "wangwu", pw)
			return err
		}},
		{"401 LOGIN_FAILED/wrong password", problem.LoginFailed, func(ctx context.Context, t *testing.T, e *env) error {
			_, err := e.s.Login(ctx, "zhangsan", "Sandbox#2021")
			return err
		}},
		{"401 LOGIN_FAILED/unknown username", problem.LoginFailed, func(ctx context.Context, t *testing.T, e *env) error {
			_, err := e.s.Login(ctx, "nobody", pw)
			return err
		}},
		{"401 LOGIN_FAILED/empty password", problem.LoginFailed, func(ctx context.Context, t *testing.T, e *env) error {
			_, err := e.s.Login(ctx, "zhangsan", "")
			return err
		}},
		{"403 LOGIN_LOCKED/fifth wrong password", problem.LoginLocked, func(ctx context.Context, t *testing.T, e *env) error {
			var err error
			for i := 0; i < DefaultFailLimit; i++ {
				_, err = e.s.Login(ctx, "zhangsan", "wrong")
			}
			return err
		}},
		{"403 LOGIN_LOCKED/right password while locked", problem.LoginLocked, func(ctx context.Context, t *testing.T, e *env) error {
			for i := 0; i < DefaultFailLimit; i++ {
				_, _ = e.s.Login(ctx, "ZhangSan ", "wrong")
			}
			e.clock.Advance(14 * time.Minute)
			_, err := e.s.Login(ctx, "zhangsan", pw)
			return err
		}},
		{"403 LOGIN_LOCKED/unknown username locks the same way", problem.LoginLocked, func(ctx context.Context, t *testing.T, e *env) error {
			for i := 0; i < DefaultFailLimit; i++ {
				_, _ = e.s.Login(ctx, "nobody", "wrong")
			}
			_, err := e.s.Login(ctx, "nobody", pw)
			return err
		}},
		{"403 LOGIN_LOCKED/wrong one-time codes count", problem.LoginLocked, func(ctx context.Context, t *testing.T, e *env) error {
			var err error
			for i := 0; i < DefaultFailLimit; i++ {
				p, lerr := e.s.Login(ctx, "lisi", pw)
				if lerr != nil {
					return lerr
				}
				_, err = e.s.CompleteLogin(ctx, p.Token, wrongCode(e.phone(t, p.CustomerID)))
			}
			return err
		}},
		{"401 LOGIN_FAILED/failures outside the window do not lock", problem.LoginFailed, func(ctx context.Context, t *testing.T, e *env) error {
			for i := 0; i < DefaultFailLimit-1; i++ {
				_, _ = e.s.Login(ctx, "zhangsan", "wrong")
			}
			e.clock.Advance(16 * time.Minute)
			_, err := e.s.Login(ctx, "zhangsan", "wrong")
			return err
		}},
		{"401 OTP_REQUIRED/password alone is not a session", problem.OTPRequired, func(ctx context.Context, t *testing.T, e *env) error {
			p, err := e.s.Login(ctx, "zhangsan", pw)
			if err != nil {
				return err
			}
			_, err = e.s.Touch(ctx, p.Token)
			return err
		}},
		{"401 OTP_INVALID/wrong one-time code", problem.OTPInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			p, _ := e.s.Login(ctx, "zhangsan", pw)
			_, err := e.s.CompleteLogin(ctx, p.Token, wrongCode(e.phone(t, p.CustomerID)))
			return err
		}},
		{"401 OTP_INVALID/code before a resend", problem.OTPInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			p, _ := e.s.Login(ctx, "zhangsan", pw)
			old := e.phone(t, p.CustomerID)
			for e.phone(t, p.CustomerID) == old {
				if _, err := e.s.ResendCode(ctx, p.Token); err != nil {
					return err
				}
			}
			_, err := e.s.CompleteLogin(ctx, p.Token, old)
			return err
		}},
		{"401 SESSION_EXPIRED/idle for five minutes", problem.SessionExpired, func(ctx context.Context, t *testing.T, e *env) error {
			s := e.login(t, "zhangsan")
			e.clock.Advance(DefaultIdleTimeout)
			_, err := e.s.Touch(ctx, s.Token)
			return err
		}},
		{"401 SESSION_EXPIRED/idle session read without activity", problem.SessionExpired, func(ctx context.Context, t *testing.T, e *env) error {
			s := e.login(t, "zhangsan")
			e.clock.Advance(DefaultIdleTimeout)
			_, err := e.s.Get(ctx, s.Token)
			return err
		}},
		{"401 SESSION_EXPIRED/absolute lifetime despite activity", problem.SessionExpired, func(ctx context.Context, t *testing.T, e *env) error {
			s := e.login(t, "zhangsan")
			for i := 0; i < 8; i++ {
				e.clock.Advance(4 * time.Minute)
				if _, err := e.s.Touch(ctx, s.Token); err != nil {
					return err
				}
			}
			_, err := e.s.Get(ctx, s.Token)
			return err
		}},
		{"401 SESSION_EXPIRED/one-time code step timed out", problem.SessionExpired, func(ctx context.Context, t *testing.T, e *env) error {
			p, _ := e.s.Login(ctx, "zhangsan", pw)
			code := e.phone(t, p.CustomerID)
			e.clock.Advance(5 * time.Minute)
			_, err := e.s.CompleteLogin(ctx, p.Token, code)
			return err
		}},
		{"401 SESSION_INVALID/after logout", problem.SessionInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			s := e.login(t, "zhangsan")
			if err := e.s.Logout(ctx, s.Token); err != nil {
				return err
			}
			_, err := e.s.Get(ctx, s.Token)
			return err
		}},
		{"401 SESSION_INVALID/pending token after the second factor", problem.SessionInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			p, _ := e.s.Login(ctx, "zhangsan", pw)
			if _, err := e.s.CompleteLogin(ctx, p.Token, e.phone(t, p.CustomerID)); err != nil {
				return err
			}
			_, err := e.s.Get(ctx, p.Token)
			return err
		}},
		{"401 SESSION_INVALID/unknown token", problem.SessionInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			_, err := e.s.Get(ctx, "ss_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
			return err
		}},
	})
}

// loginCase is one outcome of the login service: want nil is success.
type loginCase struct {
	name string
	want *problem.Error
	run  func(context.Context, *testing.T, *env) error
}

// runLoginCases runs each case on a bank of its own and checks the catalogued outcome
// (LOGIN_LOCKED always with Retry-After).
func runLoginCases(t *testing.T, cases []loginCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			err := tc.run(context.Background(), t, e)
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
			if pe.Code == problem.LoginLocked.Code && pe.RetryAfter <= 0 {
				t.Fatal("LOGIN_LOCKED without Retry-After")
			}
		})
	}
}

// LOGIN_FAILED says the same thing whether or not the username exists.
func TestLoginFailedDoesNotRevealUsernames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	_, known := e.s.Login(ctx, "zhangsan", "wrong")
	_, unknown := e.s.Login(ctx, "nobody", "wrong")
	a, b := problem.From(known).Body("r", true), problem.From(unknown).Body("r", true)
	if !reflect.DeepEqual(a, b) || a.Code != problem.LoginFailed.Code {
		t.Fatalf("known %+v vs unknown %+v", a, b)
	}
}

func TestSessionIDsAreStoredHashed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	s := e.login(t, "zhangsan")
	var n int
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_sessions WHERE session_hash = $1 OR customer_id = $1`, s.Token).Scan(&n); err != nil || n != 0 {
		t.Fatalf("token stored in the clear (%d, %v)", n, err)
	}
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_sessions WHERE stage = 'active'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("active sessions = %d, %v", n, err)
	}
}

// TestLockoutSparesTheCustomersBrowsers: failed logins lock the browser they come from,
// not the username everywhere (a stranger cannot lock the customer out), while failures
// from browsers that never logged in for the username are also capped together (a
// stranger cannot guess on by opening new browsers) — and the customer's known browsers
// still log in (JR/T 0185-2020 10.2.2/1).
func TestLockoutSparesTheCustomersBrowsers(t *testing.T) {
	t.Parallel()
	pw := fakedata.TestPassword
	fails := func(ctx context.Context, e *env, n int, browsers ...string) {
		for i := 0; i < n; i++ {
			_, _ = e.s.LoginFrom(ctx, browsers[i%len(browsers)], "zhangsan", "wrong")
		}
	}
	complete := func(ctx context.Context, t *testing.T, e *env, browser string) error {
		p, err := e.s.LoginFrom(ctx, browser, "zhangsan", pw)
		if err != nil {
			return err
		}
		_, err = e.s.CompleteLoginFrom(ctx, browser, p.Token, e.phone(t, p.CustomerID))
		return err
	}
	strangers := []string{"s1", "s2", "s3", "s4", "s5", "s6"}
	runLoginCases(t, []loginCase{
		{"ok/four wrong then right in one browser", nil, func(ctx context.Context, t *testing.T, e *env) error {
			fails(ctx, e, DefaultFailLimit-1, "b")
			return complete(ctx, t, e, "b")
		}},
		{"403 LOGIN_LOCKED/the fifth failure locks its browser", problem.LoginLocked, func(ctx context.Context, t *testing.T, e *env) error {
			fails(ctx, e, DefaultFailLimit-1, "s1")
			_, err := e.s.LoginFrom(ctx, "s1", "zhangsan", "wrong")
			return err
		}},
		{"403 LOGIN_LOCKED/the right password in the locked browser", problem.LoginLocked, func(ctx context.Context, t *testing.T, e *env) error {
			fails(ctx, e, DefaultFailLimit, "s1")
			_, err := e.s.LoginFrom(ctx, "s1", "zhangsan", pw)
			return err
		}},
		{"ok/the customer's browser while a stranger's is locked", nil, func(ctx context.Context, t *testing.T, e *env) error {
			fails(ctx, e, DefaultFailLimit, "s1")
			return complete(ctx, t, e, "victim")
		}},
		{"ok/a new browser after nineteen failures from unknown browsers", nil, func(ctx context.Context, t *testing.T, e *env) error {
			fails(ctx, e, DefaultUserFailLimit-1, strangers...)
			return complete(ctx, t, e, "new")
		}},
		{"403 LOGIN_LOCKED/a new browser after twenty failures from unknown browsers", problem.LoginLocked, func(ctx context.Context, t *testing.T, e *env) error {
			fails(ctx, e, DefaultUserFailLimit, strangers...)
			_, err := e.s.LoginFrom(ctx, "new", "zhangsan", pw)
			return err
		}},
		{"ok/a known browser after twenty failures from unknown browsers", nil, func(ctx context.Context, t *testing.T, e *env) error {
			if err := complete(ctx, t, e, "victim"); err != nil {
				return err
			}
			fails(ctx, e, DefaultUserFailLimit, strangers...)
			return complete(ctx, t, e, "victim")
		}},
		{"ok/the lock ends after its time", nil, func(ctx context.Context, t *testing.T, e *env) error {
			fails(ctx, e, DefaultFailLimit, "s1")
			e.clock.Advance(15 * time.Minute)
			_, err := e.s.LoginFrom(ctx, "s1", "zhangsan", pw)
			return err
		}},
		{"403 LOGIN_LOCKED/wrong login codes count for the browser", problem.LoginLocked, func(ctx context.Context, t *testing.T, e *env) error {
			var err error
			for i := 0; i < DefaultFailLimit; i++ {
				p, lerr := e.s.LoginFrom(ctx, "b", "zhangsan", pw)
				if lerr != nil {
					return lerr
				}
				_, err = e.s.CompleteLoginFrom(ctx, "b", p.Token, wrongCode(e.phone(t, p.CustomerID)))
			}
			return err
		}},
	})
}
