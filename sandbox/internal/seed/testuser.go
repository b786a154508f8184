package seed

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jr0185/harness/sandbox/internal/store"
)

// TestUser is a seeded customer as the sandbox's test-data control shows it to a
// conformance suite (sandbox mode only): the real name, ID and mobile numbers and full
// account numbers the bank's answers must never show in full — the suite's ground truth
// for judging masked values (JR/T 0185-2020 7.2.2/3b). Test data only; never logged.
type TestUser struct {
	Username   string            `json:"username"`
	CustomerID string            `json:"customer_id"`
	Name       string            `json:"name"`
	ResidentID string            `json:"resident_id"`
	Mobile     string            `json:"mobile"`
	Accounts   []TestUserAccount `json:"accounts"`
}

// TestUserAccount is one account of a test user: the opaque id partners see and the
// full number.
type TestUserAccount struct {
	ID     string `json:"account_id"`
	Number string `json:"number"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
}

// ErrNoTestUser: no customer has that username.
var ErrNoTestUser = errors.New("no such test user")

// LookupTestUser reads a customer and their accounts by username.
func LookupTestUser(ctx context.Context, db *store.DB, username string) (TestUser, error) {
	u := TestUser{Username: username, Accounts: []TestUserAccount{}}
	err := db.QueryRowContext(ctx, `SELECT customer_id, name, resident_id, mobile FROM customers WHERE username = $1`, username).
		Scan(&u.CustomerID, &u.Name, &u.ResidentID, &u.Mobile)
	if errors.Is(err, sql.ErrNoRows) {
		return TestUser{}, ErrNoTestUser
	}
	if err != nil {
		return TestUser{}, err
	}
	rows, err := db.QueryContext(ctx, `SELECT account_id, account_no, kind, status FROM accounts WHERE customer_id = $1
		ORDER BY opened_at, account_no`, u.CustomerID)
	if err != nil {
		return TestUser{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var a TestUserAccount
		if err := rows.Scan(&a.ID, &a.Number, &a.Kind, &a.Status); err != nil {
			return TestUser{}, err
		}
		u.Accounts = append(u.Accounts, a)
	}
	return u, rows.Err()
}
