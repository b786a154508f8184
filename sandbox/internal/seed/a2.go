package seed

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand/v2"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/accounts"
	"github.com/jr0185/harness/sandbox/internal/store"
)

const (
	idSecretKey = "account_id_secret" // #nosec G101 -- the name of a meta row, not a credential
	holdingsKey = "seed_holdings"
)

// AccountIDs returns the bank's account-id derivation, creating its secret on first
// use, and fills the id of every account that has none.
func AccountIDs(ctx context.Context, db *store.DB) (accounts.IDs, error) {
	hexSecret, ok, err := db.GetMeta(ctx, idSecretKey)
	if err != nil {
		return accounts.IDs{}, err
	}
	if !ok {
		hexSecret = hex.EncodeToString(accounts.NewSecret())
		if err := db.SetMeta(ctx, idSecretKey, hexSecret); err != nil {
			return accounts.IDs{}, err
		}
	}
	secret, err := hex.DecodeString(hexSecret)
	if err != nil || len(secret) < 16 {
		return accounts.IDs{}, fmt.Errorf("meta %s is corrupt", idSecretKey)
	}
	ids := accounts.NewIDs(secret)
	return ids, db.Tx(ctx, func(tx *sql.Tx) error { return fillIDs(ctx, tx, ids) })
}

// fillIDs sets the opaque id of every account that has none.
func fillIDs(ctx context.Context, tx *sql.Tx, ids accounts.IDs) error {
	rows, err := tx.QueryContext(ctx, `SELECT account_no FROM accounts WHERE account_id = ''`)
	if err != nil {
		return err
	}
	var nos []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			_ = rows.Close()
			return err
		}
		nos = append(nos, n)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, n := range nos {
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET account_id = $1 WHERE account_no = $2`, ids.For(n), n); err != nil {
			return err
		}
	}
	return nil
}

// Holdings seeds product holdings once, deterministically from the seed: two of every
// three customers hold one or two wealth or fund products on their first account.
func Holdings(ctx context.Context, db *store.DB, seed int64) error {
	if _, ok, err := db.GetMeta(ctx, holdingsKey); err != nil || ok {
		return err
	}
	return db.Tx(ctx, func(tx *sql.Tx) error { return holdingsTx(ctx, tx, seed) })
}

// holdingsTx seeds the product holdings and records their count in meta.
func holdingsTx(ctx context.Context, tx *sql.Tx, seed int64) error {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x486f6c64)) // #nosec G115 G404 -- deterministic test data, not security
	var products []string
	rows, err := tx.QueryContext(ctx, `SELECT code FROM products WHERE category IN ('wealth', 'fund') AND status = 'on_sale' ORDER BY code`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			_ = rows.Close()
			return err
		}
		products = append(products, c)
	}
	_ = rows.Close()
	type acct struct{ customer, number string }
	var firsts []acct
	rows, err = tx.QueryContext(ctx, `SELECT customer_id, MIN(account_no) FROM accounts GROUP BY customer_id ORDER BY customer_id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var a acct
		if err := rows.Scan(&a.customer, &a.number); err != nil {
			_ = rows.Close()
			return err
		}
		firsts = append(firsts, a)
	}
	_ = rows.Close()
	n := 0
	for i, a := range firsts {
		if i%3 == 2 || len(products) == 0 {
			continue
		}
		for k := 0; k < 1+rng.IntN(2); k++ {
			n++
			principal := int64(10_000+rng.IntN(190_000)) * 100
			value := principal + principal*int64(rng.IntN(600)-100)/10_000 // -1% .. +5%
			since := fakedata.ReferenceTime.AddDate(0, 0, -30-rng.IntN(300))
			if _, err := tx.ExecContext(ctx, `INSERT INTO product_holdings (holding_id, customer_id, account_no, product_code, principal_fen, value_fen, since)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, fmt.Sprintf("HLD%07d", n), a.customer, a.number,
				products[rng.IntN(len(products))], principal, value, since.UnixNano()); err != nil {
				return err
			}
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)`, holdingsKey, fmt.Sprint(n))
	return err
}
