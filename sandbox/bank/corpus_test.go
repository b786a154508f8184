package bank_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/internal/config"
	"github.com/jr0185/harness/sandbox/protocol"
)

// The bad-input corpus (issue 14): what an attacker and a careless client send — bodies,
// media types, field bounds, HTTP framing, authentication headers, timestamps, nonces,
// query parameters, admin tokens — each with the status and catalogued code the bank
// must answer. Every case must be refused exactly so, in sandbox and production mode:
// no 5xx, no acceptance, a problem+json naming no internal type, nothing changed.

// badCase is one request that must be refused.
type badCase struct {
	group, name string
	status      int
	code        string
	// One of: an HTTP request (method, path, headers, body; admin adds the admin
	// token), raw bytes written on a fresh TLS connection, or a signed A1 call.
	method, path string
	header       map[string]string
	body         string
	admin        bool
	raw          string
	a1           *callOpts
}

// malformedJSON are bodies no JSON interface may accept, whatever its fields.
var malformedJSON = []struct{ name, body string }{
	{"empty body", ""},
	{"an unterminated object", `{"name":`},
	{"a lone closing brace", `}`},
	{"a JSON array", `[]`},
	{"null", `null`},
	{"a string", `"x"`},
	{"a number", `1`},
	{"true", `true`},
	{"two objects", `{}{}`},
	{"trailing garbage", `{} x`},
	{"trailing NUL", "{}\x00"},
	{"an unknown field", `{"no_such_field":1}`},
	{"a case-variant name", `{"Name":"x"}`},
	{"a case-variant nested name", `{"organization":{"Name":"x"}}`},
	{"a repeated key", `{"name":"x","name":"y"}`},
	{"a repeated nested key", `{"limits":{"rate_rps":1,"rate_rps":2}}`},
	{"invalid UTF-8", "{\"name\":\"\xff\xfe\"}"},
	{"an overlong UTF-8 sequence", "{\"name\":\"\xc0\xaf\"}"},
	{"a UTF-8 byte-order mark", "\xef\xbb\xbf{}"},
	{"nesting 40 deep", strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)},
	{"single quotes", `{'name':'x'}`},
	{"a trailing comma", `{"name":"x",}`},
	{"NaN", `{"rate_rps":NaN}`},
	{"a number overflowing float64", `{"rate_rps":1e999}`},
	{"a comment", `{/* c */}`},
	{"an array for an object", `{"organization":[]}`},
	{"a number for a string", `{"name":5}`},
	{"an object for a list", `{"scopes":{}}`},
	{"a string for a number", `{"rate_rps":"5"}`},
}

// jsonTargets are the JSON interfaces the corpus sends bodies to ({app}: a registered app).
var jsonTargets = []struct {
	method, path string
	admin        bool
}{
	{"POST", "/partners/v1/registrations", false},
	{"POST", "/admin/v1/apps", true},
	{"PUT", "/admin/v1/apps/{app}/limits", true},
	{"PUT", "/admin/v1/apps/{app}/scopes", true},
	{"PUT", "/admin/v1/apis/a1.products.list/state", true},
}

// otherMediaTypes must each be refused 415 by a JSON interface.
var otherMediaTypes = []string{"none", "text/plain", "application/xml", "application/x-www-form-urlencoded",
	"multipart/form-data; boundary=x", "application/json; charset=latin1", "application/jsonx", "text/json",
	"application/json; charset=utf-8; x=1"}

func bodyCases() []badCase {
	var out []badCase
	for _, t := range jsonTargets {
		for _, b := range malformedJSON {
			out = append(out, badCase{group: "json", name: t.method + " " + t.path + ": " + b.name, status: 400, code: "BODY_INVALID",
				method: t.method, path: t.path, admin: t.admin, body: b.body, header: map[string]string{"Content-Type": "application/json"}})
		}
		for _, ct := range otherMediaTypes {
			h := map[string]string{"Content-Type": ct}
			if ct == "none" {
				h = nil
			}
			out = append(out, badCase{group: "media type", name: t.method + " " + t.path + ": " + ct, status: 415, code: "UNSUPPORTED_MEDIA_TYPE",
				method: t.method, path: t.path, admin: t.admin, body: `{"name":"x"}`, header: h})
		}
	}
	return out
}

