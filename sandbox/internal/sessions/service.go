package sessions

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/passwords"
	"github.com/jr0185/harness/sandbox/internal/pii"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/protocol"
)

// Codes sends and checks one-time codes (implemented by otp.Service).
type Codes interface {
	Issue(ctx context.Context, customerID, purpose string) (string, error)
	Verify(ctx context.Context, customerID, purpose, code string) error
}

// loginPurpose is the one-time code purpose of a pending login's second factor: the
// code is bound to that login (otp.LoginPurpose), and its attempts are counted across
// the codes re-sent for it.
func loginPurpose(pendingHash string) string { return "login:" + pendingHash[:24] }

// Options tune the service. Zero values take the defaults.
type Options struct {
	IdleTimeout time.Duration // default 5 minutes (9.3.1/3)
	MaxLifetime time.Duration // absolute session lifetime; default 30 minutes
	PendingTTL  time.Duration // time to enter the one-time code; default 5 minutes
	FailLimit   int           // failures per username and browser before that browser is locked; default 5
	// UserFailLimit: failures per username from browsers that never completed a login
	// for it, before every such browser is locked for it; default 20.
	UserFailLimit int
	FailWindow    time.Duration // failures are counted within; default 15 minutes
	LockFor       time.Duration // default 15 minutes
	KnownFor      time.Duration // a browser stays known for a username after a login; default 90 days
	// Mutant breaks one control on purpose (sandbox mode only).
	Mutant mutant.Set
}

// Defaults.
const (
	DefaultIdleTimeout   = 5 * time.Minute
	DefaultMaxLifetime   = 30 * time.Minute
	DefaultFailLimit     = 5
	DefaultUserFailLimit = 20
)

// TokenPrefix starts every session token.
const TokenPrefix = "ss_"

// Service logs customers in. Safe for concurrent use.
type Service struct {
	store Store
	codes Codes
	clock clock.Clock
	opts  Options

	dummyOnce sync.Once
	dummy     string // a password hash checked for unknown usernames (same work, same time)
}

// NewService wires a service.
func NewService(st Store, codes Codes, c clock.Clock, o Options) *Service {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.IdleTimeout, DefaultIdleTimeout)
	def(&o.MaxLifetime, DefaultMaxLifetime)
	def(&o.PendingTTL, 5*time.Minute)
	def(&o.FailWindow, 15*time.Minute)
	def(&o.LockFor, 15*time.Minute)
	def(&o.KnownFor, 90*24*time.Hour)
	if o.FailLimit <= 0 {
		o.FailLimit = DefaultFailLimit
	}
	if o.UserFailLimit <= 0 {
		o.UserFailLimit = DefaultUserFailLimit
	}
	return &Service{store: st, codes: codes, clock: c, opts: o}
}

// Options returns the effective options (the pages publish the timeouts).
func (s *Service) Options() Options { return s.opts }

// Login is LoginFrom for a caller without a browser binding: every such caller counts
// as one browser.
func (s *Service) Login(ctx context.Context, username, password string) (Pending, error) {
	return s.LoginFrom(ctx, "", username, password)
}

// LoginFrom checks the first factor, the password, typed in browser (the bank's random
// binding of the browser, its cookie), and sends a one-time code to the customer's
// phone. JR/T 0185-2020 7.2.1 b) 2), 9.3.1/1: the user authenticates at the bank.
//
// Failed logins lock per username and browser, so that a stranger guessing in his own
// browser cannot lock the customer out of hers; and failures from browsers that never
// completed a login for the username are also counted together, so that a stranger
// cannot guess on without end by opening new browsers: past UserFailLimit every such
// browser is locked for the username, while the customer's known browsers still log in
// (10.2.2/1: 充分识别是否经过用户本人授权).
func (s *Service) LoginFrom(ctx context.Context, browser, username, password string) (Pending, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	now := s.clock.Now()
	if username == "" || len(username) > 64 || password == "" || len(password) > 256 || len(browser) > 100 {
		return Pending{}, problem.LoginFailed
	}
	g, perr := s.guard(ctx, browser, username, now)
	if perr != nil {
		return Pending{}, perr
	}
	cust, err := s.store.Customer(ctx, username)
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Pending{}, problem.Internal.Wrap(err)
	}
	hash := cust.PasswordHash
	if !found {
		hash = s.dummyHash()
	}
	if !passwords.Check(password, hash) || !found {
		return Pending{}, s.fail(ctx, g, now)
	}
	token, err := newToken()
	if err != nil {
		return Pending{}, problem.Internal.Wrap(err)
	}
	row := Row{Hash: hashToken(token), CustomerID: cust.ID, Username: cust.Username, Stage: StagePending,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.opts.PendingTTL)}
	if err := s.store.Insert(ctx, row); err != nil {
		return Pending{}, problem.Internal.Wrap(err)
	}
	if _, err := s.codes.Issue(ctx, cust.ID, loginPurpose(row.Hash)); err != nil {
		return Pending{}, problem.From(err)
	}
	return Pending{Token: token, CustomerID: cust.ID, MaskedMobile: s.maskMobile(cust.Mobile), ExpiresAt: row.ExpiresAt}, nil
}

