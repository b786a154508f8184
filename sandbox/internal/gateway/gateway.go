// Package gateway is the API service layer of JR/T 0185-2020 clause 5 and figure 2:
// authentication and authorization, flow control, parameter checks and replay defence
// in front of the bank's business layer, with no business logic of its own.
//
// It is independent of the HTTP framework: the server adapts each request into a
// Request and renders the *problem.Error or the Admission it gets back.
package gateway

import (
	"github.com/jr0185/harness/sandbox/internal/mutant"

	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jr0185/harness/sandbox/internal/apis"
	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/consent"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/sigdebug"
	"github.com/jr0185/harness/sandbox/protocol"
)

// AppDirectory is what the gateway needs to know about apps.
type AppDirectory interface {
	Authn(ctx context.Context, appID string) (apps.App, []apps.Credential, bool, error)
	// CertOwner is the App_ID a client certificate (SM3 fingerprint) is registered to.
	CertOwner(ctx context.Context, fingerprint string) (string, bool, error)
}

// Lifecycles tells the gateway each API's lifecycle state.
type Lifecycles interface {
	Get(apiID string) apis.Status
}

// Nonces records single-use nonces. Use returns false if the nonce was already used by
// this App_ID and is still remembered at now; it remembers this use until expires.
type Nonces interface {
	Use(ctx context.Context, appID, nonce string, now, expires time.Time) (bool, error)
}

// ClientCerts verifies mutual-TLS client certificates against the sandbox CA and reads
// the App_ID a certificate is bound to.
type ClientCerts interface {
	VerifyClientCert(cert *x509.Certificate, now time.Time) error
	AppIDFromClientCert(cert *x509.Certificate) (string, error)
}

// Tokens checks a user's access token for an A2 call (implemented by consent.Service).
type Tokens interface {
	Authorize(ctx context.Context, accessToken, appID, certFingerprint, requiredScope, accountNo string) (consent.Grant, error)
	AuthorizeReplay(ctx context.Context, accessToken, appID, certFingerprint, requiredScope string) (consent.Grant, error)
}

// HeaderAccessToken carries the user's access token on A2 calls; Authorization carries
// the request signature.
const HeaderAccessToken = "X-JR-Access-Token" // #nosec G101 -- a header name, not a credential

// Alarms receives flow-control and security alarms (JR/T 0185-2020 10.1.2/1a, 1b).
type Alarms interface {
	Raise(kind, appID, detail string)
}

// Options tune the gateway.
type Options struct {
	TimestampWindow time.Duration
	AuthFailLimit   int
	AuthFailWindow  time.Duration
	AuthLockFor     time.Duration
	Debug           bool // sandbox mode: explain signature failures
	// Mutant breaks one control on purpose (mutant banks prove the conformance suite
	// can fail); the zero Set is the correct gateway.
	Mutant mutant.Set
}

// Gateway admits or refuses API requests.
type Gateway struct {
	tokens Tokens
	certs  ClientCerts
	apps   AppDirectory
	life   Lifecycles
	nonces Nonces
	alarms Alarms
	clock  clock.Clock
	opts   Options
	flow   *flowControl
	fails  *failureTracker
}

// New wires a gateway.
func New(a AppDirectory, cc ClientCerts, t Tokens, l Lifecycles, n Nonces, al Alarms, c clock.Clock, o Options) *Gateway {
	extra := 0
	if o.Mutant.Is(mutant.OffByOneRateLimit) {
		extra = 1
	}
	return &Gateway{tokens: t, certs: cc, apps: a, life: l, nonces: n, alarms: al, clock: c, opts: o,
		flow: newFlowControl(extra), fails: newFailureTracker()}
}

// Request is the framework-neutral view of an API request.
type Request struct {
	Method     string
	URI        string // path and query exactly as on the request line
	Header     func(name string) string
	Query      [][2]string // in order, repeated keys kept
	PathParams map[string]string
	Body       []byte
	TLS        *tls.ConnectionState
}

