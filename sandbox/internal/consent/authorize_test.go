package consent

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

func TestStartAuthorization(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		want   *problem.Error
		mutate func(*Request)
	}{
		{"ok/account information for 90 days", nil, func(*Request) {}},
		{"ok/payment", nil, func(r *Request) { *r = payRequest() }},
		{"ok/second registered redirect with its own query", nil, func(r *Request) { r.RedirectURI = "https://wallet.example/cb?x=1" }},
		{"400 REDIRECT_URI_MISMATCH/unregistered", problem.RedirectURIMismatch, func(r *Request) { r.RedirectURI = "https://evil.example/cb" }},
		{"400 REDIRECT_URI_MISMATCH/longer path", problem.RedirectURIMismatch, func(r *Request) { r.RedirectURI = redirect + "/x" }},
		{"400 REDIRECT_URI_MISMATCH/extra query", problem.RedirectURIMismatch, func(r *Request) { r.RedirectURI = redirect + "?next=evil" }},
		{"400 REDIRECT_URI_MISMATCH/other app's", problem.RedirectURIMismatch, func(r *Request) { r.RedirectURI = "https://other.example/cb" }},
		{"400 REDIRECT_URI_MISMATCH/missing", problem.RedirectURIMismatch, func(r *Request) { r.RedirectURI = "" }},
		{"400 PKCE_REQUIRED/no challenge", problem.PKCERequired, func(r *Request) { r.CodeChallenge = "" }},
		{"400 PKCE_REQUIRED/challenge not a digest", problem.PKCERequired, func(r *Request) { r.CodeChallenge = "abc" }},
		{"400 PKCE_METHOD_UNSUPPORTED/plain", problem.PKCEMethodUnsupported, func(r *Request) { r.CodeChallengeMethod = "plain" }},
		{"400 PKCE_METHOD_UNSUPPORTED/method absent means plain", problem.PKCEMethodUnsupported, func(r *Request) { r.CodeChallengeMethod = "" }},
		{"400 PARAMETER_INVALID/no state", problem.ParameterInvalid, func(r *Request) { r.State = "" }},
		{"400 PARAMETER_INVALID/valid for 91 days", problem.ParameterInvalid, func(r *Request) { r.ValidDays = 91 }},
		{"400 PARAMETER_INVALID/valid for 0 days", problem.ParameterInvalid, func(r *Request) { r.ValidDays = 0 }},
		{"400 PARAMETER_INVALID/unknown kind", problem.ParameterInvalid, func(r *Request) { r.Kind = "forever" }},
		{"400 PARAMETER_INVALID/payment without details", problem.ParameterInvalid, func(r *Request) { *r = payRequest(); r.Payment = nil }},
		{"400 PARAMETER_INVALID/payment of zero", problem.ParameterInvalid, func(r *Request) { *r = payRequest(); r.Payment.AmountFen = 0 }},
		{"400 PARAMETER_INVALID/payment in USD", problem.ParameterInvalid, func(r *Request) { *r = payRequest(); r.Payment.Currency = "USD" }},
		{"400 PARAMETER_INVALID/payee account not digits", problem.ParameterInvalid, func(r *Request) { *r = payRequest(); r.Payment.PayeeAccount = "abc" }},
		{"400 PARAMETER_INVALID/no scope", problem.ParameterInvalid, func(r *Request) { r.Scopes = nil }},
		{"403 SCOPE_NOT_GRANTED/scope not granted to the app", problem.ScopeNotGranted, func(r *Request) { r.Scopes = []string{"accounts:read", "loans:write"} }},
		{"401 APP_UNKNOWN/unknown app", problem.AppUnknown, func(r *Request) { r.AppID = "APPNOBODY0001" }},
		{"403 APP_SUSPENDED/suspended app", problem.AppSuspended, func(r *Request) { r.AppID = "APPSUSPENDED1" }},
	}
	e := newEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := infoRequest()
			tc.mutate(&r)
			ar, err := e.s.StartAuthorization(context.Background(), r)
			expect(t, err, tc.want)
			if err != nil {
				code, redirectable := OAuthError(err)
				wantRedirect := tc.want.Code != problem.RedirectURIMismatch.Code && !strings.HasPrefix(tc.want.Code, "APP_")
				if redirectable != wantRedirect || code == "" {
					t.Fatalf("OAuthError = %q, %v", code, redirectable)
				}
				return
			}
			if !strings.HasPrefix(ar.ID, "ar_") || ar.AppName != "Wallet 钱包" || ar.Validity <= 0 {
				t.Fatalf("request = %+v", ar)
			}
		})
	}
}

