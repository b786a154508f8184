package pki

// Interop with OpenSSL 3, the independent peer partners will use. The
// invocations that work with OpenSSL 3.0 (each one is exercised below):
//
//	# TLS chain (ECDSA P-256)
//	openssl verify -CAfile tls-ca.crt -purpose sslserver server.crt
//	openssl verify -CAfile tls-ca.crt -purpose sslclient client.crt
//
//	# SM2 chain: smx509 signs with the default distinguishing ID
//	# 1234567812345678 while OpenSSL 3 defaults to an empty ID, so without
//	# -vfyopt the verification fails with "certificate signature failure".
//	openssl verify -vfyopt distid:1234567812345678 -CAfile sm2-ca.crt bank-sign.crt bank-enc.crt
//
//	# PKCS#8 SM2 keys
//	openssl pkey -in bank-sign.key -noout
//
//	# SM2 signatures over the raw message, DER-encoded, default ID
//	openssl pkeyutl -sign -rawin -digest sm3 -pkeyopt distid:1234567812345678 -inkey sign.key -in msg -out msg.sig
//	openssl x509 -in sign.crt -pubkey -noout > sign.pub
//	openssl pkeyutl -verify -pubin -inkey sign.pub -rawin -digest sm3 -pkeyopt distid:1234567812345678 -in msg -sigfile msg.sig
//
//	# SM2 certificate request for SignCSR
//	openssl req -new -key sign.key -sm3 -sigopt distid:1234567812345678 -subj /CN=app -out sign.csr

import (
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
)

const distID = "distid:1234567812345678"

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenSSLVerifiesTLSCertificates(t *testing.T) {
	t.Parallel()
	requireOpenSSL(t)
	b := newBank(t, Options{})
	key := mustP256(t)
	_, clientPEM, err := b.IssueClientCert("app-ossl", "Partner", &key.PublicKey, 0)
	if err != nil {
		t.Fatal(err)
	}
	client := writeTemp(t, "client.crt", clientPEM)

	runOpenSSL(t, "verify", "-CAfile", b.Paths.TLSCACert, b.Paths.ServerCert)
	runOpenSSL(t, "verify", "-CAfile", b.Paths.TLSCACert, "-purpose", "sslserver", b.Paths.ServerCert)
	runOpenSSL(t, "verify", "-CAfile", b.Paths.TLSCACert, client)
	runOpenSSL(t, "verify", "-CAfile", b.Paths.TLSCACert, "-purpose", "sslclient", client)

	// The client certificate is not a server certificate, and another CA's
	// certificate does not verify.
	if out, err := exec.Command("openssl", "verify", "-CAfile", b.Paths.TLSCACert, "-purpose", "sslserver", client).CombinedOutput(); err == nil {
		t.Errorf("client certificate verified for sslserver:\n%s", out)
	}
	other := newBank(t, Options{})
	if out, err := exec.Command("openssl", "verify", "-CAfile", other.Paths.TLSCACert, b.Paths.ServerCert).CombinedOutput(); err == nil {
		t.Errorf("server certificate verified against another CA:\n%s", out)
	}
	text := runOpenSSL(t, "x509", "-in", client, "-noout", "-ext", "subjectAltName,extendedKeyUsage")
	if !strings.Contains(text, "URI:urn:jr0185:app:app-ossl") || !strings.Contains(text, "TLS Web Client Authentication") {
		t.Errorf("openssl sees:\n%s", text)
	}
}

func TestOpenSSLVerifiesSM2Certificates(t *testing.T) {
	t.Parallel()
	requireOpenSSL(t)
	b := newBank(t, Options{})
	runOpenSSL(t, "verify", "-vfyopt", distID, "-CAfile", b.Paths.SM2CACert, b.Paths.SignCert)
	runOpenSSL(t, "verify", "-vfyopt", distID, "-CAfile", b.Paths.SM2CACert, b.Paths.EncCert)
	text := runOpenSSL(t, "x509", "-in", b.Paths.SignCert, "-noout", "-text")
	for _, want := range []string{"Signature Algorithm: SM2-with-SM3", "ASN1 OID: SM2", "Digital Signature, Non Repudiation"} {
		if !strings.Contains(text, want) {
			t.Errorf("bank-sign.crt: openssl text lacks %q", want)
		}
	}
	text = runOpenSSL(t, "x509", "-in", b.Paths.EncCert, "-noout", "-text")
	if !strings.Contains(text, "Key Encipherment, Data Encipherment") {
		t.Errorf("bank-enc.crt: openssl text lacks the encryption key usage:\n%s", text)
	}
	// Why -vfyopt is needed: OpenSSL 3 uses an empty distinguishing ID by default.
	out, err := exec.Command("openssl", "verify", "-CAfile", b.Paths.SM2CACert, b.Paths.SignCert).CombinedOutput()
	t.Logf("without -vfyopt %s: err=%v\n%s", distID, err, out)

	other := newBank(t, Options{})
	if out, err := exec.Command("openssl", "verify", "-vfyopt", distID, "-CAfile", other.Paths.SM2CACert, b.Paths.SignCert).CombinedOutput(); err == nil {
		t.Errorf("bank-sign.crt verified against another SM2 CA:\n%s", out)
	}
}

