package steps

// Users area: the user at the bank's own login, consent and portal pages, the token
// endpoint, and time passing for one app or one login session (JR/T 0185-2020 7.2.1 b),
// 7.2.2/3a, 7.2.2/4, 9.2.1 b) 3), 9.3.1, 9.3.2, 10.2.2).

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/cucumber/godog"
)

func init() { registrars = append(registrars, registerConsent) }

// consentState is what the users-area steps remember within one scenario.
type consentState struct {
	auth  map[string]Authorization // user → the authorization request the app started
	page  map[string]*Exchange     // user → the consent page as last shown
	code  map[string]string        // user → the authorization code the bank sent back
	typed string                   // a password typed at the login page
}

func cst(w *World) *consentState {
	return areaState(w, func() *consentState {
		return &consentState{auth: map[string]Authorization{}, page: map[string]*Exchange{}, code: map[string]string{}}
	})
}

func registerConsent(sc *godog.ScenarioContext) {

	// The authorization request and the consent page.
	sc.Step(`^"(\w+)" opens the app's authorization page for "([^"]*)" valid for (\d+) days?$`,
		func(ctx context.Context, user, scopes string, days int) error {
			return openConsent(ctx, user, ConsentRequest{Scopes: strings.Fields(scopes), ValidDays: days})
		})
	sc.Step(`^"(\w+)" opens the app's payment authorization page for (\d+\.\d\d) yuan to "([^"]+)" account "(\d+)"$`,
		func(ctx context.Context, user, amount, payee, account string) error {
			return openConsent(ctx, user, ConsentRequest{Scopes: []string{"payments:write"}, Payment: true,
				Amount: amount, PayeeName: payee, PayeeAccount: account})
		})
	sc.Step(`^"(\w+)" approves with all accounts$`, func(ctx context.Context, user string) error {
		return decide(ctx, user, "approve", "all")
	})
	sc.Step(`^"(\w+)" approves the payment (without a one-time code|with a wrong one-time code|with the one-time code from the phone)$`,
		func(ctx context.Context, user, how string) error {
			return decide(ctx, user, "approve", how)
		})
	sc.Step(`^"(\w+)" refuses$`, func(ctx context.Context, user string) error {
		return decide(ctx, user, "refuse", "")
	})

	// What the pages show.
	sc.Step(`^the page names the app and its App_ID$`, pageNamesApp)
	sc.Step(`^the page shows "([^"]*)"$`, func(ctx context.Context, s string) error {
		x, err := lastPage(ctx)
		if err != nil {
			return err
		}
		if !strings.Contains(pageText(x), s) {
			return fmt.Errorf("%s %s does not show %q", x.Method, x.URI, s)
		}
		return nil
	})
	sc.Step(`^the page lets "(\w+)" choose among their accounts, masked$`, pageListsAccounts)
	sc.Step(`^the page shows a risk notice$`, func(ctx context.Context) error {
		x, err := lastPage(ctx)
		if err != nil {
			return err
		}
		// 10.2.2/3: 提示用户相关的安全风险 — a notice that speaks of risk or fraud.
		if !regexp.MustCompile(`风险|安全提示`).MatchString(pageText(x)) || !strings.Contains(pageText(x), "诈骗") {
			return errors.New("the payment consent page shows no risk notice (风险/安全提示 and a fraud warning)")
		}
		return nil
	})
	sc.Step(`^the page shows the payee account masked as ending in "(\d{4})" and never in full "(\d+)"$`,
		func(ctx context.Context, last4, full string) error {
			x, err := lastPage(ctx)
			if err != nil {
				return err
			}
			t := pageText(x)
			if strings.Contains(t, full) {
				return fmt.Errorf("the page shows the payee account %s in full", full)
			}
			if !regexp.MustCompile(`\*+[\s*]*` + last4).MatchString(t) {
				return fmt.Errorf("the page does not show the payee account masked as …%s", last4)
			}
			return nil
		})
	sc.Step(`^the page is protected against framing and caching$`, func(ctx context.Context) error {
		x, err := lastPage(ctx)
		if err != nil {
			return err
		}
		return antiFraming(x)
	})
	sc.Step(`^the bank refuses on the page with "([A-Z0-9_]+)"$`, func(ctx context.Context, code string) error {
		x, err := lastPage(ctx)
		if err != nil {
			return err
		}
		if x.Status < 400 || x.Status > 499 || x.Header.Get("Location") != "" {
			return fmt.Errorf("want a 4xx page with %s and no redirect, got HTTP %d → %q", code, x.Status, x.Header.Get("Location"))
		}
		if !strings.Contains(string(x.Body), code) {
			return fmt.Errorf("the page does not name %s: %s", code, clip(pageText(x), 300))
		}
		return nil
	})
	sc.Step(`^the bank sends "(\w+)" back to the app with an authorization code$`, func(ctx context.Context, user string) error {
		q, err := backToApp(ctx, user)
		if err != nil {
			return err
		}
		if q.Get("code") == "" || q.Get("error") != "" {
			return fmt.Errorf("the redirect carries no code: %v", q)
		}
		cst(W(ctx)).code[user] = q.Get("code")
		return nil
	})
	sc.Step(`^the bank sends "(\w+)" back to the app with error "([a-z_]+)"$`, func(ctx context.Context, user, want string) error {
		q, err := backToApp(ctx, user)
		if err != nil {
			return err
		}
		if q.Get("error") != want || q.Get("code") != "" {
			return fmt.Errorf("want error=%s and no code, got %v", want, q)
		}
		return nil
	})

	// The token endpoint.
	sc.Step(`^(the app|the other app) redeems "(\w+)"'s authorization code( without the PKCE verifier| with a wrong PKCE verifier)?$`, redeem)
	sc.Step(`^the app sends "(\w+)"'s password to the token endpoint$`, func(ctx context.Context, user string) error {
		w := W(ctx)
		u, ok := w.Env.T.Users[user]
		if !ok {
			return fmt.Errorf("the target defines no test user %q", user)
		}
		cst(w).typed = u.Password
		body := url.Values{"grant_type": {"password"}, "username": {u.Username}, "password": {u.Password}}.Encode()
		return call(ctx, "the app", "POST", "/a2/v1/oauth/token", []byte(body), FaultNone, "")
	})
	sc.Step(`^the bank refuses it without issuing a token$`, func(ctx context.Context) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		if x.Status < 400 || x.Status > 499 {
			return fmt.Errorf("want a 4xx refusal, got HTTP %d: %s", x.Status, clip(string(x.Body), 300))
		}
		if _, ok := x.JSON()["access_token"]; ok {
			return errors.New("the answer carries an access_token")
		}
		return catalogued(x)
	})
	sc.Step(`^the app revokes "(\w+)"'s refresh token$`, func(ctx context.Context, user string) error {
		w := W(ctx)
		tok, ok := w.Tokens[user]
		if !ok || tok.Refresh == "" {
			return fmt.Errorf("%s has no refresh token in this scenario", user)
		}
		body := url.Values{"token": {tok.Refresh}, "token_type_hint": {"refresh_token"}}.Encode()
		return call(ctx, "the app", "POST", "/a2/v1/oauth/revoke", []byte(body), FaultNone, "")
	})
	sc.Step(`^"(\w+)"'s access token lives (\d+) seconds at most$`, func(ctx context.Context, user string, max int) error {
		tok, ok := W(ctx).Tokens[user]
		if !ok {
			return fmt.Errorf("%s has no token in this scenario", user)
		}
		if tok.ExpiresIn <= 0 || tok.ExpiresIn > max {
			return fmt.Errorf("expires_in is %d, want 1 to %d seconds", tok.ExpiresIn, max)
		}
		return nil
	})

	// Time passing for this scenario's app or this user's login session only.
	sc.Step(`^(all but a minute of )?the lifetime of "(\w+)"'s access token passes for the app$`, func(ctx context.Context, but, user string) error {
		tok, ok := W(ctx).Tokens[user]
		if !ok {
			return fmt.Errorf("%s has no token in this scenario", user)
		}
		secs := tok.ExpiresIn
		if but != "" {
			if secs <= 60 {
				return fmt.Errorf("the token lives only %d seconds", secs)
			}
			secs -= 60
		}
		return backdateApp(ctx, secs)
	})
	sc.Step(`^(\d+) days? and a second pass for the app$`, func(ctx context.Context, days int) error {
		return backdateApp(ctx, days*86400+1)
	})
	sc.Step(`^"(\w+)" is logged in at the bank$`, func(ctx context.Context, user string) error {
		b, err := browserOf(ctx, user)
		if err != nil {
			return err
		}
		return b.Login(ctx, "/portal")
	})
	sc.Step(`^"(\w+)"'s bank session is idle for (\d+) minutes$`, func(ctx context.Context, user string, min int) error {
		w := W(ctx)
		b, err := browserOf(ctx, user)
		if err != nil {
			return err
		}
		tok := b.cookie("__Host-jr_session")
		if tok == "" {
			return fmt.Errorf("%s's browser holds no bank session cookie", user)
		}
		_, err = w.Env.adminOK(ctx, "POST", "/admin/v1/sessions/backdate", map[string]any{"session": tok, "seconds": min * 60}, 200)
		if err == nil {
			w.Note("%s's login session backdated %d minutes (sandbox test control)", user, min)
		}
		return err
	})
	sc.Step(`^"(\w+)" opens the portal$`, func(ctx context.Context, user string) error {
		return browse(ctx, user, "GET", "/portal", nil)
	})
	// 9.3.1/3: a session the bank never issued (forged, or deleted) is not one that
	// ended after inactivity: the user is sent to log in without being told it expired.
	sc.Step(`^"(\w+)"'s browser presents a session token the bank never issued$`, func(ctx context.Context, user string) error {
		b, err := browserOf(ctx, user)
		if err != nil {
			return err
		}
		u, err := url.Parse(b.e.T.BaseURL + "/")
		if err != nil {
			return err
		}
		tok := b.cookie("__Host-jr_session")
		if tok == "" {
			tok = randomNonce() + randomNonce()
		} else if tok[len(tok)-1] == 'A' { // the bank's form, but not a token it issued
			tok = tok[:len(tok)-1] + "B"
		} else {
			tok = tok[:len(tok)-1] + "A"
		}
		b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "__Host-jr_session", Value: tok, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}})
		return nil
	})
	sc.Step(`^the bank sends "(\w+)" to log in again, (saying|not saying) the session expired$`, func(ctx context.Context, user, saying string) error {
		x, err := lastPage(ctx)
		if err != nil {
			return err
		}
		loc := x.Header.Get("Location")
		if x.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?") {
			return fmt.Errorf("want 303 to /login, got HTTP %d → %q", x.Status, loc)
		}
		u, err := url.Parse(loc)
		if err != nil {
			return err
		}
		if expired := u.Query().Get("reason") == "expired"; expired != (saying == "saying") {
			return fmt.Errorf("the login page the bank sends %s to (%q) %s the session expired, want it %s", user, loc,
				map[bool]string{true: "says", false: "does not say"}[expired], saying)
		}
		return nil
	})
	sc.Step(`^"(\w+)" revokes the app's consent in the portal$`, revokeInPortal)

	// The login page.
	sc.Step(`^a browser opens the bank's login page$`, func(ctx context.Context) error {
		return browse(ctx, "", "GET", "/login?next=%2Fportal", nil)
	})
	sc.Step(`^the login form masks the password and turns autocomplete off$`, func(ctx context.Context) error {
		x, err := lastPage(ctx)
		if err != nil {
			return err
		}
		return maskedLoginForm(x.Body)
	})
	sc.Step(`^someone fails to log in with an unknown username and a password$`, func(ctx context.Context) error {
		w := W(ctx)
		if err := browse(ctx, "", "GET", "/login?next=%2Fportal", nil); err != nil {
			return err
		}
		pw := "Typed#" + randomNonce()[:12]
		cst(w).typed = pw
		form := url.Values{"csrf": {field(w.Last.Body, "csrf")}, "next": {"/portal"},
			"username": {"nobody" + randomNonce()[:8]}, "password": {pw}}
		return browse(ctx, "", "POST", "/login", form)
	})
	sc.Step(`^the typed password appears nowhere in the answer$`, func(ctx context.Context) error {
		w := W(ctx)
		x, err := w.last()
		if err != nil {
			return err
		}
		pw := cst(w).typed
		if pw == "" {
			return errors.New("no password was typed in this scenario")
		}
		for _, s := range []string{string(x.Body), x.Header.Get("Location"), strings.Join(x.Header.Values("Set-Cookie"), "\n")} {
			if strings.Contains(s, pw) || strings.Contains(s, url.QueryEscape(pw)) || strings.Contains(s, html.EscapeString(pw)) {
				return errors.New("the answer echoes the typed password")
			}
		}
		return nil
	})
}