// maskMobile is where the code went, for the code page: masked (7.2.2/3b), except in
// the unmasked-mobile mutant bank.
func (s *Service) maskMobile(m string) string {
	if s.opts.Mutant.Is(mutant.UnmaskedMobile) {
		return m
	}
	return pii.MaskMobile(m)
}

// ResendCode sends a new one-time code for a pending login (the previous one stops working).
func (s *Service) ResendCode(ctx context.Context, pendingToken string) (Pending, error) {
	row, perr := s.pending(ctx, pendingToken)
	if perr != nil {
		return Pending{}, perr
	}
	cust, err := s.store.CustomerByID(ctx, row.CustomerID)
	if err != nil {
		return Pending{}, problem.Internal.Wrap(err)
	}
	if _, err := s.codes.Issue(ctx, row.CustomerID, loginPurpose(row.Hash)); err != nil {
		return Pending{}, problem.From(err)
	}
	return Pending{Token: pendingToken, CustomerID: row.CustomerID, MaskedMobile: s.maskMobile(cust.Mobile), ExpiresAt: row.ExpiresAt}, nil
}

// CompleteLogin is CompleteLoginFrom for a caller without a browser binding.
func (s *Service) CompleteLogin(ctx context.Context, pendingToken, code string) (Session, error) {
	return s.CompleteLoginFrom(ctx, "", pendingToken, code)
}

// CompleteLoginFrom checks the second factor and returns the session, under a new
// token. A wrong code counts as a failed login of this browser (LoginFrom); a login
// completed makes the browser known for the username.
func (s *Service) CompleteLoginFrom(ctx context.Context, browser, pendingToken, code string) (Session, error) {
	row, perr := s.pending(ctx, pendingToken)
	if perr != nil {
		return Session{}, perr
	}
	now := s.clock.Now()
	g, perr := s.guard(ctx, browser, row.Username, now)
	if perr != nil {
		return Session{}, perr
	}
	if err := s.codes.Verify(ctx, row.CustomerID, loginPurpose(row.Hash), code); err != nil {
		if errors.Is(err, problem.OTPInvalid) || errors.Is(err, problem.OTPTooManyAttempts) {
			if ferr := s.fail(ctx, g, now); errors.Is(ferr, problem.LoginLocked) {
				_ = s.store.End(ctx, row.Hash, now)
				return Session{}, ferr
			}
		}
		return Session{}, err
	}
	token, err := newToken()
	if err != nil {
		return Session{}, problem.Internal.Wrap(err)
	}
	active := Row{Hash: hashToken(token), CustomerID: row.CustomerID, Username: row.Username, Stage: StageActive,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.opts.MaxLifetime)}
	if err := s.store.Promote(ctx, row.Hash, active, now); errors.Is(err, ErrNotFound) {
		return Session{}, problem.SessionInvalid.WithDetail("this login was already completed or ended")
	} else if err != nil {
		return Session{}, problem.Internal.Wrap(err)
	}
	if err := s.store.ClearFailures(ctx, g.browser); err != nil {
		return Session{}, problem.Internal.Wrap(err)
	}
	if g.known != "" {
		if err := s.store.RememberBrowser(ctx, g.known, now.Add(s.opts.KnownFor)); err != nil {
			return Session{}, problem.Internal.Wrap(err)
		}
	}
	out := s.view(active)
	out.Token = token
	return out, nil
}