// Admission is a request the gateway let through.
type Admission struct {
	App    apps.App
	API    *apis.API
	Scheme string
	MACKey []byte // for the A1 response MAC, when the request was MAC-authenticated
	// CertFingerprint is the SM3 digest (hex) of the verified client certificate of an
	// A2 call; tokens are bound to it.
	CertFingerprint string
	// Grant is the user's consent behind an A2 call that acts for a user.
	Grant   *consent.Grant
	release func()
}

// Release returns the app's concurrency slot; call it when the response is written.
func (a *Admission) Release() {
	if a != nil && a.release != nil {
		a.release()
		a.release = nil
	}
}

// Admit runs every check of the service layer in order. The order matters: nothing that
// changes state (the nonce) happens before every read-only check has passed, so a
// refused request changes nothing.
//
// claimed is the App_ID the Authorization header names, authenticated or not (for the
// audit record of a refused call); empty when the header is missing or malformed.
func (g *Gateway) Admit(ctx context.Context, api *apis.API, r Request) (adm *Admission, claimed string, perr *problem.Error) {
	return g.AdmitTraced(ctx, api, r, nil)
}

// AdmitTraced is Admit that also records in tr (when not nil) each step it ran and what
// it found (sandbox observation).
func (g *Gateway) AdmitTraced(ctx context.Context, api *apis.API, r Request, tr *Trace) (adm *Admission, claimed string, perr *problem.Error) {
	adm, perr = g.admit(ctx, api, r, &claimed, tr)
	return adm, claimed, perr
}

