package otp

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Options tune the service. Zero values take the defaults.
type Options struct {
	TTL         time.Duration // how long a code is valid; default 5 minutes
	MaxAttempts int           // wrong or right, per purpose across its codes; default 5
	// MaxCodesPerPurpose bounds the codes one purpose is sent (the first and its
	// re-issues); default 3.
	MaxCodesPerPurpose int
	// MaxPaymentCodesPerHour bounds the payment codes one App_ID has sent to one customer
	// within a rolling hour; default 20.
	MaxPaymentCodesPerHour int
	Pepper                 []byte    // HMAC key for stored codes; default random per process
	InboxSize              int       // messages kept per customer on the simulated phone; default 10
	Rand                   io.Reader // source of codes and ids; default crypto/rand
	// Mutant breaks one control on purpose (sandbox mode only).
	Mutant mutant.Set
}

// Defaults.
const (
	DefaultTTL                    = 5 * time.Minute
	DefaultMaxAttempts            = 5
	DefaultMaxCodesPerPurpose     = 3
	DefaultMaxPaymentCodesPerHour = 20
	defaultInboxSize              = 10
)

// unlimited stands for "no limit" in the mutant banks that drop one (they still publish
// the limit they do not enforce).
const unlimited = 1 << 30

// maxAttempts and the send caps are the limits enforced: the published ones, except in
// the mutant banks that drop them.
func (s *Service) maxAttempts() int {
	if s.opts.Mutant.Is(mutant.OTPUnlimitedAttempts) {
		return unlimited
	}
	return s.opts.MaxAttempts
}

func (s *Service) sendCaps() (perPurpose, perHour int) {
	if s.opts.Mutant.Is(mutant.OTPSendUncapped) {
		return unlimited, unlimited
	}
	return s.opts.MaxCodesPerPurpose, s.opts.MaxPaymentCodesPerHour
}

// Service issues and verifies codes. Safe for concurrent use.
type Service struct {
	store Store
	clock clock.Clock
	opts  Options
	inbox *inbox
}

