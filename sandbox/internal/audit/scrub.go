package audit

import (
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/jr0185/harness/sandbox/protocol"
)

// credentialFields are the names under which a message carries a credential: OAuth
// codes, PKCE verifiers, tokens, secrets, passwords and one-time codes. Their values
// never reach the audit log; each is kept as its SM3 fingerprint, which lets an
// auditor match a record to a credential they hold without the log disclosing it
// (JR/T 0185-2020 12.3/2: 遵循最少够用原则适当保留应用方上送报文; 7.3.3).
var credentialFields = map[string]bool{
	"code": true, "code_verifier": true, "refresh_token": true, "access_token": true, "token": true,
	"id_token": true, "client_secret": true, "app_secret": true, "secret": true, "password": true,
	"otp": true, "admin_token": true, "private_key": true,
}

// IsCredentialField reports whether a field or parameter of that name carries a
// credential (case-insensitive).
func IsCredentialField(name string) bool { return credentialFields[strings.ToLower(name)] }

// Fingerprint is what the log keeps of a credential: "sm3:" and its SM3 digest in hex.
func Fingerprint(secret string) string { return "sm3:" + protocol.SM3Hex([]byte(secret)) }

// ScrubBody returns a message body fit for the log: a JSON object or a form with every
// credential value replaced by its fingerprint. ok is false for a body that is neither
// — the log then keeps only its length and digest, since a body the bank cannot read
// could hold a credential anywhere.
func ScrubBody(body []byte) (scrubbed string, ok bool) {
	if len(body) == 0 {
		return "", true
	}
	if json.Valid(body) {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return "", false
		}
		if !scrubJSON(v) {
			return ScrubText(string(body)), true
		}
		out, err := json.Marshal(v)
		return ScrubText(string(out)), err == nil
	}
	s, ok := ScrubForm(string(body))
	return ScrubText(s), ok
}

// scrubJSON replaces credential values in place and reports whether it found any.
func scrubJSON(v any) bool {
	found := false
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if IsCredentialField(k) && x != nil {
				s, isString := x.(string)
				if !isString {
					b, _ := json.Marshal(x)
					s = string(b)
				}
				t[k], found = Fingerprint(s), true
				continue
			}
			found = scrubJSON(x) || found
		}
	case []any:
		for i := range t {
			found = scrubJSON(t[i]) || found
		}
	}
	return found
}

// issuedPattern matches the bank's own opaque credentials wherever they appear:
// authorization codes, access and refresh tokens (prefix and 43 base64url characters,
// sandbox/internal/consent).
var issuedPattern = regexp.MustCompile(`(?:ac|at|rt)_[A-Za-z0-9_-]{43}`)

// ScrubText replaces every bank-issued code or token in free text by its fingerprint.
func ScrubText(s string) string {
	if !strings.Contains(s, "_") {
		return s
	}
	return issuedPattern.ReplaceAllStringFunc(s, Fingerprint)
}

// ScrubForm scrubs an application/x-www-form-urlencoded text (a body or a query
// string): credential values become fingerprints, the rest is kept in key order.
func ScrubForm(s string) (string, bool) {
	vals, err := url.ParseQuery(s)
	if err != nil {
		return "", false
	}
	credential := false
	for k := range vals {
		credential = credential || IsCredentialField(k)
	}
	if !credential {
		return s, true
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range vals[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			if IsCredentialField(k) { // "sm3:" and hex need no escaping in a query
				b.WriteString(url.QueryEscape(k) + "=" + Fingerprint(v))
				continue
			}
			b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(v))
		}
	}
	return b.String(), true
}

// ScrubURI scrubs the query of a request-target: a credential sent as a query
// parameter is kept as its fingerprint; a query that does not parse is dropped.
func ScrubURI(uri string) string {
	path, query, found := strings.Cut(uri, "?")
	if !found {
		return ScrubText(uri)
	}
	if q, ok := ScrubForm(query); ok {
		return ScrubText(path + "?" + q)
	}
	return ScrubText(path) + "?…"
}