// browserOf returns the scenario's browser for user ("" is an anonymous visitor).
func browserOf(ctx context.Context, user string) (*Browser, error) {
	w := W(ctx)
	if b, ok := w.Browsers[user]; ok {
		return b, nil
	}
	var b *Browser
	var err error
	if user == "" {
		b, err = w.Env.newBrowser(User{})
	} else {
		b, err = w.Env.NewBrowser(user)
	}
	if err != nil {
		return nil, err
	}
	w.Browsers[user] = b
	return b, nil
}

// browse requests a page as user and records it as the last exchange.
func browse(ctx context.Context, user, method, path string, form url.Values) error {
	b, err := browserOf(ctx, user)
	if err != nil {
		return err
	}
	x, err := b.Do(ctx, method, path, form)
	if x != nil {
		W(ctx).record(x)
	}
	return err
}

// cookie reads a cookie the bank set in this browser.
func (b *Browser) cookie(name string) string {
	u, err := url.Parse(b.e.T.BaseURL + "/")
	if err != nil || b.c.Jar == nil {
		return ""
	}
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func lastPage(ctx context.Context) (*Exchange, error) { return W(ctx).last() }

var tagRE = regexp.MustCompile(`<[^>]*>`)

// pageText is the page's visible text, unescaped.
func pageText(x *Exchange) string {
	return html.UnescapeString(tagRE.ReplaceAllString(string(x.Body), " "))
}

// openConsent starts the app's authorization request as user: the bank's pages, with
// the login (password + one-time code) when the bank asks for it, up to the consent page.
func openConsent(ctx context.Context, user string, r ConsentRequest) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	b, err := browserOf(ctx, user)
	if err != nil {
		return err
	}
	auth := w.Env.AuthorizationURL(a, r)
	cst(w).auth[user] = auth
	x, err := b.Do(ctx, "GET", auth.URL, nil)
	if err != nil {
		return err
	}
	w.record(x)
	if x.Status == http.StatusSeeOther && strings.HasPrefix(x.Header.Get("Location"), "/login?") {
		next, err := url.Parse(x.Header.Get("Location"))
		if err != nil {
			return err
		}
		if err := b.Login(ctx, next.Query().Get("next")); err != nil {
			return fmt.Errorf("%s logging in at the bank: %w", user, err)
		}
		x, err = b.Do(ctx, "GET", next.Query().Get("next"), nil)
		if err != nil {
			return err
		}
	} else if x.Status == http.StatusSeeOther {
		if x, err = b.Do(ctx, "GET", x.Header.Get("Location"), nil); err != nil {
			return err
		}
	}
	w.record(x)
	if x.Status != 200 || field(x.Body, "req") == "" {
		return fmt.Errorf("want the consent page, got HTTP %d: %s", x.Status, clip(pageText(x), 300))
	}
	cst(w).page[user] = x
	return nil
}

