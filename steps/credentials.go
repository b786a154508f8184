package steps

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// credentialBook keeps every credential the bank issued to, or the harness presented
// at, the bank during a run — App_Secrets, authorization codes, PKCE verifiers, access
// and refresh tokens, the admin token — so a privacy check can grep the bank's logs and
// audit database for each of them afterwards (issue 14: 0 hits).
type credentialBook struct {
	mu  sync.Mutex
	set map[string]bool
}

// credentialKeys are the fields and parameters that carry credentials.
var credentialKeys = map[string]bool{"access_token": true, "refresh_token": true, "app_secret": true, "code": true,
	"code_verifier": true, "token": true, "secret": true}

// minCredential is the shortest value kept: shorter ones (one-time codes, test
// passwords) would match unrelated text.
const minCredential = 16

func (b *credentialBook) add(v string) {
	if len(v) < minCredential {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.set == nil {
		b.set = map[string]bool{}
	}
	b.set[v] = true
}

// note reads the credentials out of one exchange: the request's form or JSON body and
// access-token header, the answer's JSON body and redirect.
func (b *credentialBook) note(x *Exchange) {
	if x == nil {
		return
	}
	b.fromBody(x.ReqBody)
	if x.ReqHeader != nil {
		b.add(x.ReqHeader.Get("X-JR-Access-Token"))
	}
	b.fromBody(x.Body)
	if x.Header != nil {
		if u, err := url.Parse(x.Header.Get("Location")); err == nil {
			b.add(u.Query().Get("code"))
		}
	}
}

func (b *credentialBook) fromBody(body []byte) {
	if len(body) == 0 {
		return
	}
	var v any
	if json.Unmarshal(body, &v) == nil {
		b.walk(v)
		return
	}
	if q, err := url.ParseQuery(string(body)); err == nil && !strings.ContainsAny(string(body), "<>") {
		for k, vs := range q {
			if credentialKeys[k] {
				for _, s := range vs {
					b.add(s)
				}
			}
		}
	}
}

func (b *credentialBook) walk(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			// In JSON, "code" is a problem's error code, not an authorization code.
			if s, ok := x.(string); ok && credentialKeys[k] && k != "code" {
				b.add(s)
				continue
			}
			b.walk(x)
		}
	case []any:
		for _, x := range t {
			b.walk(x)
		}
	}
}

// Credentials lists every credential of the run, the admin token included, sorted.
func (e *Env) Credentials() []string {
	e.creds.add(e.T.AdminToken)
	e.creds.mu.Lock()
	defer e.creds.mu.Unlock()
	out := make([]string, 0, len(e.creds.set))
	for c := range e.creds.set {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
