package consent

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jr0185/harness/sandbox/internal/store"
)

// Token kinds.
const (
	tokenAccess  = "access"
	tokenRefresh = "refresh"
)

// AuthCode is a stored authorization code (its digest, never the code).
type AuthCode struct {
	Hash        string
	ConsentID   string
	AppID       string
	RedirectURI string
	Challenge   string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	UsedAt      time.Time
}

// Token is a stored access or refresh token (its digest, never the token).
type Token struct {
	Hash            string
	Kind            string // access | refresh
	ConsentID       string
	AppID           string
	CertFingerprint string
	CreatedAt       time.Time
	ExpiresAt       time.Time
	RotatedAt       time.Time // refresh tokens: when exchanged for a new pair
	RevokedAt       time.Time
	RevokedBy       string
}

// Store is what the service needs from storage.
type Store interface {
	InsertAuthRequest(ctx context.Context, r AuthRequest) error
	GetAuthRequest(ctx context.Context, id string) (AuthRequest, error)
	// Approve decides a pending, unexpired request and stores its consent and code in
	// one transaction; ErrConflict if the request is no longer pending.
	Approve(ctx context.Context, requestID string, now time.Time, c Consent, code AuthCode) error
	Refuse(ctx context.Context, requestID, customerID string, now time.Time) error
	GetCode(ctx context.Context, hash string) (AuthCode, error)
	// RedeemCode marks an unused code used and stores the tokens; ErrConflict if used.
	RedeemCode(ctx context.Context, hash string, now time.Time, tokens []Token) error
	GetToken(ctx context.Context, hash string) (Token, error)
	// RotateRefresh marks an unrotated, unrevoked refresh token rotated and stores the
	// new tokens; ErrConflict if it was already rotated or revoked.
	RotateRefresh(ctx context.Context, hash string, now time.Time, tokens []Token) error
	RevokeToken(ctx context.Context, hash string, now time.Time, by string) error
	// RevokeGrant revokes every token of a consent and, if endConsent, the consent
	// itself when it is still active.
	RevokeGrant(ctx context.Context, consentID string, now time.Time, by, reason string, endConsent bool) error
	RevokeAppTokens(ctx context.Context, appID string, now time.Time, by string) (int64, error)
	// EndAppConsents revokes every token of the App_ID and ends its active consents.
	EndAppConsents(ctx context.Context, appID string, now time.Time, by, reason string) (int64, error)
	GetConsent(ctx context.Context, id string) (Consent, error)
	ListConsents(ctx context.Context, customerID string) ([]Consent, error)
	// UseConsent marks an active, unexpired payment consent used; false otherwise.
	UseConsent(ctx context.Context, id string, now time.Time) (bool, error)
	// Sweep marks consents past their validity expired and deletes requests, codes and
	// tokens that expired before cutoff.
	Sweep(ctx context.Context, now, cutoff time.Time) error
}

// Errors of the store.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("state changed")
)

// SQLStore implements Store (and Accounts) over database/sql with portable SQL. W,
// when set (a store.Committer: group commit), carries the write on the payment path
// (UseConsent); everything else uses DB, except the per-request reads, which use R
// when it is set.
type SQLStore struct {
	DB *sql.DB
	W  store.Writer
	R  store.Querier // when set: read-only pool for the per-request reads (GetToken, GetConsent)
}

// reader is the pool for the per-request reads: R, which reads beside the one writing
// connection (WAL), or DB.
func (s *SQLStore) reader() store.Querier {
	if s.R != nil {
		return s.R
	}
	return s.DB
}

var (
	_ Store    = (*SQLStore)(nil)
	_ Accounts = (*SQLStore)(nil)
)

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *SQLStore) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return store.InTx(ctx, s.DB, fn)
}

