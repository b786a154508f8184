package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jr0185/harness/sandbox/internal/pii"
	"github.com/jr0185/harness/sandbox/internal/store"
)

// Querier is what both *sql.DB and *sql.Tx offer; Post takes a transaction, or a
// transaction with cached statements (store.Stmts.On).
type Querier = store.Querier

type account struct {
	No             string
	CustomerID     string
	Kind           string
	Currency       string
	Status         string
	CreditLimitFen int64
}

func (a account) internal() bool { return a.Kind == KindInternal }

func loadAccount(ctx context.Context, q Querier, no string) (account, error) {
	a := account{No: no}
	err := q.QueryRowContext(ctx, `SELECT customer_id, kind, currency, status, credit_limit_fen FROM accounts WHERE account_no = $1`, no).
		Scan(&a.CustomerID, &a.Kind, &a.Currency, &a.Status, &a.CreditLimitFen)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("%w: %s", ErrUnknownAccount, label(no))
	}
	return a, err
}

// applyEntry moves the materialized balance of e's account if the account holds e's
// currency and, for a customer account, is active and — for a debit — keeps its balance
// at or above -credit_limit_fen: check and update are one statement, so concurrent
// debits cannot both pass. ok is false when it was refused (or the account is unknown);
// internal says the account is a bank-internal one.
func applyEntry(ctx context.Context, tx Querier, e Entry) (after int64, internal, ok bool, err error) {
	var kind string
	err = tx.QueryRowContext(ctx, `UPDATE accounts SET balance_fen = balance_fen + $1
		WHERE account_no = $2 AND currency = $3
		AND (kind = $4 OR (status = 'active' AND ($1 >= 0 OR balance_fen + $1 >= -credit_limit_fen)))
		RETURNING balance_fen, kind`, e.AmountFen, e.Account, e.Currency, KindInternal).Scan(&after, &kind)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, false, nil
	}
	return after, kind == KindInternal, err == nil, err
}

// insertPosting adds p unless a posting with its (non-empty) reference exists:
// inserted is false then.
func insertPosting(ctx context.Context, tx Querier, p Posting) (inserted bool, err error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO postings (posting_id, kind, reference, memo, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`, p.ID, p.Kind, p.Reference, p.Memo, p.At.UnixNano())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// entryRow is an applied entry: its id and sequence in the posting and the balance it
// left; history is set for a customer account (whose statement shows it).
type entryRow struct {
	id      string
	seq     int
	e       Entry
	after   int64
	history bool
}

// insertEntries writes the posting's entries, and the customer accounts' history, with
// one statement each.
func insertEntries(ctx context.Context, tx Querier, postingID string, rows []entryRow, at int64) error {
	var entries, history strings.Builder
	var eArgs, hArgs []any
	for _, r := range rows {
		if len(eArgs) > 0 {
			entries.WriteString(", ")
		}
		n := len(eArgs)
		fmt.Fprintf(&entries, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7)
		eArgs = append(eArgs, r.id, postingID, r.seq, r.e.Account, r.e.AmountFen, r.e.Currency, at)
		if !r.history {
			continue
		}
		if len(hArgs) > 0 {
			history.WriteString(", ")
		}
		n = len(hArgs)
		fmt.Fprintf(&history, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8)
		hArgs = append(hArgs, r.id, r.e.Account, at, r.e.AmountFen, r.e.Currency, r.e.Counterparty, r.e.Memo, r.after)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_entries (entry_id, posting_id, seq, account_no, amount_fen, currency, created_at)
		VALUES `+entries.String(), eArgs...); err != nil {
		return err
	}
	if len(hArgs) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO account_transactions (txn_id, account_no, at, amount_fen, currency, counterparty, memo, balance_after_fen)
		VALUES `+history.String(), hArgs...)
	return err
}

// EnsureInternalAccounts creates any missing bank-internal account (migration 0003
// creates them; a reset that empties accounts may not).
func EnsureInternalAccounts(ctx context.Context, tx *sql.Tx) error {
	for _, no := range InternalAccounts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (account_no, customer_id, kind, currency, balance_fen, status,
			daily_limit_fen, per_txn_limit_fen, credit_limit_fen, opened_at) VALUES ($1, $2, $3, $4, 0, 'active', 0, 0, 0, 0)
			ON CONFLICT (account_no) DO NOTHING`, no, BankCustomerID, KindInternal, CurrencyCNY); err != nil {
			return fmt.Errorf("ensure %s: %w", no, err)
		}
	}
	return nil
}

