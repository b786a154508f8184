package apps

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jr0185/harness/sandbox/internal/store"
)

// Store is what the service needs from storage.
type Store interface {
	InsertApp(ctx context.Context, a App, first Credential, ev Event) error
	GetApp(ctx context.Context, id string) (App, error)
	ListApps(ctx context.Context) ([]App, error)
	UpdateApp(ctx context.Context, a App, ev Event) error
	InsertCredential(ctx context.Context, c Credential, ev Event) error
	ListCredentials(ctx context.Context, appID string) ([]Credential, error)
	SetCredentialStatus(ctx context.Context, appID, serial string, st CredentialStatus, notAfter time.Time, ev Event) error
	ExitApp(ctx context.Context, a App, ev Event) error
	Events(ctx context.Context, appID string) ([]Event, error)
	// ClientCertOwner is the App_ID a client certificate fingerprint is registered to.
	ClientCertOwner(ctx context.Context, fingerprint string) (string, error)
}

// ErrNotFound is returned for an unknown App_ID or serial.
var ErrNotFound = errors.New("not found")

// SQLStore implements Store over database/sql with portable SQL.
type SQLStore struct{ DB *sql.DB }

var _ Store = (*SQLStore)(nil)

const appCols = `app_id, name, level, status, scopes, redirect_uris, notify_url, rate_rps, rate_burst, max_concurrent, created_at, updated_at`

func scanApp(row interface{ Scan(...any) error }) (App, error) {
	var a App
	var scopes, redirects string
	var created, updated int64
	err := row.Scan(&a.ID, &a.Name, &a.Level, &a.Status, &scopes, &redirects, &a.NotifyURL,
		&a.Limits.RPS, &a.Limits.Burst, &a.Limits.MaxConcurrent, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	a.Scopes = append([]string{}, strings.Fields(scopes)...)
	a.RedirectURIs = append([]string{}, strings.Fields(redirects)...)
	a.CreatedAt, a.UpdatedAt = time.Unix(0, created), time.Unix(0, updated)
	return a, err
}

func appArgs(a App) []any {
	return []any{a.ID, a.Name, string(a.Level), string(a.Status), strings.Join(a.Scopes, " "), strings.Join(a.RedirectURIs, " "),
		a.NotifyURL, a.Limits.RPS, a.Limits.Burst, a.Limits.MaxConcurrent, a.CreatedAt.UnixNano(), a.UpdatedAt.UnixNano()}
}

func tx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	return store.InTx(ctx, db, fn)
}

func insertEvent(ctx context.Context, t *sql.Tx, ev Event) error {
	_, err := t.ExecContext(ctx, `INSERT INTO app_events (app_id, at, action, detail) VALUES ($1, $2, $3, $4)`,
		ev.AppID, ev.At.UnixNano(), ev.Action, ev.Detail)
	return err
}

