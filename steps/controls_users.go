package steps

// Probes of the users' controls of features/bank/controls.yaml (issue 13) on the bank's
// own pages: one-time codes bound to their step, their attempts, lifetime and sending
// limits, and the password lockout — each at the limits the bank publishes in
// /docs/limits.json ("users"), just inside and just outside. Each control spends the
// codes or locks the logins of a test user of its own, so no other scenario's login
// is disturbed.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The test users the users' controls spend (Target.Users roles).
const (
	lockoutUser  = "user0004"
	attemptsUser = "user0005"
	lifetimeUser = "user0006"
	boundUser    = "user0007"
	sendUser     = "user0008"
)

func init() {
	controlProbes["OTP-BOUND"] = probeOTPBound
	controlProbes["OTP-ATTEMPTS"] = probeOTPAttempts
	controlProbes["OTP-LIFETIME"] = probeOTPLifetime
	controlProbes["OTP-SEND-LIMITS"] = probeOTPSendLimits
	controlProbes["PASSWORD-LOCKOUT"] = probePasswordLockout
}

// loginNext is where the probes' logins go afterwards.
const loginNext = "/portal"

// codeStep is one step that takes a one-time code at the bank's pages: a pending login
// (a browser at the code page) or a payment authorization (its consent page).
type codeStep struct {
	b       *Browser
	login   bool
	csrf    string
	req     string // the authorization request (payment)
	account string // the account to pay from (payment)
	code    string // the last code the bank sent for this step
}

// typePassword opens the login page in b and submits pw.
func typePassword(ctx context.Context, b *Browser, pw string) (*Exchange, error) {
	x, err := b.Do(ctx, "GET", "/login?next="+url.QueryEscape(loginNext), nil)
	if err != nil {
		return nil, err
	}
	if err := b.expect(x, 200, ""); err != nil {
		return nil, err
	}
	return b.Do(ctx, "POST", "/login", url.Values{"csrf": {field(x.Body, "csrf")}, "next": {loginNext},
		"username": {b.User.Username}, "password": {pw}})
}

// startLogin: a fresh browser of the user types the right password; the code is sent.
func startLogin(ctx context.Context, e *Env, role string) (*codeStep, error) {
	b, err := e.NewBrowser(role)
	if err != nil {
		return nil, err
	}
	x, err := typePassword(ctx, b, b.User.Password)
	if err != nil {
		return nil, err
	}
	if err := b.expect(x, http.StatusSeeOther, "/login/otp"); err != nil {
		return nil, fmt.Errorf("%s's password step: %w", b.User.Username, err)
	}
	if x, err = b.Do(ctx, "GET", x.Header.Get("Location"), nil); err != nil {
		return nil, err
	}
	if err := b.expect(x, 200, ""); err != nil {
		return nil, err
	}
	code, err := b.PhoneCode(ctx) // sent with the password
	if err != nil {
		return nil, err
	}
	return &codeStep{b: b, login: true, csrf: field(x.Body, "csrf"), code: code}, nil
}

// loggedIn is a browser of the user with a two-factor session at the bank.
func loggedIn(ctx context.Context, e *Env, role string) (*Browser, error) {
	b, err := e.NewBrowser(role)
	if err != nil {
		return nil, err
	}
	return b, b.Login(ctx, loginNext)
}

// startPayment: b opens a payment authorization of app a (0.01 to the probe payee) up
// to its consent page; no code is sent yet.
func startPayment(ctx context.Context, b *Browser, a *App) (*codeStep, error) {
	auth := b.e.AuthorizationURL(a, ConsentRequest{Scopes: []string{"payments:write"}, Payment: true,
		Amount: probeAmount, PayeeAccount: probePayee, PayeeName: probePayeeName})
	x, err := b.openAuthorization(ctx, auth.URL)
	if err != nil {
		return nil, err
	}
	if err := b.expect(x, 200, ""); err != nil {
		return nil, fmt.Errorf("the payment consent page: %w", err)
	}
	m := accountRE.FindSubmatch(x.Body)
	if m == nil {
		return nil, fmt.Errorf("the payment consent page offers %s no account to pay from", b.User.Username)
	}
	return &codeStep{b: b, csrf: field(x.Body, "csrf"), req: field(x.Body, "req"), account: string(m[1])}, nil
}

