package consent

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/money"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/pii"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Options tune the service. Zero values take the defaults.
type Options struct {
	AuthRequestTTL  time.Duration // time to log in and decide; default 10 minutes
	CodeTTL         time.Duration // authorization code lifetime; default 60 seconds
	AccessTokenTTL  time.Duration // default 5 minutes (9.2.1 b) 3): 最小时间)
	PaymentValidity time.Duration // a single-use payment consent must be used within; default 10 minutes
	MaxValidDays    int           // longest periodic consent; default 90
	// Mutant breaks one control on purpose (mutant banks prove the conformance suite
	// can fail; sandbox mode only).
	Mutant mutant.Set
}

// Defaults.
const (
	DefaultCodeTTL        = 60 * time.Second
	DefaultAccessTokenTTL = 5 * time.Minute
	DefaultMaxValidDays   = 90
)

// Deps are the service's collaborators.
type Deps struct {
	Store    Store
	Apps     Apps
	Sessions Sessions
	Codes    Codes
	Accounts Accounts
	Clock    clock.Clock
}

// Service runs the consent flow and the token logic. Safe for concurrent use.
type Service struct {
	Deps
	opts Options
}

// NewService wires a service.
func NewService(d Deps, o Options) *Service {
	def := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&o.AuthRequestTTL, 10*time.Minute)
	def(&o.CodeTTL, DefaultCodeTTL)
	def(&o.AccessTokenTTL, DefaultAccessTokenTTL)
	def(&o.PaymentValidity, 10*time.Minute)
	if o.MaxValidDays <= 0 {
		o.MaxValidDays = DefaultMaxValidDays
	}
	return &Service{Deps: d, opts: o}
}

// Options returns the effective options (the developer manual publishes the lifetimes).
func (s *Service) Options() Options { return s.opts }

func invalid(format string, args ...any) error {
	return problem.ParameterInvalid.WithDetail(format, args...)
}

// StartAuthorization validates and stores an authorization request. Errors about the
// App_ID or the redirect URI must be shown to the user, never redirected (RFC 6749
// 4.1.2.1); any other error may be returned to the partner with ErrorRedirect.
func (s *Service) StartAuthorization(ctx context.Context, r Request) (AuthRequest, error) {
	cl, err := s.client(ctx, r.AppID)
	if err != nil {
		return AuthRequest{}, err
	}
	if r.RedirectURI == "" || !contains(cl.RedirectURIs, r.RedirectURI) {
		return AuthRequest{}, problem.RedirectURIMismatch.WithDetail("redirect_uri %q is not registered for App_ID %s (exact match required)", problem.Clip(r.RedirectURI), cl.ID)
	}
	if err := checkChallenge(r.CodeChallenge, r.CodeChallengeMethod); err != nil {
		return AuthRequest{}, err
	}
	if r.State == "" || len(r.State) > 512 {
		return AuthRequest{}, invalid("state is required (at most 512 characters): the partner checks it on the redirect")
	}
	scopes := dedupe(r.Scopes)
	if len(scopes) == 0 || len(scopes) > 20 {
		return AuthRequest{}, invalid("scope is required: ask only for what the service needs (JR/T 0185-2020 7.3.1)")
	}
	for _, sc := range scopes {
		if !contains(cl.Scopes, sc) {
			return AuthRequest{}, problem.ScopeNotGranted.WithDetail("scope %q is not granted to App_ID %s", problem.Clip(sc), cl.ID)
		}
	}
	if len(r.AccountHint) > 40 {
		return AuthRequest{}, invalid("account hint too long")
	}
	ar := AuthRequest{AppID: cl.ID, RedirectURI: r.RedirectURI, Scopes: scopes, State: r.State, Kind: r.Kind,
		AccountHint: r.AccountHint, Status: "pending", challenge: r.CodeChallenge}
	switch r.Kind {
	case KindAccountInfo:
		// 9.3.2/1c: 阶段性有效 — a period the user sees and agrees to.
		if r.ValidDays < 1 || r.ValidDays > s.opts.MaxValidDays || r.Payment != nil {
			return AuthRequest{}, invalid("an account_info consent needs valid_days from 1 to %d and no payment", s.opts.MaxValidDays)
		}
		ar.ValidDays = r.ValidDays
	case KindPayment:
		p, err := checkPayment(r.Payment)
		if err != nil {
			return AuthRequest{}, err
		}
		if r.ValidDays != 0 {
			return AuthRequest{}, invalid("a payment consent is single-use: valid_days is not allowed")
		}
		ar.Payment = p
	default:
		return AuthRequest{}, invalid("kind must be %q or %q", KindAccountInfo, KindPayment)
	}
	if ar.ID, err = newID(prefixRequest); err != nil {
		return AuthRequest{}, problem.Internal.Wrap(err)
	}
	now := s.Clock.Now()
	ar.CreatedAt, ar.ExpiresAt = now, now.Add(s.opts.AuthRequestTTL)
	if err := s.Store.InsertAuthRequest(ctx, ar); err != nil {
		return AuthRequest{}, problem.Internal.Wrap(err)
	}
	return s.decorate(ar, cl.Name), nil
}

