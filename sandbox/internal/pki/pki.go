// Package pki is the sandbox bank's public-key infrastructure, generated at
// run time and never committed.
//
// On first start LoadOrCreateBank generates every key and certificate into a
// data directory (git-ignored, mode 0700) and reloads them on later starts.
// There are two certificate authorities, because Go's crypto/tls cannot verify
// SM2-signed certificate chains:
//
//   - the TLS CA (ECDSA P-256) issues the bank's server certificate and the
//     partners' mTLS client certificates, each client certificate bound to an
//     App_ID by a URI SAN "urn:jr0185:app:<App_ID>" (JR/T 0185-2020
//     7.2.1 a) 2), 9.2.1 b) 2));
//   - the SM2 CA (SM2 with SM3) issues the bank's signing certificate, the
//     bank's separate encryption certificate (JR/T 0185-2020 7.3.4: encryption
//     and signing should use different keys) and the partners' SM2 signing and
//     encryption certificates.
//
// Every serial number is a random positive 128-bit integer; the "key serial"
// carried on the wire is SerialHex of the certificate serial.
//
// Private keys are written as PKCS#8 PEM and certificates as PEM, readable by
// OpenSSL 3. The SM2 signatures use the default distinguishing ID
// 1234567812345678 (GB/T 35276), so OpenSSL must be told that ID:
//
//	openssl verify -vfyopt distid:1234567812345678 -CAfile sm2-ca.crt bank-sign.crt
//
// A Bank is safe for concurrent use once loaded: its exported fields must not
// be modified and its methods only read them.
package pki

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// Subject common names of the two CAs.
const (
	TLSCAName = "JR0185 Sandbox TLS CA"
	SM2CAName = "JR0185 Sandbox SM2 CA"
	// Organization is the Subject O of every certificate that belongs to the bank.
	Organization = "JR0185 Sandbox Bank"
)

// Key validity per API level. JR/T 0185-2020 7.3.4 asks banks to set
// different key validity periods according to the API level; these are the
// sandbox's choice (the standard gives no figures): A1 (lower risk, App_ID +
// App_Secret) keys live 2 years, A2 (client certificate + SM2 signature) keys
// 1 year. The bank's own keys serve both levels and follow the stricter A2.
const (
	A1KeyValidity = 2 * 365 * 24 * time.Hour
	A2KeyValidity = 365 * 24 * time.Hour
)

// Other defaults.
const (
	DefaultCAValidity     = 10 * 365 * 24 * time.Hour
	DefaultServerValidity = 365 * 24 * time.Hour
	DefaultClientValidity = A2KeyValidity

	// clockSkew backdates NotBefore so a peer whose clock is slightly behind
	// accepts a freshly issued certificate.
	clockSkew = 5 * time.Minute
)

// File names inside Options.Dir.
const (
	FileTLSCACert  = "tls-ca.crt"
	FileTLSCAKey   = "tls-ca.key"
	FileSM2CACert  = "sm2-ca.crt"
	FileSM2CAKey   = "sm2-ca.key"
	FileServerCert = "server.crt"
	FileServerKey  = "server.key"
	FileSignCert   = "bank-sign.crt"
	FileSignKey    = "bank-sign.key"
	FileEncCert    = "bank-enc.crt"
	FileEncKey     = "bank-enc.key"
)

// DefaultHosts are always in the server certificate.
var DefaultHosts = []string{"localhost", "127.0.0.1", "::1"}

// Options configure LoadOrCreateBank. Zero durations and a nil Now take the
// defaults of DefaultOptions.
type Options struct {
	// Dir holds the PKI files; created with mode 0700 if missing. Required.
	Dir string
	// Hosts are extra DNS names or IP addresses for the server certificate,
	// on top of DefaultHosts.
	Hosts []string
	// Now is the clock used for issuing and for checking what is expired.
	Now func() time.Time

	CAValidity      time.Duration
	ServerValidity  time.Duration
	ClientValidity  time.Duration // default validity of partner mTLS certificates
	SignKeyValidity time.Duration // SM2 signing certificates (bank and partners)
	EncKeyValidity  time.Duration // SM2 encryption certificates (bank and partners)
}

// DefaultOptions returns the defaults for a PKI kept in dir.
func DefaultOptions(dir string) Options {
	return Options{
		Dir:             dir,
		Now:             time.Now,
		CAValidity:      DefaultCAValidity,
		ServerValidity:  DefaultServerValidity,
		ClientValidity:  DefaultClientValidity,
		SignKeyValidity: A2KeyValidity,
		EncKeyValidity:  A2KeyValidity,
	}
}