func (g *Gateway) admit(ctx context.Context, api *apis.API, r Request, claimed *string, tr *Trace) (*Admission, *problem.Error) {
	now := g.clock.Now()

	// JR/T 0185-2020 11/3: a terminated API answers with a baffle, not silence.
	st := g.life.Get(api.ID)
	// JR/T 0185-2020 11/3, 11/4: an API taken offline is no longer served.
	if st.State == apis.Offline {
		return nil, tr.step(StepLifecycle, problem.RouteNotFound.WithDetail("%s (%s) was taken offline; see /docs/changelog", api.ID, api.UAPIID))
	}
	if st.State == apis.Terminated && g.opts.Mutant.Is(mutant.TerminatedAnswers404) {
		return nil, tr.step(StepLifecycle, problem.RouteNotFound.WithDetail("no API at this path"))
	}
	if st.State == apis.Terminated {
		e := problem.ServiceTerminated.WithDetail("%s (%s) has been terminated", api.ID, api.UAPIID)
		if st.Notice != "" {
			e = e.WithDetail("%s (%s) has been terminated: %s", api.ID, api.UAPIID, st.Notice)
		}
		return nil, tr.step(StepLifecycle, e)
	}
	if r.TLS != nil {
		tr.step(StepTLS, nil)
	}

	// JR/T 0185-2020 9.2.1 b) 1): authenticate the partner on every request.
	h := r.Header("Authorization")
	if h == "" && api.Level == apis.A1 && g.opts.Mutant.Is(mutant.PublicA1) {
		return &Admission{App: apps.App{ID: "ANONYMOUS", Level: apps.LevelA1, Status: apps.StatusActive, Scopes: []string{api.Scope}}, API: api}, nil
	}
	if h == "" && api.Level == apis.A2 && g.opts.Mutant.Is(mutant.PublicA2) {
		return &Admission{App: apps.App{ID: "ANONYMOUS", Level: apps.LevelA2, Status: apps.StatusActive, Scopes: []string{api.Scope}}, API: api}, nil
	}
	if h == "" {
		return nil, tr.step(StepAuthorization, problem.AuthMissing.WithDetail("send Authorization: %s app_id=\"...\",serial=\"...\",timestamp=\"...\",nonce=\"...\",signature=\"...\"", schemeFor(api)))
	}
	cred, err := protocol.ParseAuthorization(h)
	if err == nil && g.opts.Mutant.Is(mutant.MinNonceRefused) && len(cred.Nonce) <= protocol.MinNonceLen {
		err = fmt.Errorf("%w: nonce must be more than %d characters", protocol.ErrMalformed, protocol.MinNonceLen)
	}
	if err != nil {
		return nil, tr.step(StepAuthorization, problem.AuthMalformed.WithDetail("%s", err.Error()))
	}
	*claimed = cred.AppID
	tr.credentials(cred, now)
	// 7.2.1 a) 2), 9.2.1 b) 2): A2 needs certificate or key-pair authentication.
	if api.Level == apis.A2 && cred.Scheme != protocol.SchemeSM2 && !g.opts.Mutant.Is(mutant.AcceptMACOnA2) {
		return nil, tr.step(StepAuthorization, problem.AuthSchemeNotAllowed.WithDetail("%s is an A2 API: use %s", api.ID, protocol.SchemeSM2))
	}
	tr.step(StepAuthorization, nil)

	app, creds, found, lerr := g.apps.Authn(ctx, cred.AppID)
	if lerr != nil {
		return nil, problem.Internal.Wrap(lerr)
	}
	if !found {
		// 10.1.2/1b: watch for unauthorized and impersonated use.
		if !g.opts.Mutant.Is(mutant.NoImpersonationAlarm) {
			g.alarms.Raise("unknown-app", cred.AppID, "request for "+api.ID+" with an unknown App_ID")
		}
		return nil, tr.step(StepApp, problem.AppUnknown.WithDetail("App_ID %q is not registered", cred.AppID))
	}
	tr.app(app.ID)
	if app.Status == apps.StatusExited {
		return nil, tr.step(StepApp, problem.AppExited.WithDetail("App_ID %s has exited; its credentials were voided (JR/T 0185-2020 9.4)", app.ID))
	}
	// 10.1.2/1a, 1b: an App_ID with repeated authentication failures is paused.
	if until, locked := g.fails.locked(app.ID, now); locked && !g.opts.Mutant.Is(mutant.NoAuthLockout) {
		secs := int(until.Sub(now).Seconds()) + 1
		return nil, tr.step(StepApp, problem.AppAuthLocked.WithRetryAfter(secs).
			WithDetail("App_ID %s is paused for %ds after repeated authentication failures", app.ID, secs))
	}
	tr.step(StepApp, nil)

	adm := &Admission{App: app, API: api, Scheme: cred.Scheme}
	// 7.2.1 a) 2), 9.2.1 b) 2): A2 is mutual authentication: a certificate bound to
	// this App_ID, checked before the signature.
	if api.Level == apis.A2 && !g.opts.Mutant.Is(mutant.SkipClientCertCheck) {
		fp, perr := g.checkClientCert(ctx, app, creds, r.TLS, now)
		if perr != nil {
			if perr.Code == problem.ClientCertAppMismatch.Code && !g.opts.Mutant.Is(mutant.NoImpersonationAlarm) {
				g.alarms.Raise("cert-app-mismatch", app.ID, "certificate of another App_ID presented for "+api.ID)
			}
			return nil, tr.step(StepCertificate, perr)
		}
		tr.step(StepCertificate, nil)
		tr.certBound(true)
		adm.CertFingerprint = fp
	}
	if perr := g.verify(app, creds, cred, r, now, adm, tr); perr != nil {
		if g.fails.fail(app.ID, now, g.opts.AuthFailLimit, g.opts.AuthFailWindow, g.opts.AuthLockFor) {
			g.alarms.Raise("auth-failures", app.ID, fmt.Sprintf("%d authentication failures within %s: App_ID paused for %s",
				g.opts.AuthFailLimit, g.opts.AuthFailWindow, g.opts.AuthLockFor))
		}
		return nil, perr
	}

	// 9.2.1 a) 2): status check on every call.
	status := app.Status
	if g.opts.Mutant.Is(mutant.IgnoreAppStatus) {
		status = apps.StatusActive
	}
	switch status {
	case apps.StatusPending:
		if g.opts.Mutant.Is(mutant.PendingAppAdmitted) {
			break
		}
		return nil, tr.step(StepStatus, problem.AppPending.WithDetail("App_ID %s is awaiting approval", app.ID))
	case apps.StatusSuspended:
		return nil, tr.step(StepStatus, problem.AppSuspended.WithDetail("App_ID %s is suspended", app.ID))
	case apps.StatusBlacklisted:
		g.alarms.Raise("blacklisted-call", app.ID, "blacklisted app called "+api.ID)
		return nil, tr.step(StepStatus, problem.AppBlacklisted.WithDetail("App_ID %s is blacklisted", app.ID))
	}
	tr.step(StepStatus, nil)
	// 6.2: an A1 App_ID reaches no A2 interface, whatever credentials it holds.
	if apps.Level(api.Level) == apps.LevelA2 && app.Level != apps.LevelA2 &&
		!(g.opts.Mutant.Is(mutant.LevelCheckAccountsOnly) && !strings.HasPrefix(api.ID, "a2.accounts.")) {
		return nil, tr.step(StepScope, problem.ScopeNotGranted.WithDetail("App_ID %s is admitted to A1 APIs only", app.ID))
	}
	// 7.3.1, 9.3.2/1a: least privilege per App_ID and API.
	if !app.HasScope(api.Scope) && !g.opts.Mutant.Is(mutant.IgnoreScopes) && !(g.opts.Mutant.Is(mutant.ScopePrefixMatch) && sameResource(app.Scopes, api.Scope)) {
		return nil, tr.step(StepScope, problem.ScopeNotGranted.WithDetail("scope %q (needed by %s) is not granted to App_ID %s", api.Scope, api.ID, app.ID))
	}
	tr.step(StepScope, nil)
	// 7.2.2/1: parameters must match the published design.
	if perr := checkParams(api, r); perr != nil && !g.opts.Mutant.Is(mutant.UnvalidatedParams) {
		return nil, tr.step(StepParams, perr)
	}
	tr.step(StepParams, nil)
	// 9.3.2/1b: an A2 call for a user needs the user's consent, through a token bound
	// to this app and this certificate (9.2.1 b3).
	// The user-token-optional mutant serves a call that carries no token (with no
	// user's grant: the handlers then see no account); one that carries a token is
	// checked as usual.
	if api.UserToken && !(g.opts.Mutant.Is(mutant.UserTokenOptional) && r.Header(HeaderAccessToken) == "") {
		tok := r.Header(HeaderAccessToken)
		if tok == "" {
			return nil, tr.step(StepToken, problem.TokenInvalid.WithDetail("send the user's access token in %s", HeaderAccessToken))
		}
		authz := func() (consent.Grant, error) {
			return g.tokens.Authorize(ctx, tok, app.ID, adm.CertFingerprint, api.Scope, "")
		}
		if api.Idempotent && r.Header(protocol.HeaderIdempotKey) != "" {
			authz = func() (consent.Grant, error) {
				return g.tokens.AuthorizeReplay(ctx, tok, app.ID, adm.CertFingerprint, api.Scope)
			}
		}
		g2, err := authz()
		if err != nil {
			return nil, tr.step(StepToken, problem.From(err))
		}
		tr.step(StepToken, nil)
		adm.Grant = &g2
	}
	// 10.1.2/1a: flow control — requests per unit time and concurrent calls.
	release, perr := g.flow.acquire(app, now)
	if perr != nil && g.opts.Mutant.Is(mutant.NoRateLimit) {
		release, perr = func() {}, nil
	}
	if perr != nil {
		g.alarms.Raise("flow-control", app.ID, perr.Code+" on "+api.ID)
		return nil, tr.step(StepRateLimit, perr)
	}
	tr.step(StepRateLimit, nil)
	// 7.2.2/2: a nonce is single-use per App_ID within the window. Last, because it writes.
	// The nonce is remembered for twice the window: as long as a timestamp it was signed
	// with can be admitted (published as nonce_memory_seconds).
	memory, owner := 2*g.opts.TimestampWindow, app.ID
	if g.opts.Mutant.Is(mutant.ShortNonceMemory) {
		memory = 5 * time.Second
	}
	if g.opts.Mutant.Is(mutant.NonceSharedAcrossApps) {
		owner = "*"
	}
	fresh, nerr := g.nonces.Use(ctx, owner, cred.Nonce, now, now.Add(memory))
	if nerr == nil {
		tr.nonceReused(!fresh)
	}
	fresh = fresh || g.opts.Mutant.Is(mutant.SkipNonceCheck) || g.a2ReplayMutant(api)
	if nerr != nil {
		release()
		return nil, tr.step(StepNonce, problem.Internal.Wrap(nerr))
	}
	if !fresh {
		release()
		g.fails.fail(app.ID, now, g.opts.AuthFailLimit, g.opts.AuthFailWindow, g.opts.AuthLockFor)
		g.alarms.Raise("replay", app.ID, "nonce reused on "+api.ID)
		return nil, tr.step(StepNonce, problem.NonceReplayed.WithDetail("nonce %q was already used by App_ID %s; use a fresh nonce for every request", cred.Nonce, app.ID))
	}
	tr.step(StepNonce, nil)
	adm.release = release
	return adm, nil
}

