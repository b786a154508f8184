package server

import (
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/sessions"
)

// The bank-side login (JR/T 0185-2020 7.2.1 b) 2), 9.3.1/1): the user authenticates at
// the bank, never at the partner, with the password and then a one-time code sent to
// the phone. The password field is type=password with autocomplete off (7.2.2/3a:
// 替换输入框原文); neither the password nor a code is ever logged or written back into a
// page.

// pgMsg is a message box on a page.
type pgMsg struct {
	Kind   string // error | info
	Code   string
	Zh, En string
}

func pgErrMsg(pe *problem.Error) *pgMsg {
	m := &pgMsg{Kind: "error", Code: pe.Code, Zh: pgErrorZh(pe.Code), En: pe.Title}
	if pe.Detail != "" {
		m.En = pe.Detail
	}
	if m.Zh == "" {
		m.Zh = "操作未完成"
	}
	return m
}

type pgLoginView struct {
	pgBase
	Next     string
	CSRF     string
	User     string // the username typed, kept on a failed attempt (never the password)
	Password string // only the echo-password mutant bank fills it
	Msg      *pgMsg
	AppName  string // when logging in for a partner's authorization request
	AppID    string
	ReqID    string
	CancelOK bool
}

// userLoginPage: GET /login?next=<path>.
func (s *Server) userLoginPage(c *fiber.Ctx) error {
	next, ok := pgSafeNext(pgQuery(c, "next"))
	if !ok {
		return s.userError(c, pgBadNext())
	}
	var msg *pgMsg
	switch pgQuery(c, "reason") {
	case "expired":
		msg = &pgMsg{Kind: "info", Zh: "为保护您的账户安全，长时间无操作后会话已结束，请重新登录。", En: "Your session ended after inactivity; please log in again."}
	case "logout":
		msg = &pgMsg{Kind: "info", Zh: "您已安全退出。", En: "You have logged out."}
	}
	return s.userLoginForm(c, fiber.StatusOK, next, "", msg)
}

// userLoginForm renders the login page (also after a failed attempt).
func (s *Server) userLoginForm(c *fiber.Ctx, status int, next, user string, msg *pgMsg) error {
	return s.userLoginFormEcho(c, status, next, user, "", msg)
}

// userLoginFormEcho renders the login page; password is always "" except in the
// echo-password mutant bank (7.2.2/3a: the typed password is never written back).
func (s *Server) userLoginFormEcho(c *fiber.Ctx, status int, next, user, password string, msg *pgMsg) error {
	v := pgLoginView{pgBase: s.pgBase(c, "登录网上银行", "Log in to online banking"), Next: next, User: user, Msg: msg,
		CSRF: pgCSRF(pgBrowserBinding(c)), Password: password}
	if id := pgConsentReq(next); id != "" {
		ar, err := s.d.Consent.GetAuthorization(c.UserContext(), id)
		if err != nil {
			return s.userError(c, err)
		}
		v.AppName, v.AppID, v.ReqID, v.CancelOK = ar.AppName, ar.AppID, ar.ID, true
	}
	return s.pgRender(c, status, "user_login.html", v)
}

// pgConsentReq extracts the authorization request id from a next of /oauth/consent?req=.
func pgConsentReq(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Path != "/oauth/consent" {
		return ""
	}
	return u.Query().Get("req")
}

