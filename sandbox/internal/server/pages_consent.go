package server

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/accounts"
	"github.com/jr0185/harness/sandbox/internal/consent"
	"github.com/jr0185/harness/sandbox/internal/money"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/sessions"
)

// The partner's side of the browser flow: OAuth 2.0 authorization code with PKCE
// (RFC 6749 4.1, RFC 7636) and the customer's explicit consent (JR/T 0185-2020
// 9.3.2/1b: 明示同意，其内容应包含授权有效期; 10.2.2/1-3).

// pgOAuthParams may each appear once (RFC 6749 3.1: parameters MUST NOT be repeated).
var pgOAuthParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
	"code_challenge_method", "consent_type", "valid_days", "amount", "currency", "payee_account", "payee_name",
	"debit_account", "account_hint"}

// pgKindInvalid makes StartAuthorization refuse a request the page could not parse, but
// only after it has checked the App_ID and the redirect URI: whether the browser may be
// sent back to the partner with the error is the domain's decision, never the page's.
const pgKindInvalid consent.Kind = "unparsed"

// pgAuthRequest parses the authorization request. A request it cannot parse comes back
// with Kind pgKindInvalid and the OAuth error to report.
func pgAuthRequest(c *fiber.Ctx) (r consent.Request, oauthErr, desc string) {
	r = consent.Request{AppID: pgQuery(c, "client_id"), RedirectURI: pgQuery(c, "redirect_uri"),
		Scopes: strings.Fields(pgQuery(c, "scope")), State: pgQuery(c, "state"),
		CodeChallenge: pgQuery(c, "code_challenge"), CodeChallengeMethod: pgQuery(c, "code_challenge_method"),
		Kind: consent.Kind(pgQuery(c, "consent_type")), AccountHint: pgQuery(c, "account_hint")}
	fail := func(code, d string) (consent.Request, string, string) {
		r.Kind = pgKindInvalid
		return r, code, d
	}
	switch pgQuery(c, "response_type") {
	case "code":
	case "":
		return fail("invalid_request", "response_type is required: code (authorization code with PKCE)")
	default:
		return fail("unsupported_response_type", "response_type must be code (authorization code with PKCE)")
	}
	if r.Kind == "" {
		r.Kind = consent.KindAccountInfo
	}
	switch r.Kind {
	case consent.KindAccountInfo:
		if v := pgQuery(c, "valid_days"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fail("invalid_request", "valid_days must be a whole number of days")
			}
			r.ValidDays = n
		}
	case consent.KindPayment:
		fen, err := money.Parse(pgQuery(c, "amount"))
		if err != nil {
			return fail("invalid_request", "amount must be a positive yuan amount with at most two decimals, e.g. 10.00")
		}
		r.Payment = &consent.Payment{AmountFen: fen, Currency: pgQuery(c, "currency"), PayeeName: pgQuery(c, "payee_name"),
			PayeeAccount: pgQuery(c, "payee_account")}
		if h := pgQuery(c, "debit_account"); h != "" {
			r.AccountHint = h
		}
	}
	return r, "", ""
}

// pgDescription makes an error_description of the RFC 6749 character set (printable
// ASCII without " and \).
func pgDescription(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(b) < 300; i++ {
		switch ch := s[i]; {
		case ch == '"':
			b = append(b, '\'')
		case ch == '\\' || ch < 0x20 || ch > 0x7e:
		default:
			b = append(b, ch)
		}
	}
	return string(b)
}

