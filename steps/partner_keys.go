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
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/cucumber/godog"
	"github.com/tjfoc/gmsm/sm2"
	tjx509 "github.com/tjfoc/gmsm/x509"
)

// A partner's keys at self-service registration (JR/T 0185-2020 9.2.1 a) 1): 为应用方分
// 配App_ID及对应的…数字证书或公私钥对; 7.3.4/1: separate signing and encryption keys):
// the bank certifies a CSR as the App_ID's mutual-TLS client certificate and SM2 public
// keys as SM2 certificates, and the partner calls with exactly those. A CSR whose
// signature algorithm does not fit its key is refused (issue 13 item 4: the mutation
// survivors of pki.SignCSR and parseCSR).

func init() { registrars = append(registrars, registerPartnerKeys) }

func registerPartnerKeys(sc *godog.ScenarioContext) {
	sc.Step(`^a partner registers an A2 app with a client certificate request and SM2 signing and encryption public keys$`, registerWithKeys)
	sc.Step(`^the bank certifies each submitted key for the App_ID: the request's key for client authentication, the SM2 keys as SM2 certificates$`, certifiedKeys)
	sc.Step(`^a partner submits a registration whose client certificate request is signed with an algorithm that does not fit its key$`, registerMismatchedCSR)
}

type partnerKeys struct {
	tlsKey    *ecdsa.PrivateKey
	sign, enc *sm2.PrivateKey
	certs     []map[string]any
}

func pkState(w *World) *partnerKeys {
	return areaState(w, func() *partnerKeys { return &partnerKeys{} })
}

// clientCSR is a PKCS#10 request for key, PEM-encoded.
func clientCSR(key *ecdsa.PrivateKey, cn string) ([]byte, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: cn, Organization: []string{"Conformance partner"}}, SignatureAlgorithm: x509.ECDSAWithSHA256}, key)
	if err != nil {
		return nil, err
	}
	return der, nil
}

func registerWithKeys(ctx context.Context) error {
	w := W(ctx)
	st := pkState(w)
	var err error
	if st.tlsKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return err
	}
	csr, err := clientCSR(st.tlsKey, "conformance client")
	if err != nil {
		return err
	}
	if st.sign, err = sm2.GenerateKey(rand.Reader); err != nil {
		return err
	}
	if st.enc, err = sm2.GenerateKey(rand.Reader); err != nil {
		return err
	}
	signPEM, err := tjx509.WritePublicKeyToPem(&st.sign.PublicKey)
	if err != nil {
		return err
	}
	encPEM, err := tjx509.WritePublicKeyToPem(&st.enc.PublicKey)
	if err != nil {
		return err
	}
	name := "Conformance partner " + randomNonce()[:8]
	reg := registration(w.Env, name)
	reg["app"] = map[string]any{"name": name, "level": "A2", "scopes": A2Scopes, "redirect_uris": []string{w.Env.T.RedirectURI}}
	reg["client_csr"] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}))
	reg["sm2_sign_public_key"], reg["sm2_enc_public_key"] = string(signPEM), string(encPEM)
	x, err := submit(ctx, reg)
	if err != nil {
		return err
	}
	if x.Status != 201 {
		return fmt.Errorf("registration with a client certificate request and SM2 keys: want 201, got %s %s", x.Evidence(), clip(string(x.Body), 300))
	}
	j := x.JSON()
	a := &App{Name: name, Level: "A2", Scopes: A2Scopes, client: w.Env.plain}
	a.ID, _ = dig(j, "app", "app_id").(string)
	a.Secret, _ = dig(j, "credentials", "app_secret").(string)
	a.SecretSerial, _ = dig(j, "credentials", "serial").(string)
	if a.ID == "" {
		return fmt.Errorf("the registration answer has no App_ID: %s", clip(string(x.Body), 300))
	}
	if a.Secret != "" {
		a.MACKey = macKey(a.Secret, a.ID)
	}
	st.certs = asList(j["certificates"])
	w.Apps["the app"] = a
	pub(ctx).regName = name
	return nil
}

