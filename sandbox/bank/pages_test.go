package bank_test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/bank"
)

// The bank-hosted customer pages (JR/T 0185-2020 7.2.1 b), 7.2.2/3a, 9.3.1, 9.3.2,
// 10.2.2), driven over real TLS like a browser without JavaScript: a cookie jar,
// redirects followed by hand, forms read from the HTML.

const (
	pgRedirect  = "https://partner.example/cb"
	pgChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" // RFC 7636 appendix B
	pgState     = "st-9f2c"
	pgPassword  = fakedata.TestPassword
	pgWrongPass = "Wrong#Guess77"
)

// pgBrowser is one browser: its own cookies, every response checked for the rules
// every page must keep.
type pgBrowser struct {
	t  testing.TB
	tb *testBank
	c  *http.Client
}

type pgPage struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
}

func pgNewBrowser(t testing.TB, tb *testBank) *pgBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &pgBrowser{t: t, tb: tb, c: &http.Client{Transport: tb.http.Transport, Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *pgBrowser) get(path string) *pgPage { b.t.Helper(); return b.do("GET", path, nil) }

func (b *pgBrowser) post(path string, form url.Values) *pgPage {
	b.t.Helper()
	return b.do("POST", path, form)
}

func (b *pgBrowser) do(method, path string, form url.Values) *pgPage {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.tb.b.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	p := &pgPage{Status: resp.StatusCode, Header: resp.Header, Body: string(raw), Location: resp.Header.Get("Location")}
	where := method + " " + path
	// No page sets a cookie that scripts could read or that could travel in the clear.
	for _, ck := range resp.Cookies() {
		if !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.SameSite != http.SameSiteLaxMode || !strings.HasPrefix(ck.Name, "__Host-") || ck.Domain != "" {
			b.t.Errorf("%s: cookie %s set without Secure, HttpOnly, SameSite=Lax, Path=/ and the __Host- prefix: %s", where, ck.Name, ck.Raw)
		}
	}
	// The password is never echoed back (7.2.2/3a).
	for _, secret := range []string{pgPassword, pgWrongPass, url.QueryEscape(pgPassword)} {
		if strings.Contains(p.Body, secret) || strings.Contains(resp.Header.Get("Location"), secret) {
			b.t.Errorf("%s: response carries the password", where)
		}
	}
	if p.Status >= 500 {
		b.t.Errorf("%s: HTTP %d", where, p.Status)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			b.t.Errorf("%s: Content-Security-Policy %q", where, csp)
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(resp.Header.Get("Cache-Control"), "no-store") {
			b.t.Errorf("%s: X-Frame-Options %q, Cache-Control %q", where, resp.Header.Get("X-Frame-Options"), resp.Header.Get("Cache-Control"))
		}
	}
	return p
}

func (p *pgPage) String() string {
	return "HTTP " + strconv.Itoa(p.Status) + " → " + p.Location + "\n" + p.Body
}

// pgField reads the value of the first form field called name.
func pgField(body, name string) string {
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

var pgAccountRE = regexp.MustCompile(`name="account" value="(ac_[0-9a-f]+)"`)

func pgAccounts(body string) []string {
	var out []string
	for _, m := range pgAccountRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// expect fails unless the page has the status and, when loc is set, a Location with
// that prefix.
func (p *pgPage) expect(t testing.TB, status int, loc string) {
	t.Helper()
	if p.Status != status || (loc != "" && !strings.HasPrefix(p.Location, loc)) {
		t.Fatalf("want HTTP %d → %s, got %s", status, loc, p)
	}
}

// phoneCode reads the newest code on the test user's simulated phone.
func (b *pgBrowser) phoneCode(user string) string {
	b.t.Helper()
	p := b.get("/phone?user=" + url.QueryEscape(user))
	p.expect(b.t, 200, "")
	m := regexp.MustCompile(`class="otp-code">(\d{6})<`).FindStringSubmatch(p.Body)
	if m == nil {
		b.t.Fatalf("no code on %s's phone:\n%s", user, p.Body)
	}
	return m[1]
}

// login logs user in with the password and the code from the phone, starting at
// /login?next=next, and checks the browser is sent on to next.
func (b *pgBrowser) login(user, next string) {
	b.t.Helper()
	p := b.get("/login?next=" + url.QueryEscape(next))
	p.expect(b.t, 200, "")
	p = b.post("/login", url.Values{"csrf": {pgField(p.Body, "csrf")}, "next": {next}, "username": {user}, "password": {pgPassword}})
	p.expect(b.t, 303, "/login/otp?")
	p = b.get(p.Location)
	p.expect(b.t, 200, "")
	if !strings.Contains(p.Body, `type="text" id="code" name="code"`) || !regexp.MustCompile(`\d{3}\*{4}\d{4}`).MatchString(p.Body) {
		b.t.Fatalf("code page does not ask for the code or say where it went:\n%s", p.Body)
	}
	p = b.post("/login/otp", url.Values{"csrf": {pgField(p.Body, "csrf")}, "next": {next}, "code": {b.phoneCode(user)}})
	if p.Status != 303 || p.Location != next {
		b.t.Fatalf("after the code: want 303 → %s, got %s", next, p)
	}
}

// pgApp registers and approves an A2 app with the test redirect URI.
func pgApp(t testing.TB, tb *testBank, scopes ...string) (string, int) {
	t.Helper()
	st, out := tb.admin("POST", "/admin/v1/apps", map[string]any{"name": "Wallet 钱包", "level": "A2", "scopes": scopes,
		"redirect_uris": []string{pgRedirect}})
	if st != 201 {
		return "", st
	}
	id := out["app"].(map[string]any)["app_id"].(string)
	if st, out := tb.admin("POST", "/admin/v1/apps/"+id+"/actions/approve", nil); st != 200 {
		t.Fatalf("approve: %d %v", st, out)
	}
	return id, 201
}

func pgMustApp(t testing.TB, tb *testBank, scopes ...string) string {
	t.Helper()
	id, st := pgApp(t, tb, scopes...)
	if st != 201 {
		t.Fatalf("register an A2 app with %v: HTTP %d", scopes, st)
	}
	return id
}

func pgAuthorize(appID string, mutate func(url.Values)) string {
	q := url.Values{"response_type": {"code"}, "client_id": {appID}, "redirect_uri": {pgRedirect},
		"scope": {"accounts:read balances:read"}, "state": {pgState}, "code_challenge": {pgChallenge},
		"code_challenge_method": {"S256"}, "consent_type": {"account_info"}, "valid_days": {"30"}}
	if mutate != nil {
		mutate(q)
	}
	return "/oauth/authorize?" + q.Encode()
}

// consentPage starts an authorization, logs in through the pages and returns the
// consent page.
func (b *pgBrowser) consentPage(appID, user string, mutate func(url.Values)) *pgPage {
	b.t.Helper()
	p := b.get(pgAuthorize(appID, mutate))
	if p.Status == 303 && strings.HasPrefix(p.Location, "/oauth/consent?") {
		p = b.get(p.Location)
		p.expect(b.t, 200, "")
		return p
	}
	p.expect(b.t, 303, "/login?")
	next, _ := url.Parse(p.Location)
	lp := b.get(p.Location)
	lp.expect(b.t, 200, "")
	if !strings.Contains(lp.Body, "Wallet 钱包") || !strings.Contains(lp.Body, appID) {
		b.t.Fatalf("login page does not name the app asking:\n%s", lp.Body)
	}
	b.login(user, next.Query().Get("next"))
	p = b.get(next.Query().Get("next"))
	p.expect(b.t, 200, "")
	return p
}

func pgRedirectQuery(t testing.TB, p *pgPage) url.Values {
	t.Helper()
	if p.Status != 302 || !strings.HasPrefix(p.Location, pgRedirect+"?") {
		t.Fatalf("want 302 → %s?…, got %s", pgRedirect, p)
	}
	u, _ := url.Parse(p.Location)
	return u.Query()
}

func pgCustomer(t testing.TB, tb *testBank, user string) *fakedata.Customer {
	t.Helper()
	cu, ok := fakedata.Generate(tb.cfg.Seed, fakedata.Size{Customers: tb.cfg.Customers, Products: tb.cfg.Products}).Customer(user)
	if !ok {
		t.Fatalf("no seeded customer %s", user)
	}
	return cu
}

func TestConsentPagesApproveThenRevokeInPortal(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	app := pgMustApp(t, tb, "accounts:read", "balances:read")
	b := pgNewBrowser(t, tb)

	p := b.consentPage(app, "zhangsan", nil)
	// 9.3.2/1b: who asks, for what in plain words, for how long.
	for _, want := range []string{"Wallet 钱包", app, "查看您的账户列表", "查看账户余额", "30 天", "授权有效期", "name=\"decision\" value=\"approve\"", "name=\"decision\" value=\"refuse\""} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	zs := pgCustomer(t, tb, "zhangsan")
	for _, a := range zs.Accounts {
		if strings.Contains(p.Body, a.Number) {
			t.Errorf("consent page shows the full account number %s…", a.Number[:4])
		}
		if !strings.Contains(p.Body, a.Number[:4]+" **** **** "+a.Number[len(a.Number)-4:]) {
			t.Errorf("consent page lacks the masked account %s…", a.Number[:4])
		}
	}
	accts := pgAccounts(p.Body)
	if len(accts) != len(zs.Accounts) {
		t.Fatalf("consent page offers %d accounts, zhangsan holds %d", len(accts), len(zs.Accounts))
	}

	p = b.post("/oauth/consent", url.Values{"csrf": {pgField(p.Body, "csrf")}, "req": {pgField(p.Body, "req")},
		"account": {accts[0]}, "decision": {"approve"}})
	q := pgRedirectQuery(t, p)
	if !strings.HasPrefix(q.Get("code"), "ac_") || q.Get("state") != pgState || q.Get("error") != "" {
		t.Fatalf("approval redirect %s", p.Location)
	}

	// 9.3.2/2: the customer's channel to close the service.
	p = b.get("/portal")
	p.expect(t, 200, "")
	id := regexp.MustCompile(`action="/portal/consents/(cs_[0-9a-f]+)/revoke"`).FindStringSubmatch(p.Body)
	if id == nil || !strings.Contains(p.Body, "Wallet 钱包") || !strings.Contains(p.Body, `data-status="active"`) ||
		!strings.Contains(p.Body, zs.Accounts[0].Number[:4]+" **** **** ") {
		t.Fatalf("portal does not list the active consent:\n%s", p.Body)
	}
	p = b.post("/portal/consents/"+id[1]+"/revoke", url.Values{"csrf": {pgField(p.Body, "csrf")}})
	p.expect(t, 303, "/portal")
	p = b.get(p.Location)
	if !strings.Contains(p.Body, `data-status="revoked"`) || strings.Contains(p.Body, "/revoke\"") {
		t.Fatalf("after revoking, the portal shows:\n%s", p.Body)
	}

	// Another customer cannot revoke it, and sees nothing of it.
	other := pgNewBrowser(t, tb)
	other.login("lisi", "/portal")
	p = other.get("/portal")
	if strings.Contains(p.Body, id[1]) {
		t.Fatal("lisi's portal shows zhangsan's consent")
	}
	p = other.post("/portal/consents/"+id[1]+"/revoke", url.Values{"csrf": {pgField(p.Body, "csrf")}})
	if p.Status != 404 || !strings.Contains(p.Body, "CONSENT_NOT_FOUND") {
		t.Fatalf("revoking another customer's consent: %s", p)
	}

	// Logging out ends the session at the bank.
	p = b.get("/portal")
	p = b.post("/logout", url.Values{"csrf": {pgField(p.Body, "csrf")}})
	p.expect(t, 303, "/login?")
	b.get("/portal").expect(t, 303, "/login?next=%2Fportal")
}

func TestConsentPagesRefuse(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	app := pgMustApp(t, tb, "accounts:read", "balances:read")
	tests := []struct {
		name string
		run  func(t *testing.T, b *pgBrowser) *pgPage
	}{
		{"302 access_denied/refused on the consent page", func(t *testing.T, b *pgBrowser) *pgPage {
			p := b.consentPage(app, "lisi", nil)
			return b.post("/oauth/consent", url.Values{"csrf": {pgField(p.Body, "csrf")}, "req": {pgField(p.Body, "req")}, "decision": {"refuse"}})
		}},
		{"302 access_denied/cancelled on the login page", func(t *testing.T, b *pgBrowser) *pgPage {
			p := b.get(pgAuthorize(app, nil))
			p.expect(t, 303, "/login?")
			p = b.get(p.Location)
			return b.post("/oauth/consent", url.Values{"csrf": {pgField(p.Body, "csrf")}, "req": {pgField(p.Body, "req")}, "decision": {"refuse"}})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := pgRedirectQuery(t, tc.run(t, pgNewBrowser(t, tb)))
			if q.Get("error") != "access_denied" || q.Get("state") != pgState || q.Get("code") != "" {
				t.Fatalf("refusal redirect %v", q)
			}
		})
	}
}

func TestConsentPagesAuthorizeErrors(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	app := pgMustApp(t, tb, "accounts:read", "balances:read")
	tests := []struct {
		name   string
		status int
		code   string // page: the catalogued code shown; redirect: the OAuth error
		mutate func(url.Values)
	}{
		{"400 page/redirect_uri not registered", 400, "REDIRECT_URI_MISMATCH", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }},
		{"400 page/redirect_uri with an extra path", 400, "REDIRECT_URI_MISMATCH", func(q url.Values) { q.Set("redirect_uri", pgRedirect+"/x") }},
		{"400 page/redirect_uri missing", 400, "REDIRECT_URI_MISMATCH", func(q url.Values) { q.Del("redirect_uri") }},
		{"401 page/unknown client", 401, "APP_UNKNOWN", func(q url.Values) { q.Set("client_id", "APPNOBODY0001") }},
		{"400 page/redirect_uri repeated", 400, "PARAMETER_INVALID", func(q url.Values) { q.Add("redirect_uri", "https://evil.example/cb") }},
		{"302 invalid_request/no PKCE challenge", 302, "invalid_request", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }},
		{"302 invalid_request/plain PKCE", 302, "invalid_request", func(q url.Values) { q.Set("code_challenge_method", "plain") }},
		{"302 invalid_request/valid_days not a number", 302, "invalid_request", func(q url.Values) { q.Set("valid_days", "ninety") }},
		{"302 invalid_request/valid for 91 days", 302, "invalid_request", func(q url.Values) { q.Set("valid_days", "91") }},
		{"302 invalid_scope/scope not granted to the app", 302, "invalid_scope", func(q url.Values) { q.Set("scope", "accounts:read transactions:read") }},
		{"302 invalid_request/no response_type", 302, "invalid_request", func(q url.Values) { q.Del("response_type") }},
		{"302 unsupported_response_type/implicit flow", 302, "unsupported_response_type", func(q url.Values) { q.Set("response_type", "token") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := pgNewBrowser(t, tb).get(pgAuthorize(app, tc.mutate))
			if tc.status != 302 {
				if p.Status != tc.status || p.Location != "" || !strings.Contains(p.Body, tc.code) ||
					!strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
					t.Fatalf("want an HTML %d page with %s at the bank, got %s", tc.status, tc.code, p)
				}
				return
			}
			q := pgRedirectQuery(t, p)
			if q.Get("error") != tc.code || q.Get("state") != pgState || q.Get("code") != "" {
				t.Fatalf("want error=%s with the state, got %s", tc.code, p.Location)
			}
		})
	}
}

