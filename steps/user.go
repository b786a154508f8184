package steps

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Browser is a test user's browser at the bank's own pages (login, one-time code,
// consent, portal): a cookie jar, redirects followed by hand, forms read from the HTML,
// no JavaScript.
type Browser struct {
	e    *Env
	User User
	c    *http.Client
	Last *Exchange
}

// NewBrowser opens a fresh browser for the named test user.
func (e *Env) NewBrowser(role string) (*Browser, error) {
	u, ok := e.T.Users[role]
	if !ok {
		return nil, fmt.Errorf("the target defines no test user %q", role)
	}
	return e.newBrowser(u)
}

// newBrowser opens a fresh browser (its own cookie jar) logged in as nobody yet; u is
// the test user it will log in as (zero: an anonymous visitor).
func (e *Env) newBrowser(u User) (*Browser, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c := *e.plain
	c.Jar = jar
	return &Browser{e: e, User: u, c: &c}, nil
}

// Do requests a page (form != nil: POST it).
func (b *Browser) Do(ctx context.Context, method, path string, form url.Values) (*Exchange, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	path = strings.TrimPrefix(path, b.e.T.BaseURL)
	req, err := http.NewRequestWithContext(ctx, method, b.e.T.BaseURL+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	x := &Exchange{Method: method, URI: path, ReqHeader: req.Header}
	if form != nil {
		x.ReqBody = []byte(form.Encode())
	}
	defer b.e.shared(ctx)()
	resp, err := b.c.Do(req)
	if err != nil {
		x.Err = err
		return x, err
	}
	defer resp.Body.Close()
	x.Status, x.Header = resp.StatusCode, resp.Header
	x.Body, err = io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	b.e.creds.note(x)
	b.Last = x
	return x, err
}

func (b *Browser) expect(x *Exchange, status int, locPrefix string) error {
	if x.Status != status || (locPrefix != "" && !strings.HasPrefix(x.Header.Get("Location"), locPrefix)) {
		return fmt.Errorf("%s %s: want HTTP %d → %s, got %d → %s: %s", x.Method, x.URI, status, locPrefix,
			x.Status, x.Header.Get("Location"), clip(string(x.Body), 300))
	}
	return nil
}

var (
	otpRE     = regexp.MustCompile(`class="otp-code">(\d{6})<`)
	accountRE = regexp.MustCompile(`name="account" value="([^"]+)"`)
)

// field reads the value of the first form field called name.
func field(body []byte, name string) string {
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(string(m[1]))
}

// PhoneCode reads the newest one-time code on the user's simulated phone.
func (b *Browser) PhoneCode(ctx context.Context) (string, error) {
	path := strings.ReplaceAll(b.e.T.PhonePath, "{user}", url.QueryEscape(b.User.Username))
	x, err := b.Do(ctx, "GET", path, nil)
	if err != nil {
		return "", err
	}
	m := otpRE.FindSubmatch(x.Body)
	if x.Status != 200 || m == nil {
		return "", fmt.Errorf("no one-time code on %s's phone (HTTP %d)", b.User.Username, x.Status)
	}
	return string(m[1]), nil
}

// Login logs in at /login?next=next with password and one-time code.
func (b *Browser) Login(ctx context.Context, next string) error {
	defer b.e.lockUser(ctx, b.User.Username)()
	x, err := b.Do(ctx, "GET", "/login?next="+url.QueryEscape(next), nil)
	if err != nil {
		return err
	}
	if err := b.expect(x, 200, ""); err != nil {
		return err
	}
	x, err = b.Do(ctx, "POST", "/login", url.Values{"csrf": {field(x.Body, "csrf")}, "next": {next},
		"username": {b.User.Username}, "password": {b.User.Password}})
	if err != nil {
		return err
	}
	if err := b.expect(x, 303, "/login/otp"); err != nil {
		return fmt.Errorf("password step: %w", err)
	}
	x, err = b.Do(ctx, "GET", x.Header.Get("Location"), nil)
	if err != nil {
		return err
	}
	code, err := b.PhoneCode(ctx)
	if err != nil {
		return err
	}
	x, err = b.Do(ctx, "POST", "/login/otp", url.Values{"csrf": {field(x.Body, "csrf")}, "next": {next}, "code": {code}})
	if err != nil {
		return err
	}
	return b.expect(x, 303, "")
}

// ConsentRequest is what the partner asks the user to consent to.
type ConsentRequest struct {
	Scopes    []string
	Payment   bool
	ValidDays int
	// Payment consents.
	Amount, PayeeAccount, PayeeName, DebitAccount string
	// Accounts are the account ids the user chooses on the consent page (empty: all of
	// them, or the first for a payment).
	Accounts []string
}

// Authorization is a started authorization request.
type Authorization struct {
	URL, Verifier, State string
	Accounts             []string // to choose on the consent page (ConsentRequest.Accounts)
}

// AuthorizationURL builds the bank's consent URL with PKCE S256.
func (e *Env) AuthorizationURL(a *App, r ConsentRequest) Authorization {
	verifier := randomNonce() + randomNonce()
	sum := sha256.Sum256([]byte(verifier))
	state := randomNonce()[:12]
	kind := "account_info"
	if r.Payment {
		kind = "payment"
	}
	q := url.Values{"response_type": {"code"}, "client_id": {a.ID}, "redirect_uri": {e.T.RedirectURI},
		"scope": {strings.Join(r.Scopes, " ")}, "state": {state}, "consent_type": {kind},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	if r.ValidDays > 0 {
		q.Set("valid_days", fmt.Sprint(r.ValidDays))
	}
	for k, v := range map[string]string{"amount": r.Amount, "currency": "CNY", "payee_account": r.PayeeAccount,
		"payee_name": r.PayeeName, "debit_account": r.DebitAccount} {
		if v != "" && (r.Payment || k != "currency") {
			q.Set(k, v)
		}
	}
	return Authorization{URL: "/oauth/authorize?" + q.Encode(), Verifier: verifier, State: state, Accounts: r.Accounts}
}

// Consent plays the user through the bank's pages: open the authorization URL, log in if
// asked, choose accounts (all of them, or the first for a payment), confirm a payment
// with a one-time code, approve or refuse. It returns the redirect's query.
func (b *Browser) Consent(ctx context.Context, auth Authorization, payment, approve bool) (url.Values, error) {
	x, err := b.openAuthorization(ctx, auth.URL)
	if err != nil {
		return nil, err
	}
	if x.Status == 302 { // the bank refused the request outright, back to the partner
		return redirectQuery(x)
	}
	if err := b.expect(x, 200, ""); err != nil {
		return nil, fmt.Errorf("consent page: %w", err)
	}
	csrf, req := field(x.Body, "csrf"), field(x.Body, "req")
	decision := "approve"
	if !approve {
		decision = "refuse"
	}
	form := url.Values{"csrf": {csrf}, "req": {req}, "decision": {decision}}
	var accts []string
	for _, m := range accountRE.FindAllSubmatch(x.Body, -1) {
		if id := string(m[1]); len(auth.Accounts) == 0 || slices.Contains(auth.Accounts, id) {
			accts = append(accts, id)
		}
	}
	if len(auth.Accounts) > 0 && len(accts) != len(auth.Accounts) {
		return nil, fmt.Errorf("the consent page does not offer the accounts %v to choose", auth.Accounts)
	}
	if payment && approve {
		if len(accts) > 0 {
			form["account"] = accts[:1]
		}
		defer b.e.lockUser(ctx, b.User.Username)() // held until the code is used: no other scenario's code in between
		code, err := b.paymentCodeLocked(ctx, csrf, req)
		if err != nil {
			return nil, err
		}
		form.Set("otp", code)
	} else if approve {
		form["account"] = accts
	}
	x, err = b.Do(ctx, "POST", "/oauth/consent", form)
	if err != nil {
		return nil, err
	}
	return redirectQuery(x)
}

// openAuthorization opens an authorization URL, logs in when the bank asks, and returns
// the page it leads to: the consent page, or the bank's redirect back to the partner.
func (b *Browser) openAuthorization(ctx context.Context, authURL string) (*Exchange, error) {
	x, err := b.Do(ctx, "GET", authURL, nil)
	if err != nil {
		return nil, err
	}
	if x.Status == 303 && strings.HasPrefix(x.Header.Get("Location"), "/login?") {
		next, _ := url.Parse(x.Header.Get("Location"))
		if err := b.Login(ctx, next.Query().Get("next")); err != nil {
			return nil, err
		}
		return b.Do(ctx, "GET", next.Query().Get("next"), nil)
	}
	if x.Status == 303 {
		return b.Do(ctx, "GET", x.Header.Get("Location"), nil)
	}
	return x, nil
}

func redirectQuery(x *Exchange) (url.Values, error) {
	if x.Status != 302 {
		return nil, fmt.Errorf("%s %s: want a 302 back to the partner, got %d: %s", x.Method, x.URI, x.Status, clip(string(x.Body), 300))
	}
	u, err := url.Parse(x.Header.Get("Location"))
	if err != nil {
		return nil, err
	}
	return u.Query(), nil
}

// Token is a user's token set.
type Token struct {
	Access, Refresh string
	ExpiresIn       int
	Consent         string // the consent_id the token endpoint named
}