func TestOpenSSLReadsPrivateKeys(t *testing.T) {
	t.Parallel()
	requireOpenSSL(t)
	b := newBank(t, Options{})
	p, err := b.GeneratePartnerKeys(filepath.Join(t.TempDir(), "partner"), "app-keys", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		sm2  bool
		pub  any
	}{
		{"sm2/bank signing key", b.Paths.SignKey, true, &b.SignKey.PublicKey},
		{"sm2/bank encryption key", b.Paths.EncKey, true, &b.EncKey.PublicKey},
		{"sm2/SM2 CA key", b.Paths.SM2CAKey, true, &b.sm2CAKey.PublicKey},
		{"sm2/partner signing key", p.Paths.SignKey, true, &p.SignKey.PublicKey},
		{"sm2/partner encryption key", p.Paths.EncKey, true, &p.EncKey.PublicKey},
		{"p256/TLS CA key", b.Paths.TLSCAKey, false, &b.tlsCAKey.PublicKey},
		{"p256/server key", b.Paths.ServerKey, false, &b.serverKey.PublicKey},
		{"p256/partner client key", p.Paths.ClientKey, false, &p.ClientKey.PublicKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runOpenSSL(t, "pkey", "-in", tt.path, "-noout")
			text := runOpenSSL(t, "pkey", "-in", tt.path, "-noout", "-text")
			wantCurve := "ASN1 OID: prime256v1"
			if tt.sm2 {
				wantCurve = "ASN1 OID: SM2"
			}
			if !strings.Contains(text, wantCurve) {
				t.Errorf("openssl does not see %q", wantCurve)
			}
			// The public key OpenSSL derives is the one Go holds.
			pub, err := ParsePublicKeyPEM([]byte(runOpenSSL(t, "pkey", "-in", tt.path, "-pubout")))
			if err != nil {
				t.Fatal(err)
			}
			if !pub.Equal(tt.pub) {
				t.Error("openssl derives another public key")
			}
		})
	}
}

