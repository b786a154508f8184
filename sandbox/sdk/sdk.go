// Package sdk is the bank-provided Go SDK for partners (JR/T 0185-2020 6.1: the
// server-side SDK wraps the bank's common access algorithms and holds no business
// logic). It signs requests, verifies every response's integrity before handing it back
// (9.3.3/1: stop on an integrity error), and manages TLS.
package sdk

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/jr0185/harness/sandbox/protocol"
)

// Config configures a client. Either AppSecret (A1, HMAC-SM3) or SignKey (A2 and A1,
// SM2) must be set.
type Config struct {
	BaseURL string // e.g. https://127.0.0.1:8443
	AppID   string

	AppSecret    string // A1: the App_Secret shown once at registration
	SecretSerial string // its serial

	SignKey    *sm2.PrivateKey // SM2 request-signing key
	SignSerial string          // its certificate serial

	ClientCert *tls.Certificate // mTLS client certificate (required for A2)
	RootCAs    *x509.CertPool   // CA that issued the bank's TLS certificate

	// BankCertsPEM are the bank's response-signing certificates, as published at
	// /pki/bank-sign-certs.pem (PEM, current first). Each key is accepted only while
	// its certificate is valid: the bundle also holds retired certificates, kept for
	// verifying history, that a fresh answer must not be signed under.
	BankCertsPEM []byte
	// BankKeys are bank response-signing public keys by serial, whose certificates'
	// validity the client cannot check: prefer BankCertsPEM. A serial in both is
	// taken from BankCertsPEM.
	BankKeys map[string]*ecdsa.PublicKey

	// RefreshBankKeys: when a response (or notification) names a bank key serial not in
	// BankKeys — the bank rotated its signing key — fetch the bank's published signing
	// certificates (GET /pki/bank-sign-certs.pem, over the same verified TLS connection)
	// and verify again. Concurrent calls share one fetch, and fetches are at most one
	// every 30 s whatever the serial. A serial still unknown is an integrity failure.
	RefreshBankKeys bool

	// Nonce makes the nonce of each request (default protocol.NewNonce: 128 random
	// bits). It must never repeat (JR/T 0185-2020 9.2.2/2).
	Nonce func() string
	// Authorize, when set, builds the Authorization header instead of the SDK — for a
	// signing key held in an HSM or a signing service. It gets the method, the path with
	// query, the body, the timestamp and the nonce the request carries.
	Authorize func(method, pathWithQuery string, body []byte, timestamp, nonce string) (string, error)
	// Observe, when set, is told about every attempt the client sends (and the
	// key fetches of RefreshBankKeys) — for an access log. It must not block.
	Observe func(Call)

	Timeout    time.Duration
	HTTPClient *http.Client // optional; built from the TLS settings when nil
	Now        func() time.Time
	Resilience Resilience // retries of idempotent requests and the circuit breaker
}

// Call describes one attempt sent to the bank, for Config.Observe. Response is nil
// when the attempt failed at the transport; Err is the attempt's error (ErrIntegrity
// included).
type Call struct {
	Time          time.Time
	Method        string
	PathWithQuery string
	Response      *Response
	Err           error
	Duration      time.Duration
}

// Client calls the bank.
type Client struct {
	cfg    Config
	macKey []byte
	http   *http.Client
	brk    *breakers
	keys   *bankKeys
}

// New checks the configuration and builds a client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" || cfg.AppID == "" {
		return nil, errors.New("sdk: BaseURL and AppID are required")
	}
	if cfg.AppSecret == "" && cfg.SignKey == nil {
		return nil, errors.New("sdk: set AppSecret (A1) or SignKey (A2)")
	}
	certs := parseSM2CertBundle(cfg.BankCertsPEM)
	if len(cfg.BankKeys) == 0 && len(certs) == 0 {
		return nil, errors.New("sdk: BankCertsPEM (or BankKeys) is required: responses are verified before use")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Nonce == nil {
		cfg.Nonce = protocol.NewNonce
	}
	cfg.Resilience = cfg.Resilience.withDefaults()
	c := &Client{cfg: cfg, http: cfg.HTTPClient, brk: &breakers{}, keys: newBankKeys(cfg.BankKeys, certs)}
	if cfg.AppSecret != "" {
		c.macKey = protocol.DeriveMACKey(cfg.AppSecret, cfg.AppID)
	}
	if c.http == nil {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: cfg.RootCAs}
		if cfg.ClientCert != nil {
			tc.Certificates = []tls.Certificate{*cfg.ClientCert}
		}
		c.http = &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{
			TLSClientConfig: tc, MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: false,
		}}
	}
	return c, nil
}

