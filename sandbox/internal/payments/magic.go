package payments

import "github.com/jr0185/harness/sandbox/internal/problem"

// Magic values (see the package documentation). They act only after the payer
// confirmed, so every one of them also exercises confirmation.
const (
	// MagicInsufficientFundsFen (0.13) always fails with INSUFFICIENT_FUNDS.
	MagicInsufficientFundsFen int64 = 13
	// MagicRiskReviewFen (88,888.88) is always held for risk review.
	MagicRiskReviewFen int64 = 8_888_888
	// MagicPayeeClosed is an external payee whose bank reports the account closed.
	MagicPayeeClosed = "6222000000000000004"
	// MagicPayeeFlagged is an external payee on the bank's watch list: held for review.
	MagicPayeeFlagged = "6222000000000000012"
)

// magicFailure is the failure a magic value forces on execution, or nil.
func (s *Service) magicFailure(p Payment) *problem.Error {
	if s.opts.DisableMagic {
		return nil
	}
	switch {
	case p.AmountFen == MagicInsufficientFundsFen:
		return problem.InsufficientFunds.WithDetail("magic amount 0.13: the sandbox always refuses it for insufficient funds")
	case p.PayeeExternal && p.PayeeAccount == MagicPayeeClosed:
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
	case p.AmountFen == MagicRiskReviewFen:
		return "magic amount 88888.88: always reviewed"
	case p.PayeeExternal && p.PayeeAccount == MagicPayeeFlagged:
		return "payee on the watch list"
	}
	return ""
}
