package refpartner

import (
	"fmt"
	"sort"
	"time"
)

// Mutant partners: the reference partner with exactly ONE behaviour broken, checked
// with a small `if` where that behaviour lives in this package (the SDK has no broken
// modes; mutants configure it, or bypass a part of it, as a careless integration
// would). The partner-side suite must catch every one of them.
const (
	IgnoreSignatures         = "ignore-signatures"
	AcceptUnsigned           = "accept-unsigned"
	AcceptProbeNotifications = "accept-probe-notifications"
	LogsFullNumbers          = "logs-full-numbers"
	LogsHoldings             = "logs-holdings"
	NoCircuitBreaker         = "no-circuit-breaker"
	GlobalCircuit            = "global-circuit"
	IgnoresRetryAfter        = "ignores-retry-after"
	ReusesNonces             = "reuses-nonces"
	RawSignature             = "raw-signature"
	MACOnA2                  = "mac-on-a2"
	NoClientCert             = "no-client-cert"
	TLS11                    = "tls-1-1"
	NewIdempotencyKeyOnRetry = "new-idempotency-key-on-retry"
	ScopeCreep               = "scope-creep"
	CallsBeforeConsent       = "calls-before-consent"
	HammersAfterRevocation   = "hammers-after-revocation"
	NoTokenRefresh           = "no-token-refresh"
	PlaintextPayee           = "plaintext-payee"
	SameKeySignEnc           = "same-key-sign-enc"
	NoPKCE                   = "no-pkce"
	NoKeyRefresh             = "no-key-refresh"
	NoAlarms                 = "no-alarms"
	NoHistory                = "no-history"
	NoAccessLog              = "no-access-log"

	// The bank as adversary (issue 12): one answer kind, one check or one transport
	// control left out.
	InsecureTLS         = "insecure-tls"
	NoHostnameCheck     = "no-hostname-check"
	SkipVerifyPayments  = "skip-verify-payments"
	SkipVerifyToken     = "skip-verify-token" // #nosec G101 -- a mutant's name, not a credential
	SkipVerifyErrors    = "skip-verify-errors"
	AcceptUnknownSerial = "accept-unknown-serial"
	IgnoreKeyValidity   = "ignore-key-validity"
	// OAuth state, secrets, time (issue 12: partner obligations).
	NoStateCheck             = "no-state-check"
	FixedState               = "fixed-state"
	AcceptsUsedState         = "accepts-used-state"
	ExchangesOnErrorRedirect = "exchanges-on-error-redirect"
	LogsSecrets              = "logs-secrets"
	LogsCodes                = "logs-codes"
	HistoryFullNumbers       = "history-full-numbers"
	FrozenTimestamp          = "frozen-timestamp"
	NoTimeout                = "no-timeout"
	NewKeyAfterTimeout       = "new-key-after-timeout"
	MACWrongKey              = "mac-wrong-key"
	LogsTokens               = "logs-tokens"
)

const (
	hammerAttempts = 6                       // how often hammers-after-revocation repeats a refused call
	mutantNonce    = "refpartner0nce0001"    // the one nonce reuses-nonces sends
	mutantState    = "refpartner-state-0001" // the one state fixed-state sends
	mutantTimeout  = 2 * time.Minute         // how long no-timeout waits for an answer
)