func checkPayment(in *Payment) (*Payment, error) {
	if in == nil {
		return nil, invalid("a payment consent needs the payment: amount, payee name and payee account")
	}
	p := *in
	if p.AmountFen <= 0 || p.AmountFen > money.MaxFen {
		return nil, invalid("payment amount must be positive")
	}
	if p.Currency == "" {
		p.Currency = "CNY"
	}
	if p.Currency != "CNY" {
		return nil, invalid("payment currency must be CNY")
	}
	if p.PayeeName = strings.TrimSpace(p.PayeeName); p.PayeeName == "" || len(p.PayeeName) > 100 {
		return nil, invalid("payee name is required (at most 100 bytes)")
	}
	acct := strings.NewReplacer(" ", "", "-", "").Replace(p.PayeeAccount)
	if len(acct) < 8 || len(acct) > 32 || strings.Trim(acct, "0123456789") != "" {
		return nil, invalid("payee account must be 8 to 32 digits")
	}
	p.PayeeMasked, p.payeeDigest, p.PayeeAccount = pii.MaskCard(acct), payeeDigest(acct), ""
	return &p, nil
}

// GetAuthorization returns a pending request for the consent page: the app, the scopes,
// the validity the consent will have and, for payments, the payment and risk notice.
func (s *Service) GetAuthorization(ctx context.Context, authReqID string) (AuthRequest, error) {
	ar, err := s.pendingRequest(ctx, authReqID)
	if err != nil {
		return AuthRequest{}, err
	}
	name := ar.AppID
	if cl, found, err := s.Apps.Client(ctx, ar.AppID); err == nil && found {
		name = cl.Name
	}
	return s.decorate(ar, name), nil
}

// RequestPaymentCode sends the customer a one-time code bound to this payment request.
// Approving a payment needs it on top of the two-factor login (7.2.1 b) 2)).
func (s *Service) RequestPaymentCode(ctx context.Context, sessionID, authReqID string) error {
	sess, err := s.Sessions.Touch(ctx, sessionID)
	if err != nil {
		return err
	}
	ar, err := s.pendingRequest(ctx, authReqID)
	if err != nil {
		return err
	}
	if ar.Kind != KindPayment {
		return invalid("only payment authorizations need a confirmation code")
	}
	if _, err := s.Codes.Issue(ctx, sess.CustomerID, paymentPurpose(ar)); err != nil {
		return problem.From(err)
	}
	return nil
}

