package pki

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strings"
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
	return b.IssueTestServerCertFor(csrPEM, nil)
}

// MaxTestServerHosts bounds the names of IssueTestServerCertFor.
const MaxTestServerHosts = 4

// ErrBadTestServerHosts is returned for hosts the sandbox will not name.
var ErrBadTestServerHosts = fmt.Errorf("pki: hosts must be 1 to %d DNS names under .test (RFC 6761), no IP addresses", MaxTestServerHosts)

// IssueTestServerCertFor is IssueTestServerCert naming hosts instead of the loopback
// addresses when hosts is not empty: DNS names under the reserved .test domain only
// (RFC 6761), so the certificate can name no real host. The partner-side suite uses one
// to play an impostor bank whose certificate chains to the sandbox TLS CA but does not
// name the host the partner was given (JR/T 0185-2020 9.2.2/3).
func (b *Bank) IssueTestServerCertFor(csrPEM []byte, hosts []string) ([]byte, error) {
	names, err := testServerHosts(hosts)
	if err != nil {
		return nil, err
	}
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
	if len(names) > 0 {
		tmpl.DNSNames, tmpl.IPAddresses = names, nil
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, b.TLSCA, pub, b.tlsCAKey)
	if err != nil {
		return nil, fmt.Errorf("pki: create test server certificate: %w", err)
	}
	return EncodeCertPEM(der), nil
}

// testServerHosts checks and normalizes the hosts of IssueTestServerCertFor.
func testServerHosts(hosts []string) ([]string, error) {
	if len(hosts) == 0 {
		return nil, nil
	}
	if len(hosts) > MaxTestServerHosts {
		return nil, ErrBadTestServerHosts
	}
	for _, h := range hosts {
		if net.ParseIP(strings.Trim(h, "[] ")) != nil {
			return nil, ErrBadTestServerHosts
		}
	}
	names, err := normalizeHosts(hosts)
	if err != nil || len(names) == 0 {
		return nil, ErrBadTestServerHosts
	}
	for _, n := range names {
		if !strings.HasSuffix(n, ".test") {
			return nil, ErrBadTestServerHosts
		}
	}
	return names, nil
}