func (o Options) normalize() (Options, error) {
	if o.Dir == "" {
		return o, errors.New("pki: Options.Dir is required")
	}
	d := DefaultOptions(o.Dir)
	if o.Now == nil {
		o.Now = d.Now
	}
	for _, f := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&o.CAValidity, d.CAValidity},
		{&o.ServerValidity, d.ServerValidity},
		{&o.ClientValidity, d.ClientValidity},
		{&o.SignKeyValidity, d.SignKeyValidity},
		{&o.EncKeyValidity, d.EncKeyValidity},
	} {
		if *f.v < 0 {
			return o, fmt.Errorf("pki: negative validity %v", *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	hosts, err := normalizeHosts(append(append([]string(nil), DefaultHosts...), o.Hosts...))
	if err != nil {
		return o, err
	}
	o.Hosts = hosts
	return o, nil
}

// normalizeHosts trims, lower-cases and de-duplicates host names and strips
// brackets from IPv6 literals.
func normalizeHosts(in []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, h := range in {
		h = strings.TrimSpace(h)
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		if h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			h = ip.String()
		} else {
			h = strings.ToLower(strings.TrimSuffix(h, "."))
			if !validDNSName(h) {
				return nil, fmt.Errorf("pki: invalid host %q (want a DNS name or an IP address)", h)
			}
		}
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out, nil
}

func validDNSName(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// Paths are the locations of the bank's PKI files.
type Paths struct {
	Dir        string
	TLSCACert  string
	TLSCAKey   string
	SM2CACert  string
	SM2CAKey   string
	ServerCert string
	ServerKey  string
	SignCert   string
	SignKey    string
	EncCert    string
	EncKey     string
}

func pathsIn(dir string) Paths {
	j := func(name string) string { return filepath.Join(dir, name) }
	return Paths{
		Dir:        dir,
		TLSCACert:  j(FileTLSCACert),
		TLSCAKey:   j(FileTLSCAKey),
		SM2CACert:  j(FileSM2CACert),
		SM2CAKey:   j(FileSM2CAKey),
		ServerCert: j(FileServerCert),
		ServerKey:  j(FileServerKey),
		SignCert:   j(FileSignCert),
		SignKey:    j(FileSignKey),
		EncCert:    j(FileEncCert),
		EncKey:     j(FileEncKey),
	}
}

// Bank holds the sandbox bank's CAs, server certificate and SM2 keys.
type Bank struct {
	// TLSCA signs the server certificate and partners' client certificates.
	TLSCA *x509.Certificate
	// ServerCert is the bank's TLS server certificate.
	ServerCert *x509.Certificate
	// SM2CA signs all SM2 certificates.
	SM2CA *smx509.Certificate
	// SignKey and SignCert are the bank's SM2 signing key (response and
	// notification signatures).
	SignKey  *sm2.PrivateKey
	SignCert *smx509.Certificate
	// EncKey and EncCert are the bank's separate SM2 encryption key, to which
	// partners encrypt sensitive fields (JR/T 0185-2020 7.3.4).
	EncKey  *sm2.PrivateKey
	EncCert *smx509.Certificate
	// Paths locate the files in Options.Dir.
	Paths Paths
	// Reissued lists the file names (certificate and key) this load
	// generated or replaced; empty when everything was reloaded unchanged.
	Reissued []string

	opts      Options
	tlsCAKey  *ecdsa.PrivateKey
	sm2CAKey  *sm2.PrivateKey
	serverKey *ecdsa.PrivateKey
}

// LoadOrCreateBank loads the bank's PKI from opts.Dir, generating whatever is
// missing. created reports whether a CA was generated, in which case every
// certificate issued before (to partners too) is void.
//
// Certificates that no longer fit are reissued and their files replaced: the
// server certificate when it is expired, not signed by the current TLS CA or
// lacks a host in opts.Hosts (with a new key, the CA is kept); the bank's SM2
// certificates when expired, not signed by the current SM2 CA or with the wrong
// key usage (with a new key: key rotation, JR/T 0185-2020 7.3.4).
//
// A certificate file without its key, an unparsable file, a key that does not
// match its certificate, or an expired CA is an error: the caller should
// remove the directory to start over. A key file without its certificate is
// the remains of an interrupted creation and is overwritten.
func LoadOrCreateBank(opts Options) (*Bank, bool, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(opts.Dir, dirMode); err != nil {
		return nil, false, fmt.Errorf("pki: %w", err)
	}
	b := &Bank{Paths: pathsIn(opts.Dir), opts: opts}
	now := opts.Now()
	created := false

	// TLS CA.
	tlsCA, tlsKey, found, err := loadTLSPair(b.Paths.TLSCACert, b.Paths.TLSCAKey)
	if err != nil {
		return nil, false, err
	}
	if found {
		err = checkCA(tlsCA.IsCA, tlsCA.CheckSignatureFrom(tlsCA), tlsCA.NotBefore, tlsCA.NotAfter, now)
		if err != nil {
			return nil, false, fmt.Errorf("pki: %s: %w", FileTLSCACert, err)
		}
	} else {
		if tlsCA, tlsKey, err = b.createTLSCA(now); err != nil {
			return nil, false, err
		}
		created = true
	}
	b.TLSCA, b.tlsCAKey = tlsCA, tlsKey

	// SM2 CA.
	sm2CA, sm2Key, found, err := loadSM2Pair(b.Paths.SM2CACert, b.Paths.SM2CAKey)
	if err != nil {
		return nil, false, err
	}
	if found {
		err = checkCA(sm2CA.IsCA, sm2CA.CheckSignatureFrom(sm2CA), sm2CA.NotBefore, sm2CA.NotAfter, now)
		if err != nil {
			return nil, false, fmt.Errorf("pki: %s: %w", FileSM2CACert, err)
		}
	} else {
		if sm2CA, sm2Key, err = b.createSM2CA(now); err != nil {
			return nil, false, err
		}
		created = true
	}
	b.SM2CA, b.sm2CAKey = sm2CA, sm2Key

	// Server certificate.
	srv, srvKey, found, err := loadTLSPair(b.Paths.ServerCert, b.Paths.ServerKey)
	if err != nil {
		return nil, false, err
	}
	if !found || !b.serverCertFits(srv, now) {
		if srv, srvKey, err = b.createServerCert(now); err != nil {
			return nil, false, err
		}
	}
	b.ServerCert, b.serverKey = srv, srvKey

	// Bank SM2 signing and encryption keys.
	for _, k := range []struct {
		usage      KeyUsage
		cert, key  string
		cn         string
		validity   time.Duration
		outCert    **smx509.Certificate
		outPrivate **sm2.PrivateKey
	}{
		{KeyUsageSign, b.Paths.SignCert, b.Paths.SignKey, "JR0185 Sandbox Bank Signing", opts.SignKeyValidity, &b.SignCert, &b.SignKey},
		{KeyUsageEncrypt, b.Paths.EncCert, b.Paths.EncKey, "JR0185 Sandbox Bank Encryption", opts.EncKeyValidity, &b.EncCert, &b.EncKey},
	} {
		cert, key, found, err := loadSM2Pair(k.cert, k.key)
		if err != nil {
			return nil, false, err
		}
		if !found || b.checkSM2(cert, k.usage, now) != nil {
			if found && k.usage == KeyUsageSign { // keep what the retiring key signed verifiable
				if err := b.archiveSignCert(cert); err != nil {
					return nil, false, err
				}
			}
			key, err = generateSM2()
			if err != nil {
				return nil, false, fmt.Errorf("pki: %w", err)
			}
			cert, err = b.issueSM2(subject(k.cn, Organization), &key.PublicKey, k.usage, k.validity, now)
			if err != nil {
				return nil, false, err
			}
			if err := b.write(k.cert, k.key, cert.Raw, key); err != nil {
				return nil, false, err
			}
		}
		*k.outCert, *k.outPrivate = cert, key
	}
	return b, created, nil
}

// checkCA validates a loaded CA certificate.
func checkCA(isCA bool, selfSigErr error, notBefore, notAfter, now time.Time) error {
	switch {
	case !isCA:
		return errors.New("not a CA certificate")
	case selfSigErr != nil:
		return fmt.Errorf("not self-signed: %w", selfSigErr)
	case now.After(notAfter):
		return fmt.Errorf("CA expired at %s; remove the directory to generate a new PKI", notAfter.UTC().Format(time.RFC3339))
	case now.Before(notBefore):
		return fmt.Errorf("CA not valid before %s", notBefore.UTC().Format(time.RFC3339))
	}
	return nil
}

// serverCertFits reports whether srv can keep serving: signed by the current
// TLS CA, within its validity, for serverAuth, and naming every host.
func (b *Bank) serverCertFits(srv *x509.Certificate, now time.Time) bool {
	if srv.CheckSignatureFrom(b.TLSCA) != nil || now.Before(srv.NotBefore) || now.After(srv.NotAfter) {
		return false
	}
	if !hasExtKeyUsage(srv.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		return false
	}
	for _, h := range b.opts.Hosts {
		if srv.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func hasExtKeyUsage(have []x509.ExtKeyUsage, want x509.ExtKeyUsage) bool {
	for _, u := range have {
		if u == want {
			return true
		}
	}
	return false
}

// write stores a certificate and its key and records the reissue.
func (b *Bank) write(certPath, keyPath string, certDER []byte, key any) error {
	if err := writeKeyPair(certPath, keyPath, certDER, key); err != nil {
		return fmt.Errorf("pki: write %s: %w", filepath.Base(certPath), err)
	}
	b.Reissued = append(b.Reissued, filepath.Base(certPath), filepath.Base(keyPath))
	return nil
}

// readPair reads a certificate and key file. Both absent, or only the key
// present (interrupted creation), yields nil slices and no error.
func readPair(certPath, keyPath string) (certPEM, keyPEM []byte, err error) {
	certPEM, cerr := os.ReadFile(certPath)
	keyPEM, kerr := os.ReadFile(keyPath)
	switch {
	case cerr != nil && !errors.Is(cerr, os.ErrNotExist):
		return nil, nil, fmt.Errorf("pki: %w", cerr)
	case kerr != nil && !errors.Is(kerr, os.ErrNotExist):
		return nil, nil, fmt.Errorf("pki: %w", kerr)
	case cerr != nil: // no certificate: (re)create
		return nil, nil, nil
	case kerr != nil:
		return nil, nil, fmt.Errorf("pki: %s exists but %s is missing; remove %s to regenerate it",
			filepath.Base(certPath), filepath.Base(keyPath), filepath.Base(certPath))
	}
	return certPEM, keyPEM, nil
}

func loadTLSPair(certPath, keyPath string) (*x509.Certificate, *ecdsa.PrivateKey, bool, error) {
	certPEM, keyPEM, err := readPair(certPath, keyPath)
	if err != nil || certPEM == nil {
		return nil, nil, false, err
	}
	cert, err := ParseCertPEM(certPEM)
	if err != nil {
		return nil, nil, false, fmt.Errorf("pki: %s: %w", filepath.Base(certPath), err)
	}
	key, err := ParseECPrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, nil, false, fmt.Errorf("pki: %s: %w", filepath.Base(keyPath), err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, false, fmt.Errorf("pki: %s does not match %s", filepath.Base(keyPath), filepath.Base(certPath))
	}
	return cert, key, true, nil
}

func loadSM2Pair(certPath, keyPath string) (*smx509.Certificate, *sm2.PrivateKey, bool, error) {
	certPEM, keyPEM, err := readPair(certPath, keyPath)
	if err != nil || certPEM == nil {
		return nil, nil, false, err
	}
	cert, err := ParseSM2CertPEM(certPEM)
	if err != nil {
		return nil, nil, false, fmt.Errorf("pki: %s: %w", filepath.Base(certPath), err)
	}
	key, err := ParseSM2PrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, nil, false, fmt.Errorf("pki: %s: %w", filepath.Base(keyPath), err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, false, fmt.Errorf("pki: %s does not match %s", filepath.Base(keyPath), filepath.Base(certPath))
	}
	return cert, key, true, nil
}

// Now returns the time on the bank's clock (Options.Now).
func (b *Bank) Now() time.Time { return b.opts.Now() }

// Hosts returns the host names and addresses the server certificate is
// required to cover.
func (b *Bank) Hosts() []string { return append([]string(nil), b.opts.Hosts...) }

// TLSCAPool returns a new pool holding the TLS CA, for clients (trust the
// bank's server) and for the server (ClientCAs for mTLS).
func (b *Bank) TLSCAPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(b.TLSCA)
	return p
}

// SM2CAPool returns a new pool holding the SM2 CA.
func (b *Bank) SM2CAPool() *smx509.CertPool {
	p := smx509.NewCertPool()
	p.AddCert(b.SM2CA)
	return p
}

// ServerTLSCertificate returns the bank's server certificate and key for
// tls.Config.Certificates.
func (b *Bank) ServerTLSCertificate() tls.Certificate {
	return tls.Certificate{
		Certificate: [][]byte{b.ServerCert.Raw},
		PrivateKey:  b.serverKey,
		Leaf:        b.ServerCert,
	}
}

// SignKeySerial is the key serial of the bank's signing key, as sent in the
// response-signature header.
func (b *Bank) SignKeySerial() string { return SerialHex(b.SignCert.SerialNumber) }

// EncKeySerial is the key serial of the bank's encryption key.
func (b *Bank) EncKeySerial() string { return SerialHex(b.EncCert.SerialNumber) }

// SerialHex renders a certificate serial as a key serial: lowercase hex
// without leading zeros ("0" for zero, "" for nil).
func SerialHex(serial *big.Int) string {
	if serial == nil {
		return ""
	}
	return fmt.Sprintf("%x", serial)
}

// archiveSignCert keeps a retired bank signing certificate as bank-sign-<serial>.crt,
// so responses, notifications and audit checkpoints it signed still verify
// (JR/T 0185-2020 7.3.4/3: keys are renewed; what they signed stays checkable).
func (b *Bank) archiveSignCert(cert *smx509.Certificate) error {
	name := filepath.Join(b.Paths.Dir, "bank-sign-"+SerialHex(cert.SerialNumber)+".crt")
	return os.WriteFile(name, EncodeCertPEM(cert.Raw), 0o644) // #nosec G306 -- a public certificate
}

// RotateSignKey issues a new bank signing key and certificate, archives the current
// certificate, and returns the new pair. The caller switches its signer.
func (b *Bank) RotateSignKey() (*sm2.PrivateKey, *smx509.Certificate, error) {
	key, err := generateSM2()
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w", err)
	}
	cert, err := b.issueSM2(subject("JR0185 Sandbox Bank Signing", Organization), &key.PublicKey, KeyUsageSign, b.opts.SignKeyValidity, b.Now())
	if err != nil {
		return nil, nil, err
	}
	if err := b.archiveSignCert(b.SignCert); err != nil {
		return nil, nil, err
	}
	if err := b.write(b.Paths.SignCert, b.Paths.SignKey, cert.Raw, key); err != nil {
		return nil, nil, err
	}
	b.SignCert, b.SignKey = cert, key
	return key, cert, nil
}

// SignCerts returns every bank signing certificate in dir: the current one first,
// then the archived ones.
func SignCerts(dir string) ([]*smx509.Certificate, error) {
	cur, err := LoadSM2CertPEM(filepath.Join(dir, FileSignCert))
	if err != nil {
		return nil, err
	}
	out := []*smx509.Certificate{cur}
	old, _ := filepath.Glob(filepath.Join(dir, "bank-sign-*.crt"))
	for _, f := range old {
		c, err := LoadSM2CertPEM(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
		out = append(out, c)
	}
	return out, nil
}

// RetiredSignValidity is how long before "now" the retired signing certificate of
// IssueRetiredSignKey started, and RetiredSignExpiredFor how long ago it ended.
const (
	RetiredSignValidity   = 30 * 24 * time.Hour
	RetiredSignExpiredFor = time.Minute
)

// IssueRetiredSignKey makes a retired bank signing key for the sandbox's retired-key
// fault: a fresh SM2 key whose certificate (issued by the SM2 CA, signing usage) was
// valid for 30 days and expired a minute ago (wall-clock time, as partners check it): just
// outside its window, so a partner allowing itself a grace period of minutes is caught.
// The bank publishes the certificate with its other signing certificates, as a bank
// keeps a retired key's certificate for verifying what it once signed; a partner must
// not accept a fresh answer under it (JR/T 0185-2020 7.3.4/3, 9.3.3/1). Neither is
// written to disk.
func (b *Bank) IssueRetiredSignKey() (*sm2.PrivateKey, *smx509.Certificate, error) {
	key, err := generateSM2()
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w", err)
	}
	bits, err := KeyUsageSign.bits()
	if err != nil {
		return nil, nil, err
	}
	end := time.Now().Add(-RetiredSignExpiredFor)
	cert, err := b.issueSM2Window(subject("JR0185 Sandbox Bank Signing (retired)", Organization), &key.PublicKey, bits,
		end.Add(-RetiredSignValidity), end)
	if err != nil {
		return nil, nil, err
	}
	return key, cert, nil
}
