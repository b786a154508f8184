package sessions

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Store is what the service needs from storage.
type Store interface {
	Customer(ctx context.Context, username string) (Customer, error)
	CustomerByID(ctx context.Context, id string) (Customer, error)
	Insert(ctx context.Context, r Row) error
	Get(ctx context.Context, hash string) (Row, error)
	// Promote ends the pending session and inserts the active one, atomically;
	// ErrNotFound if the pending session is no longer pending.
	Promote(ctx context.Context, pendingHash string, active Row, now time.Time) error
	// Touch records activity on an active session last seen after idleCutoff.
	Touch(ctx context.Context, hash string, now, idleCutoff time.Time) (bool, error)
	End(ctx context.Context, hash string, now time.Time) error
	LockedUntil(ctx context.Context, key string) (time.Time, error)
	// RecordFailure counts a failure; when the count within window reaches limit the
	// key is locked until now+lockFor, which is returned (zero otherwise).
	RecordFailure(ctx context.Context, key string, now time.Time, window time.Duration, limit int, lockFor time.Duration) (time.Time, error)
	ClearFailures(ctx context.Context, key string) error
	// KnownBrowser reports whether key (a username and browser) completed a login that
	// is remembered beyond now; RememberBrowser remembers it until until.
	KnownBrowser(ctx context.Context, key string, now time.Time) (bool, error)
	RememberBrowser(ctx context.Context, key string, until time.Time) error
	Purge(ctx context.Context, cutoff time.Time) (int64, error)
}

// ErrNotFound is returned for unknown customers and sessions.
var ErrNotFound = errors.New("not found")

// SQLStore implements Store over database/sql with portable SQL.
type SQLStore struct{ DB *sql.DB }

var _ Store = (*SQLStore)(nil)

func (s *SQLStore) customer(ctx context.Context, where string, arg string) (Customer, error) {
	var c Customer
	err := s.DB.QueryRowContext(ctx, `SELECT customer_id, username, password_hash, mobile FROM customers WHERE `+where+` = $1`, arg).
		Scan(&c.ID, &c.Username, &c.PasswordHash, &c.Mobile)
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, ErrNotFound
	}
	return c, err
}

// Customer implements Store.
func (s *SQLStore) Customer(ctx context.Context, username string) (Customer, error) {
	return s.customer(ctx, "username", username)
}

// CustomerByID implements Store.
func (s *SQLStore) CustomerByID(ctx context.Context, id string) (Customer, error) {
	return s.customer(ctx, "customer_id", id)
}

const insertRow = `INSERT INTO login_sessions (session_hash, customer_id, username, stage, created_at, last_seen_at, expires_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7)`

func rowArgs(r Row) []any {
	return []any{r.Hash, r.CustomerID, r.Username, r.Stage, r.CreatedAt.UnixNano(), r.LastSeenAt.UnixNano(), r.ExpiresAt.UnixNano()}
}

// Insert implements Store.
func (s *SQLStore) Insert(ctx context.Context, r Row) error {
	_, err := s.DB.ExecContext(ctx, insertRow, rowArgs(r)...)
	return err
}

// Get implements Store.
func (s *SQLStore) Get(ctx context.Context, hash string) (Row, error) {
	var r Row
	var created, seen, expires int64
	err := s.DB.QueryRowContext(ctx, `SELECT session_hash, customer_id, username, stage, created_at, last_seen_at, expires_at
		FROM login_sessions WHERE session_hash = $1`, hash).Scan(&r.Hash, &r.CustomerID, &r.Username, &r.Stage, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Row{}, ErrNotFound
	}
	r.CreatedAt, r.LastSeenAt, r.ExpiresAt = time.Unix(0, created), time.Unix(0, seen), time.Unix(0, expires)
	return r, err
}