// userAuthorize: GET /oauth/authorize. The App_ID and the exact redirect URI are checked
// first: if either is wrong the error is shown here and the browser stays at the bank
// (RFC 6749 4.1.2.1: never redirect to an unverified URI). Any other error goes back to
// the partner as error= with its state.
func (s *Server) userAuthorize(c *fiber.Ctx) error {
	args := c.Context().QueryArgs()
	for _, k := range pgOAuthParams {
		if len(args.PeekMulti(k)) > 1 {
			return s.userError(c, problem.ParameterInvalid.WithDetail("parameter %s is repeated", k))
		}
	}
	ctx := c.UserContext()
	r, oauthErr, desc := pgAuthRequest(c)
	if s.d.Mutant.Is(mutant.AuthorizeAnyKind) && r.Kind != consent.KindPayment && r.Kind != pgKindInvalid {
		r.Kind = consent.KindAccountInfo
		r.ValidDays, _ = strconv.Atoi(pgQuery(c, "valid_days"))
	}
	ar, err := s.d.Consent.StartAuthorization(ctx, r)
	if err == nil && oauthErr != "" { // cannot happen: the domain refuses pgKindInvalid
		err = problem.ParameterInvalid
	}
	if err != nil {
		code, redirect := consent.OAuthError(err)
		if !redirect {
			return s.userError(c, err)
		}
		if oauthErr == "" {
			pe := problem.From(err)
			oauthErr, desc = code, pe.Detail
			if desc == "" {
				desc = pe.Title
			}
		}
		return pgToPartner(c, consent.ErrorRedirect(r.RedirectURI, r.State, oauthErr, pgDescription(desc)))
	}
	next := pgConsentURL(ar.ID, nil)
	if tok := pgCookie(c, pgSessionCookie); tok != "" {
		if _, err := s.d.Sessions.Get(ctx, tok); err == nil {
			return pgSeeOther(c, next)
		}
	}
	return pgSeeOther(c, pgLoginURL(next, ""))
}

func pgConsentURL(reqID string, extra url.Values) string {
	v := url.Values{"req": {reqID}}
	for k, vs := range extra {
		v[k] = vs
	}
	return "/oauth/consent?" + v.Encode()
}

// pgAccount is one of the customer's accounts on the consent page.
type pgAccount struct {
	ID, Masked, Kind, Status string
	Checked                  bool
}

type pgConsentView struct {
	pgBase
	CSRF          string
	ReqID         string
	AppName       string
	AppID         string
	Payment       bool
	Scopes        []pgScope
	Accounts      []pgAccount
	ValidDays     int
	ValidUntil    string // approximate: the period starts when the customer approves
	PayValidMin   int
	Amount        string
	Currency      string
	PayeeName     string
	PayeeMasked   string
	RiskNotice    string
	DecideBy      string
	CodeSent      bool
	CodeTTLMin    int
	Msg           *pgMsg
	AccountChoice string // checkbox | radio
}

// userConsentView builds the consent page for the logged-in customer. selected keeps
// the accounts chosen before a failed attempt; nil preselects the partner's hint.
func (s *Server) userConsentView(c *fiber.Ctx, sess sessions.Session, token, reqID string, selected []string) (pgConsentView, error) {
	ctx := c.UserContext()
	ar, err := s.d.Consent.GetAuthorization(ctx, reqID)
	if err != nil {
		return pgConsentView{}, err
	}
	list, err := s.pgCustomerAccounts(ctx, sess.CustomerID)
	if err != nil {
		return pgConsentView{}, err
	}
	now := s.d.Clock.Now()
	v := pgConsentView{pgBase: s.pgBase(c, "授权确认", "Authorize an app"), CSRF: pgCSRF(token), ReqID: ar.ID,
		AppName: ar.AppName, AppID: ar.AppID, Payment: ar.Kind == consent.KindPayment, Scopes: pgScopes(ar.Scopes),
		ValidDays: ar.ValidDays, ValidUntil: pgTime(now.Add(ar.Validity)), DecideBy: pgTime(ar.ExpiresAt),
		RiskNotice: ar.RiskNotice, CodeTTLMin: int(s.d.OTP.TTL() / time.Minute), AccountChoice: "checkbox"}
	pgLoggedIn(&v.pgBase, sess, token)
	if v.Payment {
		v.AccountChoice, v.PayValidMin = "radio", int(ar.Validity/time.Minute)
		if p := ar.Payment; p != nil {
			v.Amount, v.Currency, v.PayeeName, v.PayeeMasked = money.Format(p.AmountFen), p.Currency, p.PayeeName, p.PayeeMasked
		}
	}
	for _, a := range list {
		pa := pgAccount{ID: a.ID, Masked: a.Masked, Kind: pgAccountKindZh(a.Kind), Status: pgAccountStatusZh(a.Status)}
		if selected != nil {
			pa.Checked = pgContains(selected, a.ID)
		} else {
			pa.Checked = ar.AccountHint != "" && (ar.AccountHint == a.ID || ar.AccountHint == a.Number) || len(list) == 1
		}
		v.Accounts = append(v.Accounts, pa)
	}
	return v, nil
}

