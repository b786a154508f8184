package consent

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"time"

	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// ExchangeCode is the token endpoint's authorization_code grant (RFC 6749 4.1.3, RFC
// 7636 4.6). appID and certFingerprint come from the gateway's admission of the call
// (mutual TLS, SM2 signature): the access token is bound to both. A code works once,
// within CodeTTL, for the App_ID and redirect URI it was issued to, with the verifier of
// its challenge; a second use revokes everything issued from it (RFC 6749 4.1.2).
func (s *Service) ExchangeCode(ctx context.Context, appID, code, codeVerifier, redirectURI, certFingerprint string) (TokenSet, error) {
	if certFingerprint == "" {
		return TokenSet{}, problem.ClientCertRequired.WithDetail("the token endpoint needs the client certificate tokens are bound to")
	}
	if s.opts.Mutant.Is(mutant.UnknownGrantError) && !wellFormed(code, PrefixCode) {
		return TokenSet{}, problem.Internal.Wrap(errors.New("code lookup failed"))
	}
	if !wellFormed(code, PrefixCode) {
		return TokenSet{}, problem.AuthCodeInvalid
	}
	ac, err := s.Store.GetCode(ctx, digest(code))
	if errors.Is(err, ErrNotFound) {
		if s.opts.Mutant.Is(mutant.UnknownGrantError) {
			return TokenSet{}, problem.Internal.Wrap(err)
		}
		return TokenSet{}, problem.AuthCodeInvalid
	}
	if err != nil {
		return TokenSet{}, problem.Internal.Wrap(err)
	}
	now := s.Clock.Now()
	switch {
	case ac.AppID != appID && !s.opts.Mutant.Is(mutant.CodeAnyApp): // 10.2.2/1: another App_ID cannot redeem it
		return TokenSet{}, problem.AuthCodeInvalid
	case !ac.UsedAt.IsZero():
		return TokenSet{}, s.codeReused(ctx, ac, now)
	case !now.Before(ac.ExpiresAt):
		return TokenSet{}, problem.AuthCodeExpired.WithDetail("authorization codes are valid for %s", s.opts.CodeTTL)
	case ac.RedirectURI != redirectURI:
		return TokenSet{}, problem.RedirectURIMismatch.WithDetail("redirect_uri must be the one sent with the authorization request")
	case !verifierOK(codeVerifier, ac.Challenge) && !s.opts.Mutant.Is(mutant.SkipPKCE):
		return TokenSet{}, s.pkceFailed(ctx, ac, codeVerifier, now)
	}
	c, err := s.consent(ctx, ac.ConsentID, now)
	if err != nil {
		// Between our read of the code and of its consent, a concurrent exchange may
		// have redeemed the code and another, seeing it reused, revoked the consent:
		// then the code's reuse is the answer, as for every other late exchange.
		if again, gerr := s.Store.GetCode(ctx, ac.Hash); gerr == nil && !again.UsedAt.IsZero() {
			return TokenSet{}, s.codeReused(ctx, ac, now)
		}
		return TokenSet{}, err
	}
	set, tokens, err := s.newTokens(c, appID, certFingerprint, now)
	if err != nil {
		return TokenSet{}, problem.Internal.Wrap(err)
	}
	if err := s.Store.RedeemCode(ctx, ac.Hash, now, tokens); errors.Is(err, ErrConflict) {
		// A concurrent exchange redeemed the code first: answer exactly as an exchange
		// that came after it (a used code stays used, so the second pass ends earlier).
		return s.ExchangeCode(ctx, appID, code, codeVerifier, redirectURI, certFingerprint)
	} else if err != nil {
		return TokenSet{}, problem.Internal.Wrap(err)
	}
	return set, nil
}

