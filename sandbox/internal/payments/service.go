package payments

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/ledger"
	"github.com/jr0185/harness/sandbox/internal/money"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/pii"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Status is a payment's state.
type Status string

// Statuses (see the package documentation for the transitions).
const (
	StatusPendingConfirmation Status = "pending_confirmation"
	StatusRiskReview          Status = "risk_review"
	StatusProcessing          Status = "processing"
	StatusSucceeded           Status = "succeeded"
	StatusFailed              Status = "failed"
	StatusRejected            Status = "rejected"
	StatusCancelled           Status = "cancelled"
)

// Final reports whether no further transition is possible.
func (s Status) Final() bool {
	return s == StatusSucceeded || s == StatusFailed || s == StatusRejected || s == StatusCancelled
}

// Payment is a payment as the bank keeps it. It carries full account numbers and fen:
// the HTTP layer renders its own view (masked or encrypted accounts, decimal amounts;
// JR/T 0185-2020 7.2.2/3b) and leaves out the review fields.
type Payment struct {
	ID             string
	AppID          string
	IdempotencyKey string
	ConsentID      string
	CustomerID     string
	PayerAccount   string
	PayeeAccount   string
	PayeeName      string
	PayeeExternal  bool // outside the bank: credited to BANK-EXTERNAL-CLEARING
	AmountFen      int64
	Currency       string
	Memo           string
	Status         Status
	FailureCode    string // catalogue code when failed
	FailureDetail  string
	RiskReason     string // why it was held for review (internal)
	ReviewedBy     string
	ReviewNote     string
	PostingID      string // the ledger posting, when succeeded
	CreatedAt      time.Time
	UpdatedAt      time.Time
	FinishedAt     time.Time // zero until final
}

// Failure returns the catalogued error a failed payment failed with, or nil.
func (p Payment) Failure() *problem.Error {
	if p.Status != StatusFailed {
		return nil
	}
	e, ok := problem.Lookup(p.FailureCode)
	if !ok {
		return problem.Internal
	}
	if p.FailureDetail != "" {
		return e.WithDetail("%s", p.FailureDetail)
	}
	return e
}

// Alarms receives risk alarms (JR/T 0185-2020 10.2.3/1, 10.2.3/3: 及时预警). Details
// carry masked account numbers only.
type Alarms interface {
	Raise(kind, appID, detail string)
}

// Alarm kinds.
const (
	AlarmRiskReview    = "payment_risk_review"
	AlarmLimitExceeded = "payment_limit_exceeded"
)

type noAlarms struct{}

func (noAlarms) Raise(string, string, string) {}

var _ Alarms = noAlarms{}

// Options configure the service. Zero values take the defaults; a negative limit
// means no limit.
type Options struct {
	// RiskReviewFen: payments of this amount or more are held for review
	// (10.2.3/3). Default 5,000,000 fen (50,000.00 yuan); negative: no threshold.
	RiskReviewFen int64
	// AppDailyLimitFen: total per App_ID per day (10.2.1/3). Default 100,000,000.00 yuan.
	AppDailyLimitFen int64
	// UserDailyLimitFen: total per customer per day, over all apps and accounts.
	// Default 2,000,000.00 yuan.
	UserDailyLimitFen int64
	// IdempotencyLease: how long a reservation blocks duplicates before it is taken
	// to be abandoned by a crashed process. Default 30 s.
	IdempotencyLease time.Duration
	// Location of the calendar day for daily limits. Default China Standard Time.
	Location *time.Location
	// DisableMagic turns the magic test values off.
	DisableMagic bool
	// Alarms receives risk alarms. Default: none.
	Alarms Alarms
	// Velocity (10.2.3/1): more than VelocityAppMax payments by one App_ID (its own
	// threshold when set, AppLimits) or VelocityAccountMax from one debit account within
	// VelocityWindow (default a minute) sends the crossing payment to review. Zero or
	// negative: no bank-wide threshold (the operator sets each app's, 10.2.1/3), so load
	// tests and benchmarks of a single app are not held for review.
	VelocityWindow     time.Duration
	VelocityAppMax     int
	VelocityAccountMax int
	// Mutant breaks one control on purpose (sandbox mode only).
	Mutant mutant.Set
	// Journal writes the audit record of every change of a payment's status in the
	// transaction that makes it (journal.go). Default: none (unit tests).
	Journal Journal
}

// Defaults.
const (
	DefaultRiskReviewFen     int64 = 5_000_000
	DefaultAppDailyLimitFen  int64 = 10_000_000_000
	DefaultUserDailyLimitFen int64 = 200_000_000
	DefaultIdempotencyLease        = 30 * time.Second
)

// Service runs payments.
type Service struct {
	store *SQLStore
	clock clock.Clock
	opts  Options
}

