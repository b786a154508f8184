// Package mutant names the bank's deliberately broken controls. A mutant bank is the
// sandbox with exactly one control switched off (`sandbox serve --mutant NAME`, sandbox
// mode only); the conformance suite must fail against each of them, which proves its
// scenarios can fail (brief section 5). Each capability package asks its own question,
// e.g. `if opts.Mutant.Is(mutant.SkipNonceCheck)`, so the broken path sits next to the
// control it breaks.
package mutant

import (
	"fmt"
	"sort"
	"strings"
)

// Name is one mutant.
type Name string

var catalogue = map[Name]string{}

func define(name, what string) Name {
	n := Name(name)
	if _, dup := catalogue[n]; dup {
		panic("mutant: duplicate " + name)
	}
	catalogue[n] = what
	return n
}

// The mutants. Each breaks one control, the way real banks get it wrong.
var (
	SkipSignatureCheck = define("skip-signature-check", "the gateway admits requests whose MAC or SM2 signature does not verify")
	SkipNonceCheck     = define("skip-nonce-check", "the gateway does not remember nonces: a replayed request is served again")
	SkipTimestampCheck = define("skip-timestamp-check", "the gateway accepts request timestamps of any age")
	PublicA1           = define("public-a1", "A1 product APIs answer calls without an Authorization header")
	UnsignedResponses  = define("unsigned-responses", "API answers carry no SM2 signature headers")
	PlainHTTP          = define("plain-http", "the API port also serves plain HTTP, without TLS")
	AcceptTLS11        = define("accept-tls11", "the server negotiates TLS 1.0 and 1.1")
)

// Area auth: partner identity, authentication, integrity and keys (7.2.1, 7.3.1, 7.3.4,
// 9.2.1, 9.4, 10.1.2/1b, 10.1.2/1d).
var (
	PublicA2                 = define("public-a2", "A2 APIs answer calls without an Authorization header")
	AcceptMACOnA2            = define("accept-mac-on-a2", "A2 APIs accept the A1 scheme (App_Secret HMAC-SM3) instead of an SM2 signature")
	SkipClientCertCheck      = define("skip-client-cert-check", "A2 calls are admitted without a client certificate bound to the App_ID")
	IgnoreKeySerial          = define("ignore-key-serial", "the gateway falls back to the app's active key when the named key serial is unknown")
	AcceptExpiredCredentials = define("accept-expired-credentials", "the gateway ignores the validity period of keys, secrets and client certificates")
	IgnoreRevocation         = define("ignore-credential-revocation", "the gateway uses a key or secret the operator revoked as if it were still active")
	IgnoreAppStatus          = define("ignore-app-status", "suspended, blacklisted and pending App_IDs are admitted")
	IgnoreScopes             = define("ignore-scopes", "an App_ID reaches APIs whose scope was not granted to it")
	NoAuthLockout            = define("no-auth-lockout", "an App_ID with repeated authentication failures is not paused")
	NoImpersonationAlarm     = define("no-impersonation-alarm", "calls naming an unknown App_ID or presenting another App_ID's certificate raise no security alarm")
	ExitKeepsCredentials     = define("exit-keeps-credentials", "an App_ID's exit leaves its credentials active instead of voiding and archiving them")
	ExitKeepsConsents        = define("exit-keeps-consents", "an App_ID's exit leaves its customers' consents and tokens as they were")
	SharedBankKey            = define("shared-bank-key", "the bank encrypts with its signing key and publishes it as its encryption certificate")
	UniformKeyValidity       = define("uniform-key-validity", "App_Secrets of A1 and A2 apps get the same validity period")
	UnpublishOldBankKeys     = define("unpublish-old-bank-keys", "after a bank key rotation only the current signing certificate is published")
)

// Set is the mutant a bank runs with (at most one; the zero Set is the correct bank).
type Set struct{ n Name }

// Parse checks a mutant name ("" is no mutant).
func Parse(s string) (Set, error) {
	if s == "" {
		return Set{}, nil
	}
	if _, ok := catalogue[Name(s)]; !ok {
		return Set{}, fmt.Errorf("unknown mutant %q; known: %s", s, strings.Join(Names(), ", "))
	}
	return Set{Name(s)}, nil
}

// Is reports whether this bank runs mutant n.
func (s Set) Is(n Name) bool { return s.n != "" && s.n == n }

// Name is the mutant's name ("" for the correct bank).
func (s Set) Name() string { return string(s.n) }

// Names lists every mutant, sorted.
func Names() []string {
	out := make([]string, 0, len(catalogue))
	for n := range catalogue {
		out = append(out, string(n))
	}
	sort.Strings(out)
	return out
}

// Describe says what a mutant breaks.
func Describe(n string) string { return catalogue[Name(n)] }