func boundCases() []badCase {
	js := map[string]string{"Content-Type": "application/json"}
	adminJSON := func(name, method, path, body string) badCase {
		return badCase{group: "bounds", name: name, status: 400, code: "PARAMETER_INVALID", method: method, path: path, admin: true, body: body, header: js}
	}
	app := func(name, extra string) badCase {
		return adminJSON("app registration: "+name, "POST", "/admin/v1/apps", `{"name":"Corpus app","level":"A1","scopes":["products:read"]`+extra+`}`)
	}
	limits := func(name, body string) badCase {
		return adminJSON("limits: "+name, "PUT", "/admin/v1/apps/{app}/limits", body)
	}
	uris := make([]string, 11)
	for i := range uris {
		uris[i] = fmt.Sprintf(`"https://p%d.example.com/cb"`, i)
	}
	out := []badCase{
		limits("rate_rps 1e308", `{"rate_rps":1e308,"rate_burst":10,"max_concurrent":10}`),
		limits("rate_rps above the maximum", `{"rate_rps":1000001,"rate_burst":10,"max_concurrent":10}`),
		limits("rate_rps negative", `{"rate_rps":-1,"rate_burst":10,"max_concurrent":10}`),
		limits("rate_rps zero", `{"rate_rps":0,"rate_burst":10,"max_concurrent":10}`),
		limits("rate_burst above the maximum", `{"rate_rps":10,"rate_burst":10000001,"max_concurrent":10}`),
		limits("rate_burst zero", `{"rate_rps":10,"rate_burst":0,"max_concurrent":10}`),
		limits("max_concurrent above the maximum", `{"rate_rps":10,"rate_burst":10,"max_concurrent":100001}`),
		limits("max_concurrent negative", `{"rate_rps":10,"rate_burst":10,"max_concurrent":-5}`),
		limits("all missing", `{}`),
		app("a wildcard redirect host", `,"redirect_uris":["https://*.example.com/cb"]`),
		app("a wildcard label", `,"redirect_uris":["https://a*.example.com/cb"]`),
		app("user-info in a redirect URI", `,"redirect_uris":["https://u:p@example.com/cb"]`),
		app("an http redirect URI", `,"redirect_uris":["http://example.com/cb"]`),
		app("a fragment", `,"redirect_uris":["https://example.com/cb#x"]`),
		app("a relative redirect URI", `,"redirect_uris":["/cb"]`),
		app("a space in a redirect URI", `,"redirect_uris":["https://example.com/c b"]`),
		app("an underscore host", `,"redirect_uris":["https://bad_host.example.com/cb"]`),
		app("eleven redirect URIs", `,"redirect_uris":[`+strings.Join(uris, ",")+`]`),
		app("a wildcard notification URL", `,"notify_url":"https://*.example.com/n"`),
		app("limits of 1e308", `,"limits":{"rate_rps":1e308,"rate_burst":1,"max_concurrent":1}`),
		adminJSON("app registration: a NUL in the name", "POST", "/admin/v1/apps", `{"name":"Corpus\u0000app","level":"A1","scopes":["products:read"]}`),
		adminJSON("app registration: a line break in the name", "POST", "/admin/v1/apps", `{"name":"Corpus\napp","level":"A1","scopes":["products:read"]}`),
		adminJSON("app registration: a bidi override in the name", "POST", "/admin/v1/apps", `{"name":"Corpus\u202eapp","level":"A1","scopes":["products:read"]}`),
		adminJSON("app registration: a 101-byte name", "POST", "/admin/v1/apps", `{"name":"`+strings.Repeat("n", 101)+`","level":"A1","scopes":["products:read"]}`),
		adminJSON("app registration: an empty name", "POST", "/admin/v1/apps", `{"name":" ","level":"A1","scopes":["products:read"]}`),
		adminJSON("app registration: level A3", "POST", "/admin/v1/apps", `{"name":"Corpus app","level":"A3","scopes":["products:read"]}`),
		adminJSON("app registration: an unknown scope", "POST", "/admin/v1/apps", `{"name":"Corpus app","level":"A1","scopes":["root:all"]}`),
	}
	partner := func(name, org, legal string) badCase {
		return badCase{group: "bounds", name: "partner registration: " + name, status: 400, code: "PARAMETER_INVALID",
			method: "POST", path: "/partners/v1/registrations", header: js,
			body: `{"organization":{"name":"` + org + `","unified_social_credit_code":"91110000MA01234567","operating_qualification":"许可证"},` +
				`"legal_representative":{"name":"` + legal + `","id_number":"11010119900307001X"},"developers":[{"name":"钱七","id_number":"11010119900307001X"}],` +
				`"app":{"name":"Corpus","level":"A1","scopes":["products:read"]}}`}
	}
	out = append(out,
		partner("a NUL in the organisation name", `Corpus\u0000科技`, "赵六"),
		partner("a bell in the organisation name", `Corpus\u0007科技`, "赵六"),
		partner("a bidi override in the organisation name", `Corpus\u202e科技`, "赵六"),
		partner("a 201-byte organisation name", strings.Repeat("o", 201), "赵六"),
		partner("a tab in the legal representative's name", "Corpus 科技", `赵\t六`),
		partner("an empty organisation name", " ", "赵六"),
	)
	query := func(name, path string) badCase {
		return badCase{group: "bounds", name: "query: " + name, status: 400, code: "PARAMETER_INVALID", method: "GET", path: path, admin: true}
	}
	out = append(out,
		query("audit limit -1", "/admin/v1/audit?limit=-1"),
		query("audit limit 0", "/admin/v1/audit?limit=0"),
		query("audit limit 1001", "/admin/v1/audit?limit=1001"),
		query("audit limit ten", "/admin/v1/audit?limit=ten"),
		query("audit limit 1e3", "/admin/v1/audit?limit=1e3"),
		query("audit limit with a space", "/admin/v1/audit?limit=%201"),
		query("audit limit huge", "/admin/v1/audit?limit=99999999999999999999"),
		query("alarms after -1", "/admin/v1/alarms?after=-1"),
		query("alarms after x", "/admin/v1/alarms?after=x"),
		query("notifications limit 0", "/admin/v1/apps/{app}/notifications?limit=0"),
		query("notifications limit 501", "/admin/v1/apps/{app}/notifications?limit=501"),
		query("notifications limit -5", "/admin/v1/apps/{app}/notifications?limit=-5"),
	)
	return out
}

