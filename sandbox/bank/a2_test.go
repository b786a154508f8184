package bank_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/jr0185/harness/sandbox/internal/pki"
	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
)

// a2Partner is the demo partner's A2 credentials, loaded the way a partner would.
type a2Partner struct {
	cfg  sdk.Config
	cert tls.Certificate
}

func demoPartner(t *testing.T, tb *testBank) a2Partner {
	t.Helper()
	cfg, _, err := sdk.LoadDir(tb.b.DemoDir)
	if err != nil {
		t.Fatal(err)
	}
	return a2Partner{cfg: cfg, cert: *cfg.ClientCert}
}

// a2Opts break one part of a correctly signed A2 request.
type a2Opts struct {
	method, body string
	cert         *tls.Certificate // nil: the partner's own; use noCert for none
	noCert       bool
	ts, nonce    string
	signedBody   *string // body covered by the signature when it differs
	sig          string
	scheme       string
	token        string
	noAuth       bool
	auth         string // when set, the Authorization header as is (nothing is signed)
}

func (tb *testBank) a2Call(p a2Partner, uri string, o a2Opts) *resp {
	tb.t.Helper()
	if o.method == "" {
		o.method = "GET"
	}
	if o.ts == "" {
		o.ts = protocol.Timestamp(time.Now())
	}
	if o.nonce == "" {
		o.nonce = protocol.NewNonce()
	}
	signed := o.body
	if o.signedBody != nil {
		signed = *o.signedBody
	}
	if o.sig == "" && o.auth == "" {
		sig, err := protocol.SignSM2(p.cfg.SignKey, protocol.StringToSign(o.method, uri, o.ts, o.nonce, []byte(signed)))
		if err != nil {
			tb.t.Fatal(err)
		}
		o.sig = sig
	}
	if o.scheme == "" {
		o.scheme = protocol.SchemeSM2
	}
	tc := tb.http.Transport.(*http.Transport).TLSClientConfig.Clone()
	switch {
	case o.noCert:
	case o.cert != nil:
		tc.Certificates = []tls.Certificate{*o.cert}
	default:
		tc.Certificates = []tls.Certificate{p.cert}
	}
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
	req, _ := http.NewRequest(o.method, tb.b.URL+uri, strings.NewReader(o.body))
	switch {
	case o.auth != "":
		req.Header.Set("Authorization", o.auth)
	case !o.noAuth:
		req.Header.Set("Authorization", protocol.Credentials{Scheme: o.scheme, AppID: p.cfg.AppID, Serial: p.cfg.SignSerial,
			Timestamp: o.ts, Nonce: o.nonce, Signature: o.sig}.String())
	}
	if o.token != "" {
		req.Header.Set("X-JR-Access-Token", o.token)
	}
	if o.body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	saved := tb.http
	tb.http = client
	defer func() { tb.http = saved }()
	return tb.do(req, true)
}

// issueCert issues a client certificate from the sandbox CA for appID, valid from
// notBefore for validity.
func issueCert(t testing.TB, tb *testBank, appID string, now time.Time, validity time.Duration) tls.Certificate {
	t.Helper()
	opts := pki.DefaultOptions(filepath.Join(tb.cfg.DataDir, "pki"))
	opts.Now = func() time.Time { return now }
	pk, _, err := pki.LoadOrCreateBank(opts)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert, _, err := pk.IssueClientCert(appID, "Other Partner", &key.PublicKey, validity)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}

// foreignCert is a self-signed certificate claiming appID, from no CA the bank trusts.
func foreignCert(t *testing.T, appID string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	u, _ := url.Parse("urn:jr0185:app:" + appID)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: appID}, URIs: []*url.URL{u},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// rawRS re-encodes a DER SM2 signature as the raw 64-byte r||s some libraries emit.
func rawRS(t *testing.T, derB64 string) string {
	der, _ := base64.StdEncoding.DecodeString(derB64)
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 64)
	rs.R.FillBytes(out[:32])
	rs.S.FillBytes(out[32:])
	return base64.StdEncoding.EncodeToString(out)
}

