package steps

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tjfoc/gmsm/sm2"

	"github.com/jr0185/harness/steps/driver"
)

// Env is what every scenario of a run shares: the target, the trust anchor, the bank's
// published signing certificates, and per-user locks (two scenarios logging in as the
// same test user would otherwise read each other's one-time codes).
type Env struct {
	T     Target
	roots *x509.CertPool
	caPEM []byte       // the PEM text of roots (what a partner under test is handed)
	plain *http.Client // TLS 1.2+, no client certificate: pages, /docs, /pki, admin

	mu        sync.Mutex
	bankKeys  map[string]*sm2.PublicKey // serial → key
	encKey    *sm2.PublicKey            // the bank's encryption key, once fetched
	encSerial string
	locks     map[string]*sync.Mutex

	// clock orders exchanges around the rare step that moves the bank-global sandbox
	// clock: every exchange holds it shared; that step holds it exclusively, so no
	// concurrent scenario signs, registers or logs in while the bank's clock is away.
	clock sync.RWMutex
	// lifecycle is held exclusively by the one scenario that may change an API's
	// lifecycle state, and shared by scenarios that call every interface
	// (publish_lifecycle.go).
	lifecycle sync.RWMutex

	// controls records every (control, surface) pair the run probed (controls.go).
	controls controlBook
	// creds keeps every credential the run saw, for the privacy check (credentials.go).
	creds credentialBook

	// Partner is the partner integration under test (the partner-side suite), reached
	// through the driver contract; partner is its onboarding, once per run.
	Partner driver.Driver
	partner partnerRun
}

type exclusiveKey struct{}

// advancedKey marks the context of a step that holds the sandbox clock advanced
// (withClockAdvanced): its calls are signed at the bank's time, d ahead of real time.
// Only that step's calls: another scenario's call signed meanwhile waits for the clock
// and is sent at real time.
type advancedKey struct{}

func advancedBy(ctx context.Context) time.Duration {
	d, _ := ctx.Value(advancedKey{}).(time.Duration)
	return d
}

// Exclusive runs f while no other exchange of this run is in flight; exchanges made
// with the context f receives do not wait for themselves.
func (e *Env) Exclusive(ctx context.Context, f func(ctx context.Context) error) error {
	e.clock.Lock()
	defer e.clock.Unlock()
	return f(context.WithValue(ctx, exclusiveKey{}, true))
}

// shared holds the clock lock shared for one exchange (not inside Exclusive).
func (e *Env) shared(ctx context.Context) func() {
	if ctx.Value(exclusiveKey{}) != nil {
		return func() {}
	}
	e.clock.RLock()
	return e.clock.RUnlock
}

// NewEnv checks the target and prepares the shared client.
func NewEnv(t Target) (*Env, error) {
	if err := t.complete(); err != nil {
		return nil, err
	}
	roots, caPEM, err := t.caPool()
	if err != nil {
		return nil, err
	}
	e := &Env{T: t, roots: roots, caPEM: caPEM, bankKeys: map[string]*sm2.PublicKey{}, locks: map[string]*sync.Mutex{}}
	e.plain = e.httpClient(nil, 0)
	return e, nil
}