// userLoginSubmit: POST /login — the first factor. On success the code is sent and the
// browser goes on to the code page.
func (s *Server) userLoginSubmit(c *fiber.Ctx) error {
	if !pgCSRFOK(pgCookie(c, pgBrowserCookie), pgForm(c, "csrf")) {
		return s.userFormRefused(c)
	}
	next, ok := pgSafeNext(pgForm(c, "next"))
	if !ok {
		return s.userError(c, pgBadNext())
	}
	user := strings.TrimSpace(pgForm(c, "username"))
	if len(user) > 64 {
		user = user[:64]
	}
	p, err := s.d.Sessions.LoginFrom(c.UserContext(), pgCookie(c, pgBrowserCookie), user, pgForm(c, "password"))
	if err != nil {
		pe := problem.From(err)
		if !pgWantsHTML(c) || pe.Status >= 500 {
			return s.userError(c, pe)
		}
		if pe.RetryAfter > 0 {
			c.Set("Retry-After", strconv.Itoa(pe.RetryAfter))
		}
		if s.d.Mutant.Is(mutant.EchoPassword) {
			return s.userLoginFormEcho(c, pe.Status, next, user, pgForm(c, "password"), pgErrMsg(pe))
		}
		return s.userLoginForm(c, pe.Status, next, user, pgErrMsg(pe))
	}
	pgSetCookie(c, pgPendingCookie, p.Token+"~"+p.MaskedMobile, p.ExpiresAt.Sub(s.d.Clock.Now()))
	return pgSeeOther(c, "/login/otp?"+url.Values{"next": {next}}.Encode())
}

type pgOTPView struct {
	pgBase
	Next   string
	CSRF   string
	Mobile string
	TTLMin int
	Msg    *pgMsg
}

var pgMaskedMobile = regexp.MustCompile(`^[0-9]{3}\*{4}[0-9]{4}$`)

// pgPending reads the pending-login cookie: the token, and the masked mobile the code
// went to (display only).
func pgPending(c *fiber.Ctx) (token, mobile string) {
	token, mobile, _ = strings.Cut(pgCookie(c, pgPendingCookie), "~")
	if !strings.HasPrefix(token, sessions.TokenPrefix) {
		return "", ""
	}
	if !pgMaskedMobile.MatchString(mobile) {
		mobile = ""
	}
	return token, mobile
}

// userOTPPage: GET /login/otp — asks for the code sent to the phone.
func (s *Server) userOTPPage(c *fiber.Ctx) error {
	next, ok := pgSafeNext(pgQuery(c, "next"))
	if !ok {
		return s.userError(c, pgBadNext())
	}
	if tok, _ := pgPending(c); tok == "" {
		return pgSeeOther(c, pgLoginURL(next, ""))
	}
	var msg *pgMsg
	if pgQuery(c, "sent") == "1" {
		msg = &pgMsg{Kind: "info", Zh: "新的验证码已发送，之前的验证码已失效。", En: "A new code was sent; the previous one no longer works."}
	}
	return s.userOTPForm(c, fiber.StatusOK, next, msg)
}

func (s *Server) userOTPForm(c *fiber.Ctx, status int, next string, msg *pgMsg) error {
	tok, mobile := pgPending(c)
	v := pgOTPView{pgBase: s.pgBase(c, "短信验证", "One-time code"), Next: next, CSRF: pgCSRF(tok), Mobile: mobile,
		TTLMin: int(s.d.OTP.TTL().Minutes()), Msg: msg}
	return s.pgRender(c, status, "user_otp.html", v)
}

// userOTPSubmit: POST /login/otp — the second factor. On success the session cookie is
// set (a new token: the pending one is void) and the browser goes to next.
func (s *Server) userOTPSubmit(c *fiber.Ctx) error {
	tok, _ := pgPending(c)
	if !pgCSRFOK(tok, pgForm(c, "csrf")) {
		return s.userFormRefused(c)
	}
	next, ok := pgSafeNext(pgForm(c, "next"))
	if !ok {
		return s.userError(c, pgBadNext())
	}
	sess, err := s.d.Sessions.CompleteLoginFrom(c.UserContext(), pgCookie(c, pgBrowserCookie), tok, strings.TrimSpace(pgForm(c, "code")))
	if err != nil {
		return s.userLoginStepFailed(c, next, err)
	}
	if old := pgCookie(c, pgSessionCookie); old != "" {
		_ = s.d.Sessions.Logout(c.UserContext(), old)
	}
	pgClearCookie(c, pgPendingCookie)
	pgSetCookie(c, pgSessionCookie, sess.Token, 0)
	return pgSeeOther(c, next)
}