// NewService wires a service.
func NewService(st *SQLStore, c clock.Clock, opts Options) *Service {
	if opts.RiskReviewFen == 0 {
		opts.RiskReviewFen = DefaultRiskReviewFen
	}
	if opts.AppDailyLimitFen == 0 {
		opts.AppDailyLimitFen = DefaultAppDailyLimitFen
	}
	if opts.UserDailyLimitFen == 0 {
		opts.UserDailyLimitFen = DefaultUserDailyLimitFen
	}
	if opts.IdempotencyLease <= 0 {
		opts.IdempotencyLease = DefaultIdempotencyLease
	}
	if opts.Location == nil {
		opts.Location = time.FixedZone("CST", 8*3600)
	}
	if opts.Alarms == nil {
		opts.Alarms = noAlarms{}
	}
	if opts.VelocityWindow <= 0 {
		opts.VelocityWindow = DefaultVelocityWindow
	}
	return &Service{store: st, clock: c, opts: opts}
}

// CreateRequest is a partner's payment request, decoded and decrypted by the HTTP
// layer. CustomerID is the consenting user, supplied by the consent layer.
type CreateRequest struct {
	AppID          string
	IdempotencyKey string
	ConsentID      string
	CustomerID     string
	PayerAccount   string
	PayeeAccount   string
	PayeeName      string
	AmountFen      int64
	Currency       string // "" means CNY
	Memo           string
	RequestHash    string // SM3 of the canonical request body, computed by the caller
}

// Result is what Create returns. Replayed is true when the idempotency key had already
// produced Payment (in its current state); Response is then the response stored for
// it with StoreResponse, or nil if none was stored (its first request crashed while
// answering).
type Result struct {
	Payment  Payment
	Replayed bool
	Response *StoredResponse
}

// Limits on free text.
const (
	maxNameBytes = 100
	maxMemoBytes = 140
)

// Create validates a payment request and records it pending the payer's confirmation.
// It is idempotent per (AppID, IdempotencyKey); see the package documentation.
func (s *Service) Create(ctx context.Context, r CreateRequest) (Result, error) {
	return s.createWith(ctx, r, "", s.clock.Now(), StatusPendingConfirmation, false, nil)
}

// CreateConfirmed is Create and Confirm in one transaction, for a payment the payer
// already confirmed at the bank when consenting to it (JR/T 0185-2020 7.2.1 b) 2)):
// consume, given the transaction, uses up that confirmation (the single-use consent).
// Either the payment is recorded, its consent consumed and the payment executed (or
// failed, or held for review), or — on a refusal, consume's error or any other — none
// of it is, and the key is free again. A replay returns the key's payment as Create
// does, without calling consume.
func (s *Service) CreateConfirmed(ctx context.Context, r CreateRequest, consume func(*sql.Tx) error) (Result, error) {
	return s.createConfirmed(ctx, r, "", s.clock.Now(), consume, nil)
}

// createConfirmed is CreateConfirmed of a payment with id ("": a new one) at now; answer,
// when set, runs last in the transaction, given the payment as confirmed and the owner
// of the key's reservation, and must complete that reservation (completeAnswered).
func (s *Service) createConfirmed(ctx context.Context, r CreateRequest, id string, now time.Time, consume func(*sql.Tx) error, answer func(q querier, p Payment, owner string) error) (Result, error) {
	if consume == nil {
		return Result{}, problem.Internal.Wrap(errors.New("payments: CreateConfirmed without consume"))
	}
	// Recorded in processing from the start (its confirmation came with the consent):
	// one write of its status fewer than pending then confirmed.
	res, err := s.createWith(ctx, r, id, now, StatusProcessing, answer != nil, func(tx *sql.Tx, q querier, p Payment, c checked, owner string, now time.Time) (Payment, error) {
		if err := consume(tx); err != nil {
			return p, err
		}
		p, err := s.confirmTx(ctx, q, p, now, &c)
		if err == nil && answer != nil {
			err = answer(q, p, owner)
		}
		return p, err
	})
	if err == nil && !res.Replayed {
		s.alarmIfHeld(res.Payment)
	}
	return res, err
}

// Answer renders and signs the answer to the request that creates a payment, for
// CreateConfirmedAnswered. Render must be deterministic and must not use the database.
type Answer struct {
	Render func(p Payment) (status int, body []byte, err error)
	Sign   func(status int, body []byte) (StoredResponse, error)
}

