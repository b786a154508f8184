package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"strings"
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
	t.Run("issued/named for a .test host only, chains to the TLS CA, not for loopback", func(t *testing.T) {
		out, err := b.IssueTestServerCertFor(csr, []string{"Impostor.Test."})
		if err != nil {
			t.Fatal(err)
		}
		cert, err := ParseCertPEM(out)
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AddCert(b.TLSCA)
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "impostor.test"}); err != nil {
			t.Errorf("does not verify for impostor.test: %v", err)
		}
		for _, h := range []string{"127.0.0.1", "localhost", "bank.example"} {
			if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: h}); err == nil {
				t.Errorf("verifies for %s", h)
			}
		}
	})
	for _, hosts := range [][]string{{"127.0.0.1"}, {"[::1]"}, {"bank.example"}, {"localhost"}, {"a.test", "b.test", "c.test", "d.test", "e.test"}, {"bad_name.test"}, {" "}} {
		t.Run("refused/hosts "+strings.Join(hosts, ","), func(t *testing.T) {
			if _, err := b.IssueTestServerCertFor(csr, hosts); !errors.Is(err, ErrBadTestServerHosts) {
				t.Errorf("err %v, want ErrBadTestServerHosts", err)
			}
		})
	}
	t.Run("refused/not a CSR", func(t *testing.T) {
		if _, err := b.IssueTestServerCert(EncodeCertPEM(b.TLSCA.Raw)); !errors.Is(err, ErrBadTestServerCSR) {
			t.Errorf("err %v, want ErrBadTestServerCSR", err)
		}
	})
}