// Approve records the logged-in customer's consent to a pending request with the
// accounts they chose, and returns the redirect to the partner carrying code and state.
// A payment consent takes exactly one account (the one to pay from) and the one-time
// code sent by RequestPaymentCode; otpCode is ignored for account information.
func (s *Service) Approve(ctx context.Context, sessionID, authReqID string, accounts []string, otpCode string) (string, error) {
	sess, err := s.Sessions.Touch(ctx, sessionID)
	if err != nil {
		return "", err
	}
	ar, err := s.pendingRequest(ctx, authReqID)
	if err != nil {
		return "", err
	}
	sel := dedupe(accounts)
	if len(sel) == 0 || len(sel) > 50 {
		return "", invalid("choose the accounts to share")
	}
	owned, err := s.Accounts.AccountsOf(ctx, sess.CustomerID)
	if err != nil {
		return "", problem.Internal.Wrap(err)
	}
	for _, a := range sel {
		if !contains(owned, a) { // 9.3.1/2, 9.3.2/1a: only the customer's own accounts
			return "", problem.AccountNotFound
		}
	}
	now := s.Clock.Now()
	expires := now.Add(time.Duration(ar.ValidDays) * 24 * time.Hour) // 9.3.2/1c: the period the user agreed to
	if s.opts.Mutant.Is(mutant.ConsentValidityDayLate) {
		expires = expires.Add(24 * time.Hour)
	}
	if ar.Kind == KindPayment {
		if len(sel) != 1 {
			return "", invalid("choose the one account to pay from")
		}
		// 7.2.1 b) 2): a payment takes the one-time code on top of the login.
		if err := s.Codes.Verify(ctx, sess.CustomerID, paymentPurpose(ar), otpCode); err != nil && !s.opts.Mutant.Is(mutant.PasswordOnlyPayment) {
			return "", err
		}
		expires = now.Add(s.opts.PaymentValidity)
	}
	c := Consent{RequestID: ar.ID, CustomerID: sess.CustomerID, AppID: ar.AppID, Kind: ar.Kind, Scopes: ar.Scopes,
		Accounts: sel, Status: StatusActive, CreatedAt: now, ExpiresAt: expires, Payment: ar.Payment}
	if c.ID, err = newID(prefixConsent); err != nil {
		return "", problem.Internal.Wrap(err)
	}
	code, err := secret(PrefixCode)
	if err != nil {
		return "", problem.Internal.Wrap(err)
	}
	ac := AuthCode{Hash: digest(code), ConsentID: c.ID, AppID: ar.AppID, RedirectURI: ar.RedirectURI, Challenge: ar.challenge,
		CreatedAt: now, ExpiresAt: now.Add(s.opts.CodeTTL)}
	if err := s.Store.Approve(ctx, ar.ID, now, c, ac); errors.Is(err, ErrConflict) {
		return "", problem.AuthRequestInvalid.WithDetail("this authorization request was already decided or has expired")
	} else if err != nil {
		return "", problem.Internal.Wrap(err)
	}
	return withQuery(ar.RedirectURI, "code", code, "state", ar.State), nil
}

// Refuse records that the customer declined and returns the redirect with
// error=access_denied and the state. sessionID may be empty: a user who cancels on the
// login page refuses without logging in.
func (s *Service) Refuse(ctx context.Context, sessionID, authReqID string) (string, error) {
	customer := ""
	if sessionID != "" {
		sess, err := s.Sessions.Touch(ctx, sessionID)
		if err != nil {
			return "", err
		}
		customer = sess.CustomerID
	}
	ar, err := s.pendingRequest(ctx, authReqID)
	if err != nil {
		return "", err
	}
	if err := s.Store.Refuse(ctx, ar.ID, customer, s.Clock.Now()); errors.Is(err, ErrConflict) {
		return "", problem.AuthRequestInvalid.WithDetail("this authorization request was already decided or has expired")
	} else if err != nil {
		return "", problem.Internal.Wrap(err)
	}
	return ErrorRedirect(ar.RedirectURI, ar.State, "access_denied", "the user refused"), nil
}

// ListConsents lists a customer's consents, newest first, for the portal (9.3.2/2).
func (s *Service) ListConsents(ctx context.Context, customerID string) ([]Consent, error) {
	out, err := s.Store.ListConsents(ctx, customerID)
	if err != nil {
		return nil, problem.Internal.Wrap(err)
	}
	now := s.Clock.Now()
	names := map[string]string{}
	for i := range out {
		out[i].Status = out[i].effective(now)
		name, ok := names[out[i].AppID]
		if !ok {
			name = out[i].AppID
			if cl, found, err := s.Apps.Client(ctx, out[i].AppID); err == nil && found {
				name = cl.Name
			}
			names[out[i].AppID] = name
		}
		out[i].AppName = name
	}
	return out, nil
}

