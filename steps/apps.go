package steps

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"github.com/tjfoc/gmsm/sm2"
	tjx509 "github.com/tjfoc/gmsm/x509"
)

// App is a partner app the scenario registered through the test-control API, with
// credentials the harness generated itself.
type App struct {
	ID     string
	Name   string // as registered: the bank shows it to the user (consent page, portal)
	Level  string
	Scopes []string

	Secret, SecretSerial string // App_Secret (A1; A2 apps may have one too)
	MACKey               []byte

	SignKey    *sm2.PrivateKey // A2 request signing
	SignSerial string
	EncKey     *sm2.PrivateKey // A2 field encryption (separate from signing: 7.3.4/1)
	EncSerial  string
	TLSCert    *tls.Certificate // A2 mutual TLS
	CertSerial string

	stray  *sm2.PrivateKey // a key the bank never saw (FaultUnregisteredKey)
	client *http.Client
}

// AppSpec is what a scenario asks for.
type AppSpec struct {
	Level     string   // "A1" or "A2"
	Scopes    []string // granted interfaces (scope names)
	NotifyURL string
	CertValid [2]time.Time // client certificate validity (zero: a year from now)
}

// Admin calls the target's test-control (admin) API.
func (e *Env) Admin(ctx context.Context, method, path string, body any) (*Exchange, error) {
	x := &Exchange{Method: method, URI: path, ReqHeader: http.Header{"Authorization": {"Bearer " + e.T.AdminToken}}}
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, err
		}
		x.ReqHeader.Set("Content-Type", "application/json")
	}
	if err := x.send(ctx, e, e.plain, e.T.BaseURL, raw); err != nil {
		return x, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return x, nil
}

// adminOK calls the admin API and insists on one of the wanted statuses.
func (e *Env) adminOK(ctx context.Context, method, path string, body any, want ...int) (map[string]any, error) {
	x, err := e.adminWant(ctx, method, path, body, want...)
	if err != nil {
		return nil, err
	}
	return x.JSON(), nil
}