// CreateConfirmedAnswered is CreateConfirmed that also stores, in the same transaction,
// the signed answer for the payment: the payment and the bytes replayed for its
// idempotency key commit together, so no crash can leave a payment whose first answer
// is not replayable byte for byte, and the answer costs no write of its own. The new
// payment's Result carries that answer in Response (Replayed false).
//
// The answer is signed before the transaction, on the caller's goroutine, for the
// outcome expected (the payment succeeds as asked, with the identifier and time given
// to it then); the transaction keeps that answer when the outcome renders to the same
// bytes, and signs the actual one otherwise (a refusal at execution, a hold for
// review). So the signing, an SM2 operation, does not hold up the one writer.
func (s *Service) CreateConfirmedAnswered(ctx context.Context, r CreateRequest, consume func(*sql.Tx) error, a Answer) (Result, error) {
	if a.Render == nil || a.Sign == nil {
		return Result{}, problem.Internal.Wrap(errors.New("payments: CreateConfirmedAnswered without an answer"))
	}
	id, now := ledger.NewID("PAY"), s.clock.Now()
	var expected *StoredResponse
	if p, err := checkShape(r, s.opts.Mutant); err == nil {
		p.ID, p.Status, p.CreatedAt, p.UpdatedAt, p.FinishedAt = id, StatusSucceeded, now, now, now
		if st, body, err := a.Render(p); err == nil {
			if signed, err := a.Sign(st, body); err == nil {
				expected = &signed
			}
		}
	}
	var answer *StoredResponse
	res, err := s.createConfirmed(ctx, r, id, now, consume, func(q querier, p Payment, owner string) error {
		answer = nil // the transaction may run again (group commit)
		st, body, err := a.Render(p)
		if err != nil {
			return err
		}
		signed := expected
		if signed == nil || signed.Status != st || !bytes.Equal(signed.Body, body) {
			actual, err := a.Sign(st, body)
			if err != nil {
				return err
			}
			signed = &actual
		}
		// The key's one write after its reservation: executed and answered at once.
		if err := completeAnswered(ctx, q, s.keyspace(r.AppID), r.IdempotencyKey, owner, p.ID, *signed, now); err != nil {
			return err
		}
		answer = signed
		return nil
	})
	if err == nil && !res.Replayed {
		res.Response = answer
	}
	return res, err
}

// createWith is Create of a payment with id ("": a new one) at now, recorded in status
// initial (pending confirmation; processing when then confirms it); then, when set,
// runs in the creating transaction after the payment is recorded, given the owner of
// the key's reservation. answered says then stores the key's answer, completing the
// reservation in the same write (completeAnswered): createTx leaves it to then.
func (s *Service) createWith(ctx context.Context, r CreateRequest, id string, now time.Time, initial Status, answered bool, then func(*sql.Tx, querier, Payment, checked, string, time.Time) (Payment, error)) (Result, error) {
	if r.AppID == "" || r.RequestHash == "" || len(r.RequestHash) > 256 {
		return Result{}, problem.Internal.Wrap(errors.New("payments: Create without App_ID or request hash"))
	}
	if !ValidIdempotencyKey(r.IdempotencyKey) && !(s.opts.Mutant.Is(mutant.IdempotencyKeyAnyChar) && r.IdempotencyKey != "") {
		return Result{}, problem.IdempotencyKeyInvalid
	}
	// Reservation and creation share one transaction: a request refused by validation
	// rolls its reservation back with it, so the key is free again for a corrected retry.
	var res reservation
	var p Payment
	err := s.store.tx(ctx, func(tx *sql.Tx) error {
		q := s.store.q(tx)
		var err error
		if res, err = reserve(ctx, q, s.keyspace(r.AppID), r.IdempotencyKey, r.RequestHash, now, s.opts.IdempotencyLease); err != nil {
			return err
		}
		switch res.outcome {
		case replay:
			p, err = getPayment(ctx, q, res.paymentID)
		case reserved:
			var c checked
			p, c, err = s.createTx(ctx, q, r, id, initial, res.owner, answered, now)
			if err == nil && then != nil {
				p, err = then(tx, q, p, c, res.owner, now)
			}
		}
		return err
	})
	if errors.Is(err, errLostReservation) {
		return Result{}, problem.IdempotencyInProgress.WithRetryAfter(1)
	}
	if err != nil {
		return Result{}, problem.From(err) // a refusal, or Internal
	}
	switch res.outcome {
	case mismatch:
		return Result{}, problem.IdempotencyKeyReused.WithDetail("idempotency key %q was first used with a different request body", r.IdempotencyKey)
	case inFlight:
		return Result{}, problem.IdempotencyInProgress.WithRetryAfter(1)
	case replay:
		return Result{Payment: p, Replayed: true, Response: res.response}, nil
	}
	return Result{Payment: p}, nil
}

// createTx records the payment r asks for, with id ("" for a new one), in status
// initial: pending confirmation, or processing for a payment confirmed as it is
// created (confirmTx then holds it for review or executes it), under owner's
// reservation of its key. answered: the key is completed later in this transaction,
// with the answer (completeAnswered), not here.
func (s *Service) createTx(ctx context.Context, tx querier, r CreateRequest, id string, initial Status, owner string, answered bool, now time.Time) (Payment, checked, error) {
	p, err := checkShape(r, s.opts.Mutant)
	if err != nil {
		return Payment{}, checked{}, err
	}
	if id == "" {
		id = ledger.NewID("PAY")
	}
	p.ID, p.Status, p.CreatedAt, p.UpdatedAt = id, initial, now, now
	payer, err := s.checkAccounts(ctx, tx, &p)
	if err != nil {
		return Payment{}, checked{}, err
	}
	app, err := s.checkLimits(ctx, tx, p, payer, usageAtCreate)
	if err != nil {
		return Payment{}, checked{}, err
	}
	// The key first: a request whose reservation was taken over stops here. (Answered,
	// the reservation was taken in this same transaction: nobody can have taken it over
	// since, and completeAnswered checks it again.)
	if !answered {
		if err := complete(ctx, tx, s.keyspace(p.AppID), p.IdempotencyKey, owner, p.ID, now); err != nil {
			return Payment{}, checked{}, err
		}
	}
	if err := insertPayment(ctx, tx, p); err != nil {
		return Payment{}, checked{}, err
	}
	if err := s.journal(ctx, tx, p, now); err != nil {
		return Payment{}, checked{}, err
	}
	c, e := usageWeights(p.Status)
	return p, checked{payer: payer, app: &app}, s.addUsage(ctx, tx, p, c*p.AmountFen, e*p.AmountFen)
}

