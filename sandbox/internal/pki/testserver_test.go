package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"testing"
)

func TestIssueTestServerCert(t *testing.T) {
	b := newBank(t, Options{})
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "x"},
		DNSNames: []string{"bank.example"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	t.Run("issued/loopback only, chains to the TLS CA", func(t *testing.T) {
		out, err := b.IssueTestServerCert(csr)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := ParseCertPEM(out)
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AddCert(b.TLSCA)
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "127.0.0.1"}); err != nil {
			t.Errorf("does not verify for 127.0.0.1: %v", err)
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "bank.example"}); err == nil {
			t.Error("verifies for a host the sandbox must not vouch for")
		}
	})
	t.Run("refused/not a CSR", func(t *testing.T) {
		if _, err := b.IssueTestServerCert(EncodeCertPEM(b.TLSCA.Raw)); !errors.Is(err, ErrBadTestServerCSR) {
			t.Errorf("err %v, want ErrBadTestServerCSR", err)
		}
	})
}
