package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/pem"
	"os/exec"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// newBank creates a bank in a fresh temporary directory.
func newBank(t testing.TB, opts Options) *Bank {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	b, created, err := LoadOrCreateBank(opts)
	if err != nil {
		t.Fatalf("LoadOrCreateBank: %v", err)
	}
	if !created {
		t.Fatalf("LoadOrCreateBank in an empty directory: created = false")
	}
	return b
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func mustP256(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSM2(t testing.TB) *sm2.PrivateKey {
	t.Helper()
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// csrPEM builds a PKCS#10 request signed by key (SM2 or ECDSA).
func csrPEM(t testing.TB, key crypto.Signer, cn, org string) []byte {
	t.Helper()
	tmpl := &smx509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}
	if org != "" {
		tmpl.Subject.Organization = []string{org}
	}
	der, err := smx509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// requireOpenSSL returns the path of the openssl binary; without it the interop tests
// fail (make test installs it), never skip.
func requireOpenSSL(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is not on PATH: run make deps (make test does)")
	}
	return p
}

// runOpenSSL runs openssl with args and fails the test on a non-zero exit.
func runOpenSSL(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(requireOpenSSL(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	return string(out)
}