func TestA2Refusals(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	p := demoPartner(t, tb)
	st, out := tb.admin("POST", "/admin/v1/apps", map[string]any{"name": "Other Partner", "level": "A2", "scopes": []string{"accounts:read"}})
	if st != 201 {
		t.Fatalf("register: %d %v", st, out)
	}
	otherID := out["app"].(map[string]any)["app_id"].(string)
	otherCert := issueCert(t, tb, otherID, time.Now(), time.Hour)
	expired := issueCert(t, tb, p.cfg.AppID, time.Now(), time.Second)
	time.Sleep(time.Until(expired.Leaf.NotAfter) + 1100*time.Millisecond) // let it lapse
	foreign := foreignCert(t, p.cfg.AppID)

	uri := "/a2/v1/accounts"
	// Signature with another distinguishing ID (the bank uses 1234567812345678).
	ts, nonce := protocol.Timestamp(time.Now()), protocol.NewNonce()
	wrongID, err := p.cfg.SignKey.Sign(rand.Reader, protocol.StringToSign("GET", uri, ts, nonce, nil), sm2.NewSM2SignerOption(true, []byte("1234567812345679")))
	if err != nil {
		t.Fatal(err)
	}
	goodSig, _ := protocol.SignSM2(p.cfg.SignKey, protocol.StringToSign("GET", uri, ts, nonce, nil))
	otherBody := "token=at_x"
	replay := protocol.NewNonce()
	if r := tb.a2Call(p, "/a2/v1/oauth/revoke", a2Opts{method: "POST", body: "token=at_unknown", nonce: replay}); r.Status != 200 {
		t.Fatalf("a correct A2 call was refused: %s", r)
	}
	stale := protocol.Timestamp(time.Now().Add(-time.Hour))

	tests := []struct {
		name   string
		uri    string
		opts   a2Opts
		status int
		code   string
	}{
		{"401/no client certificate", uri, a2Opts{noCert: true}, 401, "CLIENT_CERT_REQUIRED"},
		{"403/certificate of another app", uri, a2Opts{cert: &otherCert}, 403, "CLIENT_CERT_APP_MISMATCH"},
		{"401/expired certificate", uri, a2Opts{cert: &expired}, 401, "CLIENT_CERT_INVALID"},
		{"401/certificate from an untrusted CA", uri, a2Opts{cert: &foreign}, 401, "CLIENT_CERT_INVALID"},
		{"401/unsigned request", uri, a2Opts{noAuth: true}, 401, "AUTH_MISSING"},
		{"401/HMAC scheme on an A2 API", uri, a2Opts{scheme: protocol.SchemeHMAC}, 401, "AUTH_SCHEME_NOT_ALLOWED"},
		{"401/signature over a different body", "/a2/v1/oauth/revoke", a2Opts{method: "POST", body: "token=at_y", signedBody: &otherBody}, 401, "SIGNATURE_INVALID"},
		{"401/wrong distinguishing ID", uri, a2Opts{ts: ts, nonce: nonce, sig: base64.StdEncoding.EncodeToString(wrongID)}, 401, "SIGNATURE_INVALID"},
		{"401/raw r||s instead of DER", uri, a2Opts{ts: ts, nonce: nonce, sig: rawRS(t, goodSig)}, 401, "SIGNATURE_INVALID"},
		{"401/stale timestamp", uri, a2Opts{ts: stale}, 401, "TIMESTAMP_OUT_OF_WINDOW"},
		{"401/replayed nonce", "/a2/v1/oauth/revoke", a2Opts{method: "POST", body: "token=at_unknown", nonce: replay}, 401, "NONCE_REPLAYED"},
		{"401/no user access token", uri, a2Opts{}, 401, "TOKEN_INVALID"},
		{"401/unknown access token", uri, a2Opts{token: "at_" + strings.Repeat("A", 43)}, 401, "TOKEN_INVALID"},
		{"400/unknown authorization code", "/a2/v1/oauth/token", a2Opts{method: "POST",
			body: "grant_type=authorization_code&code=ac_nope&redirect_uri=https%3A%2F%2Fpartner.example%2Fcallback&code_verifier=" + strings.Repeat("v", 43)}, 400, "AUTH_CODE_INVALID"},
		{"400/unknown grant type", "/a2/v1/oauth/token", a2Opts{method: "POST", body: "grant_type=password"}, 400, "PARAMETER_INVALID"},
		{"400/bad account id", "/a2/v1/accounts/6222021234567890123/balance", a2Opts{}, 400, "PARAMETER_INVALID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tb.snapshot()
			r := tb.a2Call(p, tc.uri, tc.opts)
			if r.Status != tc.status || r.Prob.Code != tc.code {
				t.Fatalf("got %s, want %d %s", r, tc.status, tc.code)
			}
			tb.assertUnchanged(before, tc.name)
		})
	}
}

func pemCert(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