func insertCredential(ctx context.Context, t *sql.Tx, c Credential) error {
	_, err := t.ExecContext(ctx, `INSERT INTO app_credentials (app_id, serial, kind, material, fingerprint, not_before, not_after, status, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		c.AppID, c.Serial, string(c.Kind), c.Material, c.Fingerprint, c.NotBefore.UnixNano(), c.NotAfter.UnixNano(), string(c.Status), c.CreatedAt.UnixNano())
	return err
}

// InsertApp stores a new app with its first credential.
func (s *SQLStore) InsertApp(ctx context.Context, a App, first Credential, ev Event) error {
	return tx(ctx, s.DB, func(t *sql.Tx) error {
		if _, err := t.ExecContext(ctx, `INSERT INTO apps (`+appCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, appArgs(a)...); err != nil {
			return err
		}
		if first.Serial != "" {
			if err := insertCredential(ctx, t, first); err != nil {
				return err
			}
		}
		return insertEvent(ctx, t, ev)
	})
}

// GetApp loads one app.
func (s *SQLStore) GetApp(ctx context.Context, id string) (App, error) {
	return scanApp(s.DB.QueryRowContext(ctx, `SELECT `+appCols+` FROM apps WHERE app_id = $1`, id))
}

// ListApps lists every app, oldest first.
func (s *SQLStore) ListApps(ctx context.Context) ([]App, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT `+appCols+` FROM apps ORDER BY created_at, app_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []App
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateApp rewrites an app's mutable fields.
func (s *SQLStore) UpdateApp(ctx context.Context, a App, ev Event) error {
	return tx(ctx, s.DB, func(t *sql.Tx) error {
		res, err := t.ExecContext(ctx, `UPDATE apps SET name = $2, level = $3, status = $4, scopes = $5, redirect_uris = $6, notify_url = $7,
			rate_rps = $8, rate_burst = $9, max_concurrent = $10, updated_at = $12 WHERE app_id = $1 AND created_at = $11`, appArgs(a)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotFound
		}
		return insertEvent(ctx, t, ev)
	})
}

// InsertCredential adds a credential.
func (s *SQLStore) InsertCredential(ctx context.Context, c Credential, ev Event) error {
	return tx(ctx, s.DB, func(t *sql.Tx) error {
		if err := insertCredential(ctx, t, c); err != nil {
			return err
		}
		return insertEvent(ctx, t, ev)
	})
}

// ListCredentials lists an app's credentials, newest first.
func (s *SQLStore) ListCredentials(ctx context.Context, appID string) ([]Credential, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT app_id, serial, kind, material, fingerprint, not_before, not_after, status, created_at
		FROM app_credentials WHERE app_id = $1 ORDER BY created_at DESC, serial`, appID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Credential
	for rows.Next() {
		var c Credential
		var nb, na, ca int64
		if err := rows.Scan(&c.AppID, &c.Serial, &c.Kind, &c.Material, &c.Fingerprint, &nb, &na, &c.Status, &ca); err != nil {
			return nil, err
		}
		c.NotBefore, c.NotAfter, c.CreatedAt = time.Unix(0, nb), time.Unix(0, na), time.Unix(0, ca)
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetCredentialStatus changes a credential's status and end of validity.
func (s *SQLStore) SetCredentialStatus(ctx context.Context, appID, serial string, st CredentialStatus, notAfter time.Time, ev Event) error {
	return tx(ctx, s.DB, func(t *sql.Tx) error {
		res, err := t.ExecContext(ctx, `UPDATE app_credentials SET status = $3, not_after = $4 WHERE app_id = $1 AND serial = $2`,
			appID, serial, string(st), notAfter.UnixNano())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotFound
		}
		return insertEvent(ctx, t, ev)
	})
}

// ExitApp marks the app exited and archives every credential in one transaction
// (JR/T 0185-2020 9.4/2: 认证信息作废处理，归档并保存待查).
func (s *SQLStore) ExitApp(ctx context.Context, a App, ev Event) error {
	return tx(ctx, s.DB, func(t *sql.Tx) error {
		if _, err := t.ExecContext(ctx, `UPDATE apps SET status = $2, updated_at = $3 WHERE app_id = $1`, a.ID, string(a.Status), a.UpdatedAt.UnixNano()); err != nil {
			return err
		}
		if _, err := t.ExecContext(ctx, `UPDATE app_credentials SET status = $2, not_after = CASE WHEN not_after > $3 THEN $3 ELSE not_after END WHERE app_id = $1`,
			a.ID, string(CredArchived), a.UpdatedAt.UnixNano()); err != nil {
			return err
		}
		return insertEvent(ctx, t, ev)
	})
}

// Events lists an app's history, oldest first.
func (s *SQLStore) Events(ctx context.Context, appID string) ([]Event, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT app_id, at, action, detail FROM app_events WHERE app_id = $1 ORDER BY id`, appID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&e.AppID, &at, &e.Action, &e.Detail); err != nil {
			return nil, err
		}
		e.At = time.Unix(0, at)
		out = append(out, e)
	}
	return out, rows.Err()
}
