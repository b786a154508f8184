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

// ---- users area: bank-side login, consent pages, codes and tokens (7.2.1 b, 7.2.2/3a,
// 7.2.2/4, 9.2.1 b3, 9.3.1, 9.3.2, 10.2.2).
var (
	UserTokenOptional    = define("user-token-optional", "A2 account APIs answer without a user's access token")
	PagesFrameable       = define("pages-frameable", "the login, consent and portal pages are sent without anti-framing and no-store headers")
	EchoPassword         = define("echo-password", "a failed login writes the typed password back into the login form")
	NoSessionIdleTimeout = define("no-session-idle-timeout", "a bank login session never ends for inactivity")
	NoRiskNotice         = define("no-risk-notice", "the payment consent page shows no risk notice")
	PasswordOnlyPayment  = define("password-only-payment", "a payment consent is approved without its one-time code")
	RefuseGrants         = define("refuse-grants", "the user's refusal on the consent page is handled as an approval")
	CodeAnyApp           = define("code-any-app", "an authorization code can be redeemed by any App_ID")
	SkipPKCE             = define("skip-pkce", "the token endpoint does not check the PKCE code_verifier")
	CodeReuseKeepsGrant  = define("code-reuse-keeps-grant", "a code redeemed twice is refused but the tokens issued from it keep working")
	IgnoreTokenExpiry    = define("ignore-token-expiry", "access tokens are accepted after their lifetime")
	IgnoreConsentExpiry  = define("ignore-consent-expiry", "account-information consents stay in force after their validity period")
	PortalRevokeIgnored  = define("portal-revoke-ignored", "revoking a consent in the portal is confirmed but revokes nothing")
	PartnerRevokeIgnored = define("partner-revoke-ignored", "the partner's token revocation is acknowledged but revokes nothing")
)