// framingCases are requests that are not well-formed HTTP/1.1 ({host}: the bank's).
func framingCases() []badCase {
	type fr struct{ name, head, rest string }
	frs := []fr{
		{"request line naming HTTP/2.0", "GET {path} HTTP/2.0", "\r\n"},
		{"request line naming HTTP/1.2", "GET {path} HTTP/1.2", "\r\n"},
		{"request line naming HTTP/3.0", "GET {path} HTTP/3.0", "\r\n"},
		{"request line naming HTTP/1.10", "GET {path} HTTP/1.10", "\r\n"},
		{"request line naming HTTP/9.9", "GET {path} HTTP/9.9", "\r\n"},
		{"obs-fold with a space", "GET {path} HTTP/1.1", "X-A: 1\r\n folded\r\n\r\n"},
		{"obs-fold with a tab", "GET {path} HTTP/1.1", "X-A: 1\r\n\tfolded\r\n\r\n"},
		{"a header name with a space", "GET {path} HTTP/1.1", "X A: 1\r\n\r\n"},
		{"a space before the colon", "GET {path} HTTP/1.1", "X-A : 1\r\n\r\n"},
		{"a tab before the colon", "GET {path} HTTP/1.1", "X-A\t: 1\r\n\r\n"},
		{"a control character in a header name", "GET {path} HTTP/1.1", "X-\x01A: 1\r\n\r\n"},
		{"parentheses in a header name", "GET {path} HTTP/1.1", "X(A): 1\r\n\r\n"},
		{"an at sign in a header name", "GET {path} HTTP/1.1", "X@A: 1\r\n\r\n"},
		{"a slash in a header name", "GET {path} HTTP/1.1", "X/A: 1\r\n\r\n"},
		{"a non-ASCII header name", "GET {path} HTTP/1.1", "X-\xc3\xa9: 1\r\n\r\n"},
		{"an empty header name", "GET {path} HTTP/1.1", ": 1\r\n\r\n"},
		{"a header line without a colon", "GET {path} HTTP/1.1", "X-A 1\r\n\r\n"},
		{"a bad chunk size", "POST {path} HTTP/1.1", "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"},
		{"a negative chunk size", "POST {path} HTTP/1.1", "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n"},
		{"a chunk without its CRLF", "POST {path} HTTP/1.1", "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n"},
		{"two differing Content-Lengths", "POST {path} HTTP/1.1", "Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x"},
		{"a non-numeric Content-Length", "POST {path} HTTP/1.1", "Content-Type: application/json\r\nContent-Length: two\r\n\r\n{}"},
		{"a negative Content-Length", "POST {path} HTTP/1.1", "Content-Type: application/json\r\nContent-Length: -1\r\n\r\n{}"},
		{"a NUL in the request line", "GET {path}\x00 HTTP/1.1", "\r\n"},
		{"a request line of two words", "GET {path}", "\r\n"},
	}
	var out []badCase
	for _, path := range []string{"/docs/apis.json", "/a1/v1/products"} {
		for _, f := range frs {
			raw := strings.ReplaceAll(f.head, "{path}", path) + "\r\nHost: {host}\r\n" + f.rest
			out = append(out, badCase{group: "framing", name: path + ": " + f.name, status: 400, code: "REQUEST_MALFORMED", raw: raw})
		}
	}
	return out
}

