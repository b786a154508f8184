package server

// routeDocs documents every route the server registers besides the catalogued A1/A2
// APIs (those are documented from the catalogue, see openapi.go). Documenting a new
// route is one line here; TestOpenAPIDocumentsEveryRoute fails, naming the route, when
// a registered route has no line (or a line names a route that is not registered).
//
// JR/T 0185-2020 12.1/3: 发布其商业银行应用程序接口内容，并及时更新 — the bank publishes
// all of its interfaces, including the user pages, the operator and test-control API.
var routeDocs = []routeDoc{
	// Published documents and certificates (12.1/3, 12.1/5).
	{"GET", "/", tagDocs, "Home page: the U_API_ID catalogue and links to the documentation", authNone, outHTML, inNone, false},
	{"GET", "/docs/apis", tagDocs, "The U_API_ID catalogue (annex B): every API with its level, scope and lifecycle", authNone, outHTML, inNone, false},
	{"GET", "/docs/apis.json", tagDocs, "The U_API_ID catalogue as JSON", authNone, outJSON, inNone, false},
	{"GET", "/docs/errors", tagDocs, "The error catalogue: every code the bank answers, with its HTTP status and clause", authNone, outHTML, inNone, false},
	{"GET", "/docs/errors.json", tagDocs, "The error catalogue as JSON", authNone, outJSON, inNone, false},
	{"GET", "/docs/limits.json", tagDocs, "Every window, limit and counter of the bank's controls (timestamp window, nonce memory, lockouts, flow control)", authNone, outJSON, inNone, false},
	{"GET", "/docs/manual", tagDocs, "The developer manual: security integration requirements, signing and encryption specification, worked test vectors, test environment", authNone, outHTML, inNone, false},
	{"GET", "/docs/manual/vectors.json", tagDocs, "The manual's worked test vectors and the openssl commands that reproduce them, as JSON", authNone, outJSON, inNone, false},
	{"GET", "/docs/openapi.json", tagDocs, "This OpenAPI 3.1 document", authNone, outJSON, inNone, false},
	{"GET", "/docs/magic-values", tagDocs, "Magic values: test users, amounts and payees that reach every unhappy path", authNone, outHTML, inNone, false},
	{"GET", "/docs/magic-values.json", tagDocs, "The magic values as JSON", authNone, outJSON, inNone, false},
	{"GET", "/docs/changelog", tagDocs, "The API change log and deprecation notices", authNone, outHTML, inNone, false},
	{"GET", "/docs/changelog.json", tagDocs, "The API change log as JSON", authNone, outJSON, inNone, false},
	{"GET", "/pki/bank-sign.crt", tagPKI, "The bank's current response-signing certificate (SM2)", authNone, outPEM, inNone, false},
	{"GET", "/pki/bank-sign-certs.pem", tagPKI, "Every bank signing certificate still to be accepted (current first; several during a key rotation)", authNone, outPEM, inNone, false},
	{"GET", "/pki/bank-enc.crt", tagPKI, "The bank's SM2 encryption certificate, for fields a partner encrypts to the bank (7.2.2/3, 7.3.4/1)", authNone, outPEM, inNone, false},
	{"POST", "/partners/v1/registrations", tagPartners, "Self-service partner registration with identity materials (9.1.2) and, optionally, a CSR (mTLS client certificate) and SM2 public keys certified for the App_ID; pending until reviewed unless partner_auto_approve", authNone, outJSON, inJSON, false},
	{"GET", "/partners/register", tagPartners, "The self-service registration page (form)", authNone, outHTML, inNone, false},
	{"POST", "/partners/register", tagPartners, "Submit the registration form; the result page shows the App_ID, the certificates and the App_Secret once", authNone, outHTML, inForm, false},

	// Health and monitoring (10.1.1).
	{"GET", "/healthz", tagHealth, "Liveness", authNone, outJSON, inNone, false},
	{"GET", "/readyz", tagHealth, "Readiness: storage reachable and the server accepting", authNone, outJSON, inNone, false},
	{"GET", "/metrics", tagHealth, "Prometheus metrics (for the bank's monitoring platform; admin token)", authAdmin, outText, inNone, false},

	// The user's pages at the bank: login with password and one-time code, consent,
	// the authorization portal (9.3.1, 9.3.2). Forms carry a CSRF token.
	{"GET", "/oauth/authorize", tagUser, "Start of an authorization (OAuth 2.0 code + PKCE S256): sends the user to log in, then to the consent page", authNone, outRedirect, inNone, false},
	{"GET", "/oauth/consent", tagUser, "The consent page: what the app asks for, the accounts to grant", authUser, outHTML, inNone, false},
	{"POST", "/oauth/consent", tagUser, "The user's decision (grant or refuse); redirects to the app with a code or an error", authUser, outRedirect, inForm, false},
	{"POST", "/oauth/consent/code", tagUser, "Send the payment confirmation code to the user's phone", authUser, outHTML, inForm, false},
	{"GET", "/login", tagUser, "Login page (first factor: password)", authNone, outHTML, inNone, false},
	{"POST", "/login", tagUser, "Password submitted; on success the one-time code is sent to the user's phone", authNone, outRedirect, inForm, false},
	{"GET", "/login/otp", tagUser, "One-time code page (second factor)", authNone, outHTML, inNone, false},
	{"POST", "/login/otp", tagUser, "One-time code submitted; on success the user's session starts", authNone, outRedirect, inForm, false},
	{"POST", "/login/otp/resend", tagUser, "Send a new one-time code", authNone, outRedirect, inForm, false},
	{"GET", "/portal", tagUser, "The user's authorization portal: every consent given, with revocation", authUser, outHTML, inNone, false},
	{"POST", "/portal/consents/{id}/revoke", tagUser, "Revoke a consent (its tokens stop working at once)", authUser, outRedirect, inForm, false},
	{"POST", "/logout", tagUser, "End the user's session", authUser, outRedirect, inForm, false},
	{"GET", "/phone", tagTest, "The simulated phone: one-time and confirmation codes sent to a test user (sandbox mode)", authNone, outHTML, inNone, true},

	// The operator's API (admin token).
	{"GET", "/admin/v1/apps", tagAdmin, "List apps", authAdmin, outJSON, inNone, false},
	{"POST", "/admin/v1/apps", tagAdmin, "Register an app (App_ID, App_Secret, certificates)", authAdmin, outJSON, inJSON, false},
	{"GET", "/admin/v1/apps/{id}", tagAdmin, "One app", authAdmin, outJSON, inNone, false},
	{"POST", "/admin/v1/apps/{id}/actions/{action}", tagAdmin, "Approve, suspend, resume or close an app", authAdmin, outJSON, inJSON, false},
	{"PUT", "/admin/v1/apps/{id}/scopes", tagAdmin, "Set the app's granted scopes", authAdmin, outJSON, inJSON, false},
	{"PUT", "/admin/v1/apps/{id}/limits", tagAdmin, "Set the app's rate limits (flow control)", authAdmin, outJSON, inJSON, false},
	{"POST", "/admin/v1/apps/{id}/secrets", tagAdmin, "Rotate the app's App_Secret (shown once)", authAdmin, outJSON, inJSON, false},
	{"POST", "/admin/v1/apps/{id}/credentials", tagAdmin, "Add a signing or client certificate to the app", authAdmin, outJSON, inJSON, false},
	{"DELETE", "/admin/v1/apps/{id}/credentials/{serial}", tagAdmin, "Revoke one of the app's credentials by serial", authAdmin, outJSON, inNone, false},
	{"POST", "/admin/v1/apps/{id}/exit", tagAdmin, "The app exits: credentials revoked, tokens and consents ended", authAdmin, outJSON, inJSON, false},
	{"GET", "/admin/v1/apps/{id}/notices", tagAdmin, "API change notices sent to the app (10.3/1, 11/1)", authAdmin, outJSON, inNone, false},
	{"GET", "/admin/v1/apps/{id}/notifications", tagAdmin, "Notifications the bank sent to the app", authAdmin, outJSON, inNone, false},
	{"GET", "/admin/v1/apps/{id}/events", tagAdmin, "Risk events notified to the app", authAdmin, outJSON, inNone, false},
	{"GET", "/admin/v1/apps/{id}/payment-limits", tagAdmin, "The app's payment limits", authAdmin, outJSON, inNone, false},
	{"PUT", "/admin/v1/apps/{id}/payment-limits", tagAdmin, "Set the app's payment limits", authAdmin, outJSON, inJSON, false},
	{"GET", "/admin/v1/partners/{id}", tagAdmin, "A registered partner's profile and materials", authAdmin, outJSON, inNone, false},
	{"GET", "/admin/v1/apis", tagAdmin, "The catalogue with lifecycle states", authAdmin, outJSON, inNone, false},
	{"PUT", "/admin/v1/apis/{api}/state", tagAdmin, "Change an API's lifecycle state (deprecate, offline, terminate)", authAdmin, outJSON, inJSON, false},
	{"GET", "/admin/v1/alarms", tagAdmin, "Alarms from flow control and risk control", authAdmin, outJSON, inNone, false},
	{"POST", "/admin/v1/bank-keys/rotate", tagAdmin, "Rotate the bank's response-signing key", authAdmin, outJSON, inNone, false},
	{"GET", "/admin/v1/payments/review", tagAdmin, "Payments held for risk review", authAdmin, outJSON, inNone, false},
	{"POST", "/admin/v1/payments/{id}/approve", tagAdmin, "Release a payment held for review", authAdmin, outJSON, inJSON, false},
	{"POST", "/admin/v1/payments/{id}/reject", tagAdmin, "Reject a payment held for review", authAdmin, outJSON, inJSON, false},
	{"GET", "/admin/v1/audit", tagAdmin, "Query the audit log (7.3.3, 12.3)", authAdmin, outJSON, inNone, false},
	{"GET", "/admin/v1/audit/verify", tagAdmin, "Verify the audit log's hash chain", authAdmin, outJSON, inNone, false},
	{"GET", "/admin/v1/health", tagAdmin, "The servers' running state (10.1.1/2a)", authAdmin, outJSON, inNone, false},

	// Test controls (sandbox mode only).
	{"POST", "/admin/v1/clock/advance", tagTest, "Advance the sandbox clock (token, consent and key expiry without waiting)", authAdmin, outJSON, inJSON, true},
	{"POST", "/admin/v1/clock/reset", tagTest, "Put the sandbox clock back to real time", authAdmin, outJSON, inNone, true},
	{"POST", "/admin/v1/apps/{id}/backdate", tagTest, "Backdate an app's registration or credentials", authAdmin, outJSON, inJSON, true},
	{"POST", "/admin/v1/sessions/backdate", tagTest, "Backdate a user's session", authAdmin, outJSON, inJSON, true},
	{"POST", "/admin/v1/apis/{api}/reinstate", tagTest, "Put a retired API back", authAdmin, outJSON, inNone, true},
	{"GET", "/admin/v1/faults", tagTest, "Injected faults in force", authAdmin, outJSON, inNone, true},
	{"POST", "/admin/v1/faults", tagTest, "Inject a fault (503, slow answer, failed notification …)", authAdmin, outJSON, inJSON, true},
	{"DELETE", "/admin/v1/faults", tagTest, "Clear every injected fault", authAdmin, outJSON, inNone, true},
	{"DELETE", "/admin/v1/faults/{id}", tagTest, "Clear one injected fault", authAdmin, outJSON, inNone, true},
	{"POST", "/admin/v1/audit/drill", tagTest, "Audit-log tampering drill", authAdmin, outJSON, inJSON, true},
	{"POST", "/admin/v1/pki/test-server-certs", tagTest, "Issue a loopback TLS server certificate for a partner's local notification receiver", authAdmin, outJSON, inJSON, true},
	{"GET", "/admin/v1/apps/{id}/observations", tagTest, "What the bank observed of the app's calls", authAdmin, outJSON, inNone, true},
	{"GET", "/admin/v1/observations/handshakes", tagTest, "TLS handshakes observed", authAdmin, outJSON, inNone, true},
	{"POST", "/admin/v1/apps/{id}/tokens/expire", tagTest, "Expire the app's access tokens", authAdmin, outJSON, inJSON, true},
	{"POST", "/admin/v1/apps/{id}/tokens/revoke", tagTest, "Revoke the app's tokens (9.2.1 b) 4))", authAdmin, outJSON, inJSON, true},
	{"POST", "/admin/v1/apps/{id}/consents/revoke", tagTest, "End every consent given to the app, as if each user revoked it (9.3.2/2)", authAdmin, outJSON, inJSON, true},
	{"POST", "/admin/v1/apps/{id}/probe-notification", tagTest, "Send a probe notification to the app's endpoint", authAdmin, outJSON, inJSON, true},
	{"POST", "/admin/v1/debug/signature", tagTest, "Signature debugger: the string the bank verifies, its SM3, the key serial and a diagnosis of a request", authAdmin, outJSON, inJSON, true},
	{"POST", "/admin/v1/payments/{id}/notify", tagTest, "Send a final payment's notification again now", authAdmin, outJSON, inNone, true},
	{"POST", "/admin/v1/reset", tagTest, "Reset the business data to the seed in force (apps, credentials, keys and the audit log are kept; consents and tokens are gone)", authAdmin, outJSON, inNone, true},
	{"POST", "/admin/v1/reseed", tagTest, "Load another seeded data set: {seed, size (customers), products}; the test users always exist", authAdmin, outJSON, inJSON, true},

	// The request inspector and trainer dashboard (sandbox mode).
	{"GET", "/dashboard/login", tagTest, "Dashboard login page (the admin token, posted in a form)", authNone, outHTML, inNone, true},
	{"POST", "/dashboard/login", tagTest, "Start a dashboard session with the admin token", authNone, outRedirect, inForm, true},
	{"POST", "/dashboard/logout", tagTest, "End the dashboard session", authDashboard, outRedirect, inForm, true},
	{"GET", "/dashboard", tagTest, "The request inspector and trainer dashboard: every call live with its verification steps, metrics, guided flows", authDashboard, outHTML, inNone, true},
	{"GET", "/dashboard/events", tagTest, "Live calls, alarms and the metrics summary as server-sent events", authDashboard, outEvents, inNone, true},
	{"POST", "/dashboard/flows/{flow}", tagTest, "Run a guided flow (consent, payment, revoke, tamper, rate-limit) as the trainer partner", authDashboard, outJSON, inNone, true},
	{"GET", "/dashboard/callback", tagTest, "The trainer partner's redirect URI: finishes the consent flow", authNone, outHTML, inNone, true},
	{"GET", "/dashboard/static/{file}", tagTest, "The dashboard's script and style sheet", authNone, outAsset, inNone, true},
}