// checkClientCert accepts a certificate that either is registered for the app (by SM3
// fingerprint: a partner-supplied certificate) or chains to the sandbox CA and carries
// this App_ID. It returns the certificate's fingerprint.
func (g *Gateway) checkClientCert(ctx context.Context, app apps.App, creds []apps.Credential, cs *tls.ConnectionState, now time.Time) (string, *problem.Error) {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return "", problem.ClientCertRequired.WithDetail("present the client certificate issued to App_ID %s in the TLS handshake", app.ID)
	}
	leaf := cs.PeerCertificates[0]
	fp := protocol.SM3Hex(leaf.Raw)
	for _, c := range creds {
		if c.Kind != apps.KindClientCert || c.Fingerprint != fp {
			continue
		}
		if c.Status == apps.CredRevoked && g.opts.Mutant.Is(mutant.RevokedClientCert) {
			c.Status, c.NotAfter = apps.CredActive, leaf.NotAfter // as registered: revocation (which also ended the validity) not consulted
		}
		expired := !c.ValidAt(now) || now.Before(leaf.NotBefore) || now.After(leaf.NotAfter)
		if c.Status != apps.CredActive || (expired && !g.opts.Mutant.Is(mutant.AcceptExpiredCredentials)) {
			return "", problem.ClientCertInvalid.WithDetail("the registered certificate %s is revoked or outside its validity", c.Serial)
		}
		return fp, nil
	}
	// 10.1.2/1b: a certificate registered to another App_ID is impersonation (冒用), not
	// merely an unknown certificate; the owner is not named.
	if owner, found, err := g.apps.CertOwner(ctx, fp); err != nil {
		return "", problem.Internal.Wrap(err)
	} else if found && owner != app.ID {
		return "", problem.ClientCertAppMismatch.WithDetail("the client certificate is registered to another App_ID, not to %s", app.ID)
	}
	if err := g.certs.VerifyClientCert(leaf, now); err != nil && !g.opts.Mutant.Is(mutant.SelfSignedClientCert) {
		return "", problem.ClientCertInvalid.WithDetail("the client certificate is not valid for mutual TLS with this bank: %s", certReason(err))
	}
	bound, err := g.certs.AppIDFromClientCert(leaf)
	if err != nil || bound != app.ID {
		return "", problem.ClientCertAppMismatch.WithDetail("the client certificate is not bound to App_ID %s", app.ID)
	}
	for _, c := range creds { // a certificate the admin revoked stays refused even though it chains
		if c.Kind == apps.KindClientCert && c.Serial == protocol.SerialHex(leaf.SerialNumber) && c.Status != apps.CredActive {
			return "", problem.ClientCertInvalid.WithDetail("certificate %s was revoked", c.Serial)
		}
	}
	return fp, nil
}

