package problem

// The catalogue. Codes are stable: partners match on them. The clause is the
// requirement of JR/T 0185-2020 that the check enforces.
var (
	// Request shape and routing (7.2.2/1: 接口版本、参数格式等要素是否与平台设计保持一致).
	RouteNotFound         = define("ROUTE_NOT_FOUND", 404, "7.2.2/1", "No API at this path")
	MethodNotAllowed      = define("METHOD_NOT_ALLOWED", 405, "7.2.2/1", "Method not allowed for this API")
	APIVersionUnsupported = define("API_VERSION_UNSUPPORTED", 400, "7.2.2/1", "API version not supported")
	ParameterInvalid      = define("PARAMETER_INVALID", 400, "7.2.2/1", "A request parameter is invalid")
	BodyInvalid           = define("BODY_INVALID", 400, "7.2.2/1", "The request body is invalid")
	BodyTooLarge          = define("BODY_TOO_LARGE", 413, "7.3.2/1", "The request body is too large")
	HeaderTooLarge        = define("HEADERS_TOO_LARGE", 431, "7.3.2/1", "The request headers are too large")
	UnsupportedMediaType  = define("UNSUPPORTED_MEDIA_TYPE", 415, "7.2.2/1", "Content-Type not supported")

	// Partner authentication (7.2.1 a), 9.2.1 b), 9.2.2).
	AuthMissing          = define("AUTH_MISSING", 401, "9.2.1/b1", "Authorization header missing")
	AuthMalformed        = define("AUTH_MALFORMED", 401, "9.2.1/b1", "Authorization header malformed")
	AuthSchemeNotAllowed = define("AUTH_SCHEME_NOT_ALLOWED", 401, "9.2.1/b2", "Authorization scheme not allowed for this API level")
	AppUnknown           = define("APP_UNKNOWN", 401, "9.2.1/a2", "Unknown App_ID")
	KeySerialUnknown     = define("KEY_SERIAL_UNKNOWN", 401, "9.2.1/a1", "Unknown or inactive key serial for this App_ID")
	KeyExpired           = define("KEY_EXPIRED", 401, "7.3.4/3", "The key or secret for this serial has expired")
	SignatureInvalid     = define("SIGNATURE_INVALID", 401, "9.2.2/2", "Signature does not verify")
	MACInvalid           = define("MAC_INVALID", 401, "9.2.2/1", "MAC does not verify")
	TimestampOutOfWindow = define("TIMESTAMP_OUT_OF_WINDOW", 401, "7.2.2/2", "Timestamp outside the accepted window")
	NonceReplayed        = define("NONCE_REPLAYED", 401, "7.2.2/2", "Nonce already used")

	// Mutual TLS for A2 (7.2.1 a2, 9.2.1 b2).
	ClientCertRequired    = define("CLIENT_CERT_REQUIRED", 401, "7.2.1/a2", "A2 APIs require a client certificate (mutual TLS)")
	ClientCertInvalid     = define("CLIENT_CERT_INVALID", 401, "9.2.1/b2", "Client certificate not trusted, expired or revoked")
	ClientCertAppMismatch = define("CLIENT_CERT_APP_MISMATCH", 403, "9.2.1/b2", "Client certificate belongs to another App_ID")

	// Bank-hosted pages: a form posted without the token bound to this browser (CSRF).
	FormTokenInvalid = define("FORM_TOKEN_INVALID", 403, "7.3.2/1", "The form token is missing or does not belong to this browser's session; reload the page and try again")

	// A payment must be exactly what the user consented to at the bank (10.2.2/2).
	PaymentNotConsented = define("PAYMENT_NOT_CONSENTED", 403, "10.2.2/2", "The payment differs from what the user consented to")

	// App status and authorization (9.2.1 a2, 7.3.1, 9.3.2, 10.1.2).
	AppPending      = define("APP_PENDING_REVIEW", 403, "9.1.1/1", "App not yet approved")
	AppSuspended    = define("APP_SUSPENDED", 403, "9.2.1/a2", "App suspended")
	AppBlacklisted  = define("APP_BLACKLISTED", 403, "10.1.2/1d", "App blacklisted")
	AppExited       = define("APP_EXITED", 403, "9.4/1", "App has exited; its credentials are void")
	AppAuthLocked   = define("APP_AUTH_LOCKED", 403, "10.1.2/1b", "Paused after repeated authentication failures")
	ScopeNotGranted = define("SCOPE_NOT_GRANTED", 403, "7.3.1/1", "API not granted to this app")

	// Flow control (10.1.2/1a).
	RateLimited        = define("RATE_LIMITED", 429, "10.1.2/1a", "Too many requests per second for this app")
	ConcurrencyLimited = define("CONCURRENCY_LIMITED", 429, "10.1.2/1a", "Too many concurrent calls for this app")
	AppThrottled       = define("APP_THROTTLED", 429, "10.2.1/2", "Business calls of this app are throttled after an abnormal pattern; see the bank's event notice")

	// API lifecycle (11/3: 下线之前应设置挡板).
	ServiceTerminated = define("SERVICE_TERMINATED", 410, "11/3", "This API has been terminated")

	// Products (6.2 A1).
	ProductNotFound = define("PRODUCT_NOT_FOUND", 404, "6.2/A1", "No product with this code")

	// Administration.
	AdminUnauthorized = define("ADMIN_UNAUTHORIZED", 401, "", "Admin token missing or wrong")
	AdminNotFound     = define("NOT_FOUND", 404, "", "No such resource")
	StateConflict     = define("STATE_CONFLICT", 409, "", "Not allowed in the resource's current state")

	// Server side. A 500 says nothing internal (7.1/7).
	Internal    = define("INTERNAL_ERROR", 500, "7.1/7", "Internal error")
	Unavailable = define("SERVICE_UNAVAILABLE", 503, "10.1.2/1c", "Service temporarily unavailable")
)