// adminWant calls the admin API and insists on one of the wanted statuses.
func (e *Env) adminWant(ctx context.Context, method, path string, body any, want ...int) (*Exchange, error) {
	x, err := e.Admin(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	for _, w := range want {
		if x.Status == w {
			return x, nil
		}
	}
	return nil, fmt.Errorf("test control %s %s: HTTP %d %s", method, path, x.Status, clip(string(x.Body), 300))
}

// RegisterApp registers, approves and equips a new partner app.
func (e *Env) RegisterApp(ctx context.Context, name string, s AppSpec) (*App, error) {
	reg := map[string]any{"name": name, "level": s.Level, "scopes": s.Scopes, "redirect_uris": []string{e.T.RedirectURI}}
	if s.NotifyURL != "" {
		reg["notify_url"] = s.NotifyURL
	}
	out, err := e.adminOK(ctx, "POST", "/admin/v1/apps", reg, 201)
	if err != nil {
		return nil, err
	}
	a := &App{Name: name, Level: s.Level, Scopes: s.Scopes, client: e.plain}
	a.ID, _ = dig(out, "app", "app_id").(string)
	if a.ID == "" {
		return nil, fmt.Errorf("registration answer has no app.app_id: %v", out)
	}
	a.Secret, _ = dig(out, "credentials", "app_secret").(string)
	a.SecretSerial, _ = dig(out, "credentials", "serial").(string)
	if a.Secret != "" {
		a.MACKey = macKey(a.Secret, a.ID)
	}
	if _, err := e.adminOK(ctx, "POST", "/admin/v1/apps/"+a.ID+"/actions/approve", nil, 200); err != nil {
		return nil, err
	}
	if s.Level != "A2" {
		return a, nil
	}
	if err := e.equipA2(ctx, a, s); err != nil {
		return nil, err
	}
	return a, nil
}

// equipA2 generates the app's client certificate and SM2 signing and encryption keys and
// registers them (certificate by fingerprint, keys as public keys).
func (e *Env) equipA2(ctx context.Context, a *App, s AppSpec) error {
	cert, certPEM, serial, err := selfSignedClientCert(a.ID, s.CertValid)
	if err != nil {
		return err
	}
	a.TLSCert, a.CertSerial = cert, serial
	if _, err := e.adminOK(ctx, "POST", "/admin/v1/apps/"+a.ID+"/credentials", map[string]any{"kind": "client_cert", "pem": certPEM}, 201); err != nil {
		return err
	}
	for _, k := range []struct {
		kind   string
		key    **sm2.PrivateKey
		serial *string
	}{{"sm2_sign", &a.SignKey, &a.SignSerial}, {"sm2_enc", &a.EncKey, &a.EncSerial}} {
		priv, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		pubPEM, err := tjx509.WritePublicKeyToPem(&priv.PublicKey)
		if err != nil {
			return err
		}
		out, err := e.adminOK(ctx, "POST", "/admin/v1/apps/"+a.ID+"/credentials",
			map[string]any{"kind": k.kind, "pem": string(pubPEM), "valid_days": 365}, 201)
		if err != nil {
			return err
		}
		*k.key = priv
		*k.serial, _ = dig(out, "credential", "serial").(string)
	}
	stray, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	a.stray = stray
	a.client = e.httpClient(a.TLSCert, 0)
	return nil
}

// selfSignedClientCert makes an ECDSA P-256 client certificate naming the App_ID.
func selfSignedClientCert(appID string, valid [2]time.Time) (*tls.Certificate, string, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", "", err
	}
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, "", "", err
	}
	nb, na := valid[0], valid[1]
	if nb.IsZero() {
		nb, na = time.Now().Add(-time.Hour), time.Now().Add(365*24*time.Hour)
	}
	tmpl := &x509.Certificate{SerialNumber: sn, Subject: pkix.Name{CommonName: appID, Organization: []string{"JR/T 0185 conformance harness"}},
		NotBefore: nb, NotAfter: na, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, "", "", err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, "", "", err
	}
	pair, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		return nil, "", "", err
	}
	return &pair, string(certPEM), serialHex(sn.Bytes()), nil
}

// sign produces the Authorization scheme, key serial and signature for the string to
// sign, applying a signing fault.
func (a *App) sign(f Fault, sts string) (scheme, serial, sig string, err error) {
	b64 := base64.StdEncoding.EncodeToString
	if a.Level != "A2" || f == FaultMACOnA2 {
		if a.MACKey == nil {
			return "", "", "", fmt.Errorf("app %s has no App_Secret to MAC with", a.ID)
		}
		key := a.MACKey
		if f == FaultWrongSecret {
			key = macKey("not-the-"+a.Secret, a.ID)
		}
		serial = a.SecretSerial
		if f == FaultUnknownSerial {
			serial = "ffffffffffffffff"
		}
		return "JR0185-HMAC-SM3", serial, mac(key, sts), nil
	}
	serial = a.SignSerial
	var raw []byte
	switch f {
	case FaultWrongUID:
		raw, err = signDER(a.SignKey, []byte(sts), []byte("1234567812345679"))
	case FaultRawSignature:
		raw, err = signRaw(a.SignKey, []byte(sts))
	case FaultUnregisteredKey:
		raw, err = signDER(a.stray, []byte(sts), DefaultUID)
	case FaultUnknownSerial:
		serial = "ffffffffffffffff"
		raw, err = signDER(a.SignKey, []byte(sts), DefaultUID)
	default:
		raw, err = signDER(a.SignKey, []byte(sts), DefaultUID)
	}
	return "JR0185-SM2-SM3", serial, b64(raw), err
}

// dig walks nested JSON objects.
func dig(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[p]
	}
	return cur
}

// jsonBody marshals v, for request bodies.
func jsonBody(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimRight(buf.Bytes(), "\n")
}
