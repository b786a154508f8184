package bank_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/internal/pki"
	"github.com/jr0185/harness/sandbox/sdk"
)

// rgKeys are a partner's key pairs, generated on its side; only public halves travel.
type rgKeys struct {
	client     *ecdsa.PrivateKey
	sign, enc  *sm2.PrivateKey
	csr        string
	signPublic string
	encPublic  string
}

func rgNewKeys(t *testing.T) rgKeys {
	t.Helper()
	var k rgKeys
	var err error
	if k.client, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "my-wallet", Organization: []string{"Wallet Co"}}}, k.client)
	if err != nil {
		t.Fatal(err)
	}
	k.csr = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	for _, p := range []struct {
		key **sm2.PrivateKey
		pub *string
	}{{&k.sign, &k.signPublic}, {&k.enc, &k.encPublic}} {
		if *p.key, err = sm2.GenerateKey(rand.Reader); err != nil {
			t.Fatal(err)
		}
		b, err := pki.EncodePublicKeyPEM(&(*p.key).PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		*p.pub = string(b)
	}
	return k
}

// rgMaterials is a complete registration (valid GB 32100 and GB 11643 codes).
func rgMaterials(name string, keys map[string]any) map[string]any {
	reg := map[string]any{
		"organization": map[string]any{"name": name + " 科技有限公司", "unified_social_credit_code": "91100000100003962T",
			"operating_qualification": "增值电信业务经营许可证 京B2-20200218"},
		"legal_representative": map[string]any{"name": "赵六", "id_number": "11010519491231002X"},
		"developers":           []any{map[string]any{"name": "钱七", "id_number": "110101199003070011"}},
		"app": map[string]any{"name": name, "level": "A2", "scopes": []string{"products:read", "oauth:token", "accounts:read"},
			"redirect_uris": []string{pgRedirect}},
	}
	for k, v := range keys {
		reg[k] = v
	}
	return reg
}

// rgSubmit posts to the public registration endpoint, without credentials.
func rgSubmit(t *testing.T, tb *testBank, body any) (*resp, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", tb.b.URL+"/partners/v1/registrations", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	r := tb.do(req, false)
	var out map[string]any
	_ = json.Unmarshal(r.Body, &out)
	return r, out
}

type rgCert struct {
	Kind, Serial, Certificate string
}

func rgCerts(t *testing.T, out map[string]any) map[string]rgCert {
	t.Helper()
	raw, _ := json.Marshal(out["certificates"])
	var list []rgCert
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	m := map[string]rgCert{}
	for _, c := range list {
		m[c.Kind] = c
	}
	return m
}

