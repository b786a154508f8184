package ledger_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/ledger"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/seed"
	"github.com/jr0185/harness/sandbox/internal/store"
)

var now = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

const creditCard = "6222520000000000001" // a credit account added by the tests

func setup(t *testing.T) (*sql.DB, fakedata.Dataset) {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "bank.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	size := fakedata.Size{Customers: 5, Products: 1}
	if _, err := seed.IfEmpty(ctx, db, 3, size); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO accounts (account_no, customer_id, kind, currency, balance_fen, status, daily_limit_fen,
		per_txn_limit_fen, credit_limit_fen, opened_at) VALUES ($1, 'CUST000001', 'credit', 'CNY', 0, 'active', 0, 0, 100000, 0)`, creditCard); err != nil {
		t.Fatal(err)
	}
	if err := ledger.InitOpeningBalances(ctx, db.DB, now); err != nil {
		t.Fatal(err)
	}
	return db.DB, fakedata.Generate(3, size)
}

func account(t *testing.T, ds fakedata.Dataset, user string) string {
	t.Helper()
	c, ok := ds.Customer(user)
	if !ok {
		t.Fatalf("no %s", user)
	}
	return c.Accounts[0].Number
}

func count(t *testing.T, db *sql.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpeningBalancesAreIdempotentAndBalanced(t *testing.T) {
	t.Parallel()
	db, ds := setup(t)
	ctx := context.Background()
	if err := ledger.CheckInvariants(ctx, db); err != nil {
		t.Fatal(err)
	}
	postings := count(t, db, `SELECT COUNT(*) FROM postings`)
	var customers int64
	for _, c := range ds.Customers {
		for _, a := range c.Accounts {
			customers += a.BalanceFen
		}
	}
	if err := ledger.InitOpeningBalances(ctx, db, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if again := count(t, db, `SELECT COUNT(*) FROM postings`); again != postings {
		t.Fatalf("second InitOpeningBalances added %d postings", again-postings)
	}
	if eq, _ := ledger.Balance(ctx, db, ledger.EquityAccount); eq != -customers {
		t.Fatalf("equity = %d, want %d (minus the seeded balances)", eq, -customers)
	}
	if total := count(t, db, `SELECT SUM(balance_fen) FROM accounts`); total != 0 {
		t.Fatalf("total = %d", total)
	}
}

func TestPost(t *testing.T) {
	t.Parallel()
	db, ds := setup(t)
	zhang, lisi, wang := account(t, ds, "zhangsan"), account(t, ds, "lisi"), account(t, ds, "wangwu")
	lisiBal := ds.Customers[1].Accounts[0].BalanceFen
	e := func(acct string, fen int64) ledger.Entry {
		return ledger.Entry{Account: acct, AmountFen: fen, Currency: "CNY", Counterparty: "test"}
	}
	tests := []struct {
		name    string
		entries []ledger.Entry
		ref     string
		want    error // nil: posted
	}{
		{"posted/in-bank transfer", []ledger.Entry{e(zhang, -100), e(lisi, 100)}, "t1", nil},
		{"posted/debit to exactly zero", []ledger.Entry{e(lisi, -(lisiBal + 101)), e(ledger.SuspenseAccount, lisiBal+101)}, "", nil}, // after "dup" and t1
		{"refused/debit one fen below zero", []ledger.Entry{e(lisi, -1), e(ledger.SuspenseAccount, 1)}, "", problem.InsufficientFunds},
		{"posted/credit account within its limit", []ledger.Entry{e(creditCard, -100000), e(ledger.ExternalClearingAccount, 100000)}, "", nil},
		{"posted/internal account goes negative", []ledger.Entry{e(ledger.SuspenseAccount, -5), e(zhang, 5)}, "", nil},
		{"posted/three legs", []ledger.Entry{e(zhang, -300), e(ledger.SuspenseAccount, 100), e(ledger.ExternalClearingAccount, 200)}, "", nil},
		{"refused/unbalanced", []ledger.Entry{e(zhang, -100), e(lisi, 99)}, "", ledger.ErrUnbalanced},
		{"refused/one entry", []ledger.Entry{e(zhang, 0)}, "", ledger.ErrMalformed},
		{"refused/zero amount", []ledger.Entry{e(zhang, 0), e(lisi, 0)}, "", ledger.ErrMalformed},
		{"refused/unknown account", []ledger.Entry{e(zhang, -1), e("6222000000000000004", 1)}, "", ledger.ErrUnknownAccount},
		{"refused/currency mismatch", []ledger.Entry{{Account: zhang, AmountFen: -1, Currency: "USD"}, {Account: lisi, AmountFen: 1, Currency: "USD"}}, "", ledger.ErrCurrencyMismatch},
		{"refused/insufficient funds", []ledger.Entry{e(zhang, -1_000_000_000_00), e(lisi, 1_000_000_000_00)}, "", problem.InsufficientFunds},
		{"refused/beyond the credit limit", []ledger.Entry{e(creditCard, -100001), e(ledger.SuspenseAccount, 100001)}, "", problem.InsufficientFunds},
		{"refused/frozen payer", []ledger.Entry{e(wang, -1), e(zhang, 1)}, "", problem.AccountFrozen},
		{"refused/frozen payee", []ledger.Entry{e(zhang, -1), e(wang, 1)}, "", problem.AccountFrozen},
		{"refused/duplicate reference", []ledger.Entry{e(zhang, -1), e(lisi, 1)}, "dup", ledger.ErrDuplicate},
	}
	ctx := context.Background()
	// The duplicate case needs a first posting with its reference.
	if err := post(ctx, db, []ledger.Entry{e(zhang, -1), e(lisi, 1)}, "dup"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		// Sequential: the cases share balances (credit account, lisi's zero).
		before := count(t, db, `SELECT COUNT(*) FROM ledger_entries`)
		err := post(ctx, db, tc.entries, tc.ref)
		if tc.want == nil && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
		after := count(t, db, `SELECT COUNT(*) FROM ledger_entries`)
		if tc.want != nil && after != before {
			t.Errorf("%s: a refused posting left %d entries", tc.name, after-before)
		}
		if err := ledger.CheckInvariants(ctx, db); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	if b, _ := ledger.Balance(ctx, db, lisi); b != 0 {
		t.Errorf("lisi = %d, want 0", b)
	}
	if b, _ := ledger.Balance(ctx, db, creditCard); b != -100000 {
		t.Errorf("credit account = %d", b)
	}
	// History: the transfer shows on both customer accounts, with the balance after it.
	var after int64
	if err := db.QueryRow(`SELECT t.balance_after_fen FROM account_transactions t JOIN ledger_entries e ON e.entry_id = t.txn_id
		JOIN postings p ON p.posting_id = e.posting_id WHERE p.reference = 't1' AND t.account_no = $1`, lisi).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if want := lisiBal + 1 + 100; after != want { // the "dup" posting, then t1
		t.Errorf("lisi's history balance after = %d, want %d", after, want)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM account_transactions WHERE account_no LIKE 'BANK-%'`); n != 0 {
		t.Errorf("%d history rows on internal accounts", n)
	}
}

