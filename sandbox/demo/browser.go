package demo

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// browser is the user at the bank's pages: cookies kept, redirects not followed, so
// each step of the login and consent shows.
type browser struct {
	base string
	c    *http.Client
}

type page struct {
	Status   int
	Body     string
	Location string
}

func newBrowser(base string, roots *x509.CertPool) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{base: strings.TrimRight(base, "/"), c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, target string, form url.Values) (*page, error) {
	if !strings.HasPrefix(target, "https://") {
		target = b.base + target
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 400 {
		return nil, fmt.Errorf("%s %s: HTTP %d", method, req.URL.Path, resp.StatusCode)
	}
	return &page{Status: resp.StatusCode, Body: string(raw), Location: resp.Header.Get("Location")}, nil
}

func field(body, name string) string {
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

var (
	accountRE = regexp.MustCompile(`name="account" value="(ac_[0-9a-f]+)"`)
	codeRE    = regexp.MustCompile(`class="otp-code">(\d{6})<`)
)

// phoneCode reads the newest code the bank sent to the user's simulated phone.
func (b *browser) phoneCode(user string) (string, error) {
	p, err := b.do("GET", "/phone?user="+url.QueryEscape(user), nil)
	if err != nil {
		return "", err
	}
	m := codeRE.FindStringSubmatch(p.Body)
	if m == nil {
		return "", fmt.Errorf("no code on %s's phone", user)
	}
	return m[1], nil
}

// consent plays the user from the authorization URL to the redirect back to the app:
// log in with password and one-time code when the bank asks, choose the accounts (one
// for a payment, confirmed with the code the bank sends), approve. say narrates.
func (b *browser) consent(authURL, user, password string, payment bool, say func(string, ...any)) (url.Values, error) {
	p, err := b.do("GET", authURL, nil)
	if err != nil {
		return nil, err
	}
	if p.Status/100 == 3 && strings.HasPrefix(p.Location, "/login?") {
		loc, _ := url.Parse(p.Location)
		next := loc.Query().Get("next")
		say("the bank sends the user to its own login page %s (the partner never sees the password)", loc.Path)
		lp, err := b.do("GET", p.Location, nil)
		if err != nil {
			return nil, err
		}
		r, err := b.do("POST", "/login", url.Values{"csrf": {field(lp.Body, "csrf")}, "next": {next}, "username": {user}, "password": {password}})
		if err != nil || r.Status/100 != 3 {
			return nil, fmt.Errorf("password step: %v", err)
		}
		say("user %s enters the password: first factor accepted, a one-time code is sent to the phone", user)
		op, err := b.do("GET", r.Location, nil)
		if err != nil {
			return nil, err
		}
		code, err := b.phoneCode(user)
		if err != nil {
			return nil, err
		}
		r, err = b.do("POST", "/login/otp", url.Values{"csrf": {field(op.Body, "csrf")}, "next": {next}, "code": {code}})
		if err != nil || r.Status/100 != 3 {
			return nil, fmt.Errorf("one-time code step: %v", err)
		}
		say("the user reads %s on the phone and types it: second factor accepted, session started", code)
		p = &page{Status: 303, Location: next}
	}
	if p.Status/100 == 3 {
		if p, err = b.do("GET", p.Location, nil); err != nil {
			return nil, err
		}
	}
	csrf, req := field(p.Body, "csrf"), field(p.Body, "req")
	var accts []string
	for _, m := range accountRE.FindAllStringSubmatch(p.Body, -1) {
		accts = append(accts, m[1])
	}
	if csrf == "" || req == "" || len(accts) == 0 {
		return nil, fmt.Errorf("the consent page offers no account")
	}
	form := url.Values{"csrf": {csrf}, "req": {req}, "decision": {"approve"}, "account": accts}
	if payment {
		form["account"] = accts[:1]
	}
	say("the consent page, at the bank, shows what the app asks for; the user picks %d of %d account(s)", len(form["account"]), len(accts))
	if payment {
		if _, err := b.do("POST", "/oauth/consent/code", url.Values{"csrf": {csrf}, "req": {req}}); err != nil {
			return nil, err
		}
		code, err := b.phoneCode(user)
		if err != nil {
			return nil, err
		}
		form.Set("otp", code)
		say("the user confirms the payment with the confirmation code %s the bank sent to the phone", code)
	}
	r, err := b.do("POST", "/oauth/consent", form)
	if err != nil {
		return nil, err
	}
	loc, err := url.Parse(r.Location)
	if err != nil || r.Status/100 != 3 || loc.Query().Get("code") == "" {
		return nil, fmt.Errorf("the consent did not redirect back with a code (HTTP %d %s)", r.Status, r.Location)
	}
	q := loc.Query()
	q.Set("account", form.Get("account"))
	say("the user approves; the bank redirects the browser to the app with a one-time authorization code")
	return q, nil
}

// revoke withdraws a consent in the user's portal at the bank.
func (b *browser) revoke(consentID string) error {
	p, err := b.do("GET", "/portal", nil)
	if err != nil {
		return err
	}
	if !strings.Contains(p.Body, "/portal/consents/"+consentID+"/revoke") {
		return fmt.Errorf("the portal does not list consent %s", consentID)
	}
	r, err := b.do("POST", "/portal/consents/"+consentID+"/revoke", url.Values{"csrf": {field(p.Body, "csrf")}})
	if err != nil || r.Status/100 != 3 {
		return fmt.Errorf("revoke: %v", err)
	}
	return nil
}