var mutants = map[string]string{ // #nosec G101 -- mutant names and descriptions, not credentials
	IgnoreSignatures:         "acts on bank answers whose signature does not verify (tampered body or signature, unknown serial)",
	AcceptUnsigned:           "acts on bank answers that carry no signature at all (still refuses badly signed ones)",
	AcceptProbeNotifications: "accepts (204) and records notifications whatever their signature, raising no alarm",
	LogsFullNumbers:          "writes the payee's full account number (and any full number it is given) to its log",
	LogsHoldings:             "writes the decrypted holdings to its log",
	NoCircuitBreaker:         "never opens its circuit: keeps calling a failing bank",
	GlobalCircuit:            "one failing interface opens the circuit for every interface (no fault isolation)",
	IgnoresRetryAfter:        "retries 429 and 503 answers at once instead of waiting Retry-After",
	ReusesNonces:             "sends the same nonce with every request",
	RawSignature:             "signs A2 requests with a raw r||s SM2 signature instead of DER",
	MACOnA2:                  "authenticates A2 requests with the A1 HMAC-SM3 scheme instead of an SM2 signature",
	NoClientCert:             "presents no client certificate (no mutual TLS)",
	TLS11:                    "offers at most TLS 1.1",
	NewIdempotencyKeyOnRetry: "retries a payment with a new Idempotency-Key each time (may pay twice)",
	ScopeCreep:               "balance also fetches the account's transactions, which the user did not consent to",
	CallsBeforeConsent:       "calls account APIs without a linked user instead of answering not_linked",
	HammersAfterRevocation:   "after the consent is revoked keeps retrying and keeps calling on later actions",
	NoTokenRefresh:           "answers relink_required on an expired access token instead of refreshing it",
	PlaintextPayee:           "sends the payee in the clear instead of sealed to the bank's encryption certificate",
	SameKeySignEnc:           "uses one SM2 key for signing and for encryption",
	NoPKCE:                   "starts authorizations without a PKCE code challenge (and exchanges codes without a verifier)",
	NoKeyRefresh:             "never fetches the bank's published signing certificates: fails after a bank key rotation",
	NoAlarms:                 "raises no alarms (circuit opened, integrity failures, bad notifications, token problems)",
	NoHistory:                "keeps no record of its user's operations (history is empty)",
	NoAccessLog:              "logs nothing about its calls to the bank",

	InsecureTLS:              "turns off TLS certificate verification (InsecureSkipVerify): talks to any server claiming to be the bank",
	NoHostnameCheck:          "checks that the bank's TLS certificate chains to the CA but not that it names the bank's host",
	SkipVerifyPayments:       "acts on payment answers (create, status) whose signature does not verify",
	SkipVerifyToken:          "acts on token, refresh and revoke answers whose signature does not verify",
	SkipVerifyErrors:         "acts on error answers as they come, without verifying their signature",
	AcceptUnknownSerial:      "when an answer names a key serial it cannot resolve, tries the bank keys it knows instead",
	IgnoreKeyValidity:        "keeps only the bank's public keys by serial, not their certificates: accepts a retired (expired) key",
	NoStateCheck:             "exchanges the code of any redirect, whatever its state (and finishes a payment with any redirect)",
	FixedState:               "sends the same state with every authorization",
	AcceptsUsedState:         "accepts a redirect carrying the state of an authorization it already finished",
	ExchangesOnErrorRedirect: "ignores the error of the bank's redirect and exchanges the code it carries",
	LogsSecrets:              "writes its App_Secret and the user's access and refresh tokens on every access-log line",
	LogsCodes:                "logs the authorization code and the PKCE verifier it exchanges",
	HistoryFullNumbers:       "keeps the payee's full account number in its history",
	FrozenTimestamp:          "takes its request timestamp once, when its client is built (configure, reset), and sends it on every request",
	NoTimeout:                "waits as long as the bank takes for an answer (2 minutes) instead of giving up after 5 s",
	NewKeyAfterTimeout:       "retries a payment whose answer timed out with a new Idempotency-Key (pays twice)",
	MACWrongKey:              "computes the A1 HMAC-SM3 with the App_Secret itself instead of the key derived from it and the App_ID",
	LogsTokens:               "logs the access and refresh tokens the bank issues it (nothing else secret: only their fingerprints show them)",
}

// Mutant is a registered mutant: its name and what it breaks.
type Mutant struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Mutants lists the registered mutants by name.
func Mutants() []Mutant {
	out := make([]Mutant, 0, len(mutants))
	for n, d := range mutants {
		out = append(out, Mutant{Name: n, Description: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func checkMutant(name string) error {
	if name == "" {
		return nil
	}
	if _, ok := mutants[name]; !ok {
		return fmt.Errorf("refpartner: unknown mutant %q (see Mutants())", name)
	}
	return nil
}

// is reports whether the partner is the named mutant.
func (p *Partner) is(name string) bool { return p.opts.Mutant == name }
