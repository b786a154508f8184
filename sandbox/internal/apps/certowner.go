package apps

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

// CertOwner returns the App_ID a client certificate (by its SM3 fingerprint) is
// registered to, whatever the credential's state: the gateway tells a certificate of
// another App_ID (impersonation, JR/T 0185-2020 10.1.2/1b: 冒用) from an unknown one.
func (s *Service) CertOwner(ctx context.Context, fingerprint string) (string, bool, error) {
	if fingerprint == "" {
		return "", false, nil
	}
	id, err := s.store.ClientCertOwner(ctx, fingerprint)
	if errors.Is(err, ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, problem.Internal.Wrap(err)
	}
	return id, true, nil
}

// ClientCertOwner implements Store.
func (s *SQLStore) ClientCertOwner(ctx context.Context, fingerprint string) (string, error) {
	var id string
	err := s.DB.QueryRowContext(ctx, `SELECT app_id FROM app_credentials WHERE kind = $1 AND fingerprint = $2 ORDER BY created_at LIMIT 1`,
		string(KindClientCert), fingerprint).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return id, err
}
