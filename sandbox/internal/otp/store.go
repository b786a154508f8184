package otp

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Store is what the service needs from storage.
type Store interface {
	// Replace supersedes the live codes of c's customer and purpose and inserts c.
	Replace(ctx context.Context, c Code) error
	// Live returns the latest non-superseded code for customer and purpose.
	Live(ctx context.Context, customerID, purpose string) (Code, error)
	// Get returns one code by id (superseded or not).
	Get(ctx context.Context, id string) (Code, error)
	// Attempt counts one attempt on an unused code with fewer than max attempts and
	// returns the new count; ok is false if the code is used or exhausted.
	Attempt(ctx context.Context, id string, max int) (attempts int, ok bool, err error)
	// Use marks an unused code used; false if it already was.
	Use(ctx context.Context, id string, now time.Time) (bool, error)
	// Purge deletes codes that expired before cutoff.
	Purge(ctx context.Context, cutoff time.Time) (int64, error)
	// Issued counts the codes sent to the customer after since (zero: ever) whose purpose
	// is purpose or, when purpose ends in ":", starts with it; oldest is the earliest
	// such code's creation.
	Issued(ctx context.Context, customerID, purpose string, since time.Time) (n int, oldest time.Time, err error)
	// Backdate moves the customer's codes d into the past (sandbox test control).
	Backdate(ctx context.Context, customerID string, d time.Duration) (int64, error)
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
	if _, err := t.ExecContext(ctx, `INSERT INTO otp_codes (otp_id, customer_id, purpose, code_mac, created_at, expires_at, attempts)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, c.CustomerID, c.Purpose, c.MAC, c.CreatedAt.UnixNano(), c.ExpiresAt.UnixNano(), c.Attempts); err != nil {
		return err
	}
	return t.Commit()
}

// Live implements Store.
func (s *SQLStore) Live(ctx context.Context, customerID, purpose string) (Code, error) {
	return scanCode(s.DB.QueryRowContext(ctx, `SELECT `+codeColumns+`
		FROM otp_codes WHERE customer_id = $1 AND purpose = $2 AND superseded = 0 ORDER BY created_at DESC LIMIT 1`,
		customerID, purpose))
}

// Get implements Store.
func (s *SQLStore) Get(ctx context.Context, id string) (Code, error) {
	return scanCode(s.DB.QueryRowContext(ctx, `SELECT `+codeColumns+` FROM otp_codes WHERE otp_id = $1`, id))
}

const codeColumns = `otp_id, customer_id, purpose, code_mac, created_at, expires_at, attempts, used_at`

// scanCode reads one row of codeColumns; ErrNotFound if there is none.
func scanCode(row *sql.Row) (Code, error) {
	var c Code
	var created, expires, used int64
	err := row.Scan(&c.ID, &c.CustomerID, &c.Purpose, &c.MAC, &created, &expires, &c.Attempts, &used)
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

// LivePrefix is Live for the latest code of any purpose starting with prefix: only the
// otp-any-payment mutant bank asks (the correct service checks the purpose exactly).
func (s *SQLStore) LivePrefix(ctx context.Context, customerID, prefix string) (Code, error) {
	// #nosec G202 -- the length is a computed integer; values are bound
	return scanCode(s.DB.QueryRowContext(ctx, `SELECT `+codeColumns+` FROM otp_codes WHERE customer_id = $1
		AND substr(purpose, 1, `+strconv.Itoa(len(prefix))+`) = $2 AND superseded = 0 ORDER BY created_at DESC LIMIT 1`, customerID, prefix))
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

// Issued implements Store. A prefix is compared with substr, not LIKE: purposes hold
// "_", LIKE's one-character wildcard.
func (s *SQLStore) Issued(ctx context.Context, customerID, purpose string, since time.Time) (int, time.Time, error) {
	cond := `purpose = $2`
	if strings.HasSuffix(purpose, ":") {
		cond = `substr(purpose, 1, ` + strconv.Itoa(len(purpose)) + `) = $2`
	}
	var from int64 // zero time: ever (its UnixNano is undefined)
	if !since.IsZero() {
		from = since.UnixNano()
	}
	var n int
	var oldest sql.NullInt64
	// #nosec G202 -- cond is one of two fixed forms with a computed integer; values are bound
	err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM otp_codes WHERE customer_id = $1 AND `+cond+` AND created_at > $3`,
		customerID, purpose, from).Scan(&n, &oldest)
	if err != nil || !oldest.Valid {
		return n, time.Time{}, err
	}
	return n, time.Unix(0, oldest.Int64), nil
}

// Backdate implements Store.
func (s *SQLStore) Backdate(ctx context.Context, customerID string, d time.Duration) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `UPDATE otp_codes SET created_at = created_at - $2, expires_at = expires_at - $2,
		used_at = CASE WHEN used_at = 0 THEN 0 ELSE used_at - $2 END WHERE customer_id = $1`, customerID, int64(d))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
