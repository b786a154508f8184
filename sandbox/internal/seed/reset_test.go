package seed_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/accounts"
	"github.com/jr0185/harness/sandbox/internal/ledger"
	"github.com/jr0185/harness/sandbox/internal/seed"
	"github.com/jr0185/harness/sandbox/internal/store"
)

var now = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// firstStart seeds a database the way the bank does at first start.
func firstStart(t *testing.T, spec seed.Spec) (*store.DB, accounts.IDs) {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "bank.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := seed.IfEmpty(ctx, db, spec.Seed, spec.Size); err != nil {
		t.Fatal(err)
	}
	ids, err := seed.AccountIDs(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := seed.Holdings(ctx, db, spec.Seed); err != nil {
		t.Fatal(err)
	}
	if err := ledger.InitOpeningBalances(ctx, db.DB, now); err != nil {
		t.Fatal(err)
	}
	return db, ids
}

// rows dumps a query's rows as strings.
func rows(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	r, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cols, _ := r.Columns()
	var out []string
	for r.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	return out
}

func exec(t *testing.T, db *store.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func one(t *testing.T, db *store.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// seeded is what a reset must restore: the data set and the ledger's view of it.
const (
	qAccounts = `SELECT account_no, account_id, customer_id, kind, balance_fen, status, daily_limit_fen, per_txn_limit_fen, credit_limit_fen, opened_at FROM accounts ORDER BY account_no`
	qHistory  = `SELECT txn_id, account_no, at, amount_fen, memo, balance_after_fen FROM account_transactions WHERE memo <> 'opening balance' ORDER BY txn_id`
	qHoldings = `SELECT * FROM product_holdings ORDER BY holding_id`
	qProducts = `SELECT * FROM products ORDER BY code`
	qUsers    = `SELECT customer_id, username, name, resident_id, mobile FROM customers ORDER BY customer_id`
)

func TestResetRestoresTheSeedAndKeepsAppsNoncesAndMeta(t *testing.T) {
	ctx := context.Background()
	spec := seed.Spec{Seed: 7, Size: fakedata.Size{Customers: 6, Products: 8}}
	db, ids := firstStart(t, spec)
	before := map[string][]string{}
	for _, q := range []string{qAccounts, qHistory, qHoldings, qProducts, qUsers} {
		before[q] = rows(t, db.DB, q)
	}
	seededTotal := one(t, db, `SELECT SUM(balance_fen) FROM accounts WHERE kind <> 'internal'`)

	// Business happens: a payment moves money; a consent, a token, a login session and
	// an idempotency record exist; an app with a credential and a nonce exist.
	ds := fakedata.Generate(spec.Seed, spec.Size)
	zhang, _ := ds.Customer("zhangsan")
	lisi, _ := ds.Customer("lisi")
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := ledger.Post(ctx, tx, ledger.Posting{Kind: ledger.KindPayment, Reference: "payment:P1", At: now, Entries: []ledger.Entry{
			{Account: zhang.Accounts[0].Number, AmountFen: -12_345, Currency: "CNY"},
			{Account: lisi.Accounts[0].Number, AmountFen: 12_345, Currency: "CNY"}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	exec(t, db, `INSERT INTO apps (app_id, name, level, status, scopes, rate_rps, rate_burst, max_concurrent, created_at, updated_at)
		VALUES ('APP1', 'Kept', 'A2', 'active', 'accounts:read', 1, 1, 1, 0, 0)`)
	exec(t, db, `INSERT INTO app_credentials (app_id, serial, kind, material, not_before, not_after, status, created_at)
		VALUES ('APP1', 'S1', 'secret', 'k', 0, 1, 'active', 0)`)
	exec(t, db, `INSERT INTO nonces (app_id, nonce, expires_at) VALUES ('APP1', 'n1', 99)`)
	exec(t, db, `INSERT INTO consents (consent_id, request_id, customer_id, app_id, kind, scopes, status, created_at, expires_at)
		VALUES ('C1', 'R1', 'CUST000001', 'APP1', 'account_info', 'accounts:read', 'active', 0, 99)`)
	exec(t, db, `INSERT INTO oauth_tokens (token_hash, kind, consent_id, app_id, cert_fingerprint, created_at, expires_at)
		VALUES ('T1', 'access', 'C1', 'APP1', '', 0, 99)`)
	exec(t, db, `INSERT INTO login_sessions (session_hash, customer_id, username, stage, created_at, last_seen_at, expires_at)
		VALUES ('H1', 'CUST000001', 'zhangsan', 'active', 0, 0, 99)`)
	exec(t, db, `INSERT INTO idempotency_keys (app_id, idem_key, request_hash, state, owner, lease_until, created_at, updated_at)
		VALUES ('APP1', 'K1', 'h', 'done', 'o', 0, 0, 0)`)
	secret, _, _ := db.GetMeta(ctx, "account_id_secret")

	res, err := seed.Reset(ctx, db, spec, ids, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for q, want := range before {
		if got := rows(t, db.DB, q); !reflect.DeepEqual(got, want) {
			t.Errorf("after the reset, %s differs from the seed:\n got %v\nwant %v", q, got, want)
		}
	}
	if err := ledger.CheckInvariants(ctx, db.DB); err != nil {
		t.Errorf("ledger invariants after the reset: %v", err)
	}
	if total := one(t, db, `SELECT SUM(balance_fen) FROM accounts WHERE kind <> 'internal'`); total != seededTotal || res.CustomerBalance != seededTotal {
		t.Errorf("customer balances total %d (reported %d), want the seeded %d", total, res.CustomerBalance, seededTotal)
	}
	for table, want := range map[string]int64{"consents": 0, "oauth_tokens": 0, "login_sessions": 0, "idempotency_keys": 0,
		"apps": 1, "app_credentials": 1, "nonces": 1} {
		if n := one(t, db, `SELECT COUNT(*) FROM `+table); n != want {
			t.Errorf("%s has %d rows after the reset, want %d", table, n, want)
		}
	}
	if s, _, _ := db.GetMeta(ctx, "account_id_secret"); s != secret {
		t.Error("the reset changed the account-id secret: partners' account ids would change")
	}
	if res.Customers != 6 || res.Products != 8 || res.Spec != spec {
		t.Errorf("result %+v", res)
	}
}

func TestReseedLoadsAnotherDataSetWithTheTestUsers(t *testing.T) {
	ctx := context.Background()
	db, ids := firstStart(t, seed.Spec{Seed: 7, Size: fakedata.Size{Customers: 6, Products: 8}})
	oldAccounts := rows(t, db.DB, qAccounts)
	to := seed.Spec{Seed: 99, Size: fakedata.Size{Customers: 12, Products: 5}}
	if _, err := seed.Reset(ctx, db, to, ids, now); err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(rows(t, db.DB, qAccounts), oldAccounts) {
		t.Error("another seed left the accounts as they were")
	}
	if n := one(t, db, `SELECT COUNT(*) FROM customers`); n != 12 {
		t.Errorf("%d customers, want 12", n)
	}
	if n := one(t, db, `SELECT COUNT(*) FROM products`); n != 5 {
		t.Errorf("%d products, want 5", n)
	}
	if n := one(t, db, `SELECT COUNT(*) FROM customers WHERE username IN ('zhangsan', 'lisi', 'wangwu')`); n != 3 {
		t.Errorf("%d of the three test users exist after the reseed", n)
	}
	// wangwu's card is frozen for every seed (the frozen-account magic value).
	if n := one(t, db, `SELECT COUNT(*) FROM accounts a JOIN customers c ON c.customer_id = a.customer_id WHERE c.username = 'wangwu' AND a.status = 'frozen'`); n != 1 {
		t.Errorf("wangwu has %d frozen accounts after the reseed, want 1", n)
	}
	if n := one(t, db, `SELECT COUNT(*) FROM accounts WHERE account_id = '' `); n != 0 {
		t.Errorf("%d accounts without an opaque id", n)
	}
	if err := ledger.CheckInvariants(ctx, db.DB); err != nil {
		t.Errorf("ledger invariants after the reseed: %v", err)
	}
	cur, err := seed.Current(ctx, db)
	if err != nil || cur != to {
		t.Errorf("the data set in force is %+v (%v), want %+v", cur, err, to)
	}
	users := seed.TestUsers(cur)
	full := fakedata.Generate(to.Seed, to.Size)
	if !reflect.DeepEqual(users, full.Customers[:3]) {
		t.Error("TestUsers differs from the first three customers of the data set")
	}
}

func TestResetRefusesASizeOutOfBounds(t *testing.T) {
	db, ids := firstStart(t, seed.Spec{Seed: 1, Size: fakedata.Size{Customers: 3, Products: 4}})
	before := rows(t, db.DB, qAccounts)
	for _, sz := range []fakedata.Size{{Customers: 2, Products: 4}, {Customers: 3, Products: 3}, {Customers: seed.MaxCustomers + 1, Products: 4}, {Customers: 3, Products: seed.MaxProducts + 1}} {
		if _, err := seed.Reset(context.Background(), db, seed.Spec{Seed: 1, Size: sz}, ids, now); !errors.Is(err, seed.ErrSize) {
			t.Errorf("size %+v: %v, want ErrSize", sz, err)
		}
	}
	if !reflect.DeepEqual(rows(t, db.DB, qAccounts), before) {
		t.Error("a refused reset changed the accounts")
	}
}

// Payments posted while a reset runs are each wholly before it (and wiped) or wholly
// after it: the ledger balances, and the customers hold the seeded total minus exactly
// the payments that are in the ledger now.
func TestResetUnderConcurrentPaymentsLeavesNoHalfAppliedPayment(t *testing.T) {
	ctx := context.Background()
	spec := seed.Spec{Seed: 11, Size: fakedata.Size{Customers: 5, Products: 4}}
	db, ids := firstStart(t, spec)
	seededTotal := one(t, db, `SELECT SUM(balance_fen) FROM accounts WHERE kind <> 'internal'`)
	zhang, _ := fakedata.Generate(spec.Seed, spec.Size).Customer("zhangsan")
	const workers, each, amount = 4, 40, 7
	done := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			for i := 0; i < each; i++ {
				err := db.Tx(ctx, func(tx *sql.Tx) error {
					_, err := ledger.Post(ctx, tx, ledger.Posting{Kind: ledger.KindPayment, Reference: fmt.Sprintf("payment:w%d-%d", w, i), At: now,
						Entries: []ledger.Entry{{Account: zhang.Accounts[0].Number, AmountFen: -amount, Currency: "CNY"},
							{Account: ledger.ExternalClearingAccount, AmountFen: amount, Currency: "CNY"}}})
					return err
				})
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}(w)
	}
	for i := 0; i < 3; i++ {
		if _, err := seed.Reset(ctx, db, spec, ids, now); err != nil {
			t.Fatal(err)
		}
	}
	for w := 0; w < workers; w++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := ledger.CheckInvariants(ctx, db.DB); err != nil {
		t.Fatalf("ledger invariants: %v", err)
	}
	posted := one(t, db, `SELECT COUNT(*) FROM postings WHERE kind = 'payment'`)
	if total := one(t, db, `SELECT SUM(balance_fen) FROM accounts WHERE kind <> 'internal'`); total != seededTotal-posted*amount {
		t.Errorf("customers hold %d fen, want the seeded %d minus %d payments of %d", total, seededTotal, posted, amount)
	}
	if posted == workers*each {
		t.Log("every payment ran after the last reset (the resets did not interleave this time)")
	}
}