// certifiedKeys checks the certificates the registration answered with and equips the
// app with them: the client certificate for mutual TLS, the SM2 serials for signing and
// for the bank's encryption to the partner.
func certifiedKeys(ctx context.Context) error {
	w := W(ctx)
	st := pkState(w)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	kinds := map[string]map[string]any{}
	for _, c := range st.certs {
		kinds[fmt.Sprint(c["kind"])] = c
	}
	if len(st.certs) != 3 || kinds["client_cert"] == nil || kinds["sm2_sign"] == nil || kinds["sm2_enc"] == nil {
		return fmt.Errorf("want one client_cert, one sm2_sign and one sm2_enc certificate, got %d: %v", len(st.certs), st.certs)
	}
	// The client certificate: the CSR's key, for client authentication, naming the App_ID.
	block, _ := pem.Decode([]byte(fmt.Sprint(kinds["client_cert"]["certificate"])))
	if block == nil {
		return fmt.Errorf("the client certificate is not PEM")
	}
	cc, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fmt.Errorf("the client certificate does not parse: %v", err)
	}
	if pk, ok := cc.PublicKey.(*ecdsa.PublicKey); !ok || !pk.Equal(&st.tlsKey.PublicKey) {
		return fmt.Errorf("the client certificate does not certify the request's key")
	}
	if !containsExtUsage(cc.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		return fmt.Errorf("the client certificate is not for client authentication: %v", cc.ExtKeyUsage)
	}
	if !certNames(cc, a.ID) {
		return fmt.Errorf("the client certificate does not name App_ID %s (subject %q, URIs %v)", a.ID, cc.Subject.CommonName, cc.URIs)
	}
	if s := fmt.Sprint(kinds["client_cert"]["serial"]); s != serialHex(cc.SerialNumber.Bytes()) {
		return fmt.Errorf("the client certificate's serial %s is answered as %s", serialHex(cc.SerialNumber.Bytes()), s)
	}
	// The SM2 certificates: each certifies its own key, and the two keys stay separate.
	for _, k := range []struct {
		kind string
		key  *sm2.PrivateKey
	}{{"sm2_sign", st.sign}, {"sm2_enc", st.enc}} {
		c, err := tjx509.ReadCertificateFromPem([]byte(fmt.Sprint(kinds[k.kind]["certificate"])))
		if err != nil {
			return fmt.Errorf("the %s certificate does not parse as an SM2 certificate: %v", k.kind, err)
		}
		want, err := tjx509.MarshalSm2PublicKey(&k.key.PublicKey)
		if err != nil {
			return err
		}
		if !bytes.Equal(c.RawSubjectPublicKeyInfo, want) {
			return fmt.Errorf("the %s certificate does not certify the submitted %s key", k.kind, k.kind)
		}
	}
	tlsCert := &tls.Certificate{Certificate: [][]byte{cc.Raw}, PrivateKey: st.tlsKey, Leaf: cc}
	a.TLSCert, a.CertSerial = tlsCert, fmt.Sprint(kinds["client_cert"]["serial"])
	a.SignKey, a.SignSerial = st.sign, fmt.Sprint(kinds["sm2_sign"]["serial"])
	a.EncKey, a.EncSerial = st.enc, fmt.Sprint(kinds["sm2_enc"]["serial"])
	if a.stray, err = sm2.GenerateKey(rand.Reader); err != nil {
		return err
	}
	a.client = w.Env.httpClient(a.TLSCert, 0)
	return nil
}

func containsExtUsage(us []x509.ExtKeyUsage, u x509.ExtKeyUsage) bool {
	for _, x := range us {
		if x == u {
			return true
		}
	}
	return false
}

// certNames: the certificate carries the App_ID, as its subject's common name or a URI.
func certNames(c *x509.Certificate, appID string) bool {
	if c.Subject.CommonName == appID {
		return true
	}
	for _, u := range c.URIs {
		if strings.HasSuffix(u.String(), ":"+appID) || strings.HasSuffix(u.String(), "/"+appID) {
			return true
		}
	}
	return false
}

// Object identifiers of the signature algorithms (DER content bytes).
var (
	oidECDSAWithSHA256 = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02} // 1.2.840.10045.4.3.2
	oidSM2WithSM3      = []byte{0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75} // 1.2.156.10197.1.501
)

// registerMismatchedCSR submits a registration whose CSR holds a P-256 key but names
// SM2-with-SM3 as its signature algorithm (one OID swapped for another of the same
// length: the request still parses).
func registerMismatchedCSR(ctx context.Context) error {
	w := W(ctx)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := clientCSR(key, "conformance client")
	if err != nil {
		return err
	}
	if bytes.Count(der, oidECDSAWithSHA256) != 1 {
		return fmt.Errorf("the CSR holds its signature algorithm %d times", bytes.Count(der, oidECDSAWithSHA256))
	}
	der = bytes.Replace(der, oidECDSAWithSHA256, oidSM2WithSM3, 1)
	name := "Conformance partner " + randomNonce()[:8]
	reg := registration(w.Env, name)
	reg["client_csr"] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	pub(ctx).regName = name
	_, err = submit(ctx, reg)
	return err
}