// pkceFailed voids the code (a code presented without its verifier may be in an
// attacker's hands: it must not be tried again) and names what was wrong: no verifier
// at all (PKCE_REQUIRED) or one that does not match the challenge (RFC 7636 4.6;
// JR/T 0185-2020 10.2.2/1).
func (s *Service) pkceFailed(ctx context.Context, ac AuthCode, codeVerifier string, now time.Time) error {
	if !s.opts.Mutant.Is(mutant.PKCEFailureKeepsCode) {
		if err := s.Store.RedeemCode(ctx, ac.Hash, now, nil); err != nil && !errors.Is(err, ErrConflict) {
			return problem.Internal.Wrap(err)
		}
	}
	if codeVerifier == "" && !s.opts.Mutant.Is(mutant.PKCEMissingAsInvalid) {
		return problem.PKCERequired.WithDetail("send the code_verifier of the authorization request's code_challenge; the code is now void")
	}
	return problem.PKCEVerifierInvalid.WithDetail("BASE64URL(SHA-256(code_verifier)) must equal the code_challenge (the verifier is 43 to 128 unreserved characters); the code is now void")
}

func (s *Service) codeReused(ctx context.Context, ac AuthCode, now time.Time) error {
	if s.opts.Mutant.Is(mutant.CodeReuseKeepsGrant) {
		return problem.AuthCodeUsed
	}
	if err := s.Store.RevokeGrant(ctx, ac.ConsentID, now, ByBank, "authorization code used twice", true); err != nil {
		return problem.Internal.Wrap(err)
	}
	return problem.AuthCodeUsed
}

// Refresh is the refresh_token grant (RFC 6749 6). The refresh token is rotated: the
// new pair replaces it, and presenting a rotated token again is taken as theft — the
// whole grant (consent and every token) is revoked. The new access token is bound to
// the certificate of this call, so a partner can roll its certificate over.
func (s *Service) Refresh(ctx context.Context, appID, refreshToken, certFingerprint string) (TokenSet, error) {
	if certFingerprint == "" {
		return TokenSet{}, problem.ClientCertRequired.WithDetail("the token endpoint needs the client certificate tokens are bound to")
	}
	if !wellFormed(refreshToken, PrefixRefreshToken) {
		return TokenSet{}, problem.RefreshTokenInvalid
	}
	t, err := s.Store.GetToken(ctx, digest(refreshToken))
	if errors.Is(err, ErrNotFound) && s.opts.Mutant.Is(mutant.UnknownGrantError) {
		return TokenSet{}, problem.Internal.Wrap(err)
	}
	if errors.Is(err, ErrNotFound) || (err == nil && t.Kind != tokenRefresh) {
		return TokenSet{}, problem.RefreshTokenInvalid
	}
	if err != nil {
		return TokenSet{}, problem.Internal.Wrap(err)
	}
	if t.AppID != appID {
		return TokenSet{}, problem.RefreshTokenInvalid.WithDetail("the refresh token was issued to another App_ID")
	}
	now := s.Clock.Now()
	c, err := s.consent(ctx, t.ConsentID, now)
	if err != nil {
		return TokenSet{}, err
	}
	switch {
	case !t.RotatedAt.IsZero() && !s.opts.Mutant.Is(mutant.RefreshNotRotated):
		return TokenSet{}, s.refreshReused(ctx, t, now)
	case !t.RevokedAt.IsZero():
		return TokenSet{}, revokedErr(t.RevokedBy)
	case !now.Before(t.ExpiresAt):
		return TokenSet{}, problem.RefreshTokenInvalid.WithDetail("the refresh token expired with the consent")
	}
	set, tokens, err := s.newTokens(c, appID, certFingerprint, now)
	if err != nil {
		return TokenSet{}, problem.Internal.Wrap(err)
	}
	if err := s.Store.RotateRefresh(ctx, t.Hash, now, tokens); errors.Is(err, ErrConflict) {
		if s.opts.Mutant.Is(mutant.RefreshNotRotated) {
			return set, nil // as if rotated refresh tokens were never remembered
		}
		// A concurrent refresh or revocation got there first: answer exactly as a
		// request that came after it (rotated and revoked are never undone, so the
		// second pass ends before this point).
		return s.Refresh(ctx, appID, refreshToken, certFingerprint)
	} else if err != nil {
		return TokenSet{}, problem.Internal.Wrap(err)
	}
	return set, nil
}