// RevokeConsent is the customer closing a partner's access in the portal (JR/T
// 0185-2020 9.3.2/2: 为用户提供关闭…服务的申请渠道). The consent and every token issued under
// it stop working at once. Another customer's consent is CONSENT_NOT_FOUND.
func (s *Service) RevokeConsent(ctx context.Context, customerID, consentID string) error {
	c, err := s.Store.GetConsent(ctx, consentID)
	if errors.Is(err, ErrNotFound) || (err == nil && c.CustomerID != customerID) {
		return problem.ConsentNotFound
	}
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	if s.opts.Mutant.Is(mutant.PortalRevokeIgnored) {
		return nil
	}
	if err := s.Store.RevokeGrant(ctx, c.ID, s.Clock.Now(), ByUser, "withdrawn by the customer", true); err != nil {
		return problem.Internal.Wrap(err)
	}
	return nil
}

// ErrorRedirect builds the redirect that reports an OAuth error to the partner (RFC
// 6749 4.1.2.1). Only for a redirect URI already validated for the App_ID.
func ErrorRedirect(redirectURI, state, oauthError, description string) string {
	kv := []string{"error", oauthError}
	if description != "" {
		kv = append(kv, "error_description", description)
	}
	if state != "" {
		kv = append(kv, "state", state)
	}
	return withQuery(redirectURI, kv...)
}

// OAuthError maps an error of StartAuthorization to an RFC 6749 error code, and says
// whether it may be sent to the partner by redirect (false: show it to the user).
func OAuthError(err error) (code string, redirect bool) {
	var pe *problem.Error
	if !errors.As(err, &pe) {
		return "server_error", false
	}
	switch pe.Code {
	case problem.ScopeNotGranted.Code:
		return "invalid_scope", true
	case problem.PKCERequired.Code, problem.PKCEMethodUnsupported.Code, problem.ParameterInvalid.Code:
		return "invalid_request", true
	case problem.Internal.Code:
		return "server_error", false
	}
	return "unauthorized_client", false
}

func (s *Service) client(ctx context.Context, appID string) (Client, error) {
	cl, found, err := s.Apps.Client(ctx, appID)
	if err != nil {
		return Client{}, problem.Internal.Wrap(err)
	}
	if !found {
		return Client{}, problem.AppUnknown.WithDetail("App_ID %q is not registered", problem.Clip(appID))
	}
	switch cl.Status {
	case "active":
		return cl, nil
	case "pending":
		return Client{}, problem.AppPending.WithDetail("App_ID %s is awaiting approval", cl.ID)
	case "blacklisted":
		return Client{}, problem.AppBlacklisted.WithDetail("App_ID %s is blacklisted", cl.ID)
	case "exited":
		return Client{}, problem.AppExited.WithDetail("App_ID %s has exited", cl.ID)
	}
	return Client{}, problem.AppSuspended.WithDetail("App_ID %s is not active", cl.ID)
}

func (s *Service) pendingRequest(ctx context.Context, id string) (AuthRequest, error) {
	if !strings.HasPrefix(id, prefixRequest) || len(id) > 64 {
		return AuthRequest{}, problem.AuthRequestInvalid
	}
	ar, err := s.Store.GetAuthRequest(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return AuthRequest{}, problem.AuthRequestInvalid
	}
	if err != nil {
		return AuthRequest{}, problem.Internal.Wrap(err)
	}
	if ar.Status != "pending" {
		return AuthRequest{}, problem.AuthRequestInvalid.WithDetail("this authorization request was already %s", ar.Status)
	}
	if !s.Clock.Now().Before(ar.ExpiresAt) {
		return AuthRequest{}, problem.AuthRequestInvalid.WithDetail("this authorization request expired; start again from the app")
	}
	return ar, nil
}

func (s *Service) decorate(ar AuthRequest, appName string) AuthRequest {
	ar.AppName = appName
	ar.Validity = time.Duration(ar.ValidDays) * 24 * time.Hour
	if ar.Kind == KindPayment {
		ar.Validity, ar.RiskNotice = s.opts.PaymentValidity, PaymentRiskNotice
		if s.opts.Mutant.Is(mutant.NoRiskNotice) {
			ar.RiskNotice = ""
		}
	}
	return ar
}

// paymentPurpose is the one-time code purpose for a payment request of one App_ID
// (otp.PaymentPurpose): the code confirms that payment only, and the hourly cap on
// payment codes counts per App_ID.
func paymentPurpose(ar AuthRequest) string { return "payment:" + ar.AppID + ":" + ar.ID }

// withQuery adds parameters to a registered redirect URI, keeping its own query.
func withQuery(uri string, kv ...string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func dedupe(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