// a1Cases spoil one part of a correctly MACed A1 call (authentication, timestamp,
// nonce, parameters).
func a1Cases() []badCase {
	now := time.Now()
	ts := func(d time.Duration) string { return protocol.Timestamp(now.Add(d)) }
	auth := func(name, header, code string) badCase {
		return badCase{group: "authentication", name: name, status: 401, code: code, a1: &callOpts{auth: header}}
	}
	out := []badCase{
		auth("an empty Authorization header", " ", "AUTH_MISSING"),
		auth("a scheme only", protocol.SchemeHMAC, "AUTH_MALFORMED"),
		auth("an unknown scheme", `Basic dXNlcjpwYXNz`, "AUTH_MALFORMED"),
		auth("a Bearer token", `Bearer abc`, "AUTH_MALFORMED"),
		auth("unquoted parameters", protocol.SchemeHMAC+` app_id=X,serial=1,timestamp=1,nonce=n,signature=s`, "AUTH_MALFORMED"),
		auth("a parameter given twice", protocol.SchemeHMAC+` app_id="A",app_id="B",serial="1",timestamp="1",nonce="n",signature="s"`, "AUTH_MALFORMED"),
		auth("a missing signature", protocol.SchemeHMAC+` app_id="A",serial="1",timestamp="1",nonce="n"`, "AUTH_MALFORMED"),
		auth("an unterminated quote", protocol.SchemeHMAC+` app_id="A,serial="1"`, "AUTH_MALFORMED"),
		auth("a non-ASCII App_ID", protocol.SchemeHMAC+" app_id=\"Ä\",serial=\"1\",timestamp=\"1\",nonce=\"nnnnnnnnnnnnnnnn\",signature=\"s\"", "AUTH_MALFORMED"),
		{group: "authentication", name: "an unknown App_ID", status: 401, code: "APP_UNKNOWN", a1: &callOpts{appID: "APPNOSUCHAPP0001"}},
		{group: "authentication", name: "a MAC over another path", status: 401, code: "MAC_INVALID", a1: &callOpts{signedURI: "/a1/v1/products?x=1"}},
		{group: "authentication", name: "a MAC that is not base64", status: 401, code: "AUTH_MALFORMED", a1: &callOpts{mac: "!!!"}},
		{group: "authentication", name: "an empty MAC", status: 401, code: "AUTH_MALFORMED", a1: &callOpts{mac: " "}},
	}
	for _, t := range []struct {
		name, ts, code string
	}{
		{"a timestamp 10 minutes old", ts(-10 * time.Minute), "TIMESTAMP_OUT_OF_WINDOW"},
		{"a timestamp 10 minutes ahead", ts(10 * time.Minute), "TIMESTAMP_OUT_OF_WINDOW"},
		{"a timestamp a year old", ts(-365 * 24 * time.Hour), "TIMESTAMP_OUT_OF_WINDOW"},
		{"timestamp zero", "0", "TIMESTAMP_OUT_OF_WINDOW"},
		{"a negative timestamp", "-1", "AUTH_MALFORMED"},
		{"a timestamp in milliseconds", fmt.Sprint(now.UnixMilli()), "AUTH_MALFORMED"},
		{"a 20-digit timestamp", "99999999999999999999", "AUTH_MALFORMED"},
		{"a timestamp with letters", "17000000x0", "AUTH_MALFORMED"},
		{"an RFC 3339 timestamp", now.UTC().Format(time.RFC3339), "AUTH_MALFORMED"},
		{"a fractional timestamp", fmt.Sprint(now.Unix()) + ".5", "AUTH_MALFORMED"},
	} {
		out = append(out, badCase{group: "timestamp", name: t.name, status: 401, code: t.code, a1: &callOpts{ts: t.ts}})
	}
	for _, n := range []struct{ name, nonce string }{
		{"a 7-character nonce", "abcdefg"},
		{"a 65-character nonce", strings.Repeat("n", 65)},
		{"a nonce with a space", "abcd efgh ijkl mnop"},
		{"a nonce with a quote", `abcdefgh'ijklmnop`},
		{"a nonce with non-ASCII", "abcdefghijklmnopé"},
	} {
		out = append(out, badCase{group: "nonce", name: n.name, status: 401, code: "AUTH_MALFORMED", a1: &callOpts{nonce: n.nonce}})
	}
	for _, q := range []struct{ name, uri, code string }{
		{"an unknown parameter", "/a1/v1/products?no_such=1", "PARAMETER_INVALID"},
		{"a repeated parameter", "/a1/v1/products?page=1&page=2", "PARAMETER_INVALID"},
		{"page_size 0", "/a1/v1/products?page_size=0", "PARAMETER_INVALID"},
		{"page_size -1", "/a1/v1/products?page_size=-1", "PARAMETER_INVALID"},
		{"page_size huge", "/a1/v1/products?page_size=99999999999999999999", "PARAMETER_INVALID"},
		{"page not a number", "/a1/v1/products?page=one", "PARAMETER_INVALID"},
		{"a NUL in a parameter", "/a1/v1/products?category=%00", "PARAMETER_INVALID"},
		{"an SQL injection in a parameter", "/a1/v1/products?category=" + url.QueryEscape("x' OR '1'='1"), "PARAMETER_INVALID"},
		{"an unknown version", "/a1/v9/products", "API_VERSION_UNSUPPORTED"},
		{"an unknown route", "/a1/v1/no-such-api", "ROUTE_NOT_FOUND"},
		{"a trailing slash", "/a1/v1/products/", "ROUTE_NOT_FOUND"},
		{"a POST to a GET interface", "/a1/v1/products", "METHOD_NOT_ALLOWED"},
	} {
		o := &callOpts{}
		status := 400
		switch q.code {
		case "ROUTE_NOT_FOUND":
			status = 404
		case "METHOD_NOT_ALLOWED":
			status, o.method, o.body = 405, "POST", `{}`
		}
		out = append(out, badCase{group: "parameters", name: q.name, status: status, code: q.code, path: q.uri, a1: o})
	}
	return out
}