// InitOpeningBalances brings every account's pre-ledger balance into the ledger, once:
// for each customer account whose balance_fen differs from the sum of its entries and
// which has no opening posting yet, it posts the difference as an opening posting
// (reference "opening:<account>") against BANK-EQUITY. The customer balance is already
// materialized and is left as is; BANK-EQUITY's balance moves by minus the difference.
// It is idempotent and safe to call at every start, after seeding.
func InitOpeningBalances(ctx context.Context, db *sql.DB, now time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := OpenBalancesTx(ctx, tx, now); err != nil {
		return err
	}
	return tx.Commit()
}

// OpenBalancesTx is InitOpeningBalances inside the caller's transaction (the sandbox's
// reset reloads the seed and opens its balances in one transaction).
func OpenBalancesTx(ctx context.Context, tx *sql.Tx, now time.Time) error {
	if err := EnsureInternalAccounts(ctx, tx); err != nil {
		return err
	}
	type gap struct {
		no, currency string
		diff         int64
	}
	rows, err := tx.QueryContext(ctx, `SELECT a.account_no, a.currency, a.balance_fen - COALESCE(SUM(e.amount_fen), 0)
		FROM accounts a LEFT JOIN ledger_entries e ON e.account_no = a.account_no
		WHERE a.kind <> $1 GROUP BY a.account_no, a.currency, a.balance_fen
		HAVING a.balance_fen <> COALESCE(SUM(e.amount_fen), 0) ORDER BY a.account_no`, KindInternal)
	if err != nil {
		return err
	}
	var gaps []gap
	for rows.Next() {
		var g gap
		if err := rows.Scan(&g.no, &g.currency, &g.diff); err != nil {
			_ = rows.Close()
			return err
		}
		gaps = append(gaps, g)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	at := now.UnixNano()
	for _, g := range gaps {
		if g.currency != CurrencyCNY {
			return fmt.Errorf("opening balance of %s: currency %s has no equity account", label(g.no), g.currency)
		}
		p := Posting{ID: NewID("PST"), Kind: KindOpening, Reference: "opening:" + g.no, Memo: "opening balance", At: now}
		if inserted, err := insertPosting(ctx, tx, p); err != nil {
			return err
		} else if !inserted {
			continue // already opened: a remaining difference is a violation CheckInvariants reports
		}
		if err := insertEntries(ctx, tx, p.ID, []entryRow{
			{id: p.ID + "-1", seq: 1, e: Entry{Account: g.no, AmountFen: g.diff, Currency: g.currency}},
			{id: p.ID + "-2", seq: 2, e: Entry{Account: EquityAccount, AmountFen: -g.diff, Currency: g.currency}},
		}, at); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET balance_fen = balance_fen - $1 WHERE account_no = $2`, g.diff, EquityAccount); err != nil {
			return err
		}
	}
	return nil
}

// InvariantError lists every violated ledger invariant.
type InvariantError struct{ Violations []string }

func (e *InvariantError) Error() string {
	return "ledger invariants violated: " + strings.Join(e.Violations, "; ")
}

// CheckInvariants verifies, on one consistent view of the database, that
//
//   - every posting has at least two entries and its entries sum to zero;
//   - every entry belongs to a posting and to an existing account in its currency;
//   - every account's balance_fen equals the sum of its entries (opening posting
//     included: call InitOpeningBalances first);
//   - no customer account is below -credit_limit_fen (no unauthorized negative balance);
//   - the balances of all accounts, customer and internal, sum to zero per currency
//     (so the total is constant: money is only moved, never made).
//
// It returns nil or an *InvariantError naming each violation (at most 20 per kind).
// Account numbers in it are masked.
func CheckInvariants(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	var v []string
	checks := []struct {
		query  string
		args   []any
		render func(r *sql.Rows) (string, error)
	}{
		{`SELECT posting_id, SUM(amount_fen) FROM ledger_entries GROUP BY posting_id HAVING SUM(amount_fen) <> 0 ORDER BY posting_id LIMIT 20`, nil,
			func(r *sql.Rows) (string, error) {
				var id string
				var sum int64
				err := r.Scan(&id, &sum)
				return fmt.Sprintf("posting %s is unbalanced: entries sum to %d fen", id, sum), err
			}},
		{`SELECT p.posting_id, COUNT(e.entry_id) FROM postings p LEFT JOIN ledger_entries e ON e.posting_id = p.posting_id
			GROUP BY p.posting_id HAVING COUNT(e.entry_id) < 2 ORDER BY p.posting_id LIMIT 20`, nil,
			func(r *sql.Rows) (string, error) {
				var id string
				var n int
				err := r.Scan(&id, &n)
				return fmt.Sprintf("posting %s has %d entries (double entry needs at least 2)", id, n), err
			}},
		{`SELECT e.entry_id FROM ledger_entries e LEFT JOIN postings p ON p.posting_id = e.posting_id
			WHERE p.posting_id IS NULL ORDER BY e.entry_id LIMIT 20`, nil,
			func(r *sql.Rows) (string, error) {
				var id string
				err := r.Scan(&id)
				return fmt.Sprintf("entry %s belongs to no posting", id), err
			}},
		{`SELECT e.entry_id, e.account_no, e.currency, COALESCE(a.currency, '') FROM ledger_entries e LEFT JOIN accounts a ON a.account_no = e.account_no
			WHERE a.account_no IS NULL OR a.currency <> e.currency ORDER BY e.entry_id LIMIT 20`, nil,
			func(r *sql.Rows) (string, error) {
				var id, no, cur, acur string
				err := r.Scan(&id, &no, &cur, &acur)
				if acur == "" {
					return fmt.Sprintf("entry %s is on unknown account %s", id, label(no)), err
				}
				return fmt.Sprintf("entry %s is in %s but account %s holds %s", id, cur, label(no), acur), err
			}},
		{`SELECT a.account_no, a.balance_fen, COALESCE(SUM(e.amount_fen), 0) FROM accounts a LEFT JOIN ledger_entries e ON e.account_no = a.account_no
			GROUP BY a.account_no, a.balance_fen HAVING a.balance_fen <> COALESCE(SUM(e.amount_fen), 0) ORDER BY a.account_no LIMIT 20`, nil,
			func(r *sql.Rows) (string, error) {
				var no string
				var bal, sum int64
				err := r.Scan(&no, &bal, &sum)
				return fmt.Sprintf("account %s has balance_fen %d but its entries (opening included) sum to %d", label(no), bal, sum), err
			}},
		{`SELECT account_no, balance_fen, credit_limit_fen FROM accounts WHERE kind <> $1 AND balance_fen < -credit_limit_fen ORDER BY account_no LIMIT 20`,
			[]any{KindInternal},
			func(r *sql.Rows) (string, error) {
				var no string
				var bal, limit int64
				err := r.Scan(&no, &bal, &limit)
				return fmt.Sprintf("account %s has unauthorized negative balance %d fen (authorized down to %d)", label(no), bal, -limit), err
			}},
		{`SELECT currency, SUM(balance_fen) FROM accounts GROUP BY currency HAVING SUM(balance_fen) <> 0 ORDER BY currency`, nil,
			func(r *sql.Rows) (string, error) {
				var cur string
				var sum int64
				err := r.Scan(&cur, &sum)
				return fmt.Sprintf("%s balances of all accounts sum to %d fen, not 0: money was created or destroyed", cur, sum), err
			}},
	}
	for _, c := range checks {
		rows, err := tx.QueryContext(ctx, c.query, c.args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			s, err := c.render(rows)
			if err != nil {
				_ = rows.Close()
				return err
			}
			v = append(v, s)
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	if len(v) > 0 {
		return &InvariantError{Violations: v}
	}
	return nil
}

// Balance returns an account's materialized balance.
func Balance(ctx context.Context, db *sql.DB, accountNo string) (int64, error) {
	var b int64
	err := db.QueryRowContext(ctx, `SELECT balance_fen FROM accounts WHERE account_no = $1`, accountNo).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w: %s", ErrUnknownAccount, label(accountNo))
	}
	return b, err
}

// label renders an account number for errors and logs: internal accounts by name,
// customer accounts masked (no full card number in a log line).
func label(no string) string {
	if IsInternal(no) {
		return no
	}
	return pii.MaskCard(no)
}