// Consent, tokens and one-time codes (A2).
var (
	// One-time codes: the second factor of the bank-side login and of payment
	// confirmation (7.2.1 b) 2)).
	OTPRequired        = define("OTP_REQUIRED", 401, "7.2.1/b2", "A one-time code is required for this step")
	OTPInvalid         = define("OTP_INVALID", 401, "7.2.1/b2", "The one-time code is wrong")
	OTPExpired         = define("OTP_EXPIRED", 401, "7.2.1/b2", "The one-time code has expired")
	OTPUsed            = define("OTP_USED", 401, "7.2.1/b2", "The one-time code was already used")
	OTPTooManyAttempts = define("OTP_TOO_MANY_ATTEMPTS", 403, "7.2.1/b2", "Too many wrong attempts; request a new one-time code")
	// OTPSendLimited: the bank sends a step (a pending login, one payment authorization)
	// a few codes at most, and one App_ID's payment codes to one customer are capped per
	// hour — a guess budget that a re-issue does not renew, and no flood of texts.
	OTPSendLimited = define("OTP_SEND_LIMITED", 429, "7.2.1/b2", "Too many one-time codes were sent for this step or this hour")

	// Bank-side login sessions (9.3.1). LOGIN_FAILED never says whether the username exists.
	LoginFailed    = define("LOGIN_FAILED", 401, "9.3.1/1", "Username or password is wrong")
	LoginLocked    = define("LOGIN_LOCKED", 403, "9.3.1/1", "Login paused after repeated failures")
	SessionInvalid = define("SESSION_INVALID", 401, "9.3.1/3", "No valid login session; log in again")
	SessionExpired = define("SESSION_EXPIRED", 401, "9.3.1/3", "The login session ended after inactivity or reached its maximum lifetime")

	// Authorization requests and codes: OAuth 2.0 with PKCE (10.2.2/1: the user's own authorization).
	RedirectURIMismatch   = define("REDIRECT_URI_MISMATCH", 400, "10.2.2/1", "redirect_uri is not one registered for this App_ID")
	PKCERequired          = define("PKCE_REQUIRED", 400, "10.2.2/1", "PKCE code_challenge is required")
	PKCEMethodUnsupported = define("PKCE_METHOD_UNSUPPORTED", 400, "10.2.2/1", "Only the S256 code_challenge_method is accepted")
	PKCEVerifierInvalid   = define("PKCE_VERIFIER_INVALID", 400, "10.2.2/1", "code_verifier does not match the code_challenge")
	AuthRequestInvalid    = define("AUTH_REQUEST_INVALID", 400, "10.2.2/1", "Authorization request unknown, expired or already decided")
	AuthCodeInvalid       = define("AUTH_CODE_INVALID", 400, "10.2.2/1", "Authorization code unknown or issued to another App_ID")
	AuthCodeExpired       = define("AUTH_CODE_EXPIRED", 400, "9.2.1/b3", "Authorization code expired")
	AuthCodeUsed          = define("AUTH_CODE_USED", 400, "10.2.2/1", "Authorization code already used; the tokens issued from it are revoked")

	// Tokens (9.2.1 b) 3) lifetimes, b) 4) revocation; bound to App_ID and certificate).
	TokenInvalid        = define("TOKEN_INVALID", 401, "9.3.2/1b", "Access token missing or unknown")
	TokenExpired        = define("TOKEN_EXPIRED", 401, "9.2.1/b3", "Access token expired")
	TokenRevoked        = define("TOKEN_REVOKED", 401, "9.2.1/b4", "Token revoked")
	TokenAppMismatch    = define("TOKEN_APP_MISMATCH", 403, "9.3.2/1a", "Token was issued to another App_ID")
	TokenCertMismatch   = define("TOKEN_CERT_MISMATCH", 401, "7.2.1/a2", "Token is bound to another client certificate")
	RefreshTokenInvalid = define("REFRESH_TOKEN_INVALID", 400, "9.2.1/b3", "Refresh token unknown, expired or issued to another App_ID")
	RefreshTokenReused  = define("REFRESH_TOKEN_REUSED", 400, "9.2.1/b4", "Refresh token already rotated; the whole grant is revoked")

	// Consents (9.3.2 权限控制).
	ConsentExpired    = define("CONSENT_EXPIRED", 403, "9.3.2/1c", "The user's consent has expired")
	ConsentRevoked    = define("CONSENT_REVOKED", 403, "9.3.2/2", "The consent was revoked")
	ConsentUsed       = define("CONSENT_USED", 403, "9.3.2/1c", "The single-use consent was already used")
	ConsentNotFound   = define("CONSENT_NOT_FOUND", 404, "9.3.2/2", "No such consent")
	ScopeNotConsented = define("SCOPE_NOT_CONSENTED", 403, "9.3.2/1a", "The user did not consent to this scope")
	AccountNotFound   = define("ACCOUNT_NOT_FOUND", 404, "9.3.2/1a", "No such account")
)