// Response is a verified response.
type Response struct {
	Status    int
	Header    http.Header
	Body      []byte
	RequestID string
	UAPIID    string
	Integrity Integrity
}

// Integrity says how the response's integrity was checked.
type Integrity struct {
	Serial            string `json:"serial"`
	SignatureVerified bool   `json:"signature_verified"`
	MACChecked        bool   `json:"mac_checked"`
	MACVerified       bool   `json:"mac_verified"`
	StringToVerify    string `json:"-"`
}

// ErrIntegrity is returned (with the response, for diagnosis) when a response's
// signature is missing, unknown or does not verify. Do not act on such a response.
var ErrIntegrity = errors.New("sdk: response integrity check failed")

// Scheme reports which Authorization scheme the client uses for a path: SM2 for /a2
// (and whenever no App_Secret is configured), HMAC-SM3 otherwise.
func (c *Client) Scheme(path string) string {
	if strings.HasPrefix(path, "/a2/") || c.macKey == nil {
		return protocol.SchemeSM2
	}
	return protocol.SchemeHMAC
}

// Authorization builds the Authorization header for a request.
func (c *Client) Authorization(method, pathWithQuery string, body []byte) (string, error) {
	ts := protocol.Timestamp(c.cfg.Now())
	nonce := c.cfg.Nonce()
	if c.cfg.Authorize != nil {
		return c.cfg.Authorize(method, pathWithQuery, body, ts, nonce)
	}
	sts := protocol.StringToSign(method, pathWithQuery, ts, nonce, body)
	cr := protocol.Credentials{AppID: c.cfg.AppID, Timestamp: ts, Nonce: nonce}
	if c.Scheme(pathWithQuery) == protocol.SchemeHMAC {
		cr.Scheme, cr.Serial, cr.Signature = protocol.SchemeHMAC, c.cfg.SecretSerial, protocol.MACBase64(c.macKey, sts)
		return cr.String(), nil
	}
	if c.cfg.SignKey == nil {
		return "", errors.New("sdk: A2 APIs need SignKey")
	}
	sig, err := protocol.SignSM2(c.cfg.SignKey, sts)
	if err != nil {
		return "", err
	}
	cr.Scheme, cr.Serial, cr.Signature = protocol.SchemeSM2, c.cfg.SignSerial, sig
	return cr.String(), nil
}

// Do sends a signed request and verifies the response. On an integrity failure it
// returns the response together with ErrIntegrity (never retried: do not act on it).
// A GET, or a request with an Idempotency-Key, is retried on transport errors, 503,
// 429 and 409 IDEMPOTENCY_IN_PROGRESS — re-signed each time with a fresh nonce and the
// same key, so a payment is never made twice. Repeated failures open the circuit.
func (c *Client) Do(ctx context.Context, method, pathWithQuery string, body []byte, header http.Header) (*Response, error) {
	attempts := 1
	if method == http.MethodGet || header.Get("Idempotency-Key") != "" {
		attempts = c.cfg.Resilience.MaxAttempts
	}
	var r *Response
	var err error
	brk := c.brk.get(method, pathWithQuery)
	for n := 1; ; n++ {
		if !brk.allow(c.cfg.Now()) {
			return nil, ErrCircuitOpen
		}
		start := c.cfg.Now()
		r, err = c.once(ctx, method, pathWithQuery, body, header)
		if c.cfg.Observe != nil {
			c.cfg.Observe(Call{Time: start, Method: method, PathWithQuery: pathWithQuery, Response: r, Err: err, Duration: c.cfg.Now().Sub(start)})
		}
		brk.record(!failed(r, err), c.cfg.Now(), c.cfg.Resilience)
		if n >= attempts || !retryable(r, err) {
			return r, err
		}
		wait, ok := c.delay(n, r)
		if !ok {
			return r, err
		}
		select {
		case <-ctx.Done():
			return r, err
		case <-time.After(wait):
		}
	}
}