// certReason keeps verification errors to a fixed vocabulary (no library text).
func certReason(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "expired"), strings.Contains(msg, "not yet valid"):
		return "expired or not yet valid"
	case strings.Contains(msg, "usage"):
		return "not issued for client authentication"
	default:
		return "not issued by the sandbox CA"
	}
}

// verify checks key serial, key validity, MAC or signature, then the timestamp window.
func (g *Gateway) verify(app apps.App, creds []apps.Credential, c protocol.Credentials, r Request, now time.Time, adm *Admission, tr *Trace) *problem.Error {
	wantKind := apps.KindSecret
	if c.Scheme == protocol.SchemeSM2 {
		wantKind = apps.KindSM2Sign
	}
	var key *apps.Credential
	for i := range creds {
		if creds[i].Serial == c.Serial && creds[i].Kind == wantKind {
			key = &creds[i]
		}
	}
	if key == nil && g.opts.Mutant.Is(mutant.IgnoreKeySerial) {
		for i := range creds {
			if creds[i].Kind == wantKind && creds[i].Status == apps.CredActive {
				key = &creds[i]
			}
		}
	}
	if key != nil && key.Status == apps.CredRevoked && g.opts.Mutant.Is(mutant.IgnoreRevocation) {
		k := *key // as registered: revocation (which also ended the validity) not consulted
		k.Status, k.NotAfter = apps.CredActive, now.Add(time.Hour)
		key = &k
	}
	if key == nil || key.Status != apps.CredActive {
		e := problem.KeySerialUnknown.WithDetail("App_ID %s has no active %s credential with serial %q", app.ID, wantKind, c.Serial)
		if g.opts.Debug {
			e = e.WithDebug("active_serials", activeSerials(creds, wantKind, now))
		}
		return tr.step(StepSignature, g.debugSignature(e, app, creds, r, now))
	}
	expiryIgnored := g.opts.Mutant.Is(mutant.AcceptExpiredCredentials) || (g.opts.Mutant.Is(mutant.SecretExpiryUnchecked) && key.Kind == apps.KindSecret)
	if !key.ValidAt(now) && !expiryIgnored {
		return tr.step(StepSignature, g.debugSignature(problem.KeyExpired.WithDetail("credential %s of App_ID %s is valid from %s to %s", key.Serial, app.ID,
			key.NotBefore.UTC().Format(time.RFC3339), key.NotAfter.UTC().Format(time.RFC3339)), app, creds, r, now))
	}

	sts := protocol.StringToSign(r.Method, r.URI, c.Timestamp, c.Nonce, r.Body)
	switch c.Scheme {
	case protocol.SchemeHMAC:
		mk, err := hex.DecodeString(key.Material)
		if err != nil {
			return problem.Internal.Wrap(err)
		}
		ok := protocol.VerifyMAC(mk, sts, c.Signature)
		tr.signature(ok)
		if !ok && !g.opts.Mutant.Is(mutant.SkipSignatureCheck) {
			return tr.step(StepSignature, g.debugSignature(g.explain(problem.MACInvalid, c), app, creds, r, now))
		}
		adm.MACKey = mk
	case protocol.SchemeSM2:
		pub, err := parseSM2Public(key.Material)
		if err != nil {
			return problem.Internal.Wrap(err)
		}
		ok := protocol.VerifySM2(pub, sts, c.Signature)
		tr.signature(ok)
		if !ok && !g.opts.Mutant.Is(mutant.SkipSignatureCheck) {
			return tr.step(StepSignature, g.debugSignature(g.explain(problem.SignatureInvalid, c), app, creds, r, now))
		}
	}
	tr.step(StepSignature, nil)

	// 7.2.2/2: the (now authenticated) timestamp must be within the window.
	ts, err := strconv.ParseInt(c.Timestamp, 10, 64)
	if err != nil {
		return tr.step(StepTimestamp, problem.AuthMalformed.WithDetail("timestamp must be unix seconds"))
	}
	skew, window := now.Sub(time.Unix(ts, 0)), g.opts.TimestampWindow
	if g.opts.Mutant.Is(mutant.WideTimestampWindow) {
		window = 10 * time.Minute
	}
	early := -skew > window && !g.opts.Mutant.Is(mutant.FutureTimestamps)
	if (skew > window || early) && !g.opts.Mutant.Is(mutant.SkipTimestampCheck) && !g.a2ReplayMutant(adm.API) {
		e := problem.TimestampOutOfWindow.WithDetail("timestamp %s is %s away from the bank's clock; the window is ±%s",
			c.Timestamp, skew.Round(time.Second).Abs(), g.opts.TimestampWindow)
		if g.opts.Debug {
			e = e.WithDebug("server_time", protocol.Timestamp(now))
		}
		return tr.step(StepTimestamp, g.debugSignature(e, app, creds, r, now))
	}
	tr.step(StepTimestamp, nil)
	return nil
}