// Promote implements Store.
func (s *SQLStore) Promote(ctx context.Context, pendingHash string, active Row, now time.Time) error {
	t, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = t.Rollback() }()
	res, err := t.ExecContext(ctx, `UPDATE login_sessions SET stage = $2, ended_at = $3 WHERE session_hash = $1 AND stage = $4`,
		pendingHash, StageEnded, now.UnixNano(), StagePending)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrNotFound
	}
	if _, err := t.ExecContext(ctx, insertRow, rowArgs(active)...); err != nil {
		return err
	}
	return t.Commit()
}

// Touch implements Store.
func (s *SQLStore) Touch(ctx context.Context, hash string, now, idleCutoff time.Time) (bool, error) {
	res, err := s.DB.ExecContext(ctx, `UPDATE login_sessions SET last_seen_at = $2
		WHERE session_hash = $1 AND stage = $3 AND last_seen_at > $4 AND expires_at > $2`,
		hash, now.UnixNano(), StageActive, idleCutoff.UnixNano())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// End implements Store.
func (s *SQLStore) End(ctx context.Context, hash string, now time.Time) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE login_sessions SET stage = $2, ended_at = $3 WHERE session_hash = $1 AND stage <> $2`,
		hash, StageEnded, now.UnixNano())
	return err
}

// LockedUntil implements Store.
func (s *SQLStore) LockedUntil(ctx context.Context, key string) (time.Time, error) {
	var until int64
	err := s.DB.QueryRowContext(ctx, `SELECT locked_until FROM login_failures WHERE username_key = $1`, key).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && until == 0) {
		return time.Time{}, nil
	}
	return time.Unix(0, until), err
}

// RecordFailure implements Store with one upsert, so concurrent failures all count.
func (s *SQLStore) RecordFailure(ctx context.Context, key string, now time.Time, window time.Duration, limit int, lockFor time.Duration) (time.Time, error) {
	t, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return time.Time{}, err
	}
	defer func() { _ = t.Rollback() }()
	var n int
	if err := t.QueryRowContext(ctx, `INSERT INTO login_failures (username_key, failures, window_start, locked_until) VALUES ($1, 1, $2, 0)
		ON CONFLICT (username_key) DO UPDATE SET
			failures = CASE WHEN login_failures.window_start <= $3 THEN 1 ELSE login_failures.failures + 1 END,
			window_start = CASE WHEN login_failures.window_start <= $3 THEN $2 ELSE login_failures.window_start END
		RETURNING failures`, key, now.UnixNano(), now.Add(-window).UnixNano()).Scan(&n); err != nil {
		return time.Time{}, err
	}
	var until time.Time
	if n >= limit {
		until = now.Add(lockFor)
		if _, err := t.ExecContext(ctx, `UPDATE login_failures SET failures = 0, window_start = $2, locked_until = $3 WHERE username_key = $1`,
			key, now.UnixNano(), until.UnixNano()); err != nil {
			return time.Time{}, err
		}
	}
	return until, t.Commit()
}

// ClearFailures implements Store.
func (s *SQLStore) ClearFailures(ctx context.Context, key string) error {
	_, err := s.DB.ExecContext(ctx, `DELETE FROM login_failures WHERE username_key = $1`, key)
	return err
}

// KnownBrowser implements Store.
func (s *SQLStore) KnownBrowser(ctx context.Context, key string, now time.Time) (bool, error) {
	var n int
	err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_browsers WHERE browser_key = $1 AND known_until > $2`, key, now.UnixNano()).Scan(&n)
	return n > 0, err
}

// RememberBrowser implements Store.
func (s *SQLStore) RememberBrowser(ctx context.Context, key string, until time.Time) error {
	_, err := s.DB.ExecContext(ctx, `INSERT INTO login_browsers (browser_key, known_until) VALUES ($1, $2)
		ON CONFLICT (browser_key) DO UPDATE SET known_until = $2`, key, until.UnixNano())
	return err
}

// Purge implements Store.
func (s *SQLStore) Purge(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM login_sessions WHERE expires_at < $1 OR (stage = $2 AND ended_at < $1)`,
		cutoff.UnixNano(), StageEnded)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