func (s *Service) refreshReused(ctx context.Context, t Token, now time.Time) error {
	if err := s.Store.RevokeGrant(ctx, t.ConsentID, now, ByBank, "rotated refresh token presented again", true); err != nil {
		return problem.Internal.Wrap(err)
	}
	return problem.RefreshTokenReused
}

// newTokens mints an access token (AccessTokenTTL, never beyond the consent) and, for a
// periodic consent, a refresh token valid until the consent expires.
func (s *Service) newTokens(c Consent, appID, certFingerprint string, now time.Time) (TokenSet, []Token, error) {
	at, err := secret(PrefixAccessToken)
	if err != nil {
		return TokenSet{}, nil, err
	}
	exp := now.Add(s.opts.AccessTokenTTL)
	if exp.After(c.ExpiresAt) {
		exp = c.ExpiresAt
	}
	set := TokenSet{AccessToken: at, TokenType: "Bearer", ExpiresIn: int(exp.Sub(now).Seconds()), ExpiresAt: exp,
		Scope: joinScopes(c.Scopes), ConsentID: c.ID}
	tokens := []Token{{Hash: digest(at), Kind: tokenAccess, ConsentID: c.ID, AppID: appID, CertFingerprint: certFingerprint,
		CreatedAt: now, ExpiresAt: exp}}
	if c.Kind == KindAccountInfo {
		rt, err := secret(PrefixRefreshToken)
		if err != nil {
			return TokenSet{}, nil, err
		}
		set.RefreshToken, set.RefreshExpiresAt = rt, c.ExpiresAt
		tokens = append(tokens, Token{Hash: digest(rt), Kind: tokenRefresh, ConsentID: c.ID, AppID: appID,
			CertFingerprint: certFingerprint, CreatedAt: now, ExpiresAt: c.ExpiresAt})
	}
	return set, tokens, nil
}

// Authorize is called by the gateway for every A2 call made with a user's access token.
// It checks, in this order: the token exists (TOKEN_INVALID), was issued to this App_ID
// (TOKEN_APP_MISMATCH) and bound to this client certificate (TOKEN_CERT_MISMATCH; RFC
// 8705), the consent is in force (CONSENT_REVOKED, CONSENT_USED, CONSENT_EXPIRED), the
// token is not revoked (TOKEN_REVOKED) or expired (TOKEN_EXPIRED), requiredScope (never
// empty: pass the API's scope) was consented (SCOPE_NOT_CONSENTED) and accountNo, unless empty, is one of the consented
// accounts. An account outside the consent — another customer's included — is
// ACCOUNT_NOT_FOUND, exactly as for an account that does not exist (9.3.2/1a).
func (s *Service) Authorize(ctx context.Context, accessToken, appID, certFingerprint, requiredScope, accountNo string) (Grant, error) {
	return s.authorize(ctx, accessToken, appID, certFingerprint, requiredScope, accountNo, false)
}

// AuthorizeReplay is Authorize for an idempotent retry: every check applies, except
// that a single-use consent already spent passes with Grant.Used set, so the retry can
// be answered with the first result. The caller must not act on a used grant.
func (s *Service) AuthorizeReplay(ctx context.Context, accessToken, appID, certFingerprint, requiredScope string) (Grant, error) {
	return s.authorize(ctx, accessToken, appID, certFingerprint, requiredScope, "", true)
}

