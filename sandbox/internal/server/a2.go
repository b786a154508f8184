package server

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"time"

	"github.com/jr0185/harness/sandbox/internal/accounts"
	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/pki"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/protocol"
)

func (s *Server) a2Handlers() map[string]Handler {
	return map[string]Handler{
		"a2.oauth.token":           s.oauthToken,
		"a2.oauth.revoke":          s.oauthRevoke,
		"a2.accounts.list":         s.accountsList,
		"a2.accounts.get":          s.accountGet,
		"a2.accounts.balance":      s.accountBalance,
		"a2.accounts.transactions": s.accountTransactions,
		"a2.accounts.limits":       s.accountLimits,
		"a2.holdings.list":         s.holdingsList,
		"a2.payments.create":       s.paymentCreate,
		"a2.payments.get":          s.paymentGet,
	}
}

// oauthToken serves a2.oauth.token: the token endpoint is itself an A2 call — mutual
// TLS and an SM2-signed request — so the access token is bound to the certificate the
// partner authenticated with (JR/T 0185-2020 9.2.1 b2, b3).
func (s *Server) oauthToken(ctx context.Context, in Input) (int, any, error) {
	v, err := s.decodeForm(in.Header("Content-Type"), in.Body, "grant_type", "code", "redirect_uri", "code_verifier", "refresh_token")
	if err != nil {
		return 0, nil, err
	}
	adm := in.Admission
	switch v.Get("grant_type") {
	case "authorization_code":
		ts, err := s.d.Consent.ExchangeCode(ctx, adm.App.ID, v.Get("code"), v.Get("code_verifier"), v.Get("redirect_uri"), adm.CertFingerprint)
		return 200, ts, err
	case "refresh_token":
		ts, err := s.d.Consent.Refresh(ctx, adm.App.ID, v.Get("refresh_token"), adm.CertFingerprint)
		return 200, ts, err
	default:
		return 0, nil, problem.ParameterInvalid.WithDetail("grant_type must be authorization_code or refresh_token")
	}
}

// oauthRevoke serves a2.oauth.revoke (RFC 7009: unknown tokens are not an error).
func (s *Server) oauthRevoke(ctx context.Context, in Input) (int, any, error) {
	v, err := s.decodeForm(in.Header("Content-Type"), in.Body, "token", "token_type_hint")
	if err != nil {
		return 0, nil, err
	}
	if v.Get("token") == "" {
		return 0, nil, problem.ParameterInvalid.WithDetail("token is required")
	}
	if err := s.d.Consent.RevokeToken(ctx, in.Admission.App.ID, v.Get("token")); err != nil {
		return 0, nil, err
	}
	return 200, map[string]any{"revoked": true}, nil
}

// scope turns the consent behind the call into the accounts it covers.
func (s *Server) scope(in Input) accounts.Scope {
	g := in.Admission.Grant
	if g == nil { // no user's consent behind the call: no account is in scope
		return accounts.Scope{}
	}
	sc := accounts.Scope{CustomerID: g.CustomerID}
	for _, n := range g.Accounts {
		sc.AccountIDs = append(sc.AccountIDs, s.d.AccountIDs.For(n))
	}
	return sc
}

// notFound maps the accounts domain's refusal to the catalogue: another user's account,
// an account outside the consent and a nonexistent one look the same (9.3.2/1a).
func notFound(err error) error {
	if errors.Is(err, accounts.ErrNotFound) {
		return problem.AccountNotFound.WithDetail("no such account in this consent")
	}
	return err
}

func (s *Server) accountsList(ctx context.Context, in Input) (int, any, error) {
	list, err := s.d.Accounts.List(ctx, s.scope(in))
	return 200, map[string]any{"accounts": list}, err
}

func (s *Server) accountGet(ctx context.Context, in Input) (int, any, error) {
	a, err := s.d.Accounts.Get(ctx, s.scope(in), in.PathParams["account_id"])
	return 200, a, notFound(err)
}

func (s *Server) accountBalance(ctx context.Context, in Input) (int, any, error) {
	b, err := s.d.Accounts.Balance(ctx, s.scope(in), in.PathParams["account_id"])
	return 200, b, notFound(err)
}

func (s *Server) accountLimits(ctx context.Context, in Input) (int, any, error) {
	l, err := s.d.Accounts.Limits(ctx, s.scope(in), in.PathParams["account_id"])
	return 200, l, notFound(err)
}

func (s *Server) accountTransactions(ctx context.Context, in Input) (int, any, error) {
	var f accounts.TxFilter
	var err error
	if v := in.Query["from"]; v != "" {
		if f.From, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return 0, nil, problem.ParameterInvalid.WithDetail("from must be an RFC 3339 time")
		}
	}
	if v := in.Query["to"]; v != "" {
		if f.To, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return 0, nil, problem.ParameterInvalid.WithDetail("to must be an RFC 3339 time")
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return 0, nil, problem.ParameterInvalid.WithDetail("from must be before to")
	}
	f.Page, f.PageSize = atoi(in.Query["page"]), atoi(in.Query["page_size"])
	page, err := s.d.Accounts.Transactions(ctx, s.scope(in), in.PathParams["account_id"], f)
	return 200, page, notFound(err)
}

// holdingsList returns holdings encrypted to the partner's SM2 encryption key: A2
// read-only data must be kept confidential end to end (JR/T 0185-2020 7.2.2/3c).
func (s *Server) holdingsList(ctx context.Context, in Input) (int, any, error) {
	hs, err := s.d.Accounts.Holdings(ctx, s.scope(in))
	if err != nil {
		return 0, nil, err
	}
	if s.d.Mutant.Is(mutant.HoldingsInClear) {
		return 200, map[string]any{"holdings": hs}, nil
	}
	pub, serial, err := s.partnerEncKey(ctx, in.Admission.App.ID)
	if err != nil {
		return 0, nil, err
	}
	plain, err := json.Marshal(map[string]any{"holdings": hs})
	if err != nil {
		return 0, nil, problem.Internal.Wrap(err)
	}
	env, err := protocol.Seal(pub, serial, plain, []byte("a2.holdings.list"))
	if err != nil {
		return 0, nil, problem.Internal.Wrap(err)
	}
	return 200, map[string]any{"encrypted": env, "aad": "a2.holdings.list"}, nil
}

// partnerEncKey finds the app's active SM2 encryption certificate.
func (s *Server) partnerEncKey(ctx context.Context, appID string) (*ecdsa.PublicKey, string, error) {
	creds, err := s.d.Apps.Credentials(ctx, appID)
	if err != nil {
		return nil, "", err
	}
	now := s.d.Clock.Now()
	for _, c := range creds {
		if c.Kind != apps.KindSM2Enc || !c.ValidAt(now) {
			continue
		}
		cert, err := pki.ParseSM2CertPEM([]byte(c.Material))
		if err != nil {
			// A bare public key registered without a certificate (9.2.1 a) 1)).
			if pub, err := pki.ParsePublicKeyPEM([]byte(c.Material)); err == nil && pki.IsSM2PublicKey(pub) {
				return pub, c.Serial, nil
			}
			continue
		}
		if pub, ok := cert.PublicKey.(*ecdsa.PublicKey); ok {
			return pub, pki.SerialHex(cert.SerialNumber), nil
		}
	}
	return nil, "", problem.StateConflict.WithDetail("App_ID %s has no active SM2 encryption certificate registered; register one to receive encrypted data", appID)
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int(r-'0')
		if n > 1_000_000 {
			return 1_000_000
		}
	}
	return n
}