func TestPagesLogin(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	alert := regexp.MustCompile(`(?s)role="alert">(.*?)</div>`)
	tests := []struct {
		name string
		run  func(t *testing.T, b *pgBrowser)
	}{
		{"401 LOGIN_FAILED/wrong password and unknown user look the same", func(t *testing.T, b *pgBrowser) {
			var msgs []string
			for _, user := range []string{"lisi", "nobody-here"} {
				p := b.get("/login")
				p = b.post("/login", url.Values{"csrf": {pgField(p.Body, "csrf")}, "next": {"/portal"}, "username": {user}, "password": {pgWrongPass}})
				m := alert.FindStringSubmatch(p.Body)
				if p.Status != 401 || m == nil || !strings.Contains(p.Body, "用户名或密码错误") || p.Header.Get("Set-Cookie") != "" {
					t.Fatalf("%s: %s", user, p)
				}
				if pgField(p.Body, "password") != "" {
					t.Fatal("password field refilled")
				}
				msgs = append(msgs, m[1])
			}
			if msgs[0] != msgs[1] {
				t.Fatalf("the message tells a wrong password from an unknown user:\n%s\n%s", msgs[0], msgs[1])
			}
		}},
		{"200/password field is masked and not autocompleted", func(t *testing.T, b *pgBrowser) {
			p := b.get("/login")
			if !strings.Contains(p.Body, `type="password" id="password" name="password" autocomplete="off"`) {
				t.Fatalf("login form:\n%s", p.Body)
			}
		}},
		{"401 OTP_INVALID/wrong code asks again without echoing it", func(t *testing.T, b *pgBrowser) {
			p := b.get("/login")
			p = b.post("/login", url.Values{"csrf": {pgField(p.Body, "csrf")}, "next": {"/portal"}, "username": {"wangwu"}, "password": {pgPassword}})
			p.expect(t, 303, "/login/otp?")
			p = b.get(p.Location)
			right := b.phoneCode("wangwu")
			wrong := "000000"
			if right == wrong {
				wrong = "000001"
			}
			p = b.post("/login/otp", url.Values{"csrf": {pgField(p.Body, "csrf")}, "next": {"/portal"}, "code": {wrong}})
			if p.Status != 401 || !strings.Contains(p.Body, "OTP_INVALID") || !strings.Contains(p.Body, `name="code"`) || strings.Contains(p.Body, wrong) {
				t.Fatalf("wrong code: %s", p)
			}
			b.get("/portal").expect(t, 303, "/login?") // not logged in
			p = b.post("/login/otp", url.Values{"csrf": {pgField(p.Body, "csrf")}, "next": {"/portal"}, "code": {right}})
			p.expect(t, 303, "/portal")
			b.get("/portal").expect(t, 200, "")
		}},
		{"303/resend sends a new code and the old one stops working", func(t *testing.T, b *pgBrowser) {
			p := b.get("/login")
			p = b.post("/login", url.Values{"csrf": {pgField(p.Body, "csrf")}, "next": {"/portal"}, "username": {"user0004"}, "password": {pgPassword}})
			p = b.get(p.Location)
			first := b.phoneCode("user0004")
			r := b.post("/login/otp/resend", url.Values{"csrf": {pgField(p.Body, "csrf")}, "next": {"/portal"}})
			r.expect(t, 303, "/login/otp?")
			second := b.phoneCode("user0004")
			if first == second {
				t.Skip("the new code happens to equal the old one")
			}
			p = b.post("/login/otp", url.Values{"csrf": {pgField(p.Body, "csrf")}, "next": {"/portal"}, "code": {first}})
			if p.Status != 401 {
				t.Fatalf("superseded code: %s", p)
			}
			p = b.post("/login/otp", url.Values{"csrf": {pgField(p.Body, "csrf")}, "next": {"/portal"}, "code": {second}})
			p.expect(t, 303, "/portal")
		}},
		{"303 login/portal needs a session", func(t *testing.T, b *pgBrowser) {
			b.get("/portal").expect(t, 303, "/login?next=%2Fportal")
		}},
		{"303 login/unknown session cookie asks for login again", func(t *testing.T, b *pgBrowser) {
			u, _ := url.Parse(tb.b.URL)
			b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "__Host-jr_session", Value: "ss_" + strings.Repeat("A", 43), Path: "/", Secure: true}})
			b.get("/portal").expect(t, 303, "/login?next=%2Fportal")
			b.get("/oauth/consent?req=ar_00000000000000000000000000000000").expect(t, 303, "/login?next=%2Foauth%2Fconsent")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, pgNewBrowser(t, tb))
		})
	}
}

