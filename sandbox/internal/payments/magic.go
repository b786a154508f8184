package payments

import (
	"time"

	"github.com/jr0185/harness/sandbox/internal/magic"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Magic values (see the package documentation and package magic, their one source of
// truth). They act only after the payer confirmed, so every one of them also exercises
// confirmation.
const (
	// MagicInsufficientFundsFen (0.13) always fails with INSUFFICIENT_FUNDS.
	MagicInsufficientFundsFen = magic.AmountInsufficientFen
	// MagicRiskReviewFen (88,888.88) is always held for risk review.
	MagicRiskReviewFen = magic.AmountRiskReviewFen
	// MagicPayeeClosed is an external payee whose bank reports the account closed.
	MagicPayeeClosed = magic.PayeeClosed
	// MagicPayeeFlagged is an external payee on the bank's watch list: held for review.
	MagicPayeeFlagged = magic.PayeeFlagged
)

// magicFailure is the failure a magic value forces on execution, or nil.
func (s *Service) magicFailure(p Payment) *problem.Error {
	if s.opts.DisableMagic {
		return nil
	}
	switch {
	case p.AmountFen == magic.AmountInsufficientFen:
		return problem.InsufficientFunds.WithDetail("magic amount 0.13: the sandbox always refuses it for insufficient funds")
	case p.AmountFen == magic.AmountConfirmFailedFen:
		// JR/T 0185-2020 10.2.2/2: a payment whose payer confirmation cannot be verified
		// is not executed.
		return problem.PaymentConfirmationFailed.WithDetail("magic amount 0.22: the sandbox cannot verify the payer's confirmation")
	case p.PayeeExternal && p.PayeeAccount == magic.PayeeClosed:
		return problem.PayeeAccountUnavailable.WithDetail("the receiving bank reports the payee account closed (magic payee)")
	}
	return nil
}

// magicRisk is the review reason a magic value forces, or "".
func (s *Service) magicRisk(p Payment) string {
	if s.opts.DisableMagic {
		return ""
	}
	switch {
	case p.AmountFen == magic.AmountRiskReviewFen:
		return "magic amount 88888.88: always reviewed"
	case p.PayeeExternal && p.PayeeAccount == magic.PayeeFlagged:
		return "payee on the watch list"
	}
	return ""
}

// MagicResponse says how the create call answers a magic amount before anything is
// created: 503 (unavailable) or after a delay (slow). Zero values: no magic.
func (s *Service) MagicResponse(amountFen int64) (unavailable bool, delay time.Duration) {
	if s.opts.DisableMagic {
		return false, 0
	}
	switch amountFen {
	case magic.AmountUnavailableFen:
		return true, 0
	case magic.AmountSlowFen:
		return false, magic.SlowDelay
	}
	return false, 0
}

// magicNotification is how a magic payee changes a payment's notification row: first
// attempt delayed, or never delivered (attempts exhausted, with the reason).
func (s *Service) magicNotification(p Payment, now time.Time) (next time.Time, attempts int, lastError string) {
	next = now
	if s.opts.DisableMagic || !p.PayeeExternal {
		return next, 0, ""
	}
	switch p.PayeeAccount {
	case magic.PayeeNotifyDelayed:
		return now.Add(magic.NotifyDelay), 0, ""
	case magic.PayeeNotifyFails:
		return now, MaxNotificationAttempts, "magic payee: the sandbox never delivers this notification"
	}
	return next, 0, ""
}