// send asks the bank for a (new) code for the step.
func (st *codeStep) send(ctx context.Context) (*Exchange, error) {
	if st.login {
		return st.b.Do(ctx, "POST", "/login/otp/resend", url.Values{"csrf": {st.csrf}, "next": {loginNext}})
	}
	return st.b.Do(ctx, "POST", "/oauth/consent/code", url.Values{"csrf": {st.csrf}, "req": {st.req}})
}

// sendCode asks the bank for a code for the step, insists it was sent, and reads it
// from the user's phone.
func (st *codeStep) sendCode(ctx context.Context) (string, error) {
	x, err := st.send(ctx)
	if err != nil {
		return "", err
	}
	if x.Status != http.StatusSeeOther {
		return "", fmt.Errorf("asking for a code: HTTP %d %s", x.Status, clip(pageText(x), 200))
	}
	st.code, err = st.b.PhoneCode(ctx)
	return st.code, err
}

// submit enters a code: the login's second factor, or the payment's approval.
func (st *codeStep) submit(ctx context.Context, code string) (*Exchange, error) {
	if st.login {
		return st.b.Do(ctx, "POST", "/login/otp", url.Values{"csrf": {st.csrf}, "next": {loginNext}, "code": {code}})
	}
	return st.b.Do(ctx, "POST", "/oauth/consent", url.Values{"csrf": {st.csrf}, "req": {st.req}, "decision": {"approve"},
		"account": {st.account}, "otp": {code}})
}

// accepted reports whether an answer completed the step: the login's session, or the
// redirect to the partner with an authorization code.
func (st *codeStep) accepted(x *Exchange) bool {
	loc := x.Header.Get("Location")
	if st.login {
		return x.Status == http.StatusSeeOther && loc == loginNext
	}
	u, err := url.Parse(loc)
	return x.Status == http.StatusFound && err == nil && u.Query().Get("code") != ""
}

func (st *codeStep) what() string {
	if st.login {
		return "the login's code"
	}
	return "the payment's code"
}

// mustAccept and mustRefuse judge an attempt; codes, when given, name the catalogued
// refusals the page may show.
func (st *codeStep) mustAccept(x *Exchange, err error, attempt string) error {
	if err != nil {
		return err
	}
	if !st.accepted(x) {
		return fmt.Errorf("%s (%s) was refused: HTTP %d → %q %s", st.what(), attempt, x.Status, x.Header.Get("Location"), clip(pageText(x), 200))
	}
	return nil
}

func (st *codeStep) mustRefuse(x *Exchange, err error, attempt string, codes ...string) error {
	if err != nil {
		return err
	}
	if st.accepted(x) || x.Status < 400 || x.Status > 499 {
		return fmt.Errorf("%s (%s) was not refused: HTTP %d → %q", st.what(), attempt, x.Status, x.Header.Get("Location"))
	}
	for _, c := range codes {
		if strings.Contains(string(x.Body), c) {
			return nil
		}
	}
	if len(codes) > 0 {
		return fmt.Errorf("%s (%s) was refused, but not with %s: HTTP %d %s", st.what(), attempt, strings.Join(codes, " or "), x.Status, clip(pageText(x), 200))
	}
	return nil
}

// otherCode is a six-digit code that is not code.
func otherCode(code string) string {
	n, _ := strconv.Atoi(code)
	return fmt.Sprintf("%06d", (n+1)%1_000_000)
}

// codeSteps starts n steps of the kind page ("login" or "consent") for role: fresh
// browsers at the code step, or payment authorizations of app a in one logged-in
// browser.
func codeSteps(ctx context.Context, e *Env, page, role string, a *App, n int) ([]*codeStep, error) {
	var b *Browser
	var err error
	if page == "consent" {
		if b, err = loggedIn(ctx, e, role); err != nil {
			return nil, err
		}
	} else if page != "login" {
		return nil, fmt.Errorf("the suite knows no one-time code step on the bank's %s page", page)
	}
	steps := make([]*codeStep, n)
	for i := range steps {
		if page == "login" {
			steps[i], err = startLogin(ctx, e, role)
		} else {
			steps[i], err = startPayment(ctx, b, a)
		}
		if err != nil {
			return nil, err
		}
	}
	return steps, nil
}

// ---- OTP-BOUND

