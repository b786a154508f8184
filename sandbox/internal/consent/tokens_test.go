package consent

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

func TestExchangeCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want *problem.Error
		run  func(context.Context, *testing.T, *env) error
	}{
		{"ok/tokens bound to the app and the certificate", nil, func(ctx context.Context, t *testing.T, e *env) error {
			code := e.approved(t, infoRequest(), "zhangsan", e.accounts(t, "CUST000001")[:1])
			set, err := e.s.ExchangeCode(ctx, appID, code, verifier, redirect, certA)
			if err != nil {
				return err
			}
			if !strings.HasPrefix(set.AccessToken, "at_") || !strings.HasPrefix(set.RefreshToken, "rt_") || set.TokenType != "Bearer" ||
				set.ExpiresIn != 300 || set.Scope != "accounts:read" || !strings.HasPrefix(set.ConsentID, "cs_") {
				t.Fatalf("token set = %+v", set)
			}
			_, err = e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", "")
			return err
		}},
		{"ok/payment consent gets no refresh token", nil, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, payRequest(), "zhangsan")
			if set.RefreshToken != "" || set.ExpiresIn != 300 {
				t.Fatalf("token set = %+v", set)
			}
			return nil
		}},
		{"400 PKCE_VERIFIER_INVALID/wrong verifier", problem.PKCEVerifierInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			code := e.approved(t, infoRequest(), "zhangsan", e.accounts(t, "CUST000001")[:1])
			_, err := e.s.ExchangeCode(ctx, appID, code, strings.Repeat("a", 43), redirect, certA)
			return err
		}},
		{"400 PKCE_VERIFIER_INVALID/challenge sent as verifier", problem.PKCEVerifierInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			code := e.approved(t, infoRequest(), "zhangsan", e.accounts(t, "CUST000001")[:1])
			_, err := e.s.ExchangeCode(ctx, appID, code, S256(verifier), redirect, certA)
			return err
		}},
		{"400 PKCE_REQUIRED/no verifier", problem.PKCERequired, func(ctx context.Context, t *testing.T, e *env) error {
			code := e.approved(t, infoRequest(), "zhangsan", e.accounts(t, "CUST000001")[:1])
			_, err := e.s.ExchangeCode(ctx, appID, code, "", redirect, certA)
			return err
		}},
		{"400 AUTH_CODE_USED/a failed PKCE check voids the code", problem.AuthCodeUsed, func(ctx context.Context, t *testing.T, e *env) error {
			code := e.approved(t, infoRequest(), "zhangsan", e.accounts(t, "CUST000001")[:1])
			if _, err := e.s.ExchangeCode(ctx, appID, code, strings.Repeat("a", 43), redirect, certA); !errors.Is(err, problem.PKCEVerifierInvalid) {
				t.Fatalf("wrong verifier: %v", err)
			}
			_, err := e.s.ExchangeCode(ctx, appID, code, verifier, redirect, certA)
			return err
		}},
		{"400 AUTH_CODE_USED/second exchange revokes the first tokens", problem.AuthCodeUsed, func(ctx context.Context, t *testing.T, e *env) error {
			code := e.approved(t, infoRequest(), "zhangsan", e.accounts(t, "CUST000001")[:1])
			set, err := e.s.ExchangeCode(ctx, appID, code, verifier, redirect, certA)
			if err != nil {
				return err
			}
			_, err = e.s.ExchangeCode(ctx, appID, code, verifier, redirect, certA)
			_, aerr := e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", "")
			expect(t, aerr, problem.ConsentRevoked)
			return err
		}},
		{"400 AUTH_CODE_EXPIRED/after 60 seconds", problem.AuthCodeExpired, func(ctx context.Context, t *testing.T, e *env) error {
			code := e.approved(t, infoRequest(), "zhangsan", e.accounts(t, "CUST000001")[:1])
			e.clock.Advance(DefaultCodeTTL)
			_, err := e.s.ExchangeCode(ctx, appID, code, verifier, redirect, certA)
			return err
		}},
		{"ok/59 seconds after issue", nil, func(ctx context.Context, t *testing.T, e *env) error {
			code := e.approved(t, infoRequest(), "zhangsan", e.accounts(t, "CUST000001")[:1])
			e.clock.Advance(DefaultCodeTTL - time.Second)
			_, err := e.s.ExchangeCode(ctx, appID, code, verifier, redirect, certA)
			return err
		}},
		{"400 AUTH_CODE_INVALID/redeemed by another app", problem.AuthCodeInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			code := e.approved(t, infoRequest(), "zhangsan", e.accounts(t, "CUST000001")[:1])
			_, err := e.s.ExchangeCode(ctx, otherApp, code, verifier, redirect, certB)
			return err
		}},
		{"400 AUTH_CODE_INVALID/unknown code", problem.AuthCodeInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			_, err := e.s.ExchangeCode(ctx, appID, "ac_"+strings.Repeat("A", 43), verifier, redirect, certA)
			return err
		}},
		{"400 REDIRECT_URI_MISMATCH/other redirect at the token endpoint", problem.RedirectURIMismatch, func(ctx context.Context, t *testing.T, e *env) error {
			code := e.approved(t, infoRequest(), "zhangsan", e.accounts(t, "CUST000001")[:1])
			_, err := e.s.ExchangeCode(ctx, appID, code, verifier, "https://wallet.example/cb?x=1", certA)
			return err
		}},
		{"401 CLIENT_CERT_REQUIRED/no client certificate", problem.ClientCertRequired, func(ctx context.Context, t *testing.T, e *env) error {
			code := e.approved(t, infoRequest(), "zhangsan", e.accounts(t, "CUST000001")[:1])
			_, err := e.s.ExchangeCode(ctx, appID, code, verifier, redirect, "")
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			expect(t, tc.run(context.Background(), t, e), tc.want)
		})
	}
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want *problem.Error
		run  func(context.Context, *testing.T, *env) error
	}{
		{"ok/consented scope and account", nil, func(ctx context.Context, t *testing.T, e *env) error {
			acct := e.accounts(t, "CUST000001")[0]
			set := e.tokens(t, infoRequest("accounts:read", "transactions:read"), "zhangsan", acct)
			g, err := e.s.Authorize(ctx, set.AccessToken, appID, certA, "transactions:read", acct)
			if err == nil && (g.CustomerID != "CUST000001" || !reflect.DeepEqual(g.Accounts, []string{acct}) || g.Kind != KindAccountInfo ||
				g.ConsentID != set.ConsentID || !g.ExpiresAt.Equal(e.clock.Now().Add(90*24*time.Hour))) {
				t.Fatalf("grant = %+v", g)
			}
			return err
		}},
		{"ok/four minutes later", nil, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			e.clock.Advance(4 * time.Minute)
			_, err := e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", "")
			return err
		}},
		{"401 TOKEN_INVALID/unknown token", problem.TokenInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			_, err := e.s.Authorize(ctx, "at_"+strings.Repeat("x", 43), appID, certA, "accounts:read", "")
			return err
		}},
		{"401 TOKEN_INVALID/refresh token used as access token", problem.TokenInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			_, err := e.s.Authorize(ctx, "at_"+strings.TrimPrefix(set.RefreshToken, "rt_"), appID, certA, "accounts:read", "")
			return err
		}},
		{"401 TOKEN_EXPIRED/after five minutes", problem.TokenExpired, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			e.clock.Advance(DefaultAccessTokenTTL)
			_, err := e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", "")
			return err
		}},
		{"401 TOKEN_CERT_MISMATCH/another client certificate", problem.TokenCertMismatch, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			_, err := e.s.Authorize(ctx, set.AccessToken, appID, certB, "accounts:read", "")
			return err
		}},
		{"401 TOKEN_CERT_MISMATCH/no client certificate", problem.TokenCertMismatch, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			_, err := e.s.Authorize(ctx, set.AccessToken, appID, "", "accounts:read", "")
			return err
		}},
		{"403 TOKEN_APP_MISMATCH/presented by another app", problem.TokenAppMismatch, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			_, err := e.s.Authorize(ctx, set.AccessToken, otherApp, certA, "accounts:read", "")
			return err
		}},
		{"403 SCOPE_NOT_CONSENTED/scope granted to the app but not consented", problem.ScopeNotConsented, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest("accounts:read"), "lisi")
			_, err := e.s.Authorize(ctx, set.AccessToken, appID, certA, "transactions:read", "")
			return err
		}},
		{"404 ACCOUNT_NOT_FOUND/another customer's account", problem.AccountNotFound, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			_, err := e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", e.accounts(t, "CUST000001")[0])
			return err
		}},
		{"404 ACCOUNT_NOT_FOUND/own account outside the consent", problem.AccountNotFound, func(ctx context.Context, t *testing.T, e *env) error {
			accts := e.accounts(t, "CUST000001")
			set := e.tokens(t, infoRequest(), "zhangsan", accts[0])
			_, err := e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", accts[1])
			return err
		}},
		{"403 CONSENT_REVOKED/revoked by the user in the portal", problem.ConsentRevoked, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			if err := e.s.RevokeConsent(ctx, "CUST000002", set.ConsentID); err != nil {
				return err
			}
			_, err := e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", "")
			return err
		}},
		{"403 CONSENT_REVOKED/refresh after the user revoked", problem.ConsentRevoked, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			if err := e.s.RevokeConsent(ctx, "CUST000002", set.ConsentID); err != nil {
				return err
			}
			_, err := e.s.Refresh(ctx, appID, set.RefreshToken, certA)
			return err
		}},
		{"404 CONSENT_NOT_FOUND/revoking another customer's consent", problem.ConsentNotFound, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			err := e.s.RevokeConsent(ctx, "CUST000001", set.ConsentID)
			if _, aerr := e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", ""); aerr != nil {
				t.Fatalf("consent changed by another customer: %v", aerr)
			}
			return err
		}},
		{"401 TOKEN_REVOKED/access token revoked by the partner", problem.TokenRevoked, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			if err := e.s.RevokeToken(ctx, appID, set.AccessToken); err != nil {
				return err
			}
			if _, err := e.s.Refresh(ctx, appID, set.RefreshToken, certA); err != nil {
				t.Fatalf("revoking the access token ended the refresh token: %v", err)
			}
			_, err := e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", "")
			return err
		}},
		{"403 CONSENT_REVOKED/refresh token revoked by the partner ends the grant", problem.ConsentRevoked, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			if err := e.s.RevokeToken(ctx, appID, set.RefreshToken); err != nil {
				return err
			}
			_, err := e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", "")
			return err
		}},
		{"403 TOKEN_APP_MISMATCH/revoking another app's token", problem.TokenAppMismatch, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			return e.s.RevokeToken(ctx, otherApp, set.AccessToken)
		}},
		{"ok/revoking an unknown token", nil, func(ctx context.Context, t *testing.T, e *env) error {
			return e.s.RevokeToken(ctx, appID, "at_nonsense")
		}},
		{"401 TOKEN_REVOKED/every token of the app revoked by the bank", problem.TokenRevoked, func(ctx context.Context, t *testing.T, e *env) error {
			a := e.tokens(t, infoRequest(), "lisi")
			b := e.tokens(t, infoRequest(), "zhangsan")
			n, err := e.s.RevokeAllForApp(ctx, appID)
			if err != nil || n != 4 {
				t.Fatalf("revoked %d tokens, %v; want 4", n, err)
			}
			if _, err := e.s.Refresh(ctx, appID, b.RefreshToken, certA); err == nil {
				t.Fatal("a refresh token survived the bank's revocation")
			}
			_, err = e.s.Authorize(ctx, a.AccessToken, appID, certA, "accounts:read", "")
			return err
		}},
		{"403 CONSENT_EXPIRED/periodic consent after its days", problem.ConsentExpired, func(ctx context.Context, t *testing.T, e *env) error {
			r := infoRequest()
			r.ValidDays = 1
			set := e.tokens(t, r, "lisi")
			for i := 0; i < 5; i++ { // keep refreshing within the day
				e.clock.Advance(4 * time.Minute)
				next, err := e.s.Refresh(ctx, appID, set.RefreshToken, certA)
				if err != nil {
					return err
				}
				set = next
			}
			e.clock.Advance(24 * time.Hour)
			if _, err := e.s.Refresh(ctx, appID, set.RefreshToken, certA); err == nil {
				t.Fatal("refresh after the consent expired")
			}
			_, err := e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", "")
			return err
		}},
		{"403 CONSENT_USED/single-use payment consent used twice", problem.ConsentUsed, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, payRequest(), "zhangsan")
			if _, err := e.s.Authorize(ctx, set.AccessToken, appID, certA, "payments:write", ""); err != nil {
				return err
			}
			if err := e.s.UseOnce(ctx, set.ConsentID); err != nil {
				return err
			}
			_, err := e.s.Authorize(ctx, set.AccessToken, appID, certA, "payments:write", "")
			expect(t, err, problem.ConsentUsed)
			return e.s.UseOnce(ctx, set.ConsentID)
		}},
		{"403 CONSENT_EXPIRED/payment consent not used in time", problem.ConsentExpired, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, payRequest(), "zhangsan")
			e.clock.Advance(10 * time.Minute)
			return e.s.UseOnce(ctx, set.ConsentID)
		}},
		{"409 STATE_CONFLICT/periodic consent is not single-use", problem.StateConflict, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			return e.s.UseOnce(ctx, set.ConsentID)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			expect(t, tc.run(context.Background(), t, e), tc.want)
		})
	}
}