// explain names the refused MAC or signature and, in sandbox mode, adds how it is
// computed. The signature debugger's evidence (the exact string the bank verified and
// its digest, the Alipay practice, and the key serial used) is debugSignature's.
func (g *Gateway) explain(e *problem.Error, c protocol.Credentials) *problem.Error {
	e = e.WithDetail("the %s over the string to sign does not verify with key serial %s of App_ID %s", sigdebug.KindName(c.Scheme), c.Serial, c.AppID)
	if !g.opts.Debug {
		return e
	}
	return e.WithDebug("hint", hintFor(c.Scheme))
}

func hintFor(scheme string) string {
	if scheme == protocol.SchemeHMAC {
		return "MAC = base64(HMAC-SM3(key, string_to_sign)) with key = HMAC-SM3(App_Secret, App_ID); every line of string_to_sign ends in \\n, including the body line"
	}
	return "signature = base64(DER(SM2-with-SM3 over string_to_sign, distinguishing ID 1234567812345678)); every line ends in \\n, including the body line"
}

func schemeFor(api *apis.API) string {
	if api.Level == apis.A2 {
		return protocol.SchemeSM2
	}
	return protocol.SchemeHMAC
}

func activeSerials(creds []apps.Credential, kind apps.CredentialKind, now time.Time) []string {
	out := []string{}
	for _, c := range creds {
		if c.Kind == kind && c.ValidAt(now) {
			out = append(out, c.Serial)
		}
	}
	return out
}

