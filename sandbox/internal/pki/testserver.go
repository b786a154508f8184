package pki

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"time"
)

// TestServerValidity is how long a partner test server's certificate lasts.
const TestServerValidity = 24 * time.Hour

// ErrBadTestServerCSR is returned for a CSR the sandbox will not sign.
var ErrBadTestServerCSR = errors.New("pki: the CSR must be one PEM CERTIFICATE REQUEST with a valid ECDSA P-256 self-signature")

// IssueTestServerCert signs a TLS server certificate from the sandbox TLS CA for a
// partner's local test server (its payment-notification receiver): the CSR's P-256 key,
// serverAuth, valid for a day, and named for the loopback addresses only (127.0.0.1,
// ::1, localhost), whatever the CSR asks, so the certificate cannot impersonate any
// other host. The bank's notifier trusts the sandbox TLS CA, so notifications reach such
// a receiver over verified TLS. Sandbox test control only.
func (b *Bank) IssueTestServerCert(csrPEM []byte) ([]byte, error) {
	block, _ := pem.Decode(csrPEM)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, ErrBadTestServerCSR
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil || csr.CheckSignature() != nil {
		return nil, ErrBadTestServerCSR
	}
	pub, ok := p256PublicKey(csr.PublicKey)
	if !ok {
		return nil, ErrBadTestServerCSR
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	// Wall-clock time, not the sandbox clock: the notifier verifies the certificate
	// against real time, and the sandbox clock may have been advanced.
	nb, na := validityWindow(time.Now(), TestServerValidity, b.TLSCA.NotAfter)
	tmpl := serverTemplate(serial, subject("JR0185 sandbox partner test server", ""), nb, na)
	tmpl.DNSNames = []string{"localhost"}
	tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, b.TLSCA, pub, b.tlsCAKey)
	if err != nil {
		return nil, fmt.Errorf("pki: create test server certificate: %w", err)
	}
	return EncodeCertPEM(der), nil
}
