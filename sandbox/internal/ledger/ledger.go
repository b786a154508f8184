// Package ledger is the bank's double-entry ledger (JR/T 0185-2020 6.2 A2: 资金交易).
// Money is integer fen; floating point never touches it.
//
// Every movement of money is a Posting: entries with signed amounts (negative debits an
// account, positive credits it) that sum to zero. accounts.balance_fen stays the
// materialized balance and is updated in the same transaction as the entries, and each
// entry on a customer account also appends a row to account_transactions, so the
// account history shows it.
//
// # Opening balances
//
// The seeded accounts exist before the ledger does. InitOpeningBalances (idempotent)
// represents each account's pre-ledger balance as one "opening" posting against
// BANK-EQUITY, so that afterwards, for every account,
//
//	balance_fen == sum of its ledger entries
//
// and the sum over all accounts (customer and internal) is zero, BANK-EQUITY holding
// minus the opening balances. CheckInvariants verifies this and the other rules.
//
// # Bank-internal accounts
//
// Internal accounts (kind "internal", customer "BANK") are created by migration 0003 and,
// should they be missing, by InitOpeningBalances. They may go negative.
//
//	BANK-EQUITY             minus the opening balances of all customer accounts
//	BANK-EXTERNAL-CLEARING  payments to payees outside the bank, awaiting clearing
//	BANK-SUSPENSE           money awaiting investigation
//
// # Balance rules
//
// A debit may take a customer account down to -credit_limit_fen (0 for a debit card:
// never negative; a credit card down to its authorized limit), never further; the check
// and the update are one conditional UPDATE, so they hold under concurrency on SQLite
// and PostgreSQL alike. Customer accounts must be active to be debited or credited.
package ledger

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jr0185/harness/sandbox/internal/money"
	"github.com/jr0185/harness/sandbox/internal/pii"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Bank-internal accounts.
const (
	EquityAccount           = "BANK-EQUITY"
	ExternalClearingAccount = "BANK-EXTERNAL-CLEARING"
	SuspenseAccount         = "BANK-SUSPENSE"

	// BankCustomerID owns the internal accounts; KindInternal is their kind.
	BankCustomerID = "BANK"
	KindInternal   = "internal"

	// CurrencyCNY is the only currency the sandbox holds.
	CurrencyCNY = "CNY"
)

// InternalAccounts lists the bank-internal accounts.
var InternalAccounts = []string{EquityAccount, ExternalClearingAccount, SuspenseAccount}

// Posting kinds.
const (
	KindOpening    = "opening"
	KindPayment    = "payment"
	KindAdjustment = "adjustment"
)

// MaxEntries bounds the entries of one posting.
const MaxEntries = 64

// Entry is one leg of a posting. Counterparty and Memo go to the account history of a
// customer account.
type Entry struct {
	Account      string
	AmountFen    int64 // signed: negative debits the account
	Currency     string
	Counterparty string
	Memo         string
}

// Posting is a balanced set of entries.
type Posting struct {
	ID        string // assigned by Post when empty
	Kind      string
	Reference string // business key that may post at most once; "" for none
	Memo      string
	At        time.Time
	Entries   []Entry
}

// Programming errors: a caller built a posting that can never be valid. They are not
// catalogued (the HTTP layer renders them as INTERNAL_ERROR).
var (
	ErrUnbalanced       = errors.New("ledger: posting entries do not sum to zero")
	ErrMalformed        = errors.New("ledger: malformed posting")
	ErrUnknownAccount   = errors.New("ledger: unknown account")
	ErrCurrencyMismatch = errors.New("ledger: entry currency differs from the account's")
	ErrDuplicate        = errors.New("ledger: a posting with this reference already exists")
)