// adminTokenCases present wrong admin tokens (each followed by the right one, so the
// run never reaches the brute-force guard; that guard has its own test).
func adminTokenCases(tb *testBank) []badCase {
	var out []badCase
	for _, a := range []struct{ name, header string }{
		{"no Authorization", ""},
		{"a wrong token", "Bearer adm_wrong"},
		{"the token with a suffix", "Bearer " + tb.b.AdminToken + "x"},
		{"the token's prefix", "Bearer " + tb.b.AdminToken[:len(tb.b.AdminToken)-1]},
		{"the token without Bearer", tb.b.AdminToken},
		{"the token under Basic", "Basic " + tb.b.AdminToken},
		{"the token's SM3 digest", "Bearer " + protocol.SM3Hex([]byte(tb.b.AdminToken))},
		{"lowercase bearer", "bearer " + tb.b.AdminToken},
		{"two spaces after Bearer", "Bearer  " + tb.b.AdminToken},
	} {
		out = append(out, badCase{group: "admin token", name: a.name, status: 401, code: "ADMIN_UNAUTHORIZED",
			method: "GET", path: "/admin/v1/apps", header: map[string]string{"Authorization": a.header}})
	}
	return out
}

// casesPerApp is how many refused signed calls one corpus app makes.
const casesPerApp = 5

// internalName matches what no error may carry (7.1/7): Go type names and
// encoding/json's wording.
var internalName = regexp.MustCompile(`Go (?:value|struct)|of type |\b(?:apps|partners|server|payments|consent|gateway|strictbody|fiber|fasthttp)\.[A-Z]|json: |reflect\.|goroutine`)

// TestBadInputCorpusIsRefused runs the corpus against a sandbox-mode and a
// production-mode bank: every case refused with its status and code, no 5xx, nothing
// accepted, no internal name in any answer, and no table changed.
func TestBadInputCorpusIsRefused(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{config.ModeSandbox, config.ModeProduction} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			tb := startBank(t, func(c *bank.Config) { c.Mode = mode })
			runCorpus(t, tb, mode)
		})
	}
}