// checkShape checks what needs no database: amount, currency and free text
// (JR/T 0185-2020 7.2.2/1: 参数格式).
func checkShape(r CreateRequest, mut mutant.Set) (Payment, error) {
	p := Payment{AppID: r.AppID, IdempotencyKey: r.IdempotencyKey, ConsentID: r.ConsentID, CustomerID: r.CustomerID,
		PayerAccount: r.PayerAccount, PayeeAccount: r.PayeeAccount, PayeeName: strings.TrimSpace(r.PayeeName),
		AmountFen: r.AmountFen, Currency: r.Currency, Memo: strings.TrimSpace(r.Memo)}
	if p.AmountFen <= 0 || p.AmountFen > money.MaxFen {
		return p, problem.ParameterInvalid.WithDetail("amount must be more than 0.00 and at most %s yuan", money.Format(money.MaxFen))
	}
	if p.Currency == "" {
		p.Currency = ledger.CurrencyCNY
	}
	if p.Currency != ledger.CurrencyCNY {
		return p, problem.CurrencyUnsupported.WithDetail("only CNY is supported")
	}
	maxName := maxNameBytes
	if mut.Is(mutant.PayeeNameOffByOne) {
		maxName--
	}
	if p.PayeeName == "" || len(p.PayeeName) > maxName || !cleanText(p.PayeeName) {
		return p, problem.ParameterInvalid.WithDetail("payee name is required: printable text of at most %d bytes", maxNameBytes)
	}
	if len(p.Memo) > maxMemoBytes || !cleanText(p.Memo) {
		return p, problem.ParameterInvalid.WithDetail("memo must be printable text of at most %d bytes", maxMemoBytes)
	}
	if p.CustomerID == "" || p.PayerAccount == "" || len(p.PayerAccount) > 64 {
		return p, problem.PayerAccountNotAuthorized
	}
	if p.PayeeAccount == "" || len(p.PayeeAccount) > 64 {
		return p, problem.PayeeAccountInvalid.WithDetail("payee account is required")
	}
	if p.PayerAccount == p.PayeeAccount && !mut.Is(mutant.SelfPayment) {
		return p, problem.ParameterInvalid.WithDetail("payer and payee accounts must differ")
	}
	return p, nil
}

// checkAccounts checks the payer (the consenting user's own, active account;
// JR/T 0185-2020 10.2.2/2) and routes the payee: an account of this bank, or an
// external card number that passes the Luhn check, credited to BANK-EXTERNAL-CLEARING.
func (s *Service) checkAccounts(ctx context.Context, q querier, p *Payment) (accountInfo, error) {
	payer, found, err := loadAccount(ctx, q, p.PayerAccount)
	if err != nil {
		return payer, err
	}
	// One answer for "no such account" and "someone else's": no existence oracle.
	if !found || payer.Kind == ledger.KindInternal || payer.CustomerID != p.CustomerID {
		return payer, problem.PayerAccountNotAuthorized.WithDetail("account %s is not an account of the consenting user", pii.MaskCard(p.PayerAccount))
	}
	if payer.Currency != p.Currency {
		return payer, problem.CurrencyUnsupported.WithDetail("the debit account holds %s", payer.Currency)
	}
	if err := activeErr(payer, "debit"); err != nil {
		return payer, err
	}
	payee, found, err := loadAccount(ctx, q, p.PayeeAccount)
	if err != nil {
		return payer, err
	}
	switch {
	case found && payee.Kind == ledger.KindInternal:
		return payer, problem.PayeeAccountInvalid.WithDetail("not a customer account")
	case found:
		if payee.Status != "active" {
			return payer, problem.PayeeAccountUnavailable.WithDetail("payee account %s cannot receive funds", pii.MaskCard(p.PayeeAccount))
		}
		if payee.Currency != p.Currency {
			return payer, problem.CurrencyUnsupported.WithDetail("the payee account does not hold %s", p.Currency)
		}
		// 户名校验: an in-bank transfer must name the holder.
		if payee.HolderName != p.PayeeName {
			return payer, problem.PayeeNameMismatch.WithDetail("the payee name does not match the holder of account %s", pii.MaskCard(p.PayeeAccount))
		}
		p.PayeeExternal = false
	default:
		if !ValidExternalAccount(p.PayeeAccount) {
			return payer, problem.PayeeAccountInvalid.WithDetail("an account outside this bank must be a 13- to 19-digit card number with a valid Luhn check digit")
		}
		p.PayeeExternal = true
	}
	return payer, nil
}