// Post records p in tx: it checks the posting, moves the materialized balances, writes
// the entries and appends customer account history. It returns the posting id. On any
// error the caller must roll tx back: some statements may have run.
//
// Refusals a customer can cause are catalogued: problem.InsufficientFunds when a debit
// would take a customer account below -credit_limit_fen, problem.AccountFrozen for a
// frozen customer account, problem.AccountInactive for any other inactive one.
func Post(ctx context.Context, tx Querier, p Posting) (string, error) {
	if err := validate(p); err != nil {
		return "", err
	}
	if p.ID == "" {
		p.ID = NewID("PST")
	}
	if p.At.IsZero() {
		return "", fmt.Errorf("%w: posting time missing", ErrMalformed)
	}
	// The posting first: the partial unique index on reference refuses a second posting
	// of one business key (the insert then adds no row).
	if inserted, err := insertPosting(ctx, tx, p); err != nil {
		return "", err
	} else if !inserted {
		return "", fmt.Errorf("%w: %s", ErrDuplicate, p.Reference)
	}
	// Lock rows in account order so concurrent postings cannot deadlock (PostgreSQL).
	order := make([]int, len(p.Entries))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p.Entries[order[a]].Account < p.Entries[order[b]].Account })
	at := p.At.UnixNano()
	entries := make([]entryRow, 0, len(p.Entries))
	for _, i := range order {
		e := p.Entries[i]
		// One statement checks the account (currency, status, funds) and moves its
		// balance; only when it refuses is the account read, to say why.
		after, internal, ok, err := applyEntry(ctx, tx, e)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", refusal(ctx, tx, e)
		}
		row := entryRow{id: p.ID + "-" + strconv.Itoa(i+1), seq: i + 1, e: e, after: after, history: !internal}
		if row.e.Memo == "" {
			row.e.Memo = p.Memo
		}
		entries = append(entries, row)
	}
	if err := insertEntries(ctx, tx, p.ID, entries, at); err != nil {
		return "", err
	}
	return p.ID, nil
}

// refusal says why applyEntry refused e: the account is unknown, holds another
// currency, is frozen or otherwise inactive, or lacks the funds.
func refusal(ctx context.Context, tx Querier, e Entry) error {
	acct, err := loadAccount(ctx, tx, e.Account)
	if err != nil {
		return err
	}
	if acct.Currency != e.Currency {
		return fmt.Errorf("%w: %s holds %s, entry is %s", ErrCurrencyMismatch, e.Account, acct.Currency, e.Currency)
	}
	if !acct.internal() {
		switch acct.Status {
		case "active":
		case "frozen":
			return problem.AccountFrozen.WithDetail("account %s is frozen", pii.MaskCard(e.Account))
		default:
			return problem.AccountInactive.WithDetail("account %s is %s", pii.MaskCard(e.Account), clip(acct.Status))
		}
	}
	return problem.InsufficientFunds.WithDetail("account %s cannot be debited %s", pii.MaskCard(e.Account), money.Format(-e.AmountFen))
}

func validate(p Posting) error {
	if p.Kind == "" || len(p.Entries) < 2 || len(p.Entries) > MaxEntries {
		return fmt.Errorf("%w: a posting needs a kind and 2 to %d entries", ErrMalformed, MaxEntries)
	}
	var sum int64
	for i, e := range p.Entries {
		if e.Account == "" || e.Currency == "" {
			return fmt.Errorf("%w: entry %d needs an account and a currency", ErrMalformed, i+1)
		}
		if e.AmountFen == 0 || e.AmountFen > money.MaxFen || e.AmountFen < -money.MaxFen {
			return fmt.Errorf("%w: entry %d amount %d fen is zero or out of range", ErrMalformed, i+1, e.AmountFen)
		}
		if e.Currency != p.Entries[0].Currency {
			return fmt.Errorf("%w: entries in several currencies", ErrMalformed)
		}
		sum += e.AmountFen // |sum| <= MaxEntries*MaxFen: no overflow
	}
	if sum != 0 {
		return fmt.Errorf("%w (off by %d fen)", ErrUnbalanced, sum)
	}
	return nil
}

// NewID returns prefix followed by 20 characters from an unambiguous alphabet: 9 for
// the time in milliseconds, then 11 random ones (55 bits). Identifiers made later sort
// later, so the rows of one group commit share the last page of each index keyed by
// them instead of dirtying one page each (every page a commit changes is a frame, two
// writes, in the write-ahead log). They name records, never secrets.
func NewID(prefix string) string {
	const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ" // in byte order: the time part sorts
	var b [11]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, 0, len(prefix)+20)
	out = append(out, prefix...)
	ms := uint64(time.Now().UnixMilli())
	for i := 8; i >= 0; i-- {
		out = append(out, alphabet[(ms>>(5*uint(i)))&31])
	}
	for _, x := range b {
		out = append(out, alphabet[int(x)%len(alphabet)])
	}
	return string(out)
}

// IsInternal reports whether accountNo names a bank-internal account.
func IsInternal(accountNo string) bool { return strings.HasPrefix(accountNo, "BANK-") }

func clip(s string) string {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}
