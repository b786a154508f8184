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
	for _, c := range []struct {
		name         string
		hosts        []string
		valid, wrong []string
	}{
		{"issued/loopback only, chains to the TLS CA", nil, []string{"127.0.0.1", "localhost"}, []string{"bank.example"}},
		{"issued/named for a .test host only, chains to the TLS CA, not for loopback", []string{"Impostor.Test."},
			[]string{"impostor.test"}, []string{"127.0.0.1", "localhost", "bank.example"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := b.IssueTestServerCertFor(csr, c.hosts)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := ParseCertPEM(out)
			if err != nil {
				t.Fatal(err)
			}
			roots := x509.NewCertPool()
			roots.AddCert(b.TLSCA)
			for _, h := range append(append([]string(nil), c.valid...), c.wrong...) {
				_, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: h})
				if want := contains(c.valid, h); want != (err == nil) {
					t.Errorf("verifies for %s: %v, want %v (%v)", h, err == nil, want, err)
				}
			}
		})
	}
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
