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