func ns(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func at(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func one(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrConflict
	}
	return nil
}

func paymentCols(p *Payment) (int64, string, string, string, string) {
	if p == nil {
		return 0, "", "", "", ""
	}
	return p.AmountFen, p.Currency, p.PayeeName, p.PayeeMasked, p.payeeDigest
}

func paymentFrom(kind Kind, amount int64, currency, name, masked, dig string) *Payment {
	if kind != KindPayment {
		return nil
	}
	return &Payment{AmountFen: amount, Currency: currency, PayeeName: name, PayeeMasked: masked, payeeDigest: dig}
}

// InsertAuthRequest implements Store.
func (s *SQLStore) InsertAuthRequest(ctx context.Context, r AuthRequest) error {
	amount, cur, name, masked, dig := paymentCols(r.Payment)
	_, err := s.DB.ExecContext(ctx, `INSERT INTO auth_requests (request_id, app_id, redirect_uri, scopes, state, code_challenge, kind,
		valid_days, amount_fen, currency, payee_name, payee_masked, payee_digest, account_hint, status, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		r.ID, r.AppID, r.RedirectURI, strings.Join(r.Scopes, " "), r.State, r.challenge, string(r.Kind), r.ValidDays,
		amount, cur, name, masked, dig, r.AccountHint, r.Status, ns(r.CreatedAt), ns(r.ExpiresAt))
	return err
}

// GetAuthRequest implements Store.
func (s *SQLStore) GetAuthRequest(ctx context.Context, id string) (AuthRequest, error) {
	var r AuthRequest
	var scopes, cur, name, masked, dig string
	var amount, created, expires, decided int64
	err := s.DB.QueryRowContext(ctx, `SELECT request_id, app_id, redirect_uri, scopes, state, code_challenge, kind, valid_days,
		amount_fen, currency, payee_name, payee_masked, payee_digest, account_hint, status, customer_id, created_at, expires_at, decided_at
		FROM auth_requests WHERE request_id = $1`, id).Scan(&r.ID, &r.AppID, &r.RedirectURI, &scopes, &r.State, &r.challenge, &r.Kind,
		&r.ValidDays, &amount, &cur, &name, &masked, &dig, &r.AccountHint, &r.Status, &r.CustomerID, &created, &expires, &decided)
	if errors.Is(err, sql.ErrNoRows) {
		return AuthRequest{}, ErrNotFound
	}
	if err != nil {
		return AuthRequest{}, err
	}
	r.Scopes = strings.Fields(scopes)
	r.Payment = paymentFrom(r.Kind, amount, cur, name, masked, dig)
	r.CreatedAt, r.ExpiresAt, r.DecidedAt = at(created), at(expires), at(decided)
	return r, nil
}

// Approve implements Store.
func (s *SQLStore) Approve(ctx context.Context, requestID string, now time.Time, c Consent, code AuthCode) error {
	return s.tx(ctx, func(t *sql.Tx) error {
		if err := one(t.ExecContext(ctx, `UPDATE auth_requests SET status = 'approved', customer_id = $2, decided_at = $3
			WHERE request_id = $1 AND status = 'pending' AND expires_at > $3`, requestID, c.CustomerID, ns(now))); err != nil {
			return err
		}
		amount, cur, name, masked, dig := paymentCols(c.Payment)
		if _, err := t.ExecContext(ctx, `INSERT INTO consents (consent_id, request_id, customer_id, app_id, kind, scopes, status,
			created_at, expires_at, amount_fen, currency, payee_name, payee_masked, payee_digest)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			c.ID, c.RequestID, c.CustomerID, c.AppID, string(c.Kind), strings.Join(c.Scopes, " "), string(c.Status),
			ns(c.CreatedAt), ns(c.ExpiresAt), amount, cur, name, masked, dig); err != nil {
			return err
		}
		for _, a := range c.Accounts {
			if _, err := t.ExecContext(ctx, `INSERT INTO consent_accounts (consent_id, account_no) VALUES ($1, $2)`, c.ID, a); err != nil {
				return err
			}
		}
		_, err := t.ExecContext(ctx, `INSERT INTO auth_codes (code_hash, consent_id, app_id, redirect_uri, code_challenge, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, code.Hash, code.ConsentID, code.AppID, code.RedirectURI, code.Challenge,
			ns(code.CreatedAt), ns(code.ExpiresAt))
		return err
	})
}

// Refuse implements Store.
func (s *SQLStore) Refuse(ctx context.Context, requestID, customerID string, now time.Time) error {
	return one(s.DB.ExecContext(ctx, `UPDATE auth_requests SET status = 'refused', customer_id = $2, decided_at = $3
		WHERE request_id = $1 AND status = 'pending' AND expires_at > $3`, requestID, customerID, ns(now)))
}

// GetCode implements Store.
func (s *SQLStore) GetCode(ctx context.Context, hash string) (AuthCode, error) {
	var c AuthCode
	var created, expires, used int64
	err := s.DB.QueryRowContext(ctx, `SELECT code_hash, consent_id, app_id, redirect_uri, code_challenge, created_at, expires_at, used_at
		FROM auth_codes WHERE code_hash = $1`, hash).Scan(&c.Hash, &c.ConsentID, &c.AppID, &c.RedirectURI, &c.Challenge, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return AuthCode{}, ErrNotFound
	}
	c.CreatedAt, c.ExpiresAt, c.UsedAt = at(created), at(expires), at(used)
	return c, err
}

func insertTokens(ctx context.Context, q querier, tokens []Token) error {
	for _, k := range tokens {
		if _, err := q.ExecContext(ctx, `INSERT INTO oauth_tokens (token_hash, kind, consent_id, app_id, cert_fingerprint, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, k.Hash, k.Kind, k.ConsentID, k.AppID, k.CertFingerprint, ns(k.CreatedAt), ns(k.ExpiresAt)); err != nil {
			return err
		}
	}
	return nil
}

// RedeemCode implements Store.
func (s *SQLStore) RedeemCode(ctx context.Context, hash string, now time.Time, tokens []Token) error {
	return s.tx(ctx, func(t *sql.Tx) error {
		if err := one(t.ExecContext(ctx, `UPDATE auth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at = 0`, hash, ns(now))); err != nil {
			return err
		}
		return insertTokens(ctx, t, tokens)
	})
}

// GetToken implements Store.
func (s *SQLStore) GetToken(ctx context.Context, hash string) (Token, error) {
	var k Token
	var created, expires, rotated, revoked int64
	err := s.reader().QueryRowContext(ctx, `SELECT token_hash, kind, consent_id, app_id, cert_fingerprint, created_at, expires_at, rotated_at,
		revoked_at, revoked_by FROM oauth_tokens WHERE token_hash = $1`, hash).Scan(&k.Hash, &k.Kind, &k.ConsentID, &k.AppID,
		&k.CertFingerprint, &created, &expires, &rotated, &revoked, &k.RevokedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrNotFound
	}
	k.CreatedAt, k.ExpiresAt, k.RotatedAt, k.RevokedAt = at(created), at(expires), at(rotated), at(revoked)
	return k, err
}

// RotateRefresh implements Store.
func (s *SQLStore) RotateRefresh(ctx context.Context, hash string, now time.Time, tokens []Token) error {
	return s.tx(ctx, func(t *sql.Tx) error {
		if err := one(t.ExecContext(ctx, `UPDATE oauth_tokens SET rotated_at = $2 WHERE token_hash = $1 AND kind = 'refresh'
			AND rotated_at = 0 AND revoked_at = 0`, hash, ns(now))); err != nil {
			return err
		}
		return insertTokens(ctx, t, tokens)
	})
}

// RevokeToken implements Store.
func (s *SQLStore) RevokeToken(ctx context.Context, hash string, now time.Time, by string) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE oauth_tokens SET revoked_at = $2, revoked_by = $3 WHERE token_hash = $1 AND revoked_at = 0`,
		hash, ns(now), by)
	return err
}

// Revocations keyed by one column, $1 (a consent's, an App_ID's), at $2 by $3:
// revoke* revokes its live tokens, end* ends its active consents with reason $4.
const (
	revokeByConsentSQL  = `UPDATE oauth_tokens SET revoked_at = $2, revoked_by = $3 WHERE consent_id = $1 AND revoked_at = 0`
	revokeByAppSQL      = `UPDATE oauth_tokens SET revoked_at = $2, revoked_by = $3 WHERE app_id = $1 AND revoked_at = 0`
	endConsentsWhereSQL = `UPDATE consents SET status = 'revoked', revoked_at = $2, revoked_by = $3, revoke_reason = $4 WHERE `
	endByConsentSQL     = endConsentsWhereSQL + `consent_id = $1 AND status = 'active'`
	endByAppSQL         = endConsentsWhereSQL + `app_id = $1 AND status = 'active'`
)

// RevokeGrant implements Store.
func (s *SQLStore) RevokeGrant(ctx context.Context, consentID string, now time.Time, by, reason string, endConsent bool) error {
	return s.tx(ctx, func(t *sql.Tx) error {
		if _, err := t.ExecContext(ctx, revokeByConsentSQL, consentID, ns(now), by); err != nil {
			return err
		}
		if !endConsent {
			return nil
		}
		_, err := t.ExecContext(ctx, endByConsentSQL, consentID, ns(now), by, reason)
		return err
	})
}

// RevokeAppTokens implements Store.
func (s *SQLStore) RevokeAppTokens(ctx context.Context, appID string, now time.Time, by string) (int64, error) {
	res, err := s.DB.ExecContext(ctx, revokeByAppSQL, appID, ns(now), by)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

const consentCols = `consent_id, request_id, customer_id, app_id, kind, scopes, status, created_at, expires_at, amount_fen, currency,
	payee_name, payee_masked, payee_digest, revoked_at, revoked_by, revoke_reason, used_at`

func scanConsent(row interface{ Scan(...any) error }) (Consent, error) {
	var c Consent
	var scopes, cur, name, masked, dig string
	var created, expires, amount, revoked, used int64
	err := row.Scan(&c.ID, &c.RequestID, &c.CustomerID, &c.AppID, &c.Kind, &scopes, &c.Status, &created, &expires, &amount, &cur,
		&name, &masked, &dig, &revoked, &c.RevokedBy, &c.RevokeReason, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return Consent{}, ErrNotFound
	}
	c.Scopes = strings.Fields(scopes)
	c.Payment = paymentFrom(c.Kind, amount, cur, name, masked, dig)
	c.CreatedAt, c.ExpiresAt, c.RevokedAt, c.UsedAt = at(created), at(expires), at(revoked), at(used)
	return c, err
}

func (s *SQLStore) accounts(ctx context.Context, consentID string) ([]string, error) {
	return accountNumbers(ctx, s.reader(), `SELECT account_no FROM consent_accounts WHERE consent_id = $1 ORDER BY account_no`, consentID)
}

// accountNumbers runs a query of one account_no column.
func accountNumbers(ctx context.Context, q querier, query string, arg any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// GetConsent implements Store.
func (s *SQLStore) GetConsent(ctx context.Context, id string) (Consent, error) {
	c, err := scanConsent(s.reader().QueryRowContext(ctx, `SELECT `+consentCols+` FROM consents WHERE consent_id = $1`, id))
	if err != nil {
		return Consent{}, err
	}
	c.Accounts, err = s.accounts(ctx, id)
	return c, err
}

// ListConsents implements Store: newest first.
func (s *SQLStore) ListConsents(ctx context.Context, customerID string) ([]Consent, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT `+consentCols+` FROM consents WHERE customer_id = $1 ORDER BY created_at DESC, consent_id`, customerID)
	if err != nil {
		return nil, err
	}
	var out []Consent
	for rows.Next() {
		c, err := scanConsent(rows)
		if err != nil {
			_ = rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Accounts, err = s.accounts(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UseConsent implements Store.
func (s *SQLStore) UseConsent(ctx context.Context, id string, now time.Time) (used bool, err error) {
	err = store.WriterFor(s.W, s.DB).Tx(ctx, func(tx *sql.Tx) error {
		used, err = useConsent(ctx, store.On(s.W, tx), id, now)
		return err
	})
	return used, err
}

// UseConsentTx is UseConsent inside the caller's transaction, so that a payment
// posting and the consumption of its consent commit together.
func (s *SQLStore) UseConsentTx(ctx context.Context, tx *sql.Tx, id string, now time.Time) (bool, error) {
	return useConsent(ctx, store.On(s.W, tx), id, now)
}

// GetConsentTx is GetConsent inside the caller's transaction (without the account
// list), for explaining a refused UseConsentTx without touching the *sql.DB.
func (s *SQLStore) GetConsentTx(ctx context.Context, tx *sql.Tx, id string) (Consent, error) {
	return scanConsent(store.On(s.W, tx).QueryRowContext(ctx, `SELECT `+consentCols+` FROM consents WHERE consent_id = $1`, id))
}

func useConsent(ctx context.Context, q querier, id string, now time.Time) (bool, error) {
	err := one(q.ExecContext(ctx, `UPDATE consents SET status = 'used', used_at = $2
		WHERE consent_id = $1 AND kind = 'payment' AND status = 'active' AND expires_at > $2`, id, ns(now)))
	if errors.Is(err, ErrConflict) {
		return false, nil
	}
	return err == nil, err
}

// Sweep implements Store.
func (s *SQLStore) Sweep(ctx context.Context, now, cutoff time.Time) error {
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE consents SET status = 'expired' WHERE status = 'active' AND expires_at <= $1`, []any{ns(now)}},
		{`DELETE FROM auth_requests WHERE expires_at < $1`, []any{ns(cutoff)}},
		{`DELETE FROM auth_codes WHERE expires_at < $1`, []any{ns(cutoff)}},
		{`DELETE FROM oauth_tokens WHERE expires_at < $1`, []any{ns(cutoff)}},
	} {
		if _, err := s.DB.ExecContext(ctx, q.sql, q.args...); err != nil {
			return err
		}
	}
	return nil
}

// AccountsOf implements Accounts from the accounts table.
func (s *SQLStore) AccountsOf(ctx context.Context, customerID string) ([]string, error) {
	return accountNumbers(ctx, s.DB, `SELECT account_no FROM accounts WHERE customer_id = $1 ORDER BY account_no`, customerID)
}
