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

// Area publish: what the bank publishes and the API lifecycle (annex B, 6.2, 7.1/6,
// 9.1.2, 10.3, 11, 12.1).
var (
	BadUAPIID            = define("bad-uapiid", "the U_API_ID generator breaks annex B, one rule per API (length, OP, type code, institution, category, sequence, reserved)")
	UAPIIDHeaderMissing  = define("uapiid-header-missing", "API answers do not echo X-JR-U-API-ID")
	CatalogueMissingAPI  = define("catalogue-missing-api", "the published U_API_ID catalogue leaves out one API that is served")
	A1Personalised       = define("a1-personalised", "A1 product answers carry data about the calling app")
	TerminatedAnswers404 = define("terminated-api-answers-404", "a terminated API answers 404 ROUTE_NOT_FOUND instead of the SERVICE_TERMINATED baffle")
	NoSunsetHeader       = define("no-sunset-header", "a deprecated API answers without Deprecation and Sunset headers")
	NoChangelogEntry     = define("no-changelog-entry", "an API state change is not written to the published change log")
	NoPartnerNotice      = define("no-partner-notice", "partners granted an API are not notified when its state changes")
	OfflineHidesRecords  = define("offline-hides-records", "call records of an API taken offline are no longer retrievable")
	ManualExampleWrong   = define("manual-example-wrong", "the developer manual's worked MAC example does not match its string to sign")
	PendingAppAdmitted   = define("pending-app-admitted", "an App_ID awaiting approval is admitted to the APIs")
	USCCUnchecked        = define("uscc-unchecked", "partner registration does not verify the unified social credit code's check character")
	MaterialsUnchecked   = define("materials-unchecked", "partner registration accepts submissions without the required identity materials")
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