func TestConsentPageShowsValidityPaymentAndRisk(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ar, err := e.s.StartAuthorization(ctx, infoRequest())
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.s.GetAuthorization(ctx, ar.ID)
	if err != nil || got.Validity != 90*24*time.Hour || got.RiskNotice != "" || got.Payment != nil {
		t.Fatalf("account information request = %+v, %v", got, err)
	}
	pr, err := e.s.StartAuthorization(ctx, payRequest())
	if err != nil {
		t.Fatal(err)
	}
	got, err = e.s.GetAuthorization(ctx, pr.ID)
	if err != nil || got.RiskNotice == "" || got.Payment == nil || got.Payment.AmountFen != 12_345 ||
		got.Payment.PayeeMasked != "6217 **** **** 2333" || got.Payment.PayeeAccount != "" || got.Validity <= 0 {
		t.Fatalf("payment request = %+v %+v, %v", got, got.Payment, err)
	}
}

func TestDecision(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want *problem.Error
		run  func(context.Context, *testing.T, *env) error
	}{
		{"ok/approve redirects with code and state", nil, func(ctx context.Context, t *testing.T, e *env) error {
			ar, _ := e.s.StartAuthorization(ctx, infoRequest())
			loc, err := e.s.Approve(ctx, e.login(t, "zhangsan"), ar.ID, e.accounts(t, "CUST000001"), "")
			if err != nil {
				return err
			}
			u, _ := url.Parse(loc)
			if !strings.HasPrefix(loc, redirect+"?") || u.Query().Get("state") != "xyz-state" || !strings.HasPrefix(u.Query().Get("code"), "ac_") {
				t.Fatalf("redirect %s", loc)
			}
			return nil
		}},
		{"ok/refuse redirects with access_denied and state", nil, func(ctx context.Context, t *testing.T, e *env) error {
			ar, _ := e.s.StartAuthorization(ctx, infoRequest())
			loc, err := e.s.Refuse(ctx, e.login(t, "lisi"), ar.ID)
			if err != nil {
				return err
			}
			u, _ := url.Parse(loc)
			if u.Query().Get("error") != "access_denied" || u.Query().Get("state") != "xyz-state" || u.Query().Get("code") != "" {
				t.Fatalf("redirect %s", loc)
			}
			return nil
		}},
		{"ok/cancel before logging in", nil, func(ctx context.Context, t *testing.T, e *env) error {
			ar, _ := e.s.StartAuthorization(ctx, infoRequest())
			_, err := e.s.Refuse(ctx, "", ar.ID)
			return err
		}},
		{"ok/redirect keeps the registered query", nil, func(ctx context.Context, t *testing.T, e *env) error {
			r := infoRequest()
			r.RedirectURI = "https://wallet.example/cb?x=1"
			ar, _ := e.s.StartAuthorization(ctx, r)
			loc, err := e.s.Approve(ctx, e.login(t, "lisi"), ar.ID, e.accounts(t, "CUST000002"), "")
			if u, _ := url.Parse(loc); err == nil && (u.Query().Get("x") != "1" || u.Query().Get("code") == "") {
				t.Fatalf("redirect %s", loc)
			}
			return err
		}},
		{"404 ACCOUNT_NOT_FOUND/another customer's account", problem.AccountNotFound, func(ctx context.Context, t *testing.T, e *env) error {
			ar, _ := e.s.StartAuthorization(ctx, infoRequest())
			_, err := e.s.Approve(ctx, e.login(t, "zhangsan"), ar.ID, e.accounts(t, "CUST000002"), "")
			return err
		}},
		{"404 ACCOUNT_NOT_FOUND/no such account", problem.AccountNotFound, func(ctx context.Context, t *testing.T, e *env) error {
			ar, _ := e.s.StartAuthorization(ctx, infoRequest())
			_, err := e.s.Approve(ctx, e.login(t, "zhangsan"), ar.ID, []string{"6222000000000000000"}, "")
			return err
		}},
		{"400 PARAMETER_INVALID/no account chosen", problem.ParameterInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			ar, _ := e.s.StartAuthorization(ctx, infoRequest())
			_, err := e.s.Approve(ctx, e.login(t, "zhangsan"), ar.ID, nil, "")
			return err
		}},
		{"400 PARAMETER_INVALID/payment from two accounts", problem.ParameterInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			ar, _ := e.s.StartAuthorization(ctx, payRequest())
			_, err := e.s.Approve(ctx, e.login(t, "zhangsan"), ar.ID, e.accounts(t, "CUST000001"), "123456")
			return err
		}},
		{"401 OTP_REQUIRED/password-only login cannot approve", problem.OTPRequired, func(ctx context.Context, t *testing.T, e *env) error {
			ar, _ := e.s.StartAuthorization(ctx, infoRequest())
			p, err := e.sessions.Login(ctx, "zhangsan", "Sandbox#2020")
			if err != nil {
				return err
			}
			_, err = e.s.Approve(ctx, p.Token, ar.ID, e.accounts(t, "CUST000001"), "")
			return err
		}},
		{"401 OTP_REQUIRED/payment without its confirmation code", problem.OTPRequired, func(ctx context.Context, t *testing.T, e *env) error {
			ar, _ := e.s.StartAuthorization(ctx, payRequest())
			_, err := e.s.Approve(ctx, e.login(t, "zhangsan"), ar.ID, e.accounts(t, "CUST000001")[:1], "")
			return err
		}},
		{"401 OTP_INVALID/confirmation code of another payment", problem.OTPInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			sess := e.login(t, "zhangsan")
			a, _ := e.s.StartAuthorization(ctx, payRequest())
			b, _ := e.s.StartAuthorization(ctx, payRequest())
			if err := e.s.RequestPaymentCode(ctx, sess, a.ID); err != nil {
				return err
			}
			_, err := e.s.Approve(ctx, sess, b.ID, e.accounts(t, "CUST000001")[:1], e.phone(t, "CUST000001"))
			return err
		}},
		{"401 OTP_INVALID/login code cannot confirm a payment", problem.OTPInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			sess := e.login(t, "zhangsan")
			ar, _ := e.s.StartAuthorization(ctx, payRequest())
			_, err := e.s.Approve(ctx, sess, ar.ID, e.accounts(t, "CUST000001")[:1], e.phone(t, "CUST000001"))
			return err
		}},
		{"401 SESSION_EXPIRED/session idle at the decision", problem.SessionExpired, func(ctx context.Context, t *testing.T, e *env) error {
			sess := e.login(t, "zhangsan")
			ar, _ := e.s.StartAuthorization(ctx, infoRequest())
			e.clock.Advance(5 * time.Minute)
			_, err := e.s.Approve(ctx, sess, ar.ID, e.accounts(t, "CUST000001"), "")
			return err
		}},
		{"401 SESSION_INVALID/no session", problem.SessionInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			ar, _ := e.s.StartAuthorization(ctx, infoRequest())
			_, err := e.s.Approve(ctx, "", ar.ID, e.accounts(t, "CUST000001"), "")
			return err
		}},
		{"400 AUTH_REQUEST_INVALID/already approved", problem.AuthRequestInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			sess := e.login(t, "zhangsan")
			ar, _ := e.s.StartAuthorization(ctx, infoRequest())
			if _, err := e.s.Approve(ctx, sess, ar.ID, e.accounts(t, "CUST000001"), ""); err != nil {
				return err
			}
			_, err := e.s.Approve(ctx, sess, ar.ID, e.accounts(t, "CUST000001"), "")
			return err
		}},
		{"400 AUTH_REQUEST_INVALID/refused then approved", problem.AuthRequestInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			sess := e.login(t, "zhangsan")
			ar, _ := e.s.StartAuthorization(ctx, infoRequest())
			if _, err := e.s.Refuse(ctx, sess, ar.ID); err != nil {
				return err
			}
			_, err := e.s.Approve(ctx, sess, ar.ID, e.accounts(t, "CUST000001"), "")
			return err
		}},
		{"400 AUTH_REQUEST_INVALID/request expired", problem.AuthRequestInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			ar, _ := e.s.StartAuthorization(ctx, infoRequest())
			e.clock.Advance(10 * time.Minute)
			_, err := e.s.Approve(ctx, e.login(t, "zhangsan"), ar.ID, e.accounts(t, "CUST000001"), "")
			return err
		}},
		{"400 AUTH_REQUEST_INVALID/unknown request", problem.AuthRequestInvalid, func(ctx context.Context, t *testing.T, e *env) error {
			_, err := e.s.GetAuthorization(ctx, "ar_00000000000000000000000000000000")
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