// checkParams rejects unknown, repeated, missing or malformed parameters.
func checkParams(api *apis.API, r Request) *problem.Error {
	seen := map[string]bool{}
	for _, kv := range r.Query {
		p, ok := api.Param(kv[0], "query")
		if !ok {
			return problem.ParameterInvalid.WithDetail("unknown query parameter %q for %s", problem.Clip(kv[0]), api.ID)
		}
		if seen[kv[0]] {
			return problem.ParameterInvalid.WithDetail("query parameter %q given more than once", kv[0])
		}
		seen[kv[0]] = true
		if err := p.Validate(kv[1]); err != nil {
			return problem.ParameterInvalid.WithDetail("%s", err.Error())
		}
	}
	for i := range api.Params {
		p := &api.Params[i]
		switch p.In {
		case "path":
			if err := p.Validate(r.PathParams[p.Name]); err != nil {
				return problem.ParameterInvalid.WithDetail("%s", err.Error())
			}
		case "query":
			if p.Required && !seen[p.Name] {
				return problem.ParameterInvalid.WithDetail("query parameter %q is required", p.Name)
			}
		}
	}
	return nil
}

// a2ReplayMutant: the a2-replay mutant checks nonces and timestamps on A1 interfaces only.
func (g *Gateway) a2ReplayMutant(api *apis.API) bool {
	return g.opts.Mutant.Is(mutant.A2Replay) && api != nil && api.Level == apis.A2
}

// sameResource is the scope-prefix-match mutant's grant check: a granted scope with the
// same resource (before ':') as the interface's is taken for it.
func sameResource(granted []string, scope string) bool {
	res, _, _ := strings.Cut(scope, ":")
	for _, g := range granted {
		if r, _, _ := strings.Cut(g, ":"); r == res {
			return true
		}
	}
	return false
}