// pgCustomerAccounts lists the customer's own accounts (masked for display; the full
// number stays on the server and is never written into the page).
func (s *Server) pgCustomerAccounts(ctx context.Context, customerID string) ([]accounts.Account, error) {
	numbers, err := s.d.Consent.Accounts.AccountsOf(ctx, customerID)
	if err != nil {
		return nil, problem.Internal.Wrap(err)
	}
	sc := accounts.Scope{CustomerID: customerID}
	for _, n := range numbers {
		sc.AccountIDs = append(sc.AccountIDs, s.d.AccountIDs.For(n))
	}
	list, err := s.d.Accounts.List(ctx, sc)
	if err != nil {
		return nil, problem.Internal.Wrap(err)
	}
	return list, nil
}

// userConsentPage: GET /oauth/consent?req=<id>.
func (s *Server) userConsentPage(c *fiber.Ctx) error {
	id := pgQuery(c, "req")
	sess, tok, err := s.userSession(c)
	if err != nil {
		if pgNeedsLogin(err) {
			return s.userRelogin(c, pgConsentURL(id, nil), err)
		}
		return s.userError(c, err)
	}
	args := c.Context().QueryArgs()
	var selected []string
	for _, a := range args.PeekMulti("account") {
		selected = append(selected, string(a))
	}
	v, err := s.userConsentView(c, sess, tok, id, selected)
	if err != nil {
		return s.userError(c, err)
	}
	if pgQuery(c, "sent") == "1" {
		v.CodeSent = true
		v.Msg = &pgMsg{Kind: "info", Zh: "支付确认验证码已发送到您的手机。", En: "A payment confirmation code was sent to your phone."}
	}
	return s.pgRender(c, fiber.StatusOK, "user_consent.html", v)
}

// pgFormMulti returns every value of a repeated form field (copies).
func pgFormMulti(c *fiber.Ctx, key string) []string {
	var out []string
	for _, v := range c.Request().PostArgs().PeekMulti(key) {
		out = append(out, string(v))
	}
	if len(out) == 0 {
		if mf, err := c.MultipartForm(); err == nil && mf != nil {
			out = append(out, mf.Value[key]...)
		}
	}
	if len(out) > 50 {
		out = out[:50]
	}
	return out
}

// pgAccountNumbers maps the account ids chosen on the page back to the customer's
// account numbers. An id that is not one of theirs is passed on unchanged, so that the
// domain refuses it (ACCOUNT_NOT_FOUND) rather than the page.
func (s *Server) pgAccountNumbers(ctx context.Context, customerID string, ids []string) ([]string, error) {
	numbers, err := s.d.Consent.Accounts.AccountsOf(ctx, customerID)
	if err != nil {
		return nil, problem.Internal.Wrap(err)
	}
	byID := map[string]string{}
	for _, n := range numbers {
		byID[s.d.AccountIDs.For(n)] = n
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if n, ok := byID[id]; ok {
			out = append(out, n)
		} else {
			out = append(out, pgClip(id, 40))
		}
	}
	return out, nil
}