func activeErr(a accountInfo, role string) error {
	switch a.Status {
	case "active":
		return nil
	case "frozen":
		return problem.AccountFrozen.WithDetail("the %s account %s is frozen", role, pii.MaskCard(a.No))
	default:
		return problem.AccountInactive.WithDetail("the %s account %s is not active", role, pii.MaskCard(a.No))
	}
}

// checkLimits enforces the per-transaction and daily limits (JR/T 0185-2020 10.2.1/3:
// 交易额度与风险承受能力相匹配), counting the day's payments whose status counts at
// `at` (at execution, p itself is processing and is left out). The App_ID's own limits
// (AppLimits) are checked alongside the account's and the user's.
func (s *Service) checkLimits(ctx context.Context, q querier, p Payment, payer accountInfo, at usageAt) (AppLimits, error) {
	app, err := s.appLimits(ctx, q, p.AppID)
	if err != nil || s.opts.Mutant.Is(mutant.IgnoreLimits) {
		return app, err
	}
	if payer.PerTxnLimitFen > 0 && p.AmountFen > payer.PerTxnLimitFen {
		return app, s.limitErr(p, "per-transaction limit of the debit account (%s)", payer.PerTxnLimitFen)
	}
	if app.PerTxnFen > 0 && p.AmountFen > app.PerTxnFen {
		return app, s.limitErr(p, "per-transaction limit of the app (%s)", app.PerTxnFen)
	}
	used, err := usage(ctx, q, p, s.dayStart(p.CreatedAt), at)
	if err != nil {
		return app, err
	}
	if at == usageAtExecute { // p itself is processing: counted already
		used.payer, used.app, used.customer = used.payer-p.AmountFen, used.app-p.AmountFen, used.customer-p.AmountFen
	}
	checks := []struct {
		used  int64
		name  string
		limit int64
	}{
		{used.payer, "daily limit of the debit account (%s)", payer.DailyLimitFen},
		{used.app, "daily limit of the app (%s)", app.DailyFen},
		{used.customer, "daily limit of the user (%s)", s.opts.UserDailyLimitFen},
	}
	for _, c := range checks {
		if c.limit > 0 && c.used+p.AmountFen > c.limit {
			return app, s.limitErr(p, c.name+", %s already used today", c.limit, c.used)
		}
	}
	return app, nil
}

func (s *Service) limitErr(p Payment, format string, amounts ...int64) error {
	args := make([]any, len(amounts))
	for i, a := range amounts {
		args[i] = money.Format(a)
	}
	detail := "the payment of " + money.Format(p.AmountFen) + " would exceed the " + fmt.Sprintf(format, args...)
	s.opts.Alarms.Raise(AlarmLimitExceeded, p.AppID, detail+"; account "+pii.MaskCard(p.PayerAccount))
	return problem.LimitExceeded.WithDetail("%s", detail)
}

func (s *Service) dayStart(t time.Time) time.Time {
	t = t.In(s.opts.Location)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, s.opts.Location)
}

// Get returns one of appID's payments; another app's payment is not found
// (JR/T 0185-2020 9.3.2/1a).
func (s *Service) Get(ctx context.Context, appID, paymentID string) (Payment, error) {
	p, err := getPayment(ctx, s.store.DB, paymentID)
	if errors.Is(err, errNotFound) || (err == nil && p.AppID != appID) {
		return Payment{}, problem.PaymentNotFound.WithDetail("no payment %q for this app", clipText(paymentID, 40))
	}
	if err != nil {
		return Payment{}, problem.Internal.Wrap(err)
	}
	return p, nil
}

// GetByKey returns the payment appID created with an idempotency key.
func (s *Service) GetByKey(ctx context.Context, appID, key string) (Payment, error) {
	p, err := paymentByKey(ctx, s.store.DB, appID, key)
	if errors.Is(err, errNotFound) {
		return Payment{}, problem.PaymentNotFound.WithDetail("no payment for this idempotency key")
	}
	if err != nil {
		return Payment{}, problem.Internal.Wrap(err)
	}
	return p, nil
}

// Confirm is called by the consent/OTP layer once the payer has confirmed the payment
// at the bank with a one-time code (JR/T 0185-2020 10.2.2/2, 7.2.1 b) 2)). A large or
// flagged payment is then held for review (10.2.3/3); any other executes at once, in
// the same transaction as its confirmation.
func (s *Service) Confirm(ctx context.Context, paymentID, customerID string) (Payment, error) {
	now := s.clock.Now()
	var p Payment
	err := s.store.tx(ctx, func(tx *sql.Tx) error {
		q := s.store.q(tx)
		var err error
		if p, err = getPayment(ctx, q, paymentID); err != nil {
			return err
		}
		if p.CustomerID != customerID {
			return errNotFound
		}
		p, err = s.confirmTx(ctx, q, p, now, nil)
		return err
	})
	if errors.Is(err, errNotFound) {
		return Payment{}, problem.PaymentNotFound.WithDetail("no payment %q for this user", clipText(paymentID, 40))
	}
	if err != nil {
		return Payment{}, problem.From(err)
	}
	s.alarmIfHeld(p)
	return p, nil
}

