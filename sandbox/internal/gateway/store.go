package gateway

import (
	"context"
	"database/sql"
	"time"
)

// SQLNonces keeps used nonces in the business database, so replay protection survives
// a restart within the timestamp window.
type SQLNonces struct{ DB *sql.DB }

var _ Nonces = (*SQLNonces)(nil)

// Use records the nonce; false means it was already used and is still remembered.
func (s *SQLNonces) Use(ctx context.Context, appID, nonce string, expires time.Time) (bool, error) {
	res, err := s.DB.ExecContext(ctx, `INSERT INTO nonces (app_id, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		appID, nonce, expires.UnixNano())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Purge forgets nonces whose window has passed; their timestamps are refused anyway.
func (s *SQLNonces) Purge(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM nonces WHERE expires_at < $1`, now.UnixNano())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
