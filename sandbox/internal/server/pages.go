package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/protocol"
)

// userRoutes: the bank-hosted pages where the user logs in (password + one-time code),
// consents or refuses, and later revokes (JR/T 0185-2020 7.2.1 b), 9.3.1, 9.3.2).
//
// The pages are server-rendered HTML and need no JavaScript and never a client
// certificate. Every POST form carries a token bound to the cookie that identifies the
// browser at that step (see pgCSRF); cookies are __Host- prefixed, Secure, HttpOnly and
// SameSite=Lax. Errors are HTML for browsers (Accept: text/html) and the catalogued
// application/problem+json for everything else.
func (s *Server) userRoutes() {
	s.app.Get("/oauth/authorize", s.userPage(s.userAuthorize))
	s.app.Get("/oauth/consent", s.userPage(s.userConsentPage))
	s.app.Post("/oauth/consent", s.userPage(s.userConsentDecide))
	s.app.Post("/oauth/consent/code", s.userPage(s.userConsentSendCode))
	s.app.Get("/login", s.userPage(s.userLoginPage))
	s.app.Post("/login", s.userPage(s.userLoginSubmit))
	s.app.Get("/login/otp", s.userPage(s.userOTPPage))
	s.app.Post("/login/otp", s.userPage(s.userOTPSubmit))
	s.app.Post("/login/otp/resend", s.userPage(s.userOTPResend))
	s.app.Get("/portal", s.userPage(s.userPortal))
	s.app.Post("/portal/consents/:id/revoke", s.userPage(s.userRevoke))
	s.app.Post("/logout", s.userPage(s.userLogout))
	if s.d.Debug { // the simulated phone exists only in sandbox mode; in production /phone is 404
		s.app.Get("/phone", s.userPage(s.userPhone))
	}
}

// Cookies. The __Host- prefix makes browsers insist on Secure, Path=/ and no Domain, so
// no other host can plant or read them.
const (
	pgSessionCookie = "__Host-jr_session" // the two-factor login session token
	pgPendingCookie = "__Host-jr_login"   // between password and one-time code: pending token~masked mobile
	pgBrowserCookie = "__Host-jr_csrf"    // random, binds the anonymous forms (login, cancel) to this browser
)

// pgCSP is the pages' Content-Security-Policy: no script at all, styles inline only, no
// framing (clickjacking on a consent button), no <base> tricks. form-action is left
// open on purpose: the consent decision redirects to the partner's registered URI, and
// browsers apply form-action to that redirect.
const pgCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"

// userPage sets the headers every customer page needs: no caching of pages that show
// account data or codes, no framing, the CSP.
func (s *Server) userPage(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s.d.Mutant.Is(mutant.PagesFrameable) {
			return h(c)
		}
		c.Set("Content-Security-Policy", pgCSP)
		c.Set("X-Frame-Options", "DENY")
		c.Set("Cache-Control", "no-store")
		c.Set("Pragma", "no-cache")
		c.Set("Vary", "Accept, Cookie")
		return h(c)
	}
}

// pgBase is what the layout needs on every page.
type pgBase struct {
	Title     string // Chinese
	TitleEn   string
	Sandbox   bool   // show the sandbox banner and the simulated phone link
	Username  string // logged-in user, for the header
	LogoutTok string // CSRF token of the header's logout form (when logged in)
	IdleMin   int    // the idle timeout, shown next to the user name (9.3.1/3)
	RequestID string
}

func (s *Server) pgBase(c *fiber.Ctx, title, titleEn string) pgBase {
	return pgBase{Title: title, TitleEn: titleEn, Sandbox: s.d.Debug, RequestID: requestID(c),
		IdleMin: int(s.d.Sessions.Options().IdleTimeout / time.Minute)}
}

// pgRender executes one user_*.html template.
func (s *Server) pgRender(c *fiber.Ctx, status int, name string, data any) error {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		s.d.Log.Error("page template failed", "request_id", requestID(c), "template", name, "cause", err)
		return s.renderProblem(c, problem.Internal)
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(b.Bytes())
}

// pgWantsHTML: browsers ask for text/html on navigation; scripts and scanners get the
// catalogued problem+json, like every other error of the bank.
func pgWantsHTML(c *fiber.Ctx) bool { return strings.Contains(c.Get(fiber.HeaderAccept), "text/html") }

// pgErrorView is the HTML error page.
type pgErrorView struct {
	pgBase
	Status   int
	Code     string
	Zh       string
	Detail   string
	BackHref string
	BackText string
}