// confirmTx moves a payment pending confirmation on, in tx: held for review (10.2.3/3)
// or executed.
//
// fresh, when set, is what createTx checked earlier in this transaction, where it
// recorded p in processing (confirmed as it was created): p stays there unless it is
// held.
func (s *Service) confirmTx(ctx context.Context, q querier, p Payment, now time.Time, fresh *checked) (Payment, error) {
	from := StatusPendingConfirmation
	if fresh != nil {
		from = StatusProcessing
	}
	if p.Status != from {
		return p, problem.StateConflict.WithDetail("the payment is %s, not pending confirmation", p.Status)
	}
	next, set := StatusProcessing, map[string]any{}
	reason := s.riskReason(p)
	if reason == "" { // JR/T 0185-2020 10.2.3/1: the velocity rule, in real time
		var err error
		var app *AppLimits
		if fresh != nil {
			app = fresh.app
		}
		if reason, err = s.velocityReason(ctx, q, p, now, app); err != nil {
			return p, err
		}
	}
	if reason != "" {
		next, set["risk_reason"], p.RiskReason = StatusRiskReview, reason, reason
	}
	if next != from {
		ok, err := s.transition(ctx, q, p.ID, from, next, now, set)
		if err == nil && !ok {
			err = problem.StateConflict.WithDetail("the payment is no longer %s", from)
		}
		if err != nil {
			return p, err
		}
	}
	p.Status, p.UpdatedAt = next, now
	if next != StatusProcessing {
		return p, nil
	}
	if fresh != nil {
		fresh.p = p // as confirmed: execute starts from it
	}
	return s.settleTx(ctx, q, p.ID, now, fresh)
}

// alarmIfHeld raises the review alarm for a payment just held for review (10.2.3/3:
// 及时预警), once its transaction committed.
func (s *Service) alarmIfHeld(p Payment) {
	if p.Status == StatusRiskReview {
		kind := AlarmRiskReview
		if strings.HasPrefix(p.RiskReason, "velocity:") {
			kind = AlarmVelocity
		}
		s.opts.Alarms.Raise(kind, p.AppID, fmt.Sprintf("payment %s of %s from %s held for review: %s",
			p.ID, money.Format(p.AmountFen), pii.MaskCard(p.PayerAccount), p.RiskReason))
	}
}

// riskReason says why a confirmed payment must be reviewed, or "" (10.2.3/3).
func (s *Service) riskReason(p Payment) string {
	if s.opts.Mutant.Is(mutant.NoRiskReview) {
		return ""
	}
	if r := s.magicRisk(p); r != "" {
		return r
	}
	if s.opts.RiskReviewFen > 0 && p.AmountFen >= s.opts.RiskReviewFen {
		return "large amount: " + money.Format(p.AmountFen) + " is at or above the review threshold " + money.Format(s.opts.RiskReviewFen)
	}
	return ""
}

// Approve releases a payment held for review for execution (JR/T 0185-2020 10.2.3/4).
func (s *Service) Approve(ctx context.Context, paymentID, reviewer, note string) (Payment, error) {
	if strings.TrimSpace(reviewer) == "" {
		return Payment{}, problem.ParameterInvalid.WithDetail("the reviewer is required")
	}
	now := s.clock.Now()
	var ok bool
	err := s.store.tx(ctx, func(tx *sql.Tx) (err error) {
		ok, err = s.transition(ctx, s.store.q(tx), paymentID, StatusRiskReview, StatusProcessing, now,
			map[string]any{"reviewed_by": clipText(reviewer, 100), "review_note": clipText(note, 500)})
		return err
	})
	if err != nil {
		return Payment{}, problem.Internal.Wrap(err)
	}
	if !ok {
		return Payment{}, s.notInStatus(ctx, paymentID, StatusRiskReview)
	}
	return s.settle(ctx, paymentID)
}

// Reject ends a payment held for review without moving money (JR/T 0185-2020 10.2.3/4).
func (s *Service) Reject(ctx context.Context, paymentID, reviewer, reason string) (Payment, error) {
	if strings.TrimSpace(reviewer) == "" {
		return Payment{}, problem.ParameterInvalid.WithDetail("the reviewer is required")
	}
	return s.finish(ctx, paymentID, "", StatusRiskReview, StatusRejected, map[string]any{
		"reviewed_by": clipText(reviewer, 100), "review_note": clipText(reason, 500)})
}

// Cancel withdraws one of appID's payments that still awaits the payer's confirmation.
func (s *Service) Cancel(ctx context.Context, appID, paymentID string) (Payment, error) {
	return s.finish(ctx, paymentID, appID, StatusPendingConfirmation, StatusCancelled, map[string]any{})
}