// rgClient is the partner's SDK client from what the registration returned: the issued
// client certificate with the partner's own key, its SM2 signing key and serial.
func rgClient(t *testing.T, tb *testBank, appID string, k rgKeys, certs map[string]rgCert) *sdk.Client {
	t.Helper()
	keyDER, _ := x509.MarshalECPrivateKey(k.client)
	cc, err := tls.X509KeyPair([]byte(certs["client_cert"].Certificate), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatalf("the issued client certificate does not pair with the partner's key: %v", err)
	}
	ca, _ := os.ReadFile(tb.b.TLSCAFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	c, err := sdk.New(sdk.Config{BaseURL: tb.b.URL, AppID: appID, SignKey: k.sign, SignSerial: certs["sm2_sign"].Serial,
		ClientCert: &cc, RootCAs: pool, BankKeys: tb.bankKeys, Resilience: sdk.Resilience{MaxAttempts: 1, FailureThreshold: 1 << 30}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSelfServiceRegistrationWithKeysCallsAtOnceWhenAutoApproved(t *testing.T) {
	t.Parallel()
	tb := startBank(t, func(c *bank.Config) { c.PartnerAutoApprove = true })
	k := rgNewKeys(t)
	r, out := rgSubmit(t, tb, rgMaterials("Wallet", map[string]any{"client_csr": k.csr, "sm2_sign_public_key": k.signPublic, "sm2_enc_public_key": k.encPublic}))
	if r.Status != 201 || out["review"] != "approved" {
		t.Fatalf("registration: %v", r)
	}
	appID := out["app"].(map[string]any)["app_id"].(string)
	certs := rgCerts(t, out)
	if len(certs) != 3 {
		t.Fatalf("certificates: %v", out["certificates"])
	}
	// The client certificate is the sandbox TLS CA's, bound to the App_ID whatever CN
	// the request asked for.
	blk, _ := pem.Decode([]byte(certs["client_cert"].Certificate))
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != appID || len(cert.URIs) != 1 || !strings.HasSuffix(cert.URIs[0].String(), appID) {
		t.Errorf("client certificate subject %v URIs %v, want the App_ID %s", cert.Subject, cert.URIs, appID)
	}
	ca, _ := os.ReadFile(tb.b.TLSCAFile)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate does not chain to the sandbox TLS CA: %v", err)
	}
	// The bank registered the keys: an SM2-signed call over mTLS is served at once.
	client := rgClient(t, tb, appID, k, certs)
	resp, err := client.Do(context.Background(), "GET", "/a1/v1/products?page_size=1", nil, nil)
	if err != nil || resp.Status != 200 {
		t.Fatalf("first call of the new partner: %v %v", err, resp)
	}
	// The credentials are on record under the returned serials.
	_, view := tb.adminCall("GET", "/admin/v1/apps/"+appID, nil)
	text := jsonText(view["credentials"])
	for _, kind := range []string{"client_cert", "sm2_sign", "sm2_enc"} {
		if !strings.Contains(text, certs[kind].Serial) {
			t.Errorf("%s serial %s is not among the app's credentials %s", kind, certs[kind].Serial, text)
		}
	}
}

func TestSelfServiceRegistrationWithKeysWaitsForReviewByDefault(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	k := rgNewKeys(t)
	r, out := rgSubmit(t, tb, rgMaterials("Reviewed Wallet", map[string]any{"client_csr": k.csr, "sm2_sign_public_key": k.signPublic}))
	if r.Status != 201 || out["review"] != "pending" || out["app"].(map[string]any)["status"] != "pending" {
		t.Fatalf("registration: %v", r)
	}
	appID := out["app"].(map[string]any)["app_id"].(string)
	certs := rgCerts(t, out)
	if len(certs) != 2 || certs["sm2_enc"].Serial != "" {
		t.Fatalf("certificates: %v", out["certificates"])
	}
	client := rgClient(t, tb, appID, k, certs)
	resp, err := client.Do(context.Background(), "GET", "/a1/v1/products?page_size=1", nil, nil)
	if err == nil && resp.Status == 403 {
		var p struct{ Code string }
		_ = json.Unmarshal(resp.Body, &p)
		if p.Code == "APP_PENDING_REVIEW" {
			return
		}
	}
	t.Fatalf("a pending app's call: %v %v, want 403 APP_PENDING_REVIEW", err, resp)
}

func TestSelfServiceRegistrationRefusesBadKeysAndRegistersNothing(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	k := rgNewKeys(t)
	_, before := tb.adminCall("GET", "/admin/v1/apps", nil)
	sm2CSR := func() string {
		b, err := pki.EncodePublicKeyPEM(&k.sign.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}()
	for _, c := range []struct {
		name  string
		keys  map[string]any
		field string
	}{
		{"CSR not PEM", map[string]any{"client_csr": "not a CSR"}, "client_csr"},
		{"CSR holding a public key", map[string]any{"client_csr": sm2CSR}, "client_csr"},
		{"signing key not SM2", map[string]any{"sm2_sign_public_key": func() string {
			der, _ := x509.MarshalPKIXPublicKey(&k.client.PublicKey)
			return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		}()}, "sm2_sign_public_key"},
		{"one key for signing and encryption", map[string]any{"sm2_sign_public_key": k.signPublic, "sm2_enc_public_key": k.signPublic}, "sm2_enc_public_key"},
	} {
		r, _ := rgSubmit(t, tb, rgMaterials("Bad "+c.name, c.keys))
		if r.Status != 400 || r.Prob.Code != "PARAMETER_INVALID" || !strings.Contains(r.Prob.Detail, c.field) {
			t.Errorf("%s: %v, want 400 PARAMETER_INVALID naming %s", c.name, r, c.field)
		}
	}
	if _, after := tb.adminCall("GET", "/admin/v1/apps", nil); len(after["apps"].([]any)) != len(before["apps"].([]any)) {
		t.Errorf("refused registrations left apps behind: %d before, %d after", len(before["apps"].([]any)), len(after["apps"].([]any)))
	}
}

func TestPartnerAutoApproveIsRefusedOutsideSandboxMode(t *testing.T) {
	t.Parallel()
	cfg := bank.DefaultConfig()
	cfg.DataDir, cfg.Addr, cfg.Mode, cfg.PartnerAutoApprove = t.TempDir(), "127.0.0.1:0", "production", true
	if b, err := bank.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil || !strings.Contains(err.Error(), "partner_auto_approve") {
		if b != nil {
			_ = b.Close(context.Background())
		}
		t.Fatalf("a production-mode bank with partner_auto_approve started: %v", err)
	}
}