// Get returns the session without counting it as activity.
func (s *Service) Get(ctx context.Context, token string) (Session, error) {
	row, perr := s.active(ctx, token)
	if perr != nil {
		return Session{}, perr
	}
	return s.view(row), nil
}

// Touch returns the session and records a business operation, restarting the idle timer.
func (s *Service) Touch(ctx context.Context, token string) (Session, error) {
	row, perr := s.active(ctx, token)
	if perr != nil {
		return Session{}, perr
	}
	now := s.clock.Now()
	cutoff := now.Add(-s.opts.IdleTimeout)
	if s.opts.Mutant.Is(mutant.NoSessionIdleTimeout) {
		cutoff = time.Unix(0, 0)
	}
	ok, err := s.store.Touch(ctx, row.Hash, now, cutoff)
	if err != nil {
		return Session{}, problem.Internal.Wrap(err)
	}
	if !ok {
		return Session{}, problem.SessionExpired.WithDetail("the session ended; log in again")
	}
	row.LastSeenAt = now
	return s.view(row), nil
}

// Logout ends a session (pending or active). Unknown tokens are ignored.
func (s *Service) Logout(ctx context.Context, token string) error {
	if !strings.HasPrefix(token, TokenPrefix) {
		return nil
	}
	if err := s.store.End(ctx, hashToken(token), s.clock.Now()); err != nil && !errors.Is(err, ErrNotFound) {
		return problem.Internal.Wrap(err)
	}
	return nil
}

// Purge deletes sessions that ended or expired before cutoff (housekeeping).
func (s *Service) Purge(ctx context.Context, cutoff time.Time) (int64, error) {
	return s.store.Purge(ctx, cutoff)
}

func (s *Service) load(ctx context.Context, token string) (Row, *problem.Error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 100 {
		return Row{}, problem.SessionInvalid
	}
	row, err := s.store.Get(ctx, hashToken(token))
	if errors.Is(err, ErrNotFound) && s.opts.Mutant.Is(mutant.UnknownSessionExpired) {
		return Row{}, problem.SessionExpired
	}
	if errors.Is(err, ErrNotFound) {
		return Row{}, problem.SessionInvalid
	}
	if err != nil {
		return Row{}, problem.Internal.Wrap(err)
	}
	if row.Stage == StageEnded {
		return Row{}, problem.SessionInvalid.WithDetail("the session was ended; log in again")
	}
	return row, nil
}

// pending loads a session between the two factors.
func (s *Service) pending(ctx context.Context, token string) (Row, *problem.Error) {
	row, perr := s.load(ctx, token)
	if perr != nil {
		return Row{}, perr
	}
	if row.Stage != StagePending {
		return Row{}, problem.SessionInvalid.WithDetail("this login was already completed")
	}
	if now := s.clock.Now(); !now.Before(row.ExpiresAt) {
		_ = s.store.End(ctx, row.Hash, now)
		return Row{}, problem.SessionExpired.WithDetail("the one-time code step timed out after %s; log in again", s.opts.PendingTTL)
	}
	return row, nil
}

// active loads a session with both factors that has not timed out (9.3.1/3).
func (s *Service) active(ctx context.Context, token string) (Row, *problem.Error) {
	row, perr := s.load(ctx, token)
	if perr != nil {
		return Row{}, perr
	}
	now := s.clock.Now()
	if row.Stage == StagePending {
		if !now.Before(row.ExpiresAt) {
			return Row{}, problem.SessionExpired.WithDetail("the one-time code step timed out; log in again")
		}
		return Row{}, problem.OTPRequired.WithDetail("password accepted: enter the one-time code sent to your phone to finish logging in")
	}
	switch {
	case !now.Before(row.ExpiresAt):
		_ = s.store.End(ctx, row.Hash, now)
		return Row{}, problem.SessionExpired.WithDetail("sessions last at most %s; log in again", s.opts.MaxLifetime)
	case !now.Before(row.LastSeenAt.Add(s.opts.IdleTimeout)) && !s.opts.Mutant.Is(mutant.NoSessionIdleTimeout):
		_ = s.store.End(ctx, row.Hash, now)
		return Row{}, problem.SessionExpired.WithDetail("no activity for %s: the session ended; log in again", s.opts.IdleTimeout)
	}
	return row, nil
}