func runCorpus(t *testing.T, tb *testBank, mode string) {
	cases := append(append(append(bodyCases(), boundCases()...), framingCases()...), a1Cases()...)
	cases = append(cases, adminTokenCases(tb)...)
	if len(cases) < 300 {
		t.Fatalf("the corpus has %d cases, want at least 300", len(cases))
	}
	target := tb.newA1App([]string{"products:read"}, nil)
	// Signed cases rotate over apps made beforehand: refusals count towards an app's
	// authentication lockout and abnormal-pattern throttle, which have their own tests.
	var signers []a1App
	for i, c := range cases {
		if c.a1 != nil && len(signers) <= i/casesPerApp {
			signers = append(signers, tb.newA1App([]string{"products:read"}, map[string]any{"rate_rps": 10000, "rate_burst": 10000, "max_concurrent": 64}))
		}
	}
	before := tb.snapshot()
	accepted, fivexx, wrong := 0, 0, 0
	groups := map[string]int{}
	signed := 0
	for _, c := range cases {
		var a1 a1App
		if c.a1 != nil {
			a1 = signers[signed/casesPerApp]
			signed++
		}
		r := tb.send(c, a1, target.ID)
		groups[c.group]++
		switch {
		case r.Status >= 500:
			fivexx++
		case r.Status < 400:
			accepted++
		}
		if r.Status != c.status || r.Prob.Code != c.code {
			wrong++
			t.Errorf("%s / %s: got %s, want %d %s", c.group, c.name, clipBody(r), c.status, c.code)
			continue
		}
		if m := internalName.FindString(string(r.Body)); m != "" {
			t.Errorf("%s / %s: the answer names %q: %s", c.group, c.name, m, clipBody(r))
		}
		if c.group == "admin token" {
			if st, _ := tb.admin("GET", "/admin/v1/apis", nil); st != 200 {
				t.Fatalf("the right admin token after %q: HTTP %d", c.name, st)
			}
		}
	}
	tb.assertUnchanged(before, "the bad-input corpus")
	t.Logf("bad-input corpus, %s mode: %d cases (%v), %d accepted that must be refused, %d 5xx, %d answered otherwise than catalogued",
		mode, len(cases), groups, accepted, fivexx, wrong)
	if accepted > 0 || fivexx > 0 {
		t.Errorf("%d accepted, %d 5xx", accepted, fivexx)
	}
}

func clipBody(r *resp) string {
	s := r.String()
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// send sends one corpus case: a1 is the app signed calls use, appID fills {app}.
func (tb *testBank) send(c badCase, a1 a1App, appID string) *resp {
	tb.t.Helper()
	switch {
	case c.raw != "":
		return tb.raw(strings.ReplaceAll(c.raw, "{host}", strings.TrimPrefix(tb.b.URL, "https://")))
	case c.a1 != nil:
		path := c.path
		if path == "" {
			path = "/a1/v1/products"
		}
		o := *c.a1
		o.skipVerifyCheck = true
		return tb.call(a1, path, o)
	}
	path := strings.ReplaceAll(c.path, "{app}", appID)
	var body io.Reader
	if c.body != "" || c.method != "GET" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, tb.b.URL+path, body)
	if err != nil {
		tb.t.Fatal(err)
	}
	if c.admin {
		req.Header.Set("Authorization", "Bearer "+tb.b.AdminToken)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	return tb.do(req, false)
}

// raw writes bytes on a fresh TLS connection and reads one answer.
func (tb *testBank) raw(req string) *resp {
	tb.t.Helper()
	ca, err := os.ReadFile(tb.b.TLSCAFile)
	if err != nil {
		tb.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	u, _ := url.Parse(tb.b.URL)
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", u.Host,
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12, ServerName: u.Hostname()})
	if err != nil {
		tb.t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		tb.t.Fatal(err)
	}
	hr, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return &resp{Status: 0, Body: []byte("no answer: " + err.Error())}
	}
	defer hr.Body.Close()
	r := &resp{Status: hr.StatusCode, Header: hr.Header}
	r.Body, _ = io.ReadAll(hr.Body)
	var p struct{ Code string }
	_ = json.Unmarshal(r.Body, &p)
	r.Prob.Code = p.Code
	if ct := hr.Header.Get("Content-Type"); hr.StatusCode >= 400 && ct != "application/problem+json" {
		tb.t.Errorf("a framing refusal has Content-Type %q", ct)
	}
	return r
}