// finish moves a payment from one status to a final one without money, with its
// notification, in one transaction. appID, when set, must own the payment.
func (s *Service) finish(ctx context.Context, paymentID, appID string, from, to Status, set map[string]any) (Payment, error) {
	now := s.clock.Now()
	set["finished_at"] = now.UnixNano()
	var p Payment
	err := s.store.tx(ctx, func(tx *sql.Tx) error {
		q := s.store.q(tx)
		var err error
		if p, err = getPayment(ctx, q, paymentID); err != nil {
			return err
		}
		if appID != "" && p.AppID != appID {
			return errNotFound
		}
		ok, err := s.transition(ctx, q, paymentID, from, to, now, set)
		if err != nil {
			return err
		}
		if !ok {
			return problem.StateConflict.WithDetail("the payment is %s, not %s", p.Status, from)
		}
		p, err = getPayment(ctx, q, paymentID)
		if err != nil {
			return err
		}
		return s.enqueue(ctx, q, p, now)
	})
	if errors.Is(err, errNotFound) {
		return Payment{}, problem.PaymentNotFound.WithDetail("no payment %q", clipText(paymentID, 40))
	}
	if err != nil {
		return Payment{}, problem.From(err)
	}
	return p, nil
}

func (s *Service) notInStatus(ctx context.Context, paymentID string, want Status) error {
	p, err := getPayment(ctx, s.store.DB, paymentID)
	if errors.Is(err, errNotFound) {
		return problem.PaymentNotFound.WithDetail("no payment %q", clipText(paymentID, 40))
	}
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	return problem.StateConflict.WithDetail("the payment is %s, not %s", p.Status, want)
}

// ForReview lists the payments held for review, oldest first (at most 500).
func (s *Service) ForReview(ctx context.Context) ([]Payment, error) {
	out, err := listByStatus(ctx, s.store.DB, StatusRiskReview, 500)
	if err != nil {
		return nil, problem.Internal.Wrap(err)
	}
	return out, nil
}

// ResumeProcessing finishes payments left in processing by an interrupted process
// (call it at start-up). It returns how many it settled.
func (s *Service) ResumeProcessing(ctx context.Context) (int, error) {
	n := 0
	for {
		ps, err := listByStatus(ctx, s.store.DB, StatusProcessing, 100)
		if err != nil {
			return n, problem.Internal.Wrap(err)
		}
		if len(ps) == 0 {
			return n, nil
		}
		for _, p := range ps {
			if _, err := s.settle(ctx, p.ID); err != nil {
				return n, err
			}
			n++
		}
	}
}

// failure marks a refusal that ends the payment as failed (as opposed to an internal
// error, which leaves it in processing for ResumeProcessing).
type failure struct{ e *problem.Error }

func (f failure) Error() string { return f.e.Error() }

// settle executes a payment in processing in a transaction of its own (Approve, and
// ResumeProcessing after a crash).
func (s *Service) settle(ctx context.Context, paymentID string) (Payment, error) {
	now := s.clock.Now()
	var p Payment
	err := s.store.tx(ctx, func(tx *sql.Tx) (err error) {
		p, err = s.settleTx(ctx, s.store.q(tx), paymentID, now, nil)
		return err
	})
	if errors.Is(err, errNotFound) {
		return Payment{}, problem.PaymentNotFound.WithDetail("no payment %q", clipText(paymentID, 40))
	}
	if err != nil {
		return Payment{}, problem.Internal.Wrap(err)
	}
	return p, nil
}