func (s *Service) authorize(ctx context.Context, accessToken, appID, certFingerprint, requiredScope, accountNo string, allowUsed bool) (Grant, error) {
	if !wellFormed(accessToken, PrefixAccessToken) {
		return Grant{}, problem.TokenInvalid
	}
	t, err := s.Store.GetToken(ctx, digest(accessToken))
	if errors.Is(err, ErrNotFound) || (err == nil && t.Kind != tokenAccess) {
		return Grant{}, problem.TokenInvalid
	}
	if err != nil {
		return Grant{}, problem.Internal.Wrap(err)
	}
	anyApp := s.opts.Mutant.Is(mutant.TokenAnyApp)
	if t.AppID != appID && !anyApp {
		return Grant{}, problem.TokenAppMismatch
	}
	// JR/T 0185-2020 9.2.1 b) 3): the token is bound to the client certificate it was issued over.
	unbound := anyApp || s.opts.Mutant.Is(mutant.TokenCertUnbound)
	if (certFingerprint == "" || subtle.ConstantTimeCompare([]byte(t.CertFingerprint), []byte(certFingerprint)) != 1) && !unbound {
		return Grant{}, problem.TokenCertMismatch.WithDetail("present the client certificate the token was issued over")
	}
	now := s.Clock.Now()
	c, err := s.consent(ctx, t.ConsentID, now)
	used := false
	if allowUsed && errors.Is(err, problem.ConsentUsed) {
		if c, err = s.Store.GetConsent(ctx, t.ConsentID); err != nil {
			return Grant{}, problem.Internal.Wrap(err)
		}
		used = true
	}
	if err != nil {
		return Grant{}, err
	}
	switch {
	case !t.RevokedAt.IsZero():
		return Grant{}, revokedErr(t.RevokedBy)
	case !now.Before(t.ExpiresAt) && !s.opts.Mutant.Is(mutant.IgnoreTokenExpiry):
		return Grant{}, problem.TokenExpired.WithDetail("access tokens are valid for %s; use the refresh token or ask the user again", s.opts.AccessTokenTTL)
	case requiredScope == "" || (!contains(c.Scopes, requiredScope) && !s.opts.Mutant.Is(mutant.TokenScopeUnchecked)):
		return Grant{}, problem.ScopeNotConsented.WithDetail("the user did not consent to scope %q", problem.Clip(requiredScope))
	case accountNo != "" && !contains(c.Accounts, accountNo):
		return Grant{}, problem.AccountNotFound
	}
	return Grant{ConsentID: c.ID, CustomerID: c.CustomerID, AppID: c.AppID, Kind: c.Kind, Scopes: c.Scopes, Accounts: c.Accounts,
		ExpiresAt: c.ExpiresAt, TokenExpiresAt: t.ExpiresAt, Payment: c.Payment, Used: used}, nil
}

// UseOnce consumes a single-use payment consent (9.3.2/1c: 单次有效). A second use is
// CONSENT_USED.
func (s *Service) UseOnce(ctx context.Context, consentID string) error {
	if s.opts.Mutant.Is(mutant.ConsentPaysTwice) {
		return nil
	}
	now := s.Clock.Now()
	ok, err := s.Store.UseConsent(ctx, consentID, now)
	return s.used(ctx, consentID, now, ok, err, s.Store.GetConsent)
}

// UseOnceTx is UseOnce inside the caller's transaction (the payment's), so the consent
// is consumed exactly when the payment commits. The store must be a *SQLStore. It reads
// only through tx: the database's one connection is the transaction's.
func (s *Service) UseOnceTx(ctx context.Context, tx *sql.Tx, consentID string) error {
	st, ok := s.Store.(interface {
		UseConsentTx(ctx context.Context, tx *sql.Tx, id string, now time.Time) (bool, error)
		GetConsentTx(ctx context.Context, tx *sql.Tx, id string) (Consent, error)
	})
	if !ok {
		return problem.Internal.Wrap(errors.New("consent: store has no transactional UseConsentTx"))
	}
	if s.opts.Mutant.Is(mutant.ConsentPaysTwice) {
		return nil // the consent is checked at admission but never spent
	}
	now := s.Clock.Now()
	used, err := st.UseConsentTx(ctx, tx, consentID, now)
	return s.used(ctx, consentID, now, used, err, func(ctx context.Context, id string) (Consent, error) {
		return st.GetConsentTx(ctx, tx, id)
	})
}