// Area A2 account data and payments (7.2.2/3, 9.3, 10.2, 9.1.1/4).
var (
	FullAccountNumbers        = define("full-account-numbers", "account answers carry the full account number instead of the masked one")
	CrossUserAccounts         = define("cross-user-accounts", "an account query serves any account id, whoever holds it and whatever the consent covers")
	HoldingsInClear           = define("holdings-in-clear", "holdings are answered in clear instead of encrypted to the partner's key")
	AcceptPlaintextPayee      = define("accept-plaintext-payee", "a payment's payee account and name are accepted in clear")
	IgnoreConsentPaymentTerms = define("ignore-consent-payment-terms", "a payment is executed as requested, from any of the user's accounts, whatever amount and payee the user consented to")
	IgnoreLimits              = define("ignore-limits", "payments are not checked against per-transaction and daily limits")
	NoRiskReview              = define("no-risk-review", "large payments and payments to watch-listed payees execute without risk review")
	NoVelocityCheck           = define("no-velocity-check", "bursts of payments from one App_ID or account are not flagged")
	IdempotencyOff            = define("idempotency-off", "the bank ignores Idempotency-Key: every request is a new payment")
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

// Area gateway controls judged on every interface (issue 13): replay, timestamp window,
// nonce memory, client certificates, token binding, grants, level, flow control, signed
// refusals (6.2/A2, 7.2.1/a2, 7.2.2/2, 7.3.1/1, 7.3.2/1, 7.3.4/3, 9.2.1, 9.3.2/1a, 10.1.2/1a).
var (
	A2Replay               = define("a2-replay", "the nonce and timestamp checks run on A1 interfaces only: a replayed or stale A2 request is served")
	WideTimestampWindow    = define("wide-timestamp-window", "request timestamps are accepted within ±10 minutes instead of the published window")
	FutureTimestamps       = define("future-timestamps", "only a request timestamp's age is checked: any timestamp from the future is accepted")
	ShortNonceMemory       = define("short-nonce-memory", "a nonce is forgotten 5 seconds after its use instead of after the published nonce memory")
	NonceSharedAcrossApps  = define("nonce-shared-across-apps", "nonces are remembered for all App_IDs together: another App_ID's request with the same nonce is refused as a replay")
	TokenAnyApp            = define("token-any-app", "an access token is accepted from any App_ID: neither the App_ID nor the client certificate it was issued to is compared with the caller's")
	TokenCertUnbound       = define("token-cert-unbound", "an access token is accepted over any client certificate of its App_ID: the certificate binding is not checked")
	TokenScopeUnchecked    = define("token-scope-unchecked", "the scopes the user consented to are not compared with the interface's scope")
	SelfSignedClientCert   = define("self-signed-client-cert", "a client certificate carrying a valid App_ID is accepted without checking its chain to the bank's CA")
	RevokedClientCert      = define("revoked-client-cert", "a registered client certificate the operator revoked is still accepted")
	LevelCheckAccountsOnly = define("level-check-accounts-only", "an A1 App_ID is refused on the A2 account interfaces only: payments, holdings and the token service admit it")
	ScopePrefixMatch       = define("scope-prefix-match", "an App_ID's grants are compared by resource only: payments:read admits payments:write")
	SecretExpiryUnchecked  = define("secret-expiry-unchecked", "an App_Secret past its validity is still accepted (the validity of SM2 keys and certificates is checked)")
	OffByOneRateLimit      = define("off-by-one-rate-limit", "flow control admits one call more than the App_ID's burst")
	UnsignedRefusals       = define("unsigned-refusals", "refused API calls (4xx answers) are answered without the bank's SM2 signature")
)

// Issue 13, users' and money controls (features/bank/controls.yaml: masking, account
// scope, consent use and validity, idempotency scope, payment terms, one-time codes,
// password lockout, audit records): each breaks one control the way a real bank would.
var (
	ConsentPaysTwice          = define("consent-pays-twice", "a single-use payment consent pays again under a new Idempotency-Key")
	SharedIdempotencyKeys     = define("shared-idempotency-keys", "one Idempotency-Key namespace for all App_IDs: another app's payment under the same key is answered with the first app's")
	PayeeNameUnbound          = define("payee-name-unbound", "a payment to the consented payee account is executed under another payee name")
	ConsentValidityDayLate    = define("consent-validity-day-late", "account-information consents end a day after the validity the user agreed to")
	OTPAnyPayment             = define("otp-any-payment", "one payment code per customer: a code sent to confirm one payment confirms another")
	OTPUnlimitedAttempts      = define("otp-unlimited-attempts", "one-time codes take any number of wrong guesses")
	OTPAttemptsResetOnReissue = define("otp-attempts-reset-on-reissue", "a re-issued one-time code starts with fresh attempts: asking for a new code renews the guesses")
	OTPNeverExpires           = define("otp-never-expires", "one-time codes are accepted after their lifetime")
	OTPSendUncapped           = define("otp-send-uncapped", "one-time codes are sent without a cap per step or per hour")
	NoPasswordLockout         = define("no-password-lockout", "failed logins never lock: unlimited password guesses")
	LockoutPerUsername        = define("lockout-per-username", "failed logins lock the username in every browser: a stranger locks the victim out")
	LockoutPerBrowserOnly     = define("lockout-per-browser-only", "failed logins lock only the browser that made them: each new browser gets new guesses")
	GroupedDigits             = define("grouped-digits", "account answers carry the full card number with spaces between its groups of four")
	UnmaskedPayeeName         = define("unmasked-payee-name", "payment answers carry the payee's name in full")
	UnmaskedCounterparty      = define("unmasked-counterparty", "transaction history shows payees' names in full")
	UnmaskedMobile            = define("unmasked-mobile", "the login code page shows the full mobile number the code went to")
	TransactionsAnyAccount    = define("transactions-any-account", "transaction history serves any account id, whoever holds it (details and balance still refuse)")
	PagingLeaksAccounts       = define("paging-leaks-accounts", "pages after the first of a transaction history draw on all the customer's accounts")
	AuditZeroDuration         = define("audit-zero-duration", "audit records carry a call duration of zero")
	AuditLocalTimeAsUTC       = define("audit-local-time-as-utc", "audit records carry Beijing time marked as UTC, eight hours off")
)

// Area hardening (issue 14): what a 600-case attack found — credentials in the audit
// log, lenient bodies and HTTP, internal type names, unbounded fields, admin brute
// force, HSTS, session tickets, PKCE edges (7.1/7, 7.2.2/1, 7.3.3, 9.2.2/3, 10.1.2/1b,
// 10.2.2/1, 12.3/2).
var (
	AuditKeepsCredentials = define("audit-keeps-credentials", "audit excerpts keep the token and revoke bodies in clear: codes, PKCE verifiers, tokens")
	LenientJSON           = define("lenient-json", "bodies are decoded by plain encoding/json: trailing data, duplicate keys, case-variant names and invalid UTF-8 pass")
	AnyMediaType          = define("any-media-type", "a request body's Content-Type is not checked: text/plain, XML, a form or none are read as the interface's format")
	TypeNamesInErrors     = define("type-names-in-errors", "body errors carry encoding/json's message, internal Go type names included")
	UnboundedFields       = define("unbounded-fields", "admin and registration fields are unbounded: rate_rps 1e308, wildcard redirect URIs, control characters in names, audit limit -1 read as 100")
	LenientHTTP           = define("lenient-http", "request lines naming HTTP/2.0, obs-folded headers and header names with spaces are served")
	NoAdminThrottle       = define("no-admin-throttle", "wrong admin tokens are never throttled and raise no alarm")
	NoHSTS                = define("no-hsts", "answers carry no Strict-Transport-Security header")
	LongSessionTickets    = define("long-session-tickets", "the bank issues TLS session tickets valid for 7 days")
	PKCEMissingAsInvalid  = define("pkce-missing-as-invalid", "a code exchange without code_verifier is answered PKCE_VERIFIER_INVALID instead of PKCE_REQUIRED")
	PKCEFailureKeepsCode  = define("pkce-failure-keeps-code", "an authorization code survives a failed PKCE check and can be redeemed again")
)

// Area mutation holes (issue 13 item 4): defects of the kinds the uncorrelated mutation
// test found the suite blind to, each now judged by a scenario (9.2.1, 9.3.1/3, 7.2.2/1,
// 7.3.4, 10.2.2).
var (
	AdminUnknownAppEmpty    = define("admin-unknown-app-empty", "the operator's interfaces take an App_ID that does not exist for an empty app instead of answering 404")
	DuplicateKeySilent      = define("duplicate-key-silent", "a key registered twice for an App_ID is answered 201 while nothing new is stored")
	AuthorizeAnyKind        = define("authorize-any-kind", "an authorization request of an unknown consent_type is taken as an account-information request")
	RegistrationKeysIgnored = define("registration-keys-ignored", "the keys submitted with a registration are not certified: the partner gets no certificates")
	CSRUnchecked            = define("csr-unchecked", "a certificate request is not checked before the App_ID is created: a bad one fails the registration with 500 and leaves the App_ID behind")
	PayeeNameOffByOne       = define("payee-name-off-by-one", "a payee name of exactly the 100-byte maximum is refused")
	SelfPayment             = define("self-payment", "a payment whose payee is its own debit account is executed")
	IdempotencyKeyAnyChar   = define("idempotency-key-any-char", "an Idempotency-Key of any characters is accepted")
	RefreshNotRotated       = define("refresh-not-rotated", "a refresh token already rotated is answered 200 again instead of REFRESH_TOKEN_REUSED, and the grant is not ended")
	UnknownSessionExpired   = define("unknown-session-expired", "a session token the bank never issued is answered as a session that expired")
	MinNonceRefused         = define("min-nonce-refused", "a nonce of exactly the published minimum length is refused as malformed")
	UnknownGrantError       = define("unknown-grant-error", "a code or refresh token the bank never issued makes the token endpoint fail with 500")
)

// Issue 15, faults without silent damage: business changes and their audit records,
// notifications (7.3.3/1, 12.3/1, 10.2.3/4).
var (
	PaymentUnjournaled      = define("payment-unjournaled", "a payment's status changes are not written to the audit log in the payment's transaction: money moves with only the access record")
	NotifyWithoutRequestIDs = define("notify-without-request-ids", "payment notifications carry neither the payment's Idempotency-Key nor its consent id")
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