// userLoginStepFailed answers a failed code step: a wrong code asks again; a pending
// login that timed out, ended or got locked starts over at the password.
func (s *Server) userLoginStepFailed(c *fiber.Ctx, next string, err error) error {
	pe := problem.From(err)
	if !pgWantsHTML(c) || pe.Status >= 500 {
		return s.userError(c, pe)
	}
	if pe.RetryAfter > 0 {
		c.Set("Retry-After", strconv.Itoa(pe.RetryAfter))
	}
	switch {
	case errors.Is(pe, problem.SessionExpired), errors.Is(pe, problem.SessionInvalid), errors.Is(pe, problem.LoginLocked):
		pgClearCookie(c, pgPendingCookie)
		return s.userLoginForm(c, pe.Status, next, "", pgErrMsg(pe))
	}
	return s.userOTPForm(c, pe.Status, next, pgErrMsg(pe))
}

// userOTPResend: POST /login/otp/resend — a new code (the previous one stops working).
func (s *Server) userOTPResend(c *fiber.Ctx) error {
	tok, _ := pgPending(c)
	if !pgCSRFOK(tok, pgForm(c, "csrf")) {
		return s.userFormRefused(c)
	}
	next, ok := pgSafeNext(pgForm(c, "next"))
	if !ok {
		return s.userError(c, pgBadNext())
	}
	p, err := s.d.Sessions.ResendCode(c.UserContext(), tok)
	if err != nil {
		return s.userLoginStepFailed(c, next, err)
	}
	pgSetCookie(c, pgPendingCookie, p.Token+"~"+p.MaskedMobile, p.ExpiresAt.Sub(s.d.Clock.Now()))
	return pgSeeOther(c, "/login/otp?"+url.Values{"next": {next}, "sent": {"1"}}.Encode())
}

// userLogout: POST /logout — ends the session at the bank and drops the cookie.
func (s *Server) userLogout(c *fiber.Ctx) error {
	tok := pgCookie(c, pgSessionCookie)
	if tok == "" {
		return pgSeeOther(c, pgLoginURL("/portal", ""))
	}
	if !pgCSRFOK(tok, pgForm(c, "csrf")) {
		return s.userFormRefused(c)
	}
	if err := s.d.Sessions.Logout(c.UserContext(), tok); err != nil {
		return s.userError(c, err)
	}
	pgClearCookie(c, pgSessionCookie)
	return pgSeeOther(c, pgLoginURL("/portal", "logout"))
}

// userSession returns the logged-in session and its token, counting this request as
// activity (9.3.1/3). An error that pgNeedsLogin accepts means: log in (again).
func (s *Server) userSession(c *fiber.Ctx) (sessions.Session, string, error) {
	tok := pgCookie(c, pgSessionCookie)
	if tok == "" {
		return sessions.Session{}, "", problem.SessionInvalid
	}
	sess, err := s.d.Sessions.Touch(c.UserContext(), tok)
	return sess, tok, err
}

// pgNeedsLogin reports whether err means "log in again" rather than a real failure.
func pgNeedsLogin(err error) bool {
	return errors.Is(err, problem.SessionInvalid) || errors.Is(err, problem.SessionExpired) || errors.Is(err, problem.OTPRequired)
}

// userRelogin sends the browser to the login page, to come back to next.
func (s *Server) userRelogin(c *fiber.Ctx, next string, err error) error {
	reason := ""
	if errors.Is(err, problem.SessionExpired) {
		reason = "expired"
	}
	if pgCookie(c, pgSessionCookie) != "" {
		pgClearCookie(c, pgSessionCookie)
	}
	return pgSeeOther(c, pgLoginURL(next, reason))
}

// pgLoggedIn fills the layout's user box.
func pgLoggedIn(b *pgBase, sess sessions.Session, token string) {
	b.Username, b.LogoutTok = sess.Username, pgCSRF(token)
}