// probeOTPBound: the code sent for one step is refused for another of the same user —
// before and after that one has a code of its own — and each step's own code completes
// it (7.2.1 b) 2); 10.2.2/2: the user confirms this payment, not any).
func probeOTPBound(ctx context.Context, p *prober, s surface) error {
	a, err := p.app(ctx, "A2", false)
	if err != nil {
		return err
	}
	steps, err := codeSteps(ctx, p.w.Env, s.Page, boundUser, a, 2)
	if err != nil {
		return err
	}
	first, second := steps[0], steps[1]
	var codeA, codeB string
	if first.login { // each login's code was sent with its password
		codeA, codeB = first.code, second.code
	} else {
		if codeA, err = first.sendCode(ctx); err != nil {
			return err
		}
		x, err := second.submit(ctx, codeA)
		if err := second.mustRefuse(x, err, "the code of another payment, before this one had a code", "OTP_INVALID"); err != nil {
			return err
		}
		if codeB, err = second.sendCode(ctx); err != nil {
			return err
		}
	}
	if codeA == codeB {
		return fmt.Errorf("the bank sent one code %s… for two steps", codeA[:2])
	}
	x, err := second.submit(ctx, codeA)
	if err := second.mustRefuse(x, err, "the code sent for another step", "OTP_INVALID"); err != nil {
		return err
	}
	x, err = second.submit(ctx, codeB)
	if err := second.mustAccept(x, err, "its own code"); err != nil {
		return err
	}
	x, err = first.submit(ctx, codeA)
	return first.mustAccept(x, err, "its own code, after another step used its own")
}

// ---- OTP-ATTEMPTS

