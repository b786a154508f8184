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

// Service area: input validation, monitoring, flow control, faults, audit (7.1/7,
// 7.2.2/1, 7.3.3, 8/2, 10.1.1, 10.1.2, 10.2.1/2, 12.3).
var (
	LeakStackTrace       = define("leak-stack-trace", "error answers carry the Go stack trace and the server software's name and version")
	UnvalidatedParams    = define("unvalidated-params", "the gateway accepts unknown, repeated and malformed query parameters")
	NoRateLimit          = define("no-rate-limit", "flow control admits every call whatever the App_ID's rate and concurrency limits")
	NoAuditRecord        = define("no-audit-record", "refused API calls are not written to the audit log")
	AuditWithoutRequest  = define("audit-without-request-id", "audit records do not carry the request id (交易流水号) returned to the caller")
	AuditUnmaskedExcerpt = define("audit-unmasked-excerpt", "the audit record keeps the submitted message with card and ID numbers in clear")
	AuditUnchained       = define("audit-unchained", "audit record hashes leave out the previous record: the log is not a chain")
	NoMetrics            = define("no-metrics", "API calls are not counted in the Prometheus metrics")
	NoAlarms             = define("no-alarms", "no alarm is ever raised (flow control, faults, error-rate surges, risk rules)")
	FaultsTakeDownAll    = define("faults-take-down-all-apis", "a fault injected behind one interface hits every interface of the App_ID")
	NoBusinessThrottle   = define("no-business-throttle", "an App_ID with an abnormal pattern of failed business calls is not throttled")
	ShortLogRetention    = define("short-log-retention", "the online audit log serves only the last 180 days")
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