// decide submits the consent form as user: approve (accounts: "all" for account
// information, else the first account and the payment code handling in how) or refuse.
func decide(ctx context.Context, user, decision, how string) error {
	w := W(ctx)
	page, ok := cst(w).page[user]
	if !ok {
		return fmt.Errorf("%s has no consent page open", user)
	}
	b, err := browserOf(ctx, user)
	if err != nil {
		return err
	}
	csrf, req := field(page.Body, "csrf"), field(page.Body, "req")
	form := url.Values{"csrf": {csrf}, "req": {req}, "decision": {decision}}
	var accts []string
	for _, m := range accountRE.FindAllSubmatch(page.Body, -1) {
		accts = append(accts, string(m[1]))
	}
	if decision == "approve" && len(accts) == 0 {
		return errors.New("the consent page offers no account to choose")
	}
	switch how {
	case "all":
		form["account"] = accts
	case "without a one-time code":
		form["account"] = accts[:1]
	case "with a wrong one-time code", "with the one-time code from the phone":
		form["account"] = accts[:1]
		code, err := paymentCode(ctx, b, csrf, req)
		if err != nil {
			return err
		}
		if how == "with a wrong one-time code" {
			n, _ := strconv.Atoi(code)
			code = fmt.Sprintf("%06d", (n+1)%1_000_000)
		}
		form.Set("otp", code)
	}
	x, err := b.Do(ctx, "POST", "/oauth/consent", form)
	if x != nil {
		w.record(x)
	}
	return err
}