// No open redirect: next is a path on this bank under /oauth/ or /portal, or refused.
func TestPagesLoginRefusesOpenRedirect(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	for _, next := range []string{"https://evil.example", "//evil.example/x", "/\\evil.example", "https:/evil.example",
		"/admin/v1/apps", "/oauth/../admin/v1/apps", "/portalx", "javascript:alert(1)", " /portal"} {
		t.Run("400/"+next, func(t *testing.T) {
			t.Parallel()
			b := pgNewBrowser(t, tb)
			p := b.get("/login?next=" + url.QueryEscape(next))
			if p.Status != 400 || p.Location != "" || !strings.Contains(p.Body, "PARAMETER_INVALID") {
				t.Fatalf("GET /login?next=%s: %s", next, p)
			}
			// Nor after a correct password.
			p = b.get("/login")
			p = b.post("/login", url.Values{"csrf": {pgField(p.Body, "csrf")}, "next": {next}, "username": {"zhangsan"}, "password": {pgPassword}})
			if p.Status != 400 || p.Location != "" {
				t.Fatalf("POST /login next=%s: %s", next, p)
			}
		})
	}
}

// Every POST form carries a token bound to the browser's cookie; without it (or with
// another browser's) the bank answers 403 and changes nothing.
func TestPagesCSRF(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	app := pgMustApp(t, tb, "accounts:read", "balances:read")
	victim, attacker := pgNewBrowser(t, tb), pgNewBrowser(t, tb)
	consentPage := victim.consentPage(app, "zhangsan", nil)
	req, accts := pgField(consentPage.Body, "req"), pgAccounts(consentPage.Body)
	attackerPage := attacker.consentPage(app, "lisi", nil)
	foreign := pgField(attackerPage.Body, "csrf")
	loginPage := attacker.get("/login")

	tests := []struct {
		name string
		path string
		form url.Values
	}{
		{"403/approve without a token", "/oauth/consent", url.Values{"req": {req}, "account": accts, "decision": {"approve"}}},
		{"403/approve with another session's token", "/oauth/consent", url.Values{"csrf": {foreign}, "req": {req}, "account": accts, "decision": {"approve"}}},
		{"403/refuse with a garbage token", "/oauth/consent", url.Values{"csrf": {"x"}, "req": {req}, "decision": {"refuse"}}},
		{"403/refuse with another browser's login-page token", "/oauth/consent", url.Values{"csrf": {pgField(loginPage.Body, "csrf")}, "req": {req}, "decision": {"refuse"}}},
		{"403/revoke without a token", "/portal/consents/cs_00000000000000000000000000000000/revoke", url.Values{}},
		{"403/logout without a token", "/logout", url.Values{}},
		{"403/login without a token", "/login", url.Values{"next": {"/portal"}, "username": {"zhangsan"}, "password": {pgPassword}}},
		{"403/payment code without a token", "/oauth/consent/code", url.Values{"req": {req}}},
	}
	for _, tc := range tests { // sequential: each checks that nothing in the store changed
		t.Run(tc.name, func(t *testing.T) {
			before := tb.snapshot()
			p := victim.post(tc.path, tc.form)
			if p.Status != 403 || !strings.Contains(p.Body, "FORM_TOKEN_INVALID") || p.Location != "" || p.Header.Get("Set-Cookie") != "" {
				t.Fatalf("want 403 FORM_TOKEN_INVALID, got %s", p)
			}
			tb.assertUnchanged(before, tc.name)
		})
	}
	// The victim's request is still pending and the session still works.
	p := victim.get("/oauth/consent?req=" + url.QueryEscape(req))
	p.expect(t, 200, "")
	p = victim.post("/oauth/consent", url.Values{"csrf": {pgField(p.Body, "csrf")}, "req": {req}, "account": accts[:1], "decision": {"approve"}})
	if q := pgRedirectQuery(t, p); q.Get("code") == "" {
		t.Fatalf("approval after the refused forgeries: %s", p)
	}
}