// probeOTPAttempts: with N the published attempts, N−1 wrong codes then the right one
// complete a step; N wrong are refused (the N-th counted: the right code after them is
// refused); across a re-issued code, N−2 wrong, a new code, one wrong and the right one
// complete a step, while N−2 wrong, a new code, two wrong, another new code and the
// right one do not (7.2.1 b) 2)).
func probeOTPAttempts(ctx context.Context, p *prober, s surface) error {
	l, err := publishedLimits(ctx)
	if err != nil {
		return err
	}
	n, err := l.num("users", "otp_max_attempts")
	if err != nil {
		return err
	}
	if n < 3 {
		return fmt.Errorf("the bank publishes %d one-time code attempts; the probe needs at least 3", n)
	}
	a, err := p.app(ctx, "A2", false)
	if err != nil {
		return err
	}
	steps, err := codeSteps(ctx, p.w.Env, s.Page, attemptsUser, a, 4)
	if err != nil {
		return err
	}
	// Each case: wrong guesses, then a new code, and so on; want: the right code then.
	cases := []struct {
		name    string
		wrongs  []int // wrong attempts before each code after the first
		accept  bool
		reissue bool
	}{
		{fmt.Sprintf("%d wrong, then right", n-1), []int{n - 1}, true, false},
		{fmt.Sprintf("%d wrong, then right", n), []int{n}, false, false},
		{fmt.Sprintf("%d wrong, a new code, 1 wrong, then right", n-2), []int{n - 2, 1}, true, true},
		{fmt.Sprintf("%d wrong, a new code, 2 wrong, a new code, then right", n-2), []int{n - 2, 2, 0}, false, true},
	}
	for i, c := range cases {
		st := steps[i]
		tried := 0
		for round, wrongs := range c.wrongs {
			code, err := roundCode(ctx, st, round)
			if err != nil {
				if round > 0 && tried >= n && !c.accept {
					break // the bank sends no new code once the step's attempts are spent
				}
				return fmt.Errorf("%s: %w", c.name, err)
			}
			for k := 0; k < wrongs; k++ {
				tried++
				x, err := st.submit(ctx, otherCode(code))
				want := []string{"OTP_INVALID"}
				if tried >= n { // the N-th wrong spends the step: told so, not "0 attempts left"
					want = []string{"OTP_TOO_MANY_ATTEMPTS", "LOGIN_LOCKED"}
				}
				if err := st.mustRefuse(x, err, fmt.Sprintf("%s: wrong attempt %d", c.name, tried), want...); err != nil {
					return err
				}
			}
		}
		x, err := st.submit(ctx, st.code)
		if c.accept {
			err = st.mustAccept(x, err, c.name)
		} else {
			err = st.mustRefuse(x, err, c.name+": the right code after the attempts were spent")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// roundCode is the code of a step's round: the first code (a login's is sent with the
// password; a payment's is asked for), or a new one.
func roundCode(ctx context.Context, st *codeStep, round int) (string, error) {
	if round == 0 && st.login {
		return st.code, nil
	}
	return st.sendCode(ctx)
}

// ---- OTP-LIFETIME

// probeOTPLifetime: a code backdated to 15 seconds before the end of its published
// lifetime completes its step; one backdated a second past it is refused OTP_EXPIRED
// (7.2.1 b) 2); 7.2.2/4: 交易认证结束后及时清除).
func probeOTPLifetime(ctx context.Context, p *prober, s surface) error {
	l, err := publishedLimits(ctx)
	if err != nil {
		return err
	}
	ttl, err := l.num("users", "otp_ttl_seconds")
	if err != nil {
		return err
	}
	a, err := p.app(ctx, "A2", false)
	if err != nil {
		return err
	}
	for _, c := range []struct {
		age    int
		accept bool
	}{{ttl - 15, true}, {ttl + 1, false}} {
		steps, err := codeSteps(ctx, p.w.Env, s.Page, lifetimeUser, a, 1) // its code sent after the last backdate
		if err != nil {
			return err
		}
		st := steps[0]
		code, err := roundCode(ctx, st, 0)
		if err != nil {
			return err
		}
		if err := backdateCodes(ctx, p.w.Env, lifetimeUser, c.age); err != nil {
			return err
		}
		x, err := st.submit(ctx, code)
		attempt := fmt.Sprintf("%d seconds old, its lifetime %d seconds", c.age, ttl)
		if c.accept {
			err = st.mustAccept(x, err, attempt)
		} else {
			err = st.mustRefuse(x, err, attempt, "OTP_EXPIRED")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// backdateCodes lets secs seconds pass for the user's one-time codes alone (sandbox
// test control).
func backdateCodes(ctx context.Context, e *Env, role string, secs int) error {
	u := e.T.Users[role]
	if _, err := e.adminOK(ctx, "POST", "/admin/v1/test-users/"+url.PathEscape(u.Username)+"/codes/backdate",
		map[string]any{"seconds": secs}, 200); err != nil {
		return err
	}
	W(ctx).Note("%d seconds passed for %s's one-time codes (sandbox test control)", secs, u.Username)
	return nil
}

// ---- OTP-SEND-LIMITS

// probeOTPSendLimits: a step is sent the published number of codes and the next is
// refused 429 OTP_SEND_LIMITED; on the consent page a fresh app has the published
// number of payment codes sent to one customer within the hour, the next is refused
// with a Retry-After that is right — still refused 30 seconds before it runs out, sent
// 30 seconds after (7.2.1 b) 2): the guesses and texts of a step are bounded).
func probeOTPSendLimits(ctx context.Context, p *prober, s surface) error {
	l, err := publishedLimits(ctx)
	if err != nil {
		return err
	}
	v, err := l.nums("users", "otp_codes_per_step", "otp_payment_codes_per_app_hour")
	if err != nil {
		return err
	}
	perStep, perHour := v[0], v[1]
	a, err := p.app(ctx, "A2", true) // its payment codes this hour start at none
	if err != nil {
		return err
	}
	steps, err := codeSteps(ctx, p.w.Env, s.Page, sendUser, a, 1)
	if err != nil {
		return err
	}
	st := steps[0]
	sentCodes := 0
	if st.login {
		sentCodes = 1 // with the password
	}
	for ; sentCodes < perStep; sentCodes++ {
		if _, err := st.sendCode(ctx); err != nil {
			return fmt.Errorf("code %d of %d for one step: %w", sentCodes+1, perStep, err)
		}
	}
	x, err := st.send(ctx)
	if err := sendRefused(x, err, fmt.Sprintf("code %d for one step", perStep+1)); err != nil {
		return err
	}
	if st.login {
		return nil
	}
	for sent := perStep; sent < perHour; sent++ {
		more, err := startPayment(ctx, st.b, a)
		if err != nil {
			return err
		}
		if _, err := more.sendCode(ctx); err != nil {
			return fmt.Errorf("payment code %d of %d of one app within the hour: %w", sent+1, perHour, err)
		}
	}
	next, err := startPayment(ctx, st.b, a)
	if err != nil {
		return err
	}
	x, err = next.send(ctx)
	if err := sendRefused(x, err, fmt.Sprintf("payment code %d of one app within the hour", perHour+1)); err != nil {
		return err
	}
	wait, err := strconv.Atoi(x.Header.Get("Retry-After"))
	if err != nil || wait <= 30 || wait > 3600 {
		return fmt.Errorf("the hourly refusal's Retry-After is %q, want the seconds until the hour's oldest code leaves it (31 to 3600)", x.Header.Get("Retry-After"))
	}
	if err := backdateCodes(ctx, p.w.Env, sendUser, wait-30); err != nil {
		return err
	}
	x, err = next.send(ctx)
	if err := sendRefused(x, err, "30 seconds before the hour's oldest code leaves it"); err != nil {
		return err
	}
	if err := backdateCodes(ctx, p.w.Env, sendUser, 60); err != nil {
		return err
	}
	_, err = next.sendCode(ctx)
	if err != nil {
		return fmt.Errorf("30 seconds after the hour's oldest code left it: %w", err)
	}
	return nil
}

// sendRefused: the bank refused to send a code, 429 OTP_SEND_LIMITED.
func sendRefused(x *Exchange, err error, what string) error {
	if err != nil {
		return err
	}
	if x.Status != http.StatusTooManyRequests || !strings.Contains(string(x.Body), "OTP_SEND_LIMITED") {
		return fmt.Errorf("%s: want 429 OTP_SEND_LIMITED, got HTTP %d %s", what, x.Status, clip(pageText(x), 200))
	}
	return nil
}

// ---- PASSWORD-LOCKOUT

// probePasswordLockout: with N the published failures per browser and M across
// browsers the username never logged in from (10.2.2/1: 充分识别是否经过用户本人授权;
// 9.3.1/1):
//   - N−1 wrong passwords then the right one: accepted;
//   - a stranger's N wrong: the N-th refused, then the right password in his browser
//     refused 403 LOGIN_LOCKED with a Retry-After of the published lock;
//   - meanwhile another browser of the customer's: accepted;
//   - the lock 15 seconds before its end (the bank's clock advanced, nothing else in
//     flight): still refused; 15 seconds after: accepted;
//   - failures from new browsers up to M−1: a new browser accepted; at M a new browser
//     refused, while the customer's own browser still logs in.
func probePasswordLockout(ctx context.Context, p *prober, s surface) error {
	if s.Page != "login" {
		return fmt.Errorf("the suite knows no password lockout on the bank's %s page", s.Page)
	}
	l, err := publishedLimits(ctx)
	if err != nil {
		return err
	}
	v, err := l.nums("users", "login_fail_limit_per_browser", "login_fail_limit_unknown_browsers", "login_lock_seconds")
	if err != nil {
		return err
	}
	n, m, lockFor := v[0], v[1], v[2]
	e := p.w.Env
	fresh := func() (*Browser, error) { return e.NewBrowser(lockoutUser) }
	unknown := 0 // failures from browsers that never logged in for the user
	try := func(ctx context.Context, b *Browser, right, accept bool, what string, codes ...string) (*Exchange, error) {
		pw := b.User.Password
		if !right {
			pw, unknown = "Wrong#"+randomNonce()[:10], unknown+1
		}
		x, err := typePassword(ctx, b, pw)
		if err != nil {
			return nil, err
		}
		if accept {
			return x, b.expect(x, http.StatusSeeOther, "/login/otp")
		}
		if st := (codeStep{b: b, login: true}); st.accepted(x) || x.Status < 400 || x.Status > 499 || !containsAny(string(x.Body), codes) {
			return x, fmt.Errorf("%s: want a refusal with %s, got HTTP %d → %q %s", what, strings.Join(codes, " or "), x.Status,
				x.Header.Get("Location"), clip(pageText(x), 200))
		}
		return x, nil
	}
	own, err := loggedIn(ctx, e, lockoutUser) // the customer's browser: known from now on
	if err != nil {
		return err
	}
	a, err := fresh()
	if err != nil {
		return err
	}
	for i := 1; i < n; i++ {
		if _, err := try(ctx, a, false, false, fmt.Sprintf("wrong password %d of %d", i, n-1), "LOGIN_FAILED"); err != nil {
			return err
		}
	}
	if _, err := try(ctx, a, true, true, ""); err != nil {
		return fmt.Errorf("the right password after %d wrong ones: %w", n-1, err)
	}
	stranger, err := fresh()
	if err != nil {
		return err
	}
	for i := 1; i <= n; i++ {
		if _, err := try(ctx, stranger, false, false, fmt.Sprintf("a stranger's wrong password %d of %d", i, n), "LOGIN_FAILED", "LOGIN_LOCKED"); err != nil {
			return err
		}
	}
	x, err := try(ctx, stranger, true, false, fmt.Sprintf("the right password in the stranger's browser after %d wrong ones", n), "LOGIN_LOCKED")
	if err != nil {
		return err
	}
	lockedAt := time.Now()
	ra, err := strconv.Atoi(x.Header.Get("Retry-After"))
	if err != nil || ra < lockFor-10 || ra > lockFor+1 {
		return fmt.Errorf("LOGIN_LOCKED carries Retry-After %q, want the published lock of %d seconds", x.Header.Get("Retry-After"), lockFor)
	}
	other, err := fresh()
	if err != nil {
		return err
	}
	if _, err := try(ctx, other, true, true, ""); err != nil {
		return fmt.Errorf("another browser of the customer's while a stranger's is locked: %w", err)
	}
	if err := lockEnds(ctx, e, stranger, lockedAt, ra, try); err != nil {
		return err
	}
	for unknown < m-1 {
		b, err := fresh()
		if err != nil {
			return err
		}
		for i := 1; i < n && unknown < m-1; i++ {
			if _, err := try(ctx, b, false, false, fmt.Sprintf("failure %d from new browsers", unknown+1), "LOGIN_FAILED"); err != nil {
				return err
			}
		}
	}
	for _, c := range []struct {
		right, accept bool
		what          string
		codes         []string
	}{{true, true, fmt.Sprintf("a new browser after %d failures from new browsers", m-1), nil},
		{false, false, fmt.Sprintf("failure %d from new browsers", m), []string{"LOGIN_FAILED", "LOGIN_LOCKED"}},
		{true, false, fmt.Sprintf("a new browser after %d failures from new browsers", m), []string{"LOGIN_LOCKED"}}} {
		b, err := fresh()
		if err != nil {
			return err
		}
		if _, err := try(ctx, b, c.right, c.accept, c.what, c.codes...); err != nil {
			return fmt.Errorf("%s: %w", c.what, err)
		}
	}
	if _, err := try(ctx, own, true, true, ""); err != nil {
		return fmt.Errorf("the customer's own browser after %d failures from new browsers: %w", m, err)
	}
	return nil
}

// lockEnds checks a browser's lock at its end on the bank's clock: advanced (with every
// other exchange of the run held back) to 15 seconds before the lock the bank stated
// ends, the right password is refused; 15 seconds after, it is accepted; then the
// clock is put back.
func lockEnds(ctx context.Context, e *Env, b *Browser, lockedAt time.Time, retryAfter int,
	try func(context.Context, *Browser, bool, bool, string, ...string) (*Exchange, error)) error {
	return e.Exclusive(ctx, func(ctx context.Context) (err error) {
		left := time.Duration(retryAfter)*time.Second - time.Since(lockedAt)
		defer func() {
			if _, rerr := e.adminOK(ctx, "POST", "/admin/v1/clock/reset", nil, 200); rerr != nil && err == nil {
				err = rerr
			}
		}()
		for _, c := range []struct {
			to     time.Duration
			accept bool
		}{{left - 15*time.Second, false}, {left + 15*time.Second, true}} {
			if _, err := e.adminOK(ctx, "POST", "/admin/v1/clock/reset", nil, 200); err != nil {
				return err
			}
			if secs := int(c.to.Seconds()); secs > 0 {
				if _, err := e.adminOK(ctx, "POST", "/admin/v1/clock/advance", map[string]any{"seconds": secs}, 200); err != nil {
					return err
				}
			}
			what := "the right password 15 seconds before the lock ends"
			if c.accept {
				what = "the right password 15 seconds after the lock ended"
			}
			if _, err := try(ctx, b, true, c.accept, what, "LOGIN_LOCKED"); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		return nil
	})
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return len(subs) == 0
}