// Another customer's account must be indistinguishable from one that does not exist
// (JR/T 0185-2020 9.3.2/1a).
func TestOtherCustomersAccountLooksNonexistent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	set := e.tokens(t, infoRequest(), "lisi")
	_, other := e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", e.accounts(t, "CUST000001")[0])
	_, none := e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", "6222000000000000000")
	a, b := problem.From(other).Body("r", true), problem.From(none).Body("r", true)
	if !reflect.DeepEqual(a, b) || a.Status != 404 {
		t.Fatalf("other customer's account %+v vs nonexistent %+v", a, b)
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want *problem.Error
		run  func(context.Context, *testing.T, *env) error
	}{
		{"ok/rotation issues a new pair", nil, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			e.clock.Advance(6 * time.Minute)
			next, err := e.s.Refresh(ctx, appID, set.RefreshToken, certB)
			if err != nil {
				return err
			}
			if next.RefreshToken == set.RefreshToken || next.AccessToken == set.AccessToken || next.ConsentID != set.ConsentID {
				t.Fatalf("not rotated: %+v", next)
			}
			if _, err := e.s.Authorize(ctx, next.AccessToken, appID, certA, "accounts:read", ""); err == nil {
				t.Fatal("the new access token is not bound to the certificate of the refresh call")
			}
			_, err = e.s.Authorize(ctx, next.AccessToken, appID, certB, "accounts:read", "")
			return err
		}},
		{"400 REFRESH_TOKEN_REUSED/rotated token presented again revokes the grant", problem.RefreshTokenReused, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			next, err := e.s.Refresh(ctx, appID, set.RefreshToken, certA)
			if err != nil {
				return err
			}
			_, err = e.s.Refresh(ctx, appID, set.RefreshToken, certA)
			_, aerr := e.s.Authorize(ctx, next.AccessToken, appID, certA, "accounts:read", "")
			expect(t, aerr, problem.ConsentRevoked)
			_, rerr := e.s.Refresh(ctx, appID, next.RefreshToken, certA)
			expect(t, rerr, problem.ConsentRevoked)
			list, _ := e.s.ListConsents(ctx, "CUST000002")
			if len(list) != 1 || list[0].Status != StatusRevoked || list[0].RevokedBy != ByBank {
				t.Fatalf("consent after reuse = %+v", list)
			}
			return err
		}},
		{"400 REFRESH_TOKEN_INVALID/another app", problem.RefreshTokenInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			_, err := e.s.Refresh(ctx, otherApp, set.RefreshToken, certA)
			return err
		}},
		{"400 REFRESH_TOKEN_INVALID/access token as refresh token", problem.RefreshTokenInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			_, err := e.s.Refresh(ctx, appID, "rt_"+strings.TrimPrefix(set.AccessToken, "at_"), certA)
			return err
		}},
		{"401 CLIENT_CERT_REQUIRED/no client certificate", problem.ClientCertRequired, func(ctx context.Context, t *testing.T, e *env) error {
			set := e.tokens(t, infoRequest(), "lisi")
			_, err := e.s.Refresh(ctx, appID, set.RefreshToken, "")
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			expect(t, tc.run(context.Background(), t, e), tc.want)
		})
	}
}

func TestGrantCoversOnlyTheConsentedPayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	acct := e.accounts(t, "CUST000001")[0]
	set := e.tokens(t, payRequest(), "zhangsan", acct)
	g, err := e.s.Authorize(ctx, set.AccessToken, appID, certA, "payments:write", acct)
	if err != nil {
		t.Fatal(err)
	}
	payee := "6217000011112222333"
	for _, name := range []string{"李四", " 李四　", "李四"} {
		for _, acctNo := range []string{payee, "6217 0000 1111 2222 333"} {
			if m := g.PaymentMismatch(acct, 12_345, "CNY", acctNo, name); m != "" {
				t.Fatalf("the consented payment to %q named %q is refused for its %s", acctNo, name, m)
			}
		}
	}
	for name, want := range map[string][]any{
		"other account": {e.accounts(t, "CUST000001")[1], int64(12_345), "CNY", payee, "李四", "debit account"},
		"other amount":  {acct, int64(12_346), "CNY", payee, "李四", "amount"},
		"other ccy":     {acct, int64(12_345), "USD", payee, "李四", "currency"},
		"other payee":   {acct, int64(12_345), "CNY", "6217000011112222334", "李四", "payee account"},
		"other name":    {acct, int64(12_345), "CNY", payee, "孙七", "payee name"},
		"name extended": {acct, int64(12_345), "CNY", payee, "李四四", "payee name"},
	} {
		got := g.PaymentMismatch(want[0].(string), want[1].(int64), want[2].(string), want[3].(string), want[4].(string))
		if got != want[5] {
			t.Errorf("%s: mismatch %q, want %q (10.2.2/2)", name, got, want[5])
		}
	}
}

func TestNormalizeName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ a, b string }{
		{"赵六", " 赵六 "}, {"赵六", "赵六\u3000"}, {"John  Smith", "ＪＯＨＮ smith"},
		{"买买提·艾力", "买买提•艾力"}, {"买买提·艾力", "买买提・艾力"},
	} {
		if NormalizeName(tc.a) != NormalizeName(tc.b) {
			t.Errorf("%q and %q are one name: %q vs %q", tc.a, tc.b, NormalizeName(tc.a), NormalizeName(tc.b))
		}
	}
	for _, tc := range []struct{ a, b string }{{"赵六", "孙七"}, {"赵六", "赵六六"}, {"赵六", "赵 六"}, {"John Smith", "JohnSmith"}} {
		if NormalizeName(tc.a) == NormalizeName(tc.b) {
			t.Errorf("%q and %q are two names", tc.a, tc.b)
		}
	}
}