// Keys partners generate with OpenSSL load with the PEM helpers.
func TestOpenSSLGeneratedKeysLoad(t *testing.T) {
	t.Parallel()
	requireOpenSSL(t)
	dir := t.TempDir()
	sm2Key := filepath.Join(dir, "sm2.key")
	ecKey := filepath.Join(dir, "ec.key")
	runOpenSSL(t, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", sm2Key)
	runOpenSSL(t, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ecKey) // SEC 1 "EC PRIVATE KEY"
	if _, err := LoadSM2PrivateKeyPEM(sm2Key); err != nil {
		t.Errorf("openssl SM2 key: %v", err)
	}
	if _, err := LoadECPrivateKeyPEM(ecKey); err != nil {
		t.Errorf("openssl SEC 1 P-256 key: %v", err)
	}
	if _, err := LoadSM2PrivateKeyPEM(ecKey); err == nil {
		t.Error("P-256 key loaded as SM2")
	}
}

// A message signed by OpenSSL verifies with sm2.VerifyASN1WithSM2 (default
// ID) and a signature made in Go verifies with OpenSSL, using the public key
// OpenSSL extracts from the certificate.
func TestOpenSSLSM2SignatureInterop(t *testing.T) {
	t.Parallel()
	requireOpenSSL(t)
	b := newBank(t, Options{})
	p, err := b.GeneratePartnerKeys(filepath.Join(t.TempDir(), "partner"), "app-sig", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	// The string to sign has the shape of the wire contract.
	msg := []byte("POST\n/v1/payments?x=1\n1700000000\nn0nce\n{\"amount\":\"1.00\"}\n")
	tests := []struct {
		name     string
		key      *sm2.PrivateKey
		keyPath  string
		certPath string
	}{
		{"partner/sign.key", p.SignKey, p.Paths.SignKey, p.Paths.SignCert},
		{"bank/bank-sign.key", b.SignKey, b.Paths.SignKey, b.Paths.SignCert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			msgPath := filepath.Join(dir, "msg")
			if err := os.WriteFile(msgPath, msg, 0o600); err != nil {
				t.Fatal(err)
			}
			pubPath := filepath.Join(dir, "pub.pem")
			runOpenSSL(t, "x509", "-in", tt.certPath, "-pubkey", "-noout", "-out", pubPath)
			pub, err := os.ReadFile(pubPath)
			if err != nil {
				t.Fatal(err)
			}
			certPub, err := ParsePublicKeyPEM(pub)
			if err != nil {
				t.Fatal(err)
			}

			// OpenSSL signs, Go verifies.
			sigPath := filepath.Join(dir, "ossl.sig")
			runOpenSSL(t, "pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-pkeyopt", distID,
				"-inkey", tt.keyPath, "-in", msgPath, "-out", sigPath)
			sig, err := os.ReadFile(sigPath)
			if err != nil {
				t.Fatal(err)
			}
			if !sm2.VerifyASN1WithSM2(certPub, nil, msg, sig) {
				t.Error("OpenSSL signature does not verify in Go")
			}
			if sm2.VerifyASN1WithSM2(certPub, nil, append([]byte("x"), msg...), sig) {
				t.Error("OpenSSL signature verifies over another message")
			}

			// Go signs, OpenSSL verifies.
			goSig, err := tt.key.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
			if err != nil {
				t.Fatal(err)
			}
			goSigPath := filepath.Join(dir, "go.sig")
			if err := os.WriteFile(goSigPath, goSig, 0o600); err != nil {
				t.Fatal(err)
			}
			runOpenSSL(t, "pkeyutl", "-verify", "-pubin", "-inkey", pubPath, "-rawin", "-digest", "sm3",
				"-pkeyopt", distID, "-in", msgPath, "-sigfile", goSigPath)

			// Without the distinguishing ID OpenSSL signs over another Z value:
			// Go must agree with OpenSSL on whether that is a default-ID signature.
			noIDPath := filepath.Join(dir, "noid.sig")
			runOpenSSL(t, "pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey", tt.keyPath, "-in", msgPath, "-out", noIDPath)
			noID, _ := os.ReadFile(noIDPath)
			osslOK := exec.Command("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pubPath, "-rawin", "-digest", "sm3",
				"-pkeyopt", distID, "-in", msgPath, "-sigfile", noIDPath).Run() == nil
			if goOK := sm2.VerifyASN1WithSM2(certPub, nil, msg, noID); goOK != osslOK {
				t.Errorf("signature made without distid: Go verifies %v, OpenSSL with %s verifies %v", goOK, distID, osslOK)
			}
		})
	}
}

// Certificate requests made by OpenSSL go through SignCSR; an SM2 request
// is accepted exactly when OpenSSL itself verifies it with the default ID.
func TestOpenSSLCSR(t *testing.T) {
	t.Parallel()
	requireOpenSSL(t)
	b := newBank(t, Options{})
	dir := t.TempDir()
	sm2Key := filepath.Join(dir, "sm2.key")
	ecKey := filepath.Join(dir, "ec.key")
	runOpenSSL(t, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", sm2Key)
	runOpenSSL(t, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", ecKey)

	tests := []struct {
		name     string
		args     []string
		wantKind CertKind
	}{
		{"tls-client/P-256", []string{"-key", ecKey, "-subj", "/CN=ignored/O=Acme"}, CertTLSClient},
		{"sm2-sign/SM2 with distid", []string{"-key", sm2Key, "-sm3", "-sigopt", distID, "-subj", "/CN=ignored"}, CertSM2Sign},
		{"sm2/SM2 without distid (OpenSSL 3 default: empty ID)", []string{"-key", sm2Key, "-sm3", "-subj", "/CN=ignored"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			csrPath := filepath.Join(t.TempDir(), "req.csr")
			runOpenSSL(t, append([]string{"req", "-new", "-out", csrPath}, tt.args...)...)
			csr, err := os.ReadFile(csrPath)
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.SignCSR(csr, "app-csr", 0)
			if tt.wantKind == 0 {
				// OpenSSL 3.0 "req -verify" exits 0 even on failure: read what it says.
				out, _ := exec.Command("openssl", "req", "-in", csrPath, "-verify", "-noout", "-vfyopt", distID).CombinedOutput()
				osslOK := strings.Contains(string(out), "verify OK")
				if (err == nil) != osslOK {
					t.Fatalf("SignCSR err = %v; OpenSSL verifies with %s: %v", err, distID, osslOK)
				}
				if err != nil && !errors.Is(err, ErrBadCSR) {
					t.Fatalf("err = %v, want ErrBadCSR", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != tt.wantKind {
				t.Fatalf("Kind = %v, want %v", got.Kind, tt.wantKind)
			}
			certPath := writeTemp(t, "issued.crt", got.PEM)
			if got.Kind == CertSM2Sign {
				runOpenSSL(t, "verify", "-vfyopt", distID, "-CAfile", b.Paths.SM2CACert, certPath)
			} else {
				runOpenSSL(t, "verify", "-CAfile", b.Paths.TLSCACert, "-purpose", "sslclient", certPath)
			}
		})
	}
}