// NewService wires a service.
func NewService(st Store, c clock.Clock, o Options) *Service {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxCodesPerPurpose <= 0 {
		o.MaxCodesPerPurpose = DefaultMaxCodesPerPurpose
	}
	if o.MaxPaymentCodesPerHour <= 0 {
		o.MaxPaymentCodesPerHour = DefaultMaxPaymentCodesPerHour
	}
	if o.InboxSize <= 0 {
		o.InboxSize = defaultInboxSize
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if len(o.Pepper) == 0 {
		o.Pepper = make([]byte, 32)
		if _, err := io.ReadFull(rand.Reader, o.Pepper); err != nil {
			panic("otp: no randomness for the pepper: " + err.Error())
		}
	}
	return &Service{store: st, clock: c, opts: o, inbox: newInbox(o.InboxSize)}
}

// TTL is how long a code stays valid (shown on the pages: "valid for 5 minutes").
func (s *Service) TTL() time.Duration { return s.opts.TTL }

// Options returns the effective options (the bank publishes the limits).
func (s *Service) Options() Options { return s.opts }

// Issue creates a code for customerID and purpose (LoginPurpose, PaymentPurpose),
// superseding any earlier code for the same purpose, and "sends" it to the simulated
// phone. The new code inherits the attempts of the unused code it supersedes; a purpose
// whose attempts are spent, or that was sent MaxCodesPerPurpose codes, gets none, and
// neither does an App_ID that sent the customer MaxPaymentCodesPerHour payment codes in
// the last hour. The code is returned for that delivery only; callers must not log it.
func (s *Service) Issue(ctx context.Context, customerID, purpose string) (string, error) {
	if customerID == "" || !ValidPurpose(purpose) {
		return "", problem.ParameterInvalid.WithDetail("one-time code purpose must be %q or %q", PurposeLogin+":<id>", purposePayPfx+"<App_ID>:<id>")
	}
	now := s.clock.Now()
	inherited, err := s.sendable(ctx, customerID, purpose, now)
	if err != nil {
		return "", err
	}
	n, err := rand.Int(s.opts.Rand, big.NewInt(1_000_000))
	if err != nil {
		return "", problem.Internal.Wrap(err)
	}
	code := fmt.Sprintf("%06d", n.Int64())
	var idb [16]byte
	if _, err := io.ReadFull(s.opts.Rand, idb[:]); err != nil {
		return "", problem.Internal.Wrap(err)
	}
	c := Code{ID: "otp_" + hex.EncodeToString(idb[:]), CustomerID: customerID, Purpose: purpose,
		CreatedAt: now, ExpiresAt: now.Add(s.opts.TTL), Attempts: inherited}
	c.MAC = s.mac(c.ID, customerID, purpose, code)
	if err := s.store.Replace(ctx, c); err != nil {
		return "", problem.Internal.Wrap(err)
	}
	s.inbox.add(Message{ID: c.ID, CustomerID: customerID, Purpose: purpose, Code: code,
		Text: text(purpose, code, s.opts.TTL), SentAt: now, ExpiresAt: c.ExpiresAt})
	return code, nil
}

// sendable decides whether purpose may be sent another code now, and with how many
// attempts already spent (JR/T 0185-2020 7.2.1 b) 2): the guesses of one step are
// bounded whatever the number of codes it asks for).
func (s *Service) sendable(ctx context.Context, customerID, purpose string, now time.Time) (int, error) {
	inherited := 0
	prev, err := s.store.Live(ctx, customerID, purpose)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return 0, problem.Internal.Wrap(err)
	case prev.UsedAt.IsZero() && !s.opts.Mutant.Is(mutant.OTPAttemptsResetOnReissue):
		inherited = prev.Attempts
	}
	if inherited >= s.maxAttempts() {
		return 0, problem.OTPTooManyAttempts.WithDetail("%d wrong attempts: this step takes no more codes; %s", inherited, startAgain(purpose))
	}
	sent, _, err := s.store.Issued(ctx, customerID, purpose, time.Time{})
	if err != nil {
		return 0, problem.Internal.Wrap(err)
	}
	perPurpose, perHour := s.sendCaps()
	if sent >= perPurpose {
		return 0, problem.OTPSendLimited.WithDetail("%d codes were already sent for this step; %s", sent, startAgain(purpose))
	}
	if app := paymentApp(purpose); app != "" {
		since := now.Add(-time.Hour)
		sent, oldest, err := s.store.Issued(ctx, customerID, purposePayPfx+app+":", since)
		if err != nil {
			return 0, problem.Internal.Wrap(err)
		}
		if sent >= perHour {
			wait := int(oldest.Sub(since).Seconds()) + 1
			return 0, problem.OTPSendLimited.WithRetryAfter(wait).WithDetail("this app had %d payment codes sent to you within the hour; try again in %d minute(s)", sent, (wait+59)/60)
		}
	}
	return inherited, nil
}

func startAgain(purpose string) string {
	if IsLogin(purpose) {
		return "log in again"
	}
	return "start the payment authorization again from the app"
}

// live is the code a Verify for purpose checks: the latest of that purpose. The
// otp-any-payment mutant bank checks a payment code against the customer's latest
// payment code, whichever payment it was sent for.
func (s *Service) live(ctx context.Context, customerID, purpose string) (Code, error) {
	if any, ok := s.store.(interface {
		LivePrefix(ctx context.Context, customerID, prefix string) (Code, error)
	}); ok && s.opts.Mutant.Is(mutant.OTPAnyPayment) && strings.HasPrefix(purpose, purposePayPfx) {
		return any.LivePrefix(ctx, customerID, purposePayPfx)
	}
	return s.store.Live(ctx, customerID, purpose)
}