// httpClient builds a client that trusts the target's CA, with an optional client
// certificate and an optional maximum TLS version (to probe refusals). Redirects are
// never followed: the suite judges each answer.
func (e *Env) httpClient(cert *tls.Certificate, maxVersion uint16) *http.Client {
	cfg := &tls.Config{RootCAs: e.roots, MinVersion: tls.VersionTLS12, MaxVersion: maxVersion}
	switch {
	case maxVersion != 0 && maxVersion < tls.VersionTLS12:
		cfg.MinVersion = tls.VersionTLS10 // #nosec G402 -- deliberately offering an old version to check the bank refuses it
	case maxVersion != 0:
		cfg.MinVersion = maxVersion // exactly this version
	}
	if cert != nil {
		c := *cert
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &c, nil }
	}
	return &http.Client{Timeout: 20 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: cfg, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type heldUserKey struct{ user string }

// lockUser takes the test user's lock (released by the function it returns), unless ctx
// says this flow already holds it (withUser).
func (e *Env) lockUser(ctx context.Context, user string) func() {
	if ctx.Value(heldUserKey{user}) != nil {
		return func() {}
	}
	l := e.userLock(user)
	l.Lock()
	return l.Unlock
}

// withUser runs f holding the test user's lock; the browser flows f runs with the
// context it receives do not take it again. A step that holds the bank's clock
// exclusively (Exclusive) and plays the user takes the user's lock first: locks are
// always taken user, then clock — a scenario holding the user's lock may be waiting for
// an exchange.
func (e *Env) withUser(ctx context.Context, user string, f func(ctx context.Context) error) error {
	defer e.lockUser(ctx, user)()
	return f(context.WithValue(ctx, heldUserKey{user}, true))
}

func (e *Env) userLock(user string) *sync.Mutex {
	e.mu.Lock()
	defer e.mu.Unlock()
	l, ok := e.locks[user]
	if !ok {
		l = &sync.Mutex{}
		e.locks[user] = l
	}
	return l
}

// bankKey returns the bank's published signing key with this serial, fetching the
// published list (/pki/bank-sign-certs.pem) when the serial is new.
func (e *Env) bankKey(ctx context.Context, serial string) (*sm2.PublicKey, error) {
	e.mu.Lock()
	k, ok := e.bankKeys[serial]
	e.mu.Unlock()
	if ok {
		return k, nil
	}
	certs, err := publishedCerts(ctx, e, "/pki/bank-sign-certs.pem")
	if err != nil {
		return nil, err
	}
	found := map[string]*sm2.PublicKey{}
	for _, cert := range certs {
		ec, ok := cert.PublicKey.(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("bank signing certificate holds a %T, not an SM2 key", cert.PublicKey)
		}
		found[serialHex(cert.SerialNumber.Bytes())] = tjPub(ec)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for s, k := range found {
		e.bankKeys[s] = k
	}
	if k, ok := e.bankKeys[serial]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("serial %q is not among the bank's published signing certificates", serial)
}

// tjPub is a certificate's key as tjfoc's SM2 key type.
func tjPub(ec *ecdsa.PublicKey) *sm2.PublicKey {
	//lint:ignore SA1019 tjfoc's key type is built from raw coordinates; nothing is modified
	return &sm2.PublicKey{Curve: sm2.P256Sm2(), X: ec.X, Y: ec.Y}
}

func serialHex(b []byte) string {
	s := strings.TrimLeft(hex.EncodeToString(b), "0")
	if s == "" {
		return "0"
	}
	return s
}

// get fetches a public path with the plain client.
func (e *Env) get(ctx context.Context, path string) (*Exchange, error) {
	x := &Exchange{Method: "GET", URI: path}
	return x, x.send(ctx, e, e.plain, e.T.BaseURL, nil)
}

// Exchange is one request and its answer, kept for assertions and evidence.
type Exchange struct {
	Method, URI string
	ReqHeader   http.Header
	ReqBody     []byte

	Status int
	Header http.Header
	Body   []byte
	Err    error  // transport error (refused handshake, closed connection)
	TLS    uint16 // negotiated TLS version

	json map[string]any
}

func (x *Exchange) send(ctx context.Context, e *Env, c *http.Client, base string, body []byte) error {
	defer e.shared(ctx)()
	x.ReqBody = body
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, x.Method, base+x.URI, rd)
	if err != nil {
		return err
	}
	for k, vs := range x.ReqHeader {
		req.Header[k] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		x.Err = err
		return err
	}
	defer resp.Body.Close()
	x.Status, x.Header = resp.StatusCode, resp.Header
	if resp.TLS != nil {
		x.TLS = resp.TLS.Version
	}
	x.Body, err = io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	e.creds.note(x)
	return err
}

// JSON is the answer's body as a JSON object (nil if it is not one).
func (x *Exchange) JSON() map[string]any {
	if x.json == nil {
		_ = json.Unmarshal(x.Body, &x.json)
	}
	return x.json
}

// Code is the problem+json code of an error answer.
func (x *Exchange) Code() string {
	s, _ := x.JSON()["code"].(string)
	return s
}

// RequestID is the bank's 交易流水号 for this exchange.
func (x *Exchange) RequestID() string {
	if x.Header == nil {
		return ""
	}
	return x.Header.Get("X-Request-Id")
}

// Evidence is one line for the report.
func (x *Exchange) Evidence() string {
	if x.Err != nil {
		return fmt.Sprintf("%s %s → no answer: %s", x.Method, x.URI, clip(x.Err.Error(), 160))
	}
	s := fmt.Sprintf("%s %s → %d", x.Method, x.URI, x.Status)
	if c := x.Code(); c != "" {
		s += " " + c
	}
	if id := x.RequestID(); id != "" {
		s += " (request " + id + ")"
	}
	return s
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Call is a signed API call as a partner makes it, with an optional deliberate fault.
type Call struct {
	App         *App
	Method, URI string
	Body        []byte
	ContentType string
	// NoContentType sends a body without any Content-Type header (issue 14 probes).
	NoContentType bool
	Header        http.Header // extra headers (access token, idempotency key)
	Fault         Fault
	Now           time.Time // signing time (zero: now)
	Nonce         string    // zero: random
	TLSVersion    uint16    // offer exactly this TLS version (zero: 1.2 and up)
	// Cert, when set, is the client certificate presented in the TLS handshake instead of
	// the app's own (a foreign, self-signed, expired or revoked certificate).
	Cert *tls.Certificate
	// Sign, when set, makes the Authorization header's scheme, serial and signature
	// over the string to sign instead of the app's conforming signer (a deliberately
	// non-conforming algorithm).
	Sign func(a *App, sts string) (scheme, serial, sig string, err error)
}

// Fault is a deliberate mistake in a call, named as the features name it.
type Fault string

// The faults the features use. Each is a way real integrations go wrong.
const (
	FaultNone            Fault = ""
	FaultUnsigned        Fault = "without an Authorization header"
	FaultOtherBody       Fault = "signed over a different body"
	FaultOtherURI        Fault = "signed over another path"
	FaultWrongUID        Fault = "signed with a wrong distinguishing ID"
	FaultRawSignature    Fault = "with a raw r||s signature instead of DER"
	FaultStale           Fault = "with a timestamp ten minutes old"
	FaultFuture          Fault = "with a timestamp ten minutes ahead"
	FaultWrongSecret     Fault = "with a MAC under a wrong secret"
	FaultUnknownSerial   Fault = "naming an unknown key serial"
	FaultUnregisteredKey Fault = "signed with an unregistered key"
	FaultMACOnA2         Fault = "authenticated with an App_Secret MAC only"
	FaultNoClientCert    Fault = "without a client certificate"
	FaultOtherClientCert Fault = "with another app's client certificate"
	FaultTLS11           Fault = "over TLS 1.1"
	FaultUnknownApp      Fault = "as an unknown App_ID"
)

// Faults lists every fault, for the step pattern.
var Faults = []Fault{FaultUnsigned, FaultOtherBody, FaultOtherURI, FaultWrongUID, FaultRawSignature, FaultStale,
	FaultFuture, FaultWrongSecret, FaultUnknownSerial, FaultUnregisteredKey, FaultMACOnA2, FaultNoClientCert,
	FaultOtherClientCert, FaultTLS11, FaultUnknownApp}

// stringToSign is the published canonical request string.
func stringToSign(method, uri, ts, nonce string, body []byte) string {
	return method + "\n" + uri + "\n" + ts + "\n" + nonce + "\n" + string(body) + "\n"
}

// Do signs and sends the call. other is the app whose certificate FaultOtherClientCert
// presents. A transport error is kept in the exchange, not returned.
func (e *Env) Do(ctx context.Context, c Call, other *App) (*Exchange, error) {
	a := c.App
	now := c.Now
	if now.IsZero() {
		now = time.Now().Add(advancedBy(ctx))
	}
	switch c.Fault {
	case FaultStale:
		now = now.Add(-10 * time.Minute)
	case FaultFuture:
		now = now.Add(10 * time.Minute)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce := c.Nonce
	if nonce == "" {
		nonce = randomNonce()
	}
	x := &Exchange{Method: c.Method, URI: c.URI, ReqHeader: http.Header{}}
	for k, vs := range c.Header {
		x.ReqHeader[k] = vs
	}
	if c.ContentType != "" {
		x.ReqHeader.Set("Content-Type", c.ContentType)
	} else if c.Body != nil && !c.NoContentType {
		x.ReqHeader.Set("Content-Type", "application/json")
	}
	signedURI, signedBody := c.URI, c.Body
	switch c.Fault {
	case FaultOtherBody:
		signedBody = append(append([]byte{}, c.Body...), ' ')
	case FaultOtherURI:
		signedURI = c.URI + "x"
	}
	sts := stringToSign(c.Method, signedURI, ts, nonce, signedBody)
	appID := a.ID
	if c.Fault == FaultUnknownApp {
		appID = "APPUNKNOWN" + strings.ToUpper(randomNonce()[:8])
	}
	if c.Fault != FaultUnsigned {
		sign := func(a *App, sts string) (string, string, string, error) { return a.sign(c.Fault, sts) }
		if c.Sign != nil {
			sign = c.Sign
		}
		scheme, serial, sig, err := sign(a, sts)
		if err != nil {
			return nil, err
		}
		x.ReqHeader.Set("Authorization", fmt.Sprintf(`%s app_id="%s",serial="%s",timestamp="%s",nonce="%s",signature="%s"`,
			scheme, appID, serial, ts, nonce, sig))
	}
	client := a.client
	switch c.Fault {
	case FaultNoClientCert:
		client = e.plain
	case FaultOtherClientCert:
		if other == nil || other.TLSCert == nil {
			return nil, fmt.Errorf("%s: the scenario needs a second A2 app", c.Fault)
		}
		client = e.httpClient(other.TLSCert, 0)
	case FaultTLS11:
		client = e.httpClient(a.TLSCert, tls.VersionTLS11)
	}
	if c.TLSVersion != 0 {
		client = e.httpClient(a.TLSCert, c.TLSVersion)
	}
	if c.Cert != nil {
		client = e.httpClient(c.Cert, 0)
	}
	_ = x.send(ctx, e, client, e.T.BaseURL, c.Body)
	return x, nil
}

// Replay sends exactly the same request bytes again (same nonce, same signature).
func (e *Env) Replay(ctx context.Context, a *App, prev *Exchange) *Exchange {
	x := &Exchange{Method: prev.Method, URI: prev.URI, ReqHeader: prev.ReqHeader.Clone()}
	_ = x.send(ctx, e, a.client, e.T.BaseURL, prev.ReqBody)
	return x
}

func randomNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// VerifyAnswer checks the bank's integrity protection on an answer: an SM2 signature by
// a published bank key over timestamp\nnonce\nbody\n, and for A1 apps the MAC.
func (e *Env) VerifyAnswer(ctx context.Context, a *App, x *Exchange) error {
	if x.Err != nil {
		return fmt.Errorf("no answer: %v", x.Err)
	}
	s, err := e.verifyBankSigned(ctx, x.Header, x.Body)
	if err != nil {
		return err
	}
	if a != nil && a.MACKey != nil && x.Status < 500 {
		if got := x.Header.Get("X-JR-MAC"); got != mac(a.MACKey, s.msg) {
			return fmt.Errorf("X-JR-MAC %q does not match HMAC-SM3 under the app's key", got)
		}
	}
	return nil
}

// bankSignature is the bank's signature on an answer or a notification: the headers
// X-JR-Timestamp, X-JR-Nonce, X-JR-Serial and X-JR-Signature, over timestamp\nnonce\nbody\n.
type bankSignature struct {
	serial, sigB64 string
	msg            string // timestamp\nnonce\nbody\n
}

// bankSignatureOf reads the bank's signature headers; all four must be present.
func bankSignatureOf(h http.Header, body []byte) (bankSignature, error) {
	ts, nonce, sigB64, serial := h.Get("X-JR-Timestamp"), h.Get("X-JR-Nonce"), h.Get("X-JR-Signature"), h.Get("X-JR-Serial")
	if ts == "" || nonce == "" || sigB64 == "" || serial == "" {
		return bankSignature{}, fmt.Errorf("not signed by the bank: X-JR-Timestamp %q, X-JR-Nonce %q, X-JR-Serial %q, X-JR-Signature present %v",
			ts, nonce, serial, sigB64 != "")
	}
	return bankSignature{serial: serial, sigB64: sigB64, msg: ts + "\n" + nonce + "\n" + string(body) + "\n"}, nil
}

// verify checks the DER SM2 signature under key.
func (s bankSignature) verify(key *sm2.PublicKey) error {
	sig, err := base64.StdEncoding.DecodeString(s.sigB64)
	if err != nil {
		return fmt.Errorf("X-JR-Signature is not base64: %v", err)
	}
	if !verifyDER(key, []byte(s.msg), sig) {
		return fmt.Errorf("the bank's SM2 signature (serial %s) does not verify over timestamp\\nnonce\\nbody\\n with its published key", s.serial)
	}
	return nil
}

// verifyBankSigned checks the bank's signature on an answer or a notification against
// the published signing key the signature names.
func (e *Env) verifyBankSigned(ctx context.Context, h http.Header, body []byte) (bankSignature, error) {
	s, err := bankSignatureOf(h, body)
	if err != nil {
		return s, err
	}
	key, err := e.bankKey(ctx, s.serial)
	if err != nil {
		return s, err
	}
	return s, s.verify(key)
}