func (s *Service) used(ctx context.Context, consentID string, now time.Time, ok bool, err error,
	get func(context.Context, string) (Consent, error)) error {
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	if ok {
		return nil
	}
	c, err := get(ctx, consentID)
	if errors.Is(err, ErrNotFound) {
		return problem.ConsentNotFound
	}
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	if c.Kind != KindPayment {
		return problem.StateConflict.WithDetail("an account_info consent is periodic, not single-use")
	}
	if perr := usable(c, now, s.opts.Mutant.Is(mutant.IgnoreConsentExpiry)); perr != nil {
		return perr
	}
	return problem.ConsentUsed // lost a race with a concurrent use
}

// RevokeToken is the partner's revocation endpoint (RFC 7009). Revoking an access token
// ends that token; revoking a refresh token ends the grant: the consent and every
// token under it. Unknown tokens are not an error (RFC 7009 2.2).
func (s *Service) RevokeToken(ctx context.Context, appID, token string) error {
	if !wellFormed(token, PrefixAccessToken) && !wellFormed(token, PrefixRefreshToken) {
		return nil
	}
	t, err := s.Store.GetToken(ctx, digest(token))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	if t.AppID != appID {
		return problem.TokenAppMismatch
	}
	now := s.Clock.Now()
	if s.opts.Mutant.Is(mutant.PartnerRevokeIgnored) {
		return nil
	}
	if t.Kind == tokenRefresh {
		err = s.Store.RevokeGrant(ctx, t.ConsentID, now, ByPartner, "refresh token revoked by the partner", true)
	} else {
		err = s.Store.RevokeToken(ctx, t.Hash, now, ByPartner)
	}
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	return nil
}

// RevokeAllForApp is the bank cutting an app off at once (JR/T 0185-2020 9.2.1 b) 4):
// 主动失效令牌): every access and refresh token of the App_ID is revoked. Consents stay
// as the customers gave them (the portal still lists them and customers can withdraw
// them); the partner needs a new authorization to get tokens again.
func (s *Service) RevokeAllForApp(ctx context.Context, appID string) (int64, error) {
	n, err := s.Store.RevokeAppTokens(ctx, appID, s.Clock.Now(), ByBank)
	if err != nil {
		return 0, problem.Internal.Wrap(err)
	}
	return n, nil
}

// Sweep is housekeeping: consents past their validity are marked expired, and requests,
// codes and tokens that expired a day ago are deleted.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.Clock.Now()
	if err := s.Store.Sweep(ctx, now, now.Add(-24*time.Hour)); err != nil {
		return problem.Internal.Wrap(err)
	}
	return nil
}

// consent loads a consent that is in force.
func (s *Service) consent(ctx context.Context, id string, now time.Time) (Consent, error) {
	c, err := s.Store.GetConsent(ctx, id)
	if err != nil {
		return Consent{}, problem.Internal.Wrap(err) // tokens and codes always have a consent
	}
	if err := usable(c, now, s.opts.Mutant.Is(mutant.IgnoreConsentExpiry)); err != nil {
		return Consent{}, err
	}
	return c, nil
}

// usable says why a consent cannot be used now (revoked, used or expired), or nil.
// ignoreExpiry is the ignore-consent-expiry mutant bank.
func usable(c Consent, now time.Time, ignoreExpiry bool) error {
	switch c.effective(now) {
	case StatusRevoked:
		return problem.ConsentRevoked.WithDetail("the consent was revoked by the %s", revokedBy(c.RevokedBy))
	case StatusUsed:
		return problem.ConsentUsed.WithDetail("this single-use payment consent was already used")
	case StatusExpired:
		if ignoreExpiry {
			return nil
		}
		return problem.ConsentExpired.WithDetail("the consent was valid until %s; ask the user again", c.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

func revokedErr(by string) error {
	return problem.TokenRevoked.WithDetail("the token was revoked by the %s", revokedBy(by))
}

func revokedBy(by string) string {
	switch by {
	case ByUser:
		return "user"
	case ByPartner:
		return "partner"
	}
	return "bank"
}

func joinScopes(sc []string) string {
	out := ""
	for i, s := range sc {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out
}