// paymentCode asks the bank for the code confirming this payment and reads it from the
// user's simulated phone, under the user's lock (no other scenario's code in between).
func paymentCode(ctx context.Context, b *Browser, csrf, req string) (string, error) {
	defer b.e.lockUser(ctx, b.User.Username)()
	return b.paymentCodeLocked(ctx, csrf, req)
}

// paymentCodeLocked is paymentCode for a caller already holding the user's lock.
func (b *Browser) paymentCodeLocked(ctx context.Context, csrf, req string) (string, error) {
	y, err := b.Do(ctx, "POST", "/oauth/consent/code", url.Values{"csrf": {csrf}, "req": {req}})
	if err != nil {
		return "", err
	}
	if err := b.expect(y, http.StatusSeeOther, ""); err != nil {
		return "", fmt.Errorf("payment code: %w", err)
	}
	return b.PhoneCode(ctx)
}

// backToApp checks the last answer is the bank's 302 to the app's registered redirect
// URI carrying the request's state, and returns its query.
func backToApp(ctx context.Context, user string) (url.Values, error) {
	w := W(ctx)
	x, err := w.last()
	if err != nil {
		return nil, err
	}
	loc := x.Header.Get("Location")
	if x.Status != http.StatusFound || !strings.HasPrefix(loc, w.Env.T.RedirectURI) {
		return nil, fmt.Errorf("want a 302 to the app's redirect URI, got HTTP %d → %q: %s", x.Status, loc, clip(pageText(x), 300))
	}
	q, err := redirectQuery(x)
	if err != nil {
		return nil, err
	}
	if st := cst(w).auth[user].State; q.Get("state") != st {
		return nil, fmt.Errorf("the redirect carries state %q, want %q", q.Get("state"), st)
	}
	return q, nil
}

