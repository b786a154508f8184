package refpartner

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
	"github.com/jr0185/harness/steps/driver"
)

// Version of the reference partner, reported by hello.
const Version = "1.0"

func (p *Partner) hello(context.Context, json.RawMessage) (any, error) {
	return driver.HelloResult{Name: p.opts.Name, ClientCertPEM: p.id.clientCertPEM, SignPublicKeyPEM: p.id.signPubPEM,
		EncPublicKeyPEM: p.id.encPubPEM, RedirectURI: p.opts.RedirectURI, NotifyURL: p.notifyURL,
		NotifyCSRPEM: p.id.notifyCSRPEM, Language: "Go", Version: Version}, nil
}

// configure takes what the bank issued and builds the SDK client: mutual TLS 1.2+ with
// the partner's certificate, the bank's CA, the bank's signing keys (refreshed from the
// bank after a rotation), the App_Secret for A1.
func (p *Partner) configure(_ context.Context, params json.RawMessage) (any, error) {
	var c driver.ConfigureParams
	if err := decodeParams(params, &c); err != nil {
		return nil, err
	}
	if c.BankURL == "" || c.AppID == "" || c.SignSerial == "" || c.CAPEM == "" || c.BankSignCertsPEM == "" || c.BankEncCertPEM == "" {
		return nil, fail(driver.CodeInvalid, "bank_url, app_id, sign_serial, ca_pem, bank_sign_certs_pem and bank_enc_cert_pem are required")
	}
	encSN, encPub, err := sdk.ParseSM2CertPEM([]byte(c.BankEncCertPEM))
	if err != nil {
		return nil, fail(driver.CodeInvalid, "bank_enc_cert_pem: %v", err)
	}
	if c.NotifyCertPEM != "" {
		pair, err := p.id.notifyPair(c.NotifyCertPEM)
		if err != nil {
			return nil, fail(driver.CodeInvalid, "notify_cert_pem: %v", err)
		}
		p.notifyCert.Store(pair)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(c.CAPEM)) {
		return nil, fail(driver.CodeInvalid, "ca_pem holds no certificate")
	}
	keys := map[string]*ecdsa.PublicKey{}
	rest := []byte(c.BankSignCertsPEM)
	for block, r := pem.Decode(rest); block != nil; block, r = pem.Decode(r) {
		if s, k, err := sdk.ParseSM2CertPEM(pem.EncodeToMemory(block)); err == nil {
			keys[s] = k
		}
	}
	if len(keys) == 0 {
		return nil, fail(driver.CodeInvalid, "bank_sign_certs_pem holds no SM2 certificate")
	}
	p.mu.Lock()
	p.conf, p.roots, p.bankKeys, p.bankEnc, p.bankEncSN = &c, roots, keys, encPub, encSN
	p.mu.Unlock()
	if err := p.buildClient(); err != nil {
		return nil, err
	}
	p.logger.Info("configured", "app_id", c.AppID, "bank", c.BankURL)
	return struct{}{}, nil
}

