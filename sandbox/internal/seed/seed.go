// Package seed loads the deterministic fake data set into an empty bank database on
// first start: products, customers (with hashed passwords), accounts and histories.
package seed

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/passwords"
	"github.com/jr0185/harness/sandbox/internal/products"
	"github.com/jr0185/harness/sandbox/internal/store"
)

const metaKey = "seed"

// IfEmpty seeds the database unless it was seeded before, and reports whether it did.
func IfEmpty(ctx context.Context, db *store.DB, seed int64, size fakedata.Size) (bool, error) {
	if _, ok, err := db.GetMeta(ctx, metaKey); err != nil || ok {
		return false, err
	}
	ds := fakedata.Generate(seed, size)
	hashes, err := hashPasswords(ds)
	if err != nil {
		return false, err
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error { return load(ctx, tx, ds, size, hashes) })
	return err == nil, err
}

// hashPasswords hashes every customer's password with a salt of its own (issue 14: a
// reseed once gave every customer one salt and so one hash — crack one, know all;
// JR/T 0185-2020 7.2.2/3). PBKDF2 runs are spread over the cores so a reset does not
// hold the writer long. The map is by customer id.
func hashPasswords(ds fakedata.Dataset) (map[string]string, error) {
	hashes := make([]string, len(ds.Customers))
	errs := make([]error, len(ds.Customers))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range next {
				hashes[i], errs[i] = passwords.Hash(ds.Customers[i].Password)
			}
		})
	}
	for i := range ds.Customers {
		next <- i
	}
	close(next)
	wg.Wait()
	out := make(map[string]string, len(hashes))
	for i, c := range ds.Customers {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out[c.ID] = hashes[i]
	}
	return out, nil
}

// load inserts the data set (products, customers, accounts, histories) and records the
// seed and size in force in meta.
func load(ctx context.Context, tx *sql.Tx, ds fakedata.Dataset, size fakedata.Size, hashes map[string]string) error {
	var ps []products.Product
	for _, p := range ds.Products {
		ps = append(ps, products.Product{Code: p.Code, Name: p.Name, Category: p.Category, Issuer: p.Issuer,
			RiskLevel: p.RiskLevel, AnnualYieldBP: p.AnnualYieldBP, TermDays: p.TermDays, MinAmountFen: p.MinAmountFen,
			Currency: p.Currency, Status: p.Status, Description: p.Description})
	}
	if err := (&products.SQLStore{}).Insert(ctx, tx, ps); err != nil {
		return fmt.Errorf("seed products: %w", err)
	}
	for _, c := range ds.Customers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO customers (customer_id, username, name, resident_id, mobile, password_hash)
			VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, c.Username, c.Name, c.ResidentID, c.Mobile, hashes[c.ID]); err != nil {
			return fmt.Errorf("seed customer %s: %w", c.ID, err)
		}
		for _, a := range c.Accounts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (account_no, customer_id, kind, currency, balance_fen, status,
				daily_limit_fen, per_txn_limit_fen, credit_limit_fen, opened_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				a.Number, c.ID, a.Kind, a.Currency, a.BalanceFen, a.Status, a.DailyLimitFen, a.PerTxnLimitFen, a.CreditLimitFen,
				a.OpenedAt.UnixNano()); err != nil {
				return fmt.Errorf("seed account: %w", err)
			}
			for _, t := range a.Transactions {
				if _, err := tx.ExecContext(ctx, `INSERT INTO account_transactions (txn_id, account_no, at, amount_fen, currency,
					counterparty, memo, balance_after_fen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
					t.ID, a.Number, t.Time.UnixNano(), t.AmountFen, t.Currency, t.Counterparty, t.Memo, t.BalanceAfterFen); err != nil {
					return fmt.Errorf("seed transaction: %w", err)
				}
			}
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)`, metaKey, Spec{Seed: ds.Seed, Size: size}.String())
	return err
}