func (s *Service) view(r Row) Session {
	idle := r.LastSeenAt.Add(s.opts.IdleTimeout)
	if idle.After(r.ExpiresAt) {
		idle = r.ExpiresAt
	}
	return Session{CustomerID: r.CustomerID, Username: r.Username, CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt,
		IdleExpiresAt: idle, ExpiresAt: r.ExpiresAt}
}

// loginGuard is what the failed-login counters know of one attempt: the keys of the
// username and browser (browser), of the username across unknown browsers (user, ""
// when this browser is known for the username or the ceiling is off), and of the
// browser's membership of the username's known browsers (known).
type loginGuard struct {
	browser, user, known string
}

// guard refuses an attempt while its browser, or — for a browser the username never
// completed a login from — the username across such browsers, is locked.
func (s *Service) guard(ctx context.Context, browser, username string, now time.Time) (loginGuard, *problem.Error) {
	if s.opts.Mutant.Is(mutant.LockoutPerUsername) {
		browser = "" // the username alone, in every browser
	}
	g := loginGuard{browser: failKey(username, browser), user: failKey(username, "")}
	if browser != "" {
		g.known = knownKey(username, browser)
	}
	if browser == "" || s.opts.Mutant.Is(mutant.LockoutPerBrowserOnly) {
		g.user = ""
	} else if known, err := s.store.KnownBrowser(ctx, g.known, now); err != nil {
		return g, problem.Internal.Wrap(err)
	} else if known {
		g.user = ""
	}
	for _, k := range []string{g.browser, g.user} {
		if k == "" {
			continue
		}
		until, err := s.store.LockedUntil(ctx, k)
		if err != nil {
			return g, problem.Internal.Wrap(err)
		}
		if now.Before(until) {
			return g, lockedErr(until, now, k == g.user)
		}
	}
	return g, nil
}

// fail counts a failed login and returns LOGIN_FAILED, or LOGIN_LOCKED when this
// failure reached a limit.
func (s *Service) fail(ctx context.Context, g loginGuard, now time.Time) *problem.Error {
	if s.opts.Mutant.Is(mutant.NoPasswordLockout) {
		return problem.LoginFailed
	}
	locked := problem.LoginFailed
	for _, c := range []struct {
		key   string
		limit int
	}{{g.browser, s.opts.FailLimit}, {g.user, s.opts.UserFailLimit}} {
		if c.key == "" {
			continue
		}
		until, err := s.store.RecordFailure(ctx, c.key, now, s.opts.FailWindow, c.limit, s.opts.LockFor)
		if err != nil {
			return problem.Internal.Wrap(err)
		}
		if now.Before(until) && locked == problem.LoginFailed {
			locked = lockedErr(until, now, c.key == g.user)
		}
	}
	return locked
}

func lockedErr(until, now time.Time, fromUnknownBrowsers bool) *problem.Error {
	secs := int(until.Sub(now).Seconds()) + 1
	if fromUnknownBrowsers {
		return problem.LoginLocked.WithRetryAfter(secs).WithDetail("too many failed logins for this username from browsers it never logged in from: log in from a browser you used before, or try again in %d minute(s)", (secs+59)/60)
	}
	return problem.LoginLocked.WithRetryAfter(secs).WithDetail("too many failed logins in this browser: try again in %d minute(s)", (secs+59)/60)
}

func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() {
		var b [16]byte
		_, _ = rand.Read(b[:])
		s.dummy, _ = passwords.Hash(base64.RawURLEncoding.EncodeToString(b[:]))
	})
	return s.dummy
}

func newToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func hashToken(token string) string { return protocol.SM3Hex([]byte(token)) }

// failKey names a username and browser in login_failures without storing either; the
// empty browser is the username across browsers.
func failKey(username, browser string) string {
	if browser == "" {
		return protocol.SM3Hex([]byte("login:" + username))
	}
	return protocol.SM3Hex([]byte("login:" + username + "\x00" + browser))
}

// knownKey names a browser that completed a login for a username.
func knownKey(username, browser string) string {
	return protocol.SM3Hex([]byte("known:" + username + "\x00" + browser))
}

// CustomerID resolves a username to its customer id (the simulated phone's lookup).
func (s *Service) CustomerID(ctx context.Context, username string) (string, bool, error) {
	c, err := s.store.Customer(ctx, strings.ToLower(strings.TrimSpace(username)))
	if errors.Is(err, ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return c.ID, true, nil
}