// Verify checks code against the latest code issued for customerID and purpose. Every
// call counts as an attempt; a right code works once.
func (s *Service) Verify(ctx context.Context, customerID, purpose, code string) error {
	if code == "" {
		return problem.OTPRequired.WithDetail("enter the six-digit code sent to your phone")
	}
	c, err := s.live(ctx, customerID, purpose)
	if errors.Is(err, ErrNotFound) {
		return problem.OTPInvalid.WithDetail("no code has been sent for this step; request a new one")
	}
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	now := s.clock.Now()
	if perr := s.state(c, now); perr != nil {
		return perr
	}
	attempts, ok, err := s.store.Attempt(ctx, c.ID, s.maxAttempts())
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	if !ok {
		// Used or exhausted by a concurrent call since it was read: answer with the state
		// of this code (never of one issued meanwhile, whose state says nothing of this
		// attempt). Neither used nor exhausted is ever undone, so state names one of them.
		again, err := s.store.Get(ctx, c.ID)
		if err != nil {
			return problem.OTPInvalid.WithDetail("request a new code")
		}
		if perr := s.state(again, now); perr != nil {
			return perr
		}
		return problem.OTPTooManyAttempts
	}
	if !hmac.Equal([]byte(s.mac(c.ID, customerID, c.Purpose, code)), []byte(c.MAC)) {
		if left := s.maxAttempts() - attempts; left > 0 {
			return problem.OTPInvalid.WithDetail("the code is wrong; %d attempt(s) left", left)
		}
		return problem.OTPTooManyAttempts.WithDetail("%d wrong attempts: no code works for this step any more; %s", attempts, startAgain(purpose))
	}
	used, err := s.store.Use(ctx, c.ID, now)
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	if !used {
		return problem.OTPUsed
	}
	s.inbox.markUsed(customerID, c.ID)
	return nil
}

// state refuses a code that is used, exhausted or expired.
func (s *Service) state(c Code, now time.Time) *problem.Error {
	switch {
	case !c.UsedAt.IsZero():
		return problem.OTPUsed.WithDetail("this code was already used; request a new one")
	case c.Attempts >= s.maxAttempts():
		return problem.OTPTooManyAttempts.WithDetail("%d wrong attempts: no code works for this step any more; %s", c.Attempts, startAgain(c.Purpose))
	case !now.Before(c.ExpiresAt) && !s.opts.Mutant.Is(mutant.OTPNeverExpires):
		return problem.OTPExpired.WithDetail("the code expired after %s; request a new one", s.opts.TTL)
	}
	return nil
}

// Inbox is the simulated phone of customerID: the latest messages, newest first. It is
// in memory only; after a restart it is empty.
func (s *Service) Inbox(_ context.Context, customerID string) []Message {
	out := s.inbox.list(customerID)
	now := s.clock.Now()
	for i := range out {
		out[i].Expired = !now.Before(out[i].ExpiresAt)
	}
	return out
}

// Purge deletes codes that expired before cutoff (housekeeping).
func (s *Service) Purge(ctx context.Context, cutoff time.Time) (int64, error) {
	return s.store.Purge(ctx, cutoff)
}

func (s *Service) mac(id, customerID, purpose, code string) string {
	m := hmac.New(sm3.New, s.opts.Pepper)
	for _, part := range []string{id, customerID, purpose, code} {
		m.Write([]byte(part))
		m.Write([]byte{'\n'})
	}
	return hex.EncodeToString(m.Sum(nil))
}

func text(purpose, code string, ttl time.Duration) string {
	what := "登录"
	if !IsLogin(purpose) {
		what = "支付授权确认"
	}
	return fmt.Sprintf("【沙箱银行】您的%s验证码为%s，%d分钟内有效，请勿泄露给他人。", what, code, int(ttl.Minutes()))
}

// ClearInbox empties the simulated phones (the sandbox's reset: the codes they showed
// were wiped with the otp_codes table).
func (s *Service) ClearInbox() {
	s.inbox.mu.Lock()
	defer s.inbox.mu.Unlock()
	s.inbox.by = map[string][]Message{}
}

// Backdate is a sandbox test control: every code of one customer moves d into the past
// (sent and expiring earlier), exactly as if d had passed for that customer's codes
// alone; the expiry check then runs unchanged against the bank's clock (7.2.1 b) 2)).
func (s *Service) Backdate(ctx context.Context, customerID string, d time.Duration) (int64, error) {
	if d <= 0 {
		return 0, problem.ParameterInvalid.WithDetail("the duration to backdate must be positive")
	}
	n, err := s.store.Backdate(ctx, customerID, d)
	if err != nil {
		return 0, problem.Internal.Wrap(err)
	}
	s.inbox.backdate(customerID, d)
	return n, nil
}