// Payments and ledger (A2).
var (
	// Idempotency keys, scoped to the App_ID: a retry is never a second payment the user
	// did not intend (10.2.2/2).
	IdempotencyKeyInvalid = define("IDEMPOTENCY_KEY_INVALID", 400, "7.2.2/1", "Idempotency key missing or malformed (1 to 64 of A-Z a-z 0-9 - _ . :)")
	IdempotencyKeyReused  = define("IDEMPOTENCY_KEY_REUSED", 422, "10.2.2/2", "Idempotency key already used with a different request body")
	IdempotencyInProgress = define("IDEMPOTENCY_IN_PROGRESS", 409, "10.2.2/2", "A request with this idempotency key is still being processed")

	// Payment requests (10.2.2/2: the debit account is the consenting user's own).
	PaymentNotFound           = define("PAYMENT_NOT_FOUND", 404, "9.3.2/1a", "No payment with this id for this app")
	PayerAccountNotAuthorized = define("PAYER_ACCOUNT_NOT_AUTHORIZED", 403, "10.2.2/2", "The debit account is not one the consenting user holds")
	PayeeAccountInvalid       = define("PAYEE_ACCOUNT_INVALID", 422, "7.2.2/1", "Payee account number is not valid")
	PayeeAccountUnavailable   = define("PAYEE_ACCOUNT_UNAVAILABLE", 422, "", "The payee account cannot receive funds (closed or frozen)")
	PayeeNameMismatch         = define("PAYEE_NAME_MISMATCH", 422, "", "Payee name does not match the holder of the payee account")
	CurrencyUnsupported       = define("CURRENCY_UNSUPPORTED", 422, "7.2.2/1", "Currency not supported for this account")
	LimitExceeded             = define("LIMIT_EXCEEDED", 422, "10.2.1/3", "A transaction limit would be exceeded")
	PaymentConfirmationFailed = define("PAYMENT_CONFIRMATION_FAILED", 422, "10.2.2/2", "The payer's confirmation of this payment could not be verified")

	// Ledger refusals, also the failure codes of payments that could not be executed.
	InsufficientFunds = define("INSUFFICIENT_FUNDS", 422, "", "Insufficient funds in the debit account")
	AccountFrozen     = define("ACCOUNT_FROZEN", 422, "", "The account is frozen")
	AccountInactive   = define("ACCOUNT_INACTIVE", 422, "", "The account is not active")
)

// Hardening (issue 14): HTTP framing and the operator's API under brute force.
var (
	// A request that is not well-formed HTTP/1.1 (request line, header names, folded
	// headers, chunked framing): refused whole, never guessed at (7.2.2/1).
	RequestMalformed = define("REQUEST_MALFORMED", 400, "7.2.2/1", "The request is not well-formed HTTP/1.1")
	// Repeated wrong admin tokens from one client address: every admin call from it is
	// refused for a while, and the bank raises a security alarm (10.1.2/1b).
	AdminThrottled = define("ADMIN_THROTTLED", 429, "10.1.2/1b", "Too many wrong admin tokens from this address; retry later")
)

// Faults without silent damage (issue 15): the storage under the bank failed.
var (
	// The disk is full, read-only or failing: nothing was changed (the change and its
	// audit record commit together or not at all, 12.3/1), and the same request may be
	// retried after Retry-After seconds (10.1.2/1c).
	StorageUnavailable = define("STORAGE_UNAVAILABLE", 503, "10.1.2/1c", "The bank's storage is temporarily unavailable; nothing was changed, retry later")
)

// StorageRetryAfter is the Retry-After of StorageUnavailable, in seconds.
const StorageRetryAfter = 5