// settleTx executes a payment in processing, in tx: the ledger posting, the final status
// and the notification commit together, or nothing does (JR/T 0185-2020 6.2 A2). A
// business refusal (insufficient funds, a frozen account, a limit) undoes the attempt
// back to a savepoint and records the payment as failed, with its notification, instead;
// any other error is returned and the caller's transaction must roll back, leaving the
// payment in processing for ResumeProcessing.
func (s *Service) settleTx(ctx context.Context, tx querier, paymentID string, now time.Time, fresh *checked) (Payment, error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT settle`); err != nil {
		return Payment{}, err
	}
	p, err := s.execute(ctx, tx, paymentID, now, fresh)
	var f failure
	if errors.As(err, &f) {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT settle`); err != nil {
			return Payment{}, err
		}
		if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT settle`); err != nil {
			return Payment{}, err
		}
		return s.failTx(ctx, tx, paymentID, f.e, now)
	}
	if err != nil {
		return Payment{}, err
	}
	_, err = tx.ExecContext(ctx, `RELEASE SAVEPOINT settle`)
	return p, err
}

// checked is a payment that createTx recorded and checked — payer, payee and limits —
// earlier in the same transaction, with the payer as it loaded it.
type checked struct {
	p     Payment // as confirmTx confirmed it (set there)
	payer accountInfo
	app   *AppLimits // the App_ID's limits as checked
}

// execute posts a payment in processing and marks it succeeded; a refusal is a failure.
// fresh, when set, is the payment as recorded and checked earlier in this transaction:
// its accounts and limits are not checked again, since nothing can have changed them
// in between (and the creation-time limits count a superset of the statuses counted
// here), while ledger.Post still checks the accounts' status and funds.
func (s *Service) execute(ctx context.Context, tx querier, paymentID string, now time.Time, fresh *checked) (Payment, error) {
	var p Payment
	if fresh != nil {
		p = fresh.p
	} else {
		var err error
		if p, err = getPayment(ctx, tx, paymentID); err != nil {
			return p, err
		}
	}
	if p.Status != StatusProcessing {
		return p, nil // settled by someone else meanwhile
	}
	if f := s.magicFailure(p); f != nil {
		return p, failure{f}
	}
	if fresh == nil { // fresh: checked in this transaction, nothing to serialize against
		if err := lockAccount(ctx, tx, p.PayerAccount); err != nil {
			return p, err
		}
	}
	credit := ledger.ExternalClearingAccount
	if !p.PayeeExternal {
		credit = p.PayeeAccount
	}
	payer := accountInfo{}
	if fresh != nil {
		payer = fresh.payer
	} else {
		var err error
		if payer, err = s.recheck(ctx, tx, p); err != nil {
			return p, err
		}
	}
	payerName := payer.HolderName // the holder of the consenting customer's account
	if payer.CustomerID != p.CustomerID {
		var err error
		if payerName, err = customerName(ctx, tx, p.CustomerID); err != nil {
			return p, err
		}
	}
	memo := p.Memo
	if memo == "" {
		memo = "payment " + p.ID
	}
	postingID, err := ledger.Post(ctx, tx, ledger.Posting{Kind: ledger.KindPayment, Reference: "payment:" + p.ID, Memo: memo, At: now,
		Entries: []ledger.Entry{
			{Account: p.PayerAccount, AmountFen: -p.AmountFen, Currency: p.Currency, Counterparty: s.statementName(p.PayeeName)},
			{Account: credit, AmountFen: p.AmountFen, Currency: p.Currency, Counterparty: s.statementName(payerName)},
		}})
	if err != nil {
		var pe *problem.Error
		if errors.As(err, &pe) {
			return p, failure{pe}
		}
		return p, err
	}
	ok, err := s.transition(ctx, tx, p.ID, StatusProcessing, StatusSucceeded, now,
		map[string]any{"posting_id": postingID, "finished_at": now.UnixNano()})
	if err != nil {
		return p, err
	}
	if !ok {
		return p, errors.New("payment left processing during its own settlement")
	}
	p.Status, p.PostingID, p.UpdatedAt, p.FinishedAt = StatusSucceeded, postingID, now, now
	return p, s.enqueue(ctx, tx, p, now)
}

// recheck loads and checks, at execution, what creation checked: the payer's account
// (still there, active), the payee's (for an account of this bank: still there, active)
// and the limits, counting processing and succeeded payments.
func (s *Service) recheck(ctx context.Context, tx querier, p Payment) (accountInfo, error) {
	payer, found, err := loadAccount(ctx, tx, p.PayerAccount)
	if err != nil {
		return payer, err
	}
	if !found {
		return payer, failure{problem.AccountInactive.WithDetail("the debit account no longer exists")}
	}
	if err := activeErr(payer, "debit"); err != nil {
		return payer, failure{problem.From(err)}
	}
	if !p.PayeeExternal {
		payee, found, err := loadAccount(ctx, tx, p.PayeeAccount)
		if err != nil {
			return payer, err
		}
		if !found || payee.Status != "active" {
			return payer, failure{problem.PayeeAccountUnavailable.WithDetail("payee account %s cannot receive funds", pii.MaskCard(p.PayeeAccount))}
		}
	}
	if _, err := s.checkLimits(ctx, tx, p, payer, usageAtExecute); err != nil {
		return payer, failure{problem.From(err)}
	}
	return payer, nil
}

// failTx records a payment in processing as failed with e, and its notification.
func (s *Service) failTx(ctx context.Context, tx querier, paymentID string, e *problem.Error, now time.Time) (Payment, error) {
	ok, err := s.transition(ctx, tx, paymentID, StatusProcessing, StatusFailed, now, map[string]any{
		"failure_code": e.Code, "failure_detail": clipText(e.Detail, 300), "finished_at": now.UnixNano()})
	if err != nil {
		return Payment{}, err
	}
	p, err := getPayment(ctx, tx, paymentID)
	if err != nil || !ok {
		return p, err
	}
	return p, s.enqueue(ctx, tx, p, now)
}

// ValidExternalAccount reports whether s can be a card number at another bank: 13 to
// 19 ASCII digits with a valid Luhn (ISO/IEC 7812-1) check digit. No separators.
func ValidExternalAccount(s string) bool {
	if len(s) < 13 || len(s) > 19 {
		return false
	}
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// cleanText reports whether s is valid UTF-8 without control characters.
func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// clipText shortens s to at most n bytes on a rune boundary.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// statementName is how a person appears as the counterparty of a statement line: masked
// (JR/T 0185-2020 7.2.2/3b: 将…姓名向应用方进行反馈，应脱敏), since the transaction
// history is answered to partners; the payment itself keeps the name. The
// unmasked-counterparty mutant bank writes it in full.
func (s *Service) statementName(name string) string {
	if s.opts.Mutant.Is(mutant.UnmaskedCounterparty) {
		return name
	}
	return pii.MaskName(name)
}
