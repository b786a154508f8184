package sessions

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Backdate is a sandbox test control: one login session's times move d into the past,
// as if the customer had done nothing for d (9.3.1/3: 用户长期处于无业务操作时，应结束会话).
// The idle and lifetime checks then run unchanged against the bank's clock; no other
// session is touched, so scenarios running side by side stay independent.
func (s *Service) Backdate(ctx context.Context, token string, d time.Duration) error {
	if d <= 0 {
		return problem.ParameterInvalid.WithDetail("the duration to backdate must be positive")
	}
	b, ok := s.store.(interface {
		Backdate(ctx context.Context, hash string, d time.Duration) error
	})
	if !ok {
		return problem.Internal.Wrap(errors.New("sessions: the store cannot backdate"))
	}
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 100 {
		return problem.SessionInvalid
	}
	err := b.Backdate(ctx, hashToken(token), d)
	if errors.Is(err, ErrNotFound) {
		return problem.SessionInvalid
	}
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	return nil
}

// Backdate implements the test control over SQL.
func (s *SQLStore) Backdate(ctx context.Context, hash string, d time.Duration) error {
	res, err := s.DB.ExecContext(ctx, `UPDATE login_sessions SET created_at = created_at - $2,
		last_seen_at = last_seen_at - $2, expires_at = expires_at - $2,
		ended_at = CASE WHEN ended_at = 0 THEN 0 ELSE ended_at - $2 END WHERE session_hash = $1`, hash, int64(d))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrNotFound
	}
	return nil
}
