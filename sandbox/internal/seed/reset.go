package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/accounts"
	"github.com/jr0185/harness/sandbox/internal/ledger"
	"github.com/jr0185/harness/sandbox/internal/store"
)

// Bounds of a reseed's size: at least the three documented test users and one product
// per category; at most what a reset reloads in about a second while holding the
// writer.
const (
	MinCustomers = 3
	MaxCustomers = 2000
	MinProducts  = 4
	MaxProducts  = 500
)

// Spec is the data set in force: its seed and size.
type Spec struct {
	Seed int64
	Size fakedata.Size
}

// String is the meta row's form: "seed/customers/products".
func (s Spec) String() string {
	return strconv.FormatInt(s.Seed, 10) + "/" + strconv.Itoa(s.Size.Customers) + "/" + strconv.Itoa(s.Size.Products)
}

// ErrSize is returned for a size outside the bounds.
var ErrSize = fmt.Errorf("customers must be from %d to %d and products from %d to %d", MinCustomers, MaxCustomers, MinProducts, MaxProducts)

// Validate checks the size bounds.
func (s Spec) Validate() error {
	if s.Size.Customers < MinCustomers || s.Size.Customers > MaxCustomers || s.Size.Products < MinProducts || s.Size.Products > MaxProducts {
		return ErrSize
	}
	return nil
}

// Current returns the seed and size the database was last loaded with.
func Current(ctx context.Context, db *store.DB) (Spec, error) {
	v, ok, err := db.GetMeta(ctx, metaKey)
	if err != nil {
		return Spec{}, err
	}
	if !ok {
		return Spec{}, errors.New("seed: the database was never seeded")
	}
	return parseSpec(v)
}

func parseSpec(v string) (Spec, error) {
	parts := strings.Split(v, "/")
	if len(parts) != 3 {
		return Spec{}, fmt.Errorf("seed: meta %q is corrupt", v)
	}
	var s Spec
	var err1, err2, err3 error
	s.Seed, err1 = strconv.ParseInt(parts[0], 10, 64)
	s.Size.Customers, err2 = strconv.Atoi(parts[1])
	s.Size.Products, err3 = strconv.Atoi(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return Spec{}, fmt.Errorf("seed: meta %q is corrupt: %w", v, err)
	}
	return s, nil
}

// Wiped lists the business tables a reset empties, children before parents. What is
// kept: the registered apps, their credentials, events, profiles and payment limits
// (partners keep working, they only consent again), the API lifecycle and its notices,
// the replay-protection nonces (a reset must not reopen a replay window) and the meta
// rows (admin token, account-id secret, demo and trainer App_IDs). The bank's keys live
// in files and the audit log in its own database: a reset touches neither.
var Wiped = []string{
	"consent_accounts", "auth_codes", "oauth_tokens", "consents", "auth_requests",
	"login_sessions", "login_failures", "login_browsers", "otp_codes",
	"idempotency_keys", "payment_notifications", "payment_usage", "payments",
	"ledger_entries", "postings",
	"product_holdings", "account_transactions", "products", "customers",
}

// Result is what a reset loaded.
type Result struct {
	Spec            Spec
	Customers       int
	Accounts        int
	Products        int
	CustomerBalance int64 // fen: the sum of the customer accounts' balances, as seeded
}

// Reset replaces the business data with the data set of spec, in one transaction: the
// tables in Wiped are emptied, the customer accounts dropped and the internal accounts
// zeroed, then the data set, its holdings, the account ids and the ledger's opening
// balances are loaded as on a first start. SQLite has one writing connection, so no
// other write (a payment's settlement included) interleaves: a payment is either wholly
// before the reset (and wiped) or wholly after it. Passwords are hashed before the
// transaction starts.
func Reset(ctx context.Context, db *store.DB, spec Spec, ids accounts.IDs, now time.Time) (Result, error) {
	if err := spec.Validate(); err != nil {
		return Result{}, err
	}
	ds := fakedata.Generate(spec.Seed, spec.Size)
	hashes, err := hashPasswords(ds)
	if err != nil {
		return Result{}, err
	}
	r := Result{Spec: spec, Customers: len(ds.Customers), Products: len(ds.Products)}
	for _, c := range ds.Customers {
		r.Accounts += len(c.Accounts)
		for _, a := range c.Accounts {
			r.CustomerBalance += a.BalanceFen
		}
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		for _, t := range Wiped {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil { // #nosec G202 -- table names from the constant list above
				return fmt.Errorf("reset %s: %w", t, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE kind <> $1`, ledger.KindInternal); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET balance_fen = 0 WHERE kind = $1`, ledger.KindInternal); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key IN ($1, $2)`, metaKey, holdingsKey); err != nil {
			return err
		}
		if err := load(ctx, tx, ds, spec.Size, hashes); err != nil {
			return err
		}
		if err := holdingsTx(ctx, tx, spec.Seed); err != nil {
			return err
		}
		if err := fillIDs(ctx, tx, ids); err != nil {
			return err
		}
		return ledger.OpenBalancesTx(ctx, tx, now)
	})
	if err != nil {
		return Result{}, err
	}
	return r, nil
}

// TestUsers returns the fixed test users of the data set in force (zhangsan, lisi,
// wangwu), generated again from the seed: a smaller size is a prefix of a larger one.
func TestUsers(spec Spec) []fakedata.Customer {
	return fakedata.Generate(spec.Seed, fakedata.Size{Customers: MinCustomers}).Customers
}