func post(ctx context.Context, db *sql.DB, entries []ledger.Entry, ref string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := ledger.Post(ctx, tx, ledger.Posting{Kind: ledger.KindAdjustment, Reference: ref, At: now, Entries: entries}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func TestCheckInvariantsNamesTheViolation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tamper string
		want   []string
	}{
		{"balance drifted from its entries", `UPDATE accounts SET balance_fen = balance_fen + 1 WHERE account_no = 'BANK-SUSPENSE'`,
			[]string{"account BANK-SUSPENSE has balance_fen 1 but its entries", "sum to 1 fen, not 0"}},
		{"unbalanced posting", `UPDATE ledger_entries SET amount_fen = amount_fen + 7 WHERE seq = 1 AND posting_id = (SELECT MIN(posting_id) FROM postings)`,
			[]string{"is unbalanced: entries sum to 7 fen"}},
		{"unauthorized negative balance", `UPDATE accounts SET balance_fen = -5, credit_limit_fen = 0 WHERE account_no = '` + creditCard + `'`,
			[]string{"unauthorized negative balance -5 fen", "balances of all accounts sum to -5 fen"}},
		{"entry without posting", `INSERT INTO ledger_entries VALUES ('X-1', 'X', 1, 'BANK-SUSPENSE', 0, 'CNY', 0)`,
			[]string{"entry X-1 belongs to no posting"}},
		{"posting without entries", `INSERT INTO postings VALUES ('Y', 'adjustment', '', '', 0)`,
			[]string{"posting Y has 0 entries"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, _ := setup(t)
			if _, err := db.Exec(tc.tamper); err != nil {
				t.Fatal(err)
			}
			err := ledger.CheckInvariants(context.Background(), db)
			var ie *ledger.InvariantError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an InvariantError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestCheckInvariantsMasksAccountNumbers(t *testing.T) {
	t.Parallel()
	db, ds := setup(t)
	zhang := account(t, ds, "zhangsan")
	if _, err := db.Exec(`UPDATE accounts SET balance_fen = balance_fen + 1 WHERE account_no = $1`, zhang); err != nil {
		t.Fatal(err)
	}
	err := ledger.CheckInvariants(context.Background(), db)
	if err == nil || strings.Contains(err.Error(), zhang) || !strings.Contains(err.Error(), zhang[:4]+" **** **** "+zhang[len(zhang)-4:]) {
		t.Fatalf("err = %v: want the account masked", err)
	}
}

// Identifiers made later sort later (locality in the indexes keyed by them) and keep
// their shape: the prefix and 20 characters of the unambiguous alphabet.
func TestNewIDSortsByTimeAndKeepsItsShape(t *testing.T) {
	t.Parallel()
	shape := regexp.MustCompile(`^PAY[A-HJ-NP-Z2-9]{20}$`)
	prev := ledger.NewID("PAY")
	for i := 0; i < 40; i++ { // crosses many digit-to-letter boundaries of the time part
		time.Sleep(time.Millisecond)
		id := ledger.NewID("PAY")
		if !shape.MatchString(id) {
			t.Fatalf("%q does not have the shape of an identifier", id)
		}
		if id <= prev {
			t.Fatalf("%q made after %q sorts before it", id, prev)
		}
		prev = id
	}
	seen := map[string]bool{}
	for i := 0; i < 10000; i++ { // same millisecond: the random part keeps them apart
		id := ledger.NewID("PST")
		if seen[id] {
			t.Fatalf("duplicate identifier %q", id)
		}
		seen[id] = true
	}
}
