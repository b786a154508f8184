package otp

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Store is what the service needs from storage.
type Store interface {
	// Replace supersedes the live codes of c's customer and purpose and inserts c.
	Replace(ctx context.Context, c Code) error
	// Live returns the latest non-superseded code for customer and purpose.
	Live(ctx context.Context, customerID, purpose string) (Code, error)
	// Attempt counts one attempt on an unused code with fewer than max attempts and
	// returns the new count; ok is false if the code is used or exhausted.
	Attempt(ctx context.Context, id string, max int) (attempts int, ok bool, err error)
	// Use marks an unused code used; false if it already was.
	Use(ctx context.Context, id string, now time.Time) (bool, error)
	// Purge deletes codes that expired before cutoff.
	Purge(ctx context.Context, cutoff time.Time) (int64, error)
}

// ErrNotFound is returned when no live code exists.
var ErrNotFound = errors.New("not found")

// SQLStore implements Store over database/sql with portable SQL.
type SQLStore struct{ DB *sql.DB }

var _ Store = (*SQLStore)(nil)

// Replace implements Store.
func (s *SQLStore) Replace(ctx context.Context, c Code) error {
	t, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = t.Rollback() }()
	if _, err := t.ExecContext(ctx, `UPDATE otp_codes SET superseded = 1 WHERE customer_id = $1 AND purpose = $2 AND superseded = 0`,
		c.CustomerID, c.Purpose); err != nil {
		return err
	}
	if _, err := t.ExecContext(ctx, `INSERT INTO otp_codes (otp_id, customer_id, purpose, code_mac, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, c.CustomerID, c.Purpose, c.MAC, c.CreatedAt.UnixNano(), c.ExpiresAt.UnixNano()); err != nil {
		return err
	}
	return t.Commit()
}

// Live implements Store.
func (s *SQLStore) Live(ctx context.Context, customerID, purpose string) (Code, error) {
	var c Code
	var created, expires, used int64
	err := s.DB.QueryRowContext(ctx, `SELECT otp_id, customer_id, purpose, code_mac, created_at, expires_at, attempts, used_at
		FROM otp_codes WHERE customer_id = $1 AND purpose = $2 AND superseded = 0 ORDER BY created_at DESC LIMIT 1`,
		customerID, purpose).Scan(&c.ID, &c.CustomerID, &c.Purpose, &c.MAC, &created, &expires, &c.Attempts, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return Code{}, ErrNotFound
	}
	if err != nil {
		return Code{}, err
	}
	c.CreatedAt, c.ExpiresAt = time.Unix(0, created), time.Unix(0, expires)
	if used != 0 {
		c.UsedAt = time.Unix(0, used)
	}
	return c, nil
}

// Attempt implements Store. One statement, so concurrent guesses cannot exceed max.
func (s *SQLStore) Attempt(ctx context.Context, id string, max int) (int, bool, error) {
	var n int
	err := s.DB.QueryRowContext(ctx, `UPDATE otp_codes SET attempts = attempts + 1
		WHERE otp_id = $1 AND attempts < $2 AND used_at = 0 RETURNING attempts`, id, max).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return n, err == nil, err
}

// Use implements Store.
func (s *SQLStore) Use(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := s.DB.ExecContext(ctx, `UPDATE otp_codes SET used_at = $2 WHERE otp_id = $1 AND used_at = 0`, id, now.UnixNano())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Purge implements Store.
func (s *SQLStore) Purge(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM otp_codes WHERE expires_at < $1`, cutoff.UnixNano())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