// buildClient makes a fresh SDK client from the configuration (fresh breaker too), with
// the CA and bank signing keys configure parsed (the SDK copies the keys it is given).
func (p *Partner) buildClient() error {
	p.mu.Lock()
	c, roots, keys := p.conf, p.roots, p.bankKeys
	p.mu.Unlock()
	if c == nil {
		return nil
	}
	cert := p.id.clientCert
	cfg := sdk.Config{BaseURL: c.BankURL, AppID: c.AppID, AppSecret: c.AppSecret, SecretSerial: c.AppSecretSerial,
		SignKey: p.id.signKey, SignSerial: c.SignSerial, ClientCert: &cert, RootCAs: roots, BankCertsPEM: []byte(c.BankSignCertsPEM),
		RefreshBankKeys: true, Observe: p.observe, Timeout: AnswerTimeout,
		// The partner runs its own retry loop (it honours Retry-After and keeps one
		// Idempotency-Key per payment): the SDK sends each attempt once. Its breaker
		// counts every attempt.
		Resilience: sdk.Resilience{MaxAttempts: 1, FailureThreshold: p.opts.BreakerThreshold, OpenFor: p.opts.BreakerOpenFor}}
	if p.is(NoKeyRefresh) {
		cfg.RefreshBankKeys = false
	}
	if p.is(IgnoreKeyValidity) { // the keys without their certificates: no validity to check
		cfg.BankCertsPEM, cfg.BankKeys = nil, keys
	}
	if p.is(InsecureTLS) || p.is(NoHostnameCheck) {
		cfg.HTTPClient = mutantTLSClient(cfg.Timeout, roots, cert, p.is(NoHostnameCheck))
	}
	if p.is(NoTimeout) {
		cfg.Timeout = mutantTimeout
	}
	if p.is(FrozenTimestamp) {
		frozen := time.Now()
		cfg.Now = func() time.Time { return frozen }
	}
	if p.is(NoCircuitBreaker) {
		cfg.Resilience.FailureThreshold = math.MaxInt32
	}
	if p.is(ReusesNonces) {
		cfg.Nonce = func() string { return mutantNonce }
	}
	if p.is(NoClientCert) {
		cfg.ClientCert = nil
	}
	if p.is(TLS11) {
		cfg.HTTPClient = &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11, RootCAs: roots, Certificates: []tls.Certificate{cert}}}} // #nosec G402 -- the tls-1-1 mutant partner, for the suite to catch
	}
	if p.is(RawSignature) || p.is(MACOnA2) || p.is(MACWrongKey) {
		cfg.Authorize = p.mutantAuthorize(c)
	}
	client, err := sdk.New(cfg)
	if err != nil {
		return fail(driver.CodeInvalid, "%v", err)
	}
	p.mu.Lock()
	p.client, p.openCircuits = client, nil
	p.mu.Unlock()
	return nil
}

// mutantTLSClient is the insecure-tls mutant's client (no verification of the bank's
// certificate at all) or, with chainOnly, the no-hostname-check mutant's (the chain to
// the CA is verified, the name is not) — both with the partner's client certificate.
func mutantTLSClient(timeout time.Duration, roots *x509.CertPool, cert tls.Certificate, chainOnly bool) *http.Client {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, InsecureSkipVerify: true} // #nosec G402 -- the insecure-tls and no-hostname-check mutant partners, for the suite to catch
	if chainOnly {
		// VerifyConnection (not VerifyPeerCertificate) runs on resumed sessions too.
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			certs := cs.PeerCertificates
			if len(certs) == 0 {
				return errors.New("no server certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range certs[1:] {
				inter.AddCert(c)
			}
			_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter}) // no DNSName: any name passes
			return err
		}
	}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{TLSClientConfig: tc}}
}

// mutantAuthorize signs requests the wrong way: raw-signature sends SM2 signatures as
// r||s instead of DER; mac-on-a2 uses the A1 HMAC-SM3 scheme on A2 paths too;
// mac-wrong-key keys the A1 HMAC-SM3 with the App_Secret itself, not the derived key.
func (p *Partner) mutantAuthorize(c *driver.ConfigureParams) func(method, path string, body []byte, ts, nonce string) (string, error) {
	macKey := protocol.DeriveMACKey(c.AppSecret, c.AppID)
	if p.is(MACWrongKey) {
		macKey = []byte(c.AppSecret)
	}
	return func(method, path string, body []byte, ts, nonce string) (string, error) {
		sts := protocol.StringToSign(method, path, ts, nonce, body)
		cr := protocol.Credentials{AppID: c.AppID, Timestamp: ts, Nonce: nonce}
		if p.is(MACOnA2) || (!strings.HasPrefix(path, "/a2/") && c.AppSecret != "") {
			cr.Scheme, cr.Serial, cr.Signature = protocol.SchemeHMAC, c.AppSecretSerial, protocol.MACBase64(macKey, sts)
			return cr.String(), nil
		}
		sign := rawSM2
		if !p.is(RawSignature) {
			sign = protocol.SignSM2
		}
		raw, err := sign(p.id.signKey, sts)
		if err != nil {
			return "", err
		}
		cr.Scheme, cr.Serial, cr.Signature = protocol.SchemeSM2, c.SignSerial, raw
		return cr.String(), nil
	}
}