// redeem presents user's authorization code at the token endpoint as role.
func redeem(ctx context.Context, role, user, fault string) error {
	w := W(ctx)
	a, err := w.App(role)
	if err != nil {
		return err
	}
	code, ok := cst(w).code[user]
	if !ok {
		return fmt.Errorf("%s has no authorization code in this scenario", user)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {w.Env.T.RedirectURI},
		"code_verifier": {cst(w).auth[user].Verifier}}
	switch fault {
	case " without the PKCE verifier":
		form.Del("code_verifier")
	case " with a wrong PKCE verifier":
		form.Set("code_verifier", randomNonce()+randomNonce())
	}
	x, err := w.Env.Do(ctx, Call{App: a, Method: "POST", URI: "/a2/v1/oauth/token", Body: []byte(form.Encode()),
		ContentType: "application/x-www-form-urlencoded"}, nil)
	if err != nil {
		return err
	}
	w.record(x)
	if x.Status == 200 && role == "the app" {
		w.Tokens[user] = tokenFrom(x)
	}
	return nil
}

// backdateApp lets secs seconds pass for the scenario's app alone (sandbox test
// control): its requests, codes, consents and tokens move into the past. The bank's
// clock is not touched, so scenarios running alongside are unaffected.
func backdateApp(ctx context.Context, secs int) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	if _, err := w.Env.adminOK(ctx, "POST", "/admin/v1/apps/"+a.ID+"/backdate", map[string]any{"seconds": secs}, 200); err != nil {
		return err
	}
	w.Note("%d seconds passed for %s (sandbox test control /admin/v1/apps/{id}/backdate)", secs, a.ID)
	return nil
}

func pageNamesApp(ctx context.Context) error {
	w := W(ctx)
	x, a, err := w.lastOfApp()
	if err != nil {
		return err
	}
	out, err := w.Env.adminOK(ctx, "GET", "/admin/v1/apps/"+a.ID, nil, 200)
	if err != nil {
		return err
	}
	name, _ := dig(out, "app", "name").(string)
	t := pageText(x)
	if name == "" || !strings.Contains(t, name) || !strings.Contains(t, a.ID) {
		return fmt.Errorf("the page does not name the app %q (App_ID %s)", name, a.ID)
	}
	return nil
}

var fullNumberRE = regexp.MustCompile(`\d{12,}`)

