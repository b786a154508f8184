package payments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/ledger"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/seed"
	"github.com/jr0185/harness/sandbox/internal/store"
)

const (
	seedValue = 11
	appA      = "APPTESTAAAAAAAAA"
	appB      = "APPTESTBBBBBBBBB"
	external  = "6222000000000000020" // Luhn-valid, at another bank, no magic
)

var testSize = fakedata.Size{Customers: 10, Products: 1}

// env is one test's bank: its own SQLite file, seeded, opening balances posted.
type env struct {
	t      *testing.T
	db     *store.DB
	svc    *Service
	clk    *clock.Sandbox
	ds     fakedata.Dataset
	alarms *recAlarms
	keys   atomic.Int64
}

type user struct {
	ID, Name, Account string
	Balance           int64
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "bank.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := seed.IfEmpty(ctx, db, seedValue, testSize); err != nil {
		t.Fatal(err)
	}
	clk := clock.New()
	if err := ledger.InitOpeningBalances(ctx, db.DB, clk.Now()); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, clk: clk, ds: fakedata.Generate(seedValue, testSize), alarms: &recAlarms{}}
	if opts.Alarms == nil {
		opts.Alarms = e.alarms
	}
	w := store.NewCommitter(db.DB, 0) // as the bank runs: group commit
	t.Cleanup(w.Close)                // runs before the database closes
	e.svc = NewService(&SQLStore{DB: db.DB, W: w}, clk, opts)
	return e
}

func (e *env) user(username string, account int) user {
	e.t.Helper()
	c, ok := e.ds.Customer(username)
	if !ok || len(c.Accounts) <= account {
		e.t.Fatalf("no account %d for %s", account, username)
	}
	a := c.Accounts[account]
	return user{ID: c.ID, Name: c.Name, Account: a.Number, Balance: a.BalanceFen}
}

// req is a valid request from payer to payee with a fresh key.
func (e *env) req(payer, payee user, fen int64) CreateRequest {
	r := CreateRequest{AppID: appA, IdempotencyKey: fmt.Sprintf("key-%d", e.keys.Add(1)), ConsentID: "CONSENT1",
		CustomerID: payer.ID, PayerAccount: payer.Account, PayeeAccount: payee.Account, PayeeName: payee.Name,
		AmountFen: fen, Currency: "CNY", Memo: "test"}
	return rehash(r)
}

// rehash stands in for the HTTP layer's SM3 of the canonical body.
func rehash(r CreateRequest) CreateRequest {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%s|%s|%d|%s|%s", r.PayerAccount, r.PayeeAccount, r.PayeeName, r.ConsentID, r.AmountFen, r.Currency, r.Memo)))
	r.RequestHash = hex.EncodeToString(sum[:])
	return r
}

func (e *env) create(r CreateRequest) Payment {
	e.t.Helper()
	res, err := e.svc.Create(context.Background(), r)
	if err != nil {
		e.t.Fatalf("Create: %v", err)
	}
	return res.Payment
}

func (e *env) balance(acct string) int64 {
	e.t.Helper()
	b, err := ledger.Balance(context.Background(), e.db.DB, acct)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) count(query string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.QueryRow(query, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) invariants() {
	e.t.Helper()
	if err := ledger.CheckInvariants(context.Background(), e.db.DB); err != nil {
		e.t.Fatal(err)
	}
	e.usageTotalsMatch()
}

// usageTotalsMatch checks the daily-limit running totals against the payments.
func (e *env) usageTotalsMatch() {
	e.t.Helper()
	ctx := context.Background()
	type key struct {
		dim, key string
		day      int64
	}
	want := map[key][2]int64{}
	rows, err := e.db.DB.QueryContext(ctx, `SELECT payer_account, app_id, customer_id, status, amount_fen, created_at FROM payments`)
	if err != nil {
		e.t.Fatal(err)
	}
	for rows.Next() {
		var payer, app, customer, st string
		var amount, created int64
		if err := rows.Scan(&payer, &app, &customer, &st, &amount, &created); err != nil {
			e.t.Fatal(err)
		}
		c, x := usageWeights(Status(st))
		day := e.svc.dayStart(time.Unix(0, created)).UnixNano()
		for _, k := range []key{{"payer_account", payer, day}, {"app_id", app, day}, {"customer_id", customer, day}} {
			v := want[k]
			want[k] = [2]int64{v[0] + c*amount, v[1] + x*amount}
		}
	}
	_ = rows.Close()
	got := map[key][2]int64{}
	rows, err = e.db.DB.QueryContext(ctx, `SELECT dim, key, day, created_fen, executed_fen FROM payment_usage`)
	if err != nil {
		e.t.Fatal(err)
	}
	for rows.Next() {
		var k key
		var c, x int64
		if err := rows.Scan(&k.dim, &k.key, &k.day, &c, &x); err != nil {
			e.t.Fatal(err)
		}
		got[k] = [2]int64{c, x}
	}
	_ = rows.Close()
	for k, v := range want {
		if got[k] != v {
			e.t.Errorf("usage %v: running totals %v, payments %v", k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok && v != [2]int64{} {
			e.t.Errorf("usage %v: running totals %v without payments", k, v)
		}
	}
}

// code is the catalogue code of err ("" for nil).
func code(err error) string {
	if err == nil {
		return ""
	}
	var pe *problem.Error
	if !errors.As(err, &pe) {
		return "uncatalogued: " + err.Error()
	}
	return pe.Code
}

func status(err error) int {
	if err == nil {
		return 0
	}
	return problem.From(err).Status
}

type recAlarms struct {
	mu    sync.Mutex
	kinds []string
}

func (r *recAlarms) Raise(kind, _, _ string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kinds = append(r.kinds, kind)
}

func (r *recAlarms) count(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, k := range r.kinds {
		if k == kind {
			n++
		}
	}
	return n
}
