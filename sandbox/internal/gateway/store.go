package gateway

import (
	"context"
	"database/sql"
	"time"

	"github.com/jr0185/harness/sandbox/internal/store"
)

// SQLNonces keeps used nonces in the business database, so replay protection survives
// a restart within the timestamp window.
type SQLNonces struct {
	DB     *sql.DB
	W      store.Writer // the insert's transaction: group commit when a store.Committer
	insert *sql.Stmt
}

var _ Nonces = (*SQLNonces)(nil)

// NewSQLNonces prepares the hot-path statement once.
func NewSQLNonces(ctx context.Context, db *sql.DB) (*SQLNonces, error) {
	st, err := db.PrepareContext(ctx, `INSERT INTO nonces (app_id, nonce, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (app_id, nonce) DO UPDATE SET expires_at = excluded.expires_at WHERE nonces.expires_at <= $4`)
	if err != nil {
		return nil, err
	}
	return &SQLNonces{DB: db, insert: st}, nil
}

// Use records the nonce until expires; false means it was already used and is still
// remembered at now (a nonce whose memory has passed is taken as new, whether or not
// Purge has removed it yet).
func (s *SQLNonces) Use(ctx context.Context, appID, nonce string, now, expires time.Time) (bool, error) {
	var n int64
	err := store.WriterFor(s.W, s.DB).Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.insert).ExecContext(ctx, appID, nonce, expires.UnixNano(), now.UnixNano())
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
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