// pageListsAccounts: the consent page offers the user's accounts to choose, each shown
// masked, and no full account number anywhere.
func pageListsAccounts(ctx context.Context, user string) error {
	x, err := lastPage(ctx)
	if err != nil {
		return err
	}
	if n := len(accountRE.FindAll(x.Body, -1)); n == 0 {
		return fmt.Errorf("the page offers %s no account to choose", user)
	}
	t := pageText(x)
	if !regexp.MustCompile(`\d{4}[\s*]*\*+[\s*]*\d{4}`).MatchString(t) {
		return errors.New("the page shows no masked account number")
	}
	if id := x.RequestID(); id != "" {
		t = strings.ReplaceAll(t, id, "") // the bank's 交易流水号 is not an account
	}
	if m := fullNumberRE.FindString(t); m != "" {
		return fmt.Errorf("the page shows a full number %s…", m[:4])
	}
	return nil
}

// antiFraming: the bank's pages cannot be framed (clickjacking on a consent button) nor
// kept in a cache (7.2.2/4: nothing entered is retrievable afterwards).
func antiFraming(x *Exchange) error {
	var bad []string
	if csp := x.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		bad = append(bad, fmt.Sprintf("Content-Security-Policy %q lacks frame-ancestors 'none'", csp))
	}
	if xfo := x.Header.Get("X-Frame-Options"); !strings.EqualFold(xfo, "DENY") {
		bad = append(bad, fmt.Sprintf("X-Frame-Options is %q, want DENY", xfo))
	}
	if cc := x.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		bad = append(bad, fmt.Sprintf("Cache-Control is %q, want no-store", cc))
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s %s: %s", x.Method, x.URI, strings.Join(bad, "; "))
	}
	return nil
}

var (
	passwordInputRE = regexp.MustCompile(`<input[^>]*name="password"[^>]*>`)
	loginFormRE     = regexp.MustCompile(`<form[^>]*action="/login"[^>]*>`)
)

// maskedLoginForm: the password input replaces what is typed (type=password), the
// browser is told not to keep it (autocomplete off), and it is empty (7.2.2/3a).
func maskedLoginForm(body []byte) error {
	in := passwordInputRE.Find(body)
	if in == nil {
		return errors.New("the login page has no password input")
	}
	s := string(in)
	switch {
	case !strings.Contains(s, `type="password"`):
		return fmt.Errorf("the password input is not type=password: %s", s)
	case !strings.Contains(s, `autocomplete="off"`) && !strings.Contains(s, `autocomplete="new-password"`):
		return fmt.Errorf("the password input does not turn autocomplete off: %s", s)
	case strings.Contains(s, "value="):
		return fmt.Errorf("the password input is pre-filled: %s", s)
	}
	if f := loginFormRE.Find(body); f == nil || !strings.Contains(string(f), `autocomplete="off"`) {
		return fmt.Errorf("the login form does not turn autocomplete off: %s", f)
	}
	return nil
}

// revokeInPortal: user opens the portal, finds the app's consent and revokes it.
func revokeInPortal(ctx context.Context, user string) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	if err := browse(ctx, user, "GET", "/portal", nil); err != nil {
		return err
	}
	x := w.Last
	if x.Status != 200 {
		return fmt.Errorf("GET /portal: HTTP %d → %q", x.Status, x.Header.Get("Location"))
	}
	// Each consent is a card headed by the app's name and App_ID, with its revoke form.
	re := regexp.MustCompile(`<form method="post" action="(/portal/consents/[^"/]+/revoke)">`)
	body := string(x.Body)
	at := strings.Index(body, a.ID)
	if at < 0 {
		return fmt.Errorf("the portal lists no consent for %s", a.ID)
	}
	// 9.3.2/2, 9.3.2/1b: the user sees which partner holds the consent, by its name.
	if a.Name != "" && !strings.Contains(body, html.EscapeString(a.Name)) {
		return fmt.Errorf("the portal lists the consent of App_ID %s without the partner's name %q", a.ID, a.Name)
	}
	m := re.FindStringSubmatch(body[at:])
	if m == nil {
		return fmt.Errorf("the portal offers no revoke button for %s", a.ID)
	}
	if err := browse(ctx, user, "POST", html.UnescapeString(m[1]), url.Values{"csrf": {field(x.Body, "csrf")}}); err != nil {
		return err
	}
	if y := w.Last; y.Status != http.StatusSeeOther {
		return fmt.Errorf("revoking in the portal: HTTP %d: %s", y.Status, clip(pageText(y), 300))
	}
	return nil
}