// once sends one signed attempt.
func (c *Client) once(ctx context.Context, method, pathWithQuery string, body []byte, header http.Header) (*Response, error) {
	req, err := c.NewRequest(ctx, method, pathWithQuery, body, header)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	out, err := ReadResponse(resp)
	if err != nil {
		return nil, err
	}
	if err := c.Verify(ctx, out); err != nil {
		return out, err
	}
	return out, nil
}

// NewRequest builds a signed request without sending it: the Authorization header
// carries a fresh nonce and the current timestamp, so send it once, within the bank's
// timestamp window, through HTTPClient (mutual TLS). Read the answer with ReadResponse
// and check it with Verify before acting on it. Do is NewRequest, send, ReadResponse
// and Verify, with retries; use NewRequest when signing and sending must be separated
// (e.g. a load test that signs its requests ahead of time).
func (c *Client) NewRequest(ctx context.Context, method, pathWithQuery string, body []byte, header http.Header) (*http.Request, error) {
	auth, err := c.Authorization(method, pathWithQuery, body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.cfg.BaseURL, "/")+pathWithQuery, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", auth)
	if len(body) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// HTTPClient is the HTTP client the SDK sends through (mutual TLS when a client
// certificate is configured), for requests built with NewRequest.
func (c *Client) HTTPClient() *http.Client { return c.http }

// ReadResponse reads and closes an answer's body. The Response is NOT verified yet:
// call Verify before using it.
func ReadResponse(resp *http.Response) (*Response, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b,
		RequestID: resp.Header.Get(protocol.HeaderRequestID), UAPIID: resp.Header.Get(protocol.HeaderUAPIID)}, nil
}

// Verify checks a response's integrity — the bank's SM2 signature with a known bank
// key, and the A1 MAC when present — and records the outcome in r.Integrity. A
// non-nil error wraps ErrIntegrity: do not act on the response. Do verifies every
// response itself; Verify is for responses read with ReadResponse.
// The context bounds a fetch of the bank's published keys (Config.RefreshBankKeys).
func (c *Client) Verify(ctx context.Context, r *Response) error {
	ts, nonce := r.Header.Get(protocol.HeaderTimestamp), r.Header.Get(protocol.HeaderNonce)
	sig, serial := r.Header.Get(protocol.HeaderSignature), r.Header.Get(protocol.HeaderSerial)
	r.Integrity.Serial = serial
	if ts == "" || nonce == "" || sig == "" || serial == "" {
		return fmt.Errorf("%w: response is not signed", ErrIntegrity)
	}
	msg := protocol.ResponseStringToSign(ts, nonce, r.Body)
	r.Integrity.StringToVerify = string(msg)
	pub, err := c.verifyKey(ctx, serial)
	if err != nil {
		return err
	}
	if !protocol.VerifySM2(pub, msg, sig) {
		return fmt.Errorf("%w: bank signature does not verify", ErrIntegrity)
	}
	r.Integrity.SignatureVerified = true
	if mac := r.Header.Get(protocol.HeaderMAC); mac != "" && c.macKey != nil {
		r.Integrity.MACChecked = true
		r.Integrity.MACVerified = protocol.VerifyMAC(c.macKey, msg, mac)
		if !r.Integrity.MACVerified {
			return fmt.Errorf("%w: response MAC does not verify", ErrIntegrity)
		}
	}
	return nil
}

// MACKeyHex is the derived A1 MAC key in hex (what `openssl ... -macopt hexkey:` takes).
func (c *Client) MACKeyHex() string { return hex.EncodeToString(c.macKey) }

// Config returns the client's configuration (to derive a client with other settings).
func (c *Client) Config() Config { return c.cfg }