// userConsentDecide: POST /oauth/consent — approve (accounts, and for a payment its
// one-time code) or refuse; either way the browser goes back to the partner's
// registered redirect URI with code and state, or error=access_denied and state.
func (s *Server) userConsentDecide(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id, decision, token := pgForm(c, "req"), pgForm(c, "decision"), pgForm(c, "csrf")
	sessTok := pgCookie(c, pgSessionCookie)
	switch {
	case pgCSRFOK(sessTok, token):
	case decision == "refuse" && pgCSRFOK(pgCookie(c, pgBrowserCookie), token):
		// "Cancel" on the login page: the customer refuses without logging in.
		loc, err := s.d.Consent.Refuse(ctx, "", id)
		if err != nil {
			return s.userError(c, err)
		}
		return pgToPartner(c, loc)
	default:
		return s.userFormRefused(c)
	}
	if decision == "refuse" && s.d.Mutant.Is(mutant.RefuseGrants) {
		decision = "approve"
	}
	switch decision {
	case "refuse":
		loc, err := s.d.Consent.Refuse(ctx, sessTok, id)
		if pgNeedsLogin(err) { // an expired session may still say no
			loc, err = s.d.Consent.Refuse(ctx, "", id)
		}
		if err != nil {
			return s.userError(c, err)
		}
		return pgToPartner(c, loc)
	case "approve":
	default:
		return s.userError(c, problem.ParameterInvalid.WithDetail("decision must be approve or refuse"))
	}
	sess, _, err := s.userSession(c)
	if err != nil {
		if pgNeedsLogin(err) {
			return s.userRelogin(c, pgConsentURL(id, nil), err)
		}
		return s.userError(c, err)
	}
	selected := pgFormMulti(c, "account")
	numbers, err := s.pgAccountNumbers(ctx, sess.CustomerID, selected)
	if err != nil {
		return s.userError(c, err)
	}
	loc, err := s.d.Consent.Approve(ctx, sessTok, id, numbers, strings.TrimSpace(pgForm(c, "otp")))
	if err != nil {
		pe := problem.From(err)
		switch {
		case pgNeedsLogin(pe) && !errors.Is(pe, problem.OTPRequired):
			return s.userRelogin(c, pgConsentURL(id, nil), pe)
		case errors.Is(pe, problem.AuthRequestInvalid), pe.Status >= 500, !pgWantsHTML(c):
			return s.userError(c, pe)
		}
		// Ask again on the same page: the choice is kept, the code is not.
		v, verr := s.userConsentView(c, sess, sessTok, id, pgNonNil(selected))
		if verr != nil {
			return s.userError(c, verr)
		}
		v.Msg = pgErrMsg(pe)
		if errors.Is(pe, problem.ParameterInvalid) && len(selected) == 0 {
			v.Msg.Zh = "请选择要授权的账户"
		}
		return s.pgRender(c, pe.Status, "user_consent.html", v)
	}
	return pgToPartner(c, loc)
}

// userConsentSendCode: POST /oauth/consent/code — sends the one-time code that confirms
// this payment (bound to the request: it cannot confirm another).
func (s *Server) userConsentSendCode(c *fiber.Ctx) error {
	sessTok, id := pgCookie(c, pgSessionCookie), pgForm(c, "req")
	if !pgCSRFOK(sessTok, pgForm(c, "csrf")) {
		return s.userFormRefused(c)
	}
	if err := s.d.Consent.RequestPaymentCode(c.UserContext(), sessTok, id); err != nil {
		if pgNeedsLogin(err) {
			return s.userRelogin(c, pgConsentURL(id, nil), err)
		}
		return s.userError(c, err)
	}
	extra := url.Values{"sent": {"1"}}
	if sel := pgFormMulti(c, "account"); len(sel) > 0 {
		extra["account"] = sel
	}
	return pgSeeOther(c, pgConsentURL(id, extra))
}

func pgContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func pgNonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func pgClip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