// rawSM2 is an SM2-with-SM3 signature as 64 bytes r||s, base64 (the raw-signature mutant).
func rawSM2(k *sm2.PrivateKey, msg []byte) (string, error) {
	b64, err := protocol.SignSM2(k, msg)
	if err != nil {
		return "", err
	}
	der, _ := base64.StdEncoding.DecodeString(b64)
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		return "", err
	}
	out := make([]byte, 64)
	rs.R.FillBytes(out[:32])
	rs.S.FillBytes(out[32:])
	return base64.StdEncoding.EncodeToString(out), nil
}

// reset forgets the user, tokens, pending authorizations, notifications, history,
// alarms and the log; the configuration stays, with a fresh client (closed circuit).
func (p *Partner) reset(context.Context, json.RawMessage) (any, error) {
	p.mu.Lock()
	p.user, p.link, p.payments, p.usedLinks = nil, nil, map[string]*pendingPayment{}, nil
	p.notes, p.noteIDs, p.history, p.alarms = nil, map[string]bool{}, nil, nil
	p.mu.Unlock()
	p.log.Reset()
	if err := p.buildClient(); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (p *Partner) status(context.Context, json.RawMessage) (any, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	res := driver.StatusResult{Circuit: "closed", Alarms: append([]driver.Alarm{}, p.alarms...)}
	if p.client != nil && p.client.CircuitOpen() {
		res.Circuit = "open"
	}
	return res, nil
}

func (p *Partner) logAction(context.Context, json.RawMessage) (any, error) {
	return driver.LogResult{Lines: p.log.Lines()}, nil
}

func (p *Partner) historyAction(context.Context, json.RawMessage) (any, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return driver.HistoryResult{Events: append([]driver.Event{}, p.history...)}, nil
}

func (p *Partner) notifications(context.Context, json.RawMessage) (any, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return driver.NotificationsResult{Notifications: append([]driver.PaymentResult{}, p.notes...)}, nil
}

// serveNotification is POST /notify: a payment notification from the bank, accepted
// (204) only when it carries a valid bank signature; otherwise 401 and an alarm.
func (p *Partner) serveNotification(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/notify" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	client := p.client
	p.mu.Unlock()
	if client == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if err := client.VerifyNotification(r.Context(), r.Header, body); err != nil && !p.is(AcceptProbeNotifications) &&
		!(p.is(AcceptUnknownSerial) && p.verifiesUnderAnotherKey(r.Header, body)) {
		p.logger.Warn("notification refused", "notification_id", r.Header.Get("X-JR-Notification-Id"), "reason", callError(err))
		p.alarm("a notification failed verification and was refused: %s", strings.TrimPrefix(err.Error(), sdk.ErrIntegrity.Error()+": "))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var n struct {
		ID      string `json:"notification_id"`
		Payment struct {
			ID     string `json:"payment_id"`
			Status string `json:"status"`
		} `json:"payment"`
	}
	if err := json.Unmarshal(body, &n); err != nil || n.Payment.ID == "" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	key := n.ID + "|" + n.Payment.ID + "|" + n.Payment.Status
	p.mu.Lock()
	if !p.noteIDs[key] { // a redelivery is acknowledged, not recorded twice
		p.noteIDs[key] = true
		p.notes = append(p.notes, driver.PaymentResult{PaymentID: n.Payment.ID, Status: n.Payment.Status})
	}
	p.mu.Unlock()
	p.logger.Info("notification accepted", "notification_id", n.ID, "payment_id", n.Payment.ID, "status", n.Payment.Status)
	w.WriteHeader(http.StatusNoContent)
}

var errNotConfigured = errors.New("not configured: call configure first")