// A payment consent shows the amount, the masked payee and the risk notice (10.2.2/3),
// and needs a one-time code bound to this payment on top of the login.
func TestConsentPagesPayment(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	app, st := pgApp(t, tb, "payments:write")
	if st != 201 {
		t.Fatalf("registering an app with payments:write: HTTP %d", st)
	}
	const payee = "6217000011112222333"
	debit := pgCustomer(t, tb, "zhangsan").Accounts[1].Number
	b := pgNewBrowser(t, tb)
	pay := func(q url.Values) {
		q.Set("scope", "payments:write")
		q.Set("consent_type", "payment")
		q.Del("valid_days")
		q.Set("amount", "123.45")
		q.Set("currency", "CNY")
		q.Set("payee_account", payee)
		q.Set("payee_name", "王小二")
		q.Set("debit_account", debit) // preselected on the page
	}
	p := b.consentPage(app, "zhangsan", pay)
	for _, want := range []string{"123.45", "6217 **** **** 2333", "王小二", "资金安全提示", "单次有效", `name="otp"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("payment consent page lacks %q", want)
		}
	}
	if strings.Contains(p.Body, payee) || strings.Contains(p.Body, debit) {
		t.Error("payment consent page shows a full account number")
	}
	checked := regexp.MustCompile(`type="radio" name="account" value="ac_[0-9a-f]+" checked>\s*<span class="mono">([^<]+)<`).FindAllStringSubmatch(p.Body, -1)
	if len(checked) != 1 || checked[0][1] != debit[:4]+" **** **** "+debit[len(debit)-4:] {
		t.Errorf("the partner's debit_account is not the one preselected: %v", checked)
	}
	csrf, req, accts := pgField(p.Body, "csrf"), pgField(p.Body, "req"), pgAccounts(p.Body)

	// Without the code: asked again, nothing decided.
	p = b.post("/oauth/consent", url.Values{"csrf": {csrf}, "req": {req}, "account": accts[:1], "decision": {"approve"}})
	if p.Status != 401 || !strings.Contains(p.Body, "OTP_REQUIRED") || !strings.Contains(p.Body, "资金安全提示") {
		t.Fatalf("approve without the code: %s", p)
	}
	p = b.post("/oauth/consent/code", url.Values{"csrf": {csrf}, "req": {req}})
	p.expect(t, 303, "/oauth/consent?")
	p = b.get(p.Location)
	p.expect(t, 200, "")
	code := b.phoneCode("zhangsan")
	p = b.post("/oauth/consent", url.Values{"csrf": {csrf}, "req": {req}, "account": accts[:1], "otp": {code}, "decision": {"approve"}})
	q := pgRedirectQuery(t, p)
	if !strings.HasPrefix(q.Get("code"), "ac_") || q.Get("state") != pgState {
		t.Fatalf("payment approval redirect %s", p.Location)
	}
}

func TestPagesPhoneIsNotFoundInProduction(t *testing.T) {
	t.Parallel()
	prod := startBank(t, func(c *bank.Config) { c.Mode = "production" })
	p := pgNewBrowser(t, prod).get("/phone?user=zhangsan")
	if p.Status != 404 || regexp.MustCompile(`\d{6}`).MatchString(p.Body) && strings.Contains(p.Body, "otp-code") {
		t.Fatalf("production /phone: %s", p)
	}
	sandbox := startBank(t, nil)
	b := pgNewBrowser(t, sandbox)
	if p := b.get("/phone?user=nobody-here"); p.Status != 404 {
		t.Fatalf("sandbox /phone for an unknown user: %s", p)
	}
	if p := b.get("/phone?user=lisi"); p.Status != 200 || !strings.Contains(p.Body, "暂无短信") {
		t.Fatalf("sandbox /phone for lisi before any login: %s", p)
	}
}

// Scripts and scanners (no Accept: text/html) get the catalogued problem+json.
func TestPagesErrorsForNonBrowsers(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	r := tb.plainGet("/oauth/authorize?client_id=APPNOBODY0001", "")
	if r.Status != 401 || r.Prob.Code != "APP_UNKNOWN" {
		t.Fatalf("authorize with an unknown client: %s", r)
	}
	req, _ := http.NewRequest("POST", tb.b.URL+"/logout", strings.NewReader("x=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "__Host-jr_session", Value: "ss_x"})
	if r := tb.do(req, false); r.Status != 403 || r.Prob.Code != "FORM_TOKEN_INVALID" {
		t.Fatalf("logout without a token: %s", r)
	}
}