// userError renders a catalogued error: an HTML page for browsers (right status, the
// catalogue's title and safe detail, the request id; nothing internal), problem+json
// otherwise.
func (s *Server) userError(c *fiber.Ctx, err error) error {
	pe := problem.From(err)
	if !pgWantsHTML(c) {
		return s.renderProblem(c, pe)
	}
	if pe.Status >= 500 {
		s.d.Log.Error("page failed", "request_id", requestID(c), "code", pe.Code, "cause", pe.Unwrap())
	}
	if pe.RetryAfter > 0 {
		c.Set("Retry-After", strconv.Itoa(pe.RetryAfter))
	}
	v := pgErrorView{pgBase: s.pgBase(c, "出错了", "Something went wrong"), Status: pe.Status, Code: pe.Code,
		Zh: pgErrorZh(pe.Code), Detail: pe.Detail}
	if v.Zh == "" {
		v.Zh = "请求未能完成"
	}
	if pe.Status >= 500 {
		v.Detail = ""
	}
	return s.pgRender(c, pe.Status, "user_error.html", v)
}

// pgErrorZh gives the Chinese headline of the errors the pages can show.
func pgErrorZh(code string) string {
	return map[string]string{
		problem.LoginFailed.Code:           "用户名或密码错误",
		problem.LoginLocked.Code:           "登录失败次数过多，已暂停登录",
		problem.OTPRequired.Code:           "请输入短信验证码",
		problem.OTPInvalid.Code:            "验证码错误",
		problem.OTPExpired.Code:            "验证码已过期，请重新获取",
		problem.OTPUsed.Code:               "验证码已使用，请重新获取",
		problem.OTPTooManyAttempts.Code:    "验证码错误次数过多，请重新登录或重新发起授权",
		problem.OTPSendLimited.Code:        "验证码发送次数过多，请稍后再试或重新发起授权",
		problem.SessionInvalid.Code:        "登录已失效，请重新登录",
		problem.SessionExpired.Code:        "长时间无操作，会话已结束，请重新登录",
		problem.RedirectURIMismatch.Code:   "应用的回调地址与登记信息不一致，本行已拦截此次授权",
		problem.AppUnknown.Code:            "未知的应用，本行已拦截此次授权",
		problem.AppPending.Code:            "该应用尚未通过本行审核",
		problem.AppSuspended.Code:          "该应用已被暂停服务",
		problem.AppBlacklisted.Code:        "该应用已被本行列入黑名单",
		problem.AppExited.Code:             "该应用已退出本行开放服务",
		problem.AuthRequestInvalid.Code:    "授权请求无效、已过期或已处理，请回到应用重新发起",
		problem.AccountNotFound.Code:       "所选账户无效",
		problem.ParameterInvalid.Code:      "请求参数有误",
		problem.ConsentNotFound.Code:       "未找到该授权",
		problem.RouteNotFound.Code:         "页面不存在",
		problem.AdminNotFound.Code:         "未找到",
		problem.Internal.Code:              "系统繁忙，请稍后再试",
		problem.Unavailable.Code:           "服务暂不可用，请稍后再试",
		problem.ScopeNotGranted.Code:       "该应用无权申请此项权限",
		problem.PKCERequired.Code:          "授权请求缺少安全参数",
		problem.PKCEMethodUnsupported.Code: "授权请求的安全参数不受支持",
		problem.FormTokenInvalid.Code:      "页面已过期或来源不明，本行未执行此操作",
	}[code]
}

// --- Cookies -------------------------------------------------------------------------

// pgSetCookie sets a __Host- cookie: Secure, HttpOnly, SameSite=Lax, Path=/. maxAge 0
// makes it a browser-session cookie.
func pgSetCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	ck := &fiber.Cookie{Name: name, Value: value, Path: "/", Secure: true, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge / time.Second)
	} else {
		ck.SessionOnly = true
	}
	c.Cookie(ck)
}

// pgClearCookie deletes a cookie with the same attributes it was set with (a bare
// deletion would be refused by browsers for a __Host- cookie, and must not be the one
// Set-Cookie without Secure and HttpOnly).
func pgClearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", Secure: true, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: fasthttp.CookieExpireDelete})
}

func pgCookie(c *fiber.Ctx, name string) string {
	v := c.Cookies(name)
	if len(v) > 200 {
		return ""
	}
	return strings.Clone(v)
}

// pgBrowserBinding returns this browser's anonymous binding value, creating the cookie
// when it is missing.
func pgBrowserBinding(c *fiber.Ctx) string {
	if v := pgCookie(c, pgBrowserCookie); len(v) == 43 {
		return v
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	v := base64.RawURLEncoding.EncodeToString(b[:])
	pgSetCookie(c, pgBrowserCookie, v, 0)
	return v
}

// --- CSRF ----------------------------------------------------------------------------

// pgCSRFKey is the per-process key of the form tokens. A restart invalidates open forms,
// which costs a reload; the sessions themselves live in the store.
var pgCSRFKey = func() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("server: no randomness for the form-token key: " + err.Error())
	}
	return k
}()

// pgCSRF is the form token bound to a cookie value: HMAC-SM3 under the per-process key.
// The token is useless without the cookie (HttpOnly, so a page on another site can read
// neither) and changes with every login.
func pgCSRF(binding string) string {
	if binding == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(protocol.MAC(pgCSRFKey, []byte("jr-form\x00"+binding)))
}

// pgCSRFOK checks a submitted token against the cookie value it must be bound to.
func pgCSRFOK(binding, token string) bool {
	return binding != "" && token != "" && hmac.Equal([]byte(pgCSRF(binding)), []byte(token))
}

// userFormRefused is the answer to a POST whose form token is missing or wrong: 403,
// nothing done.
func (s *Server) userFormRefused(c *fiber.Ctx) error {
	return s.userError(c, problem.FormTokenInvalid)
}

// --- Forms and redirects -------------------------------------------------------------

// pgForm returns a form value as a copy (fiber reuses its buffers after the handler).
func pgForm(c *fiber.Ctx, key string) string { return strings.Clone(c.FormValue(key)) }

func pgQuery(c *fiber.Ctx, key string) string { return strings.Clone(c.Query(key)) }

// pgSafeNext accepts only a path on this bank under /oauth/ or /portal: no scheme, no
// host, no "//" or backslash tricks, no dot segments (no open redirect). "" → /portal.
func pgSafeNext(raw string) (string, bool) {
	if raw == "" {
		return "/portal", true
	}
	if len(raw) > 512 || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") || strings.ContainsAny(raw, "\\\x00\r\n\t ") {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || u.Fragment != "" {
		return "", false
	}
	p := u.Path
	if strings.Contains(p, "/./") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") || strings.HasSuffix(p, "/.") {
		return "", false
	}
	if !(p == "/portal" || strings.HasPrefix(p, "/portal/") || strings.HasPrefix(p, "/oauth/")) {
		return "", false
	}
	out := u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out, true
}

func pgBadNext() *problem.Error {
	return problem.ParameterInvalid.WithDetail("next must be a path on this bank under /oauth/ or /portal")
}

// pgLoginURL is the login page that comes back to next afterwards.
func pgLoginURL(next, reason string) string {
	v := url.Values{"next": {next}}
	if reason != "" {
		v.Set("reason", reason)
	}
	return "/login?" + v.Encode()
}

// pgSeeOther redirects within the bank after a form (303: the browser follows with GET).
func pgSeeOther(c *fiber.Ctx, location string) error {
	c.Set(fiber.HeaderLocation, location)
	return c.SendStatus(fiber.StatusSeeOther)
}

// pgToPartner sends the browser to the partner's registered redirect URI (RFC 6749 4.1.2).
func pgToPartner(c *fiber.Ctx, location string) error {
	c.Set(fiber.HeaderLocation, location)
	return c.SendStatus(fiber.StatusFound)
}

// --- Display helpers -----------------------------------------------------------------

var pgChinaTime = time.FixedZone("CST", 8*3600)

func pgTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(pgChinaTime).Format("2006-01-02 15:04")
}

// pgScope is one permission in plain words (9.3.2/1b: 明示同意).
type pgScope struct {
	Scope, Zh, En string
}

func pgScopes(scopes []string) []pgScope {
	words := map[string][2]string{
		"accounts:read":     {"查看您的账户列表（卡号脱敏显示）", "See the list of your accounts (numbers masked)"},
		"balances:read":     {"查看账户余额", "See account balances"},
		"transactions:read": {"查看账户交易明细", "See account transaction history"},
		"limits:read":       {"查看账户交易限额", "See account transaction limits"},
		"holdings:read":     {"查看您持有的存款、理财、基金等产品", "See the deposits, wealth and fund products you hold"},
		"payments:write":    {"从您选定的账户发起一笔支付", "Make one payment from the account you choose"},
		"payments:read":     {"查询该应用发起的支付的状态", "See the status of payments this app made"},
		"oauth:token":       {"使用本次授权向本行换取访问令牌", "Exchange this authorization for access tokens"},
	}
	out := make([]pgScope, 0, len(scopes))
	for _, sc := range scopes {
		w, ok := words[sc]
		if !ok {
			w = [2]string{"其他权限：" + sc, "Other permission: " + sc}
		}
		out = append(out, pgScope{Scope: sc, Zh: w[0], En: w[1]})
	}
	return out
}

func pgAccountKindZh(kind string) string {
	switch kind {
	case "debit":
		return "借记卡"
	case "credit":
		return "信用卡"
	}
	return kind
}

func pgAccountStatusZh(status string) string {
	switch status {
	case "active":
		return "正常"
	case "frozen":
		return "冻结"
	case "closed":
		return "已销户"
	}
	return status
}
