package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// KeyUsage says what an SM2 key is for. JR/T 0185-2020 7.3.4: encryption and
// signing should be given different keys, so a certificate is one or the other.
type KeyUsage int

const (
	// KeyUsageSign: digitalSignature | contentCommitment (non-repudiation).
	KeyUsageSign KeyUsage = iota + 1
	// KeyUsageEncrypt: keyEncipherment | dataEncipherment.
	KeyUsageEncrypt
)

func (u KeyUsage) String() string {
	switch u {
	case KeyUsageSign:
		return "sign"
	case KeyUsageEncrypt:
		return "encrypt"
	}
	return fmt.Sprintf("KeyUsage(%d)", int(u))
}

func (u KeyUsage) bits() (smx509.KeyUsage, error) {
	switch u {
	case KeyUsageSign:
		return smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment, nil
	case KeyUsageEncrypt:
		return smx509.KeyUsageKeyEncipherment | smx509.KeyUsageDataEncipherment, nil
	}
	return 0, fmt.Errorf("pki: unknown key usage %d", int(u))
}

// AppIDURIPrefix starts the URI SAN that binds a certificate to an App_ID
// (JR/T 0185-2020 7.2.1 a) 2), 9.2.1 b) 2)).
const AppIDURIPrefix = "urn:jr0185:app:"

// MaxAppIDLen bounds an App_ID.
const MaxAppIDLen = 64

// ValidAppID reports whether s can be an App_ID in a certificate: 1 to
// MaxAppIDLen characters from [A-Za-z0-9._-]. The standard does not fix the
// format; this keeps the URI SAN and the Subject CN unambiguous.
func ValidAppID(s string) bool {
	if len(s) == 0 || len(s) > MaxAppIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// AppIDURI returns the URI SAN for appID.
func AppIDURI(appID string) *url.URL {
	return &url.URL{Scheme: "urn", Opaque: AppIDURIPrefix[len("urn:"):] + appID}
}

// ErrInvalidAppID is returned when an App_ID does not satisfy ValidAppID.
var ErrInvalidAppID = errors.New("pki: invalid App_ID")

// maxNameLen is ub-organization-name and ub-common-name (RFC 5280 appendix A).
const maxNameLen = 64

// checkName checks a Subject attribute value: printable UTF-8, at most
// maxNameLen characters.
func checkName(what, v string) error {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxNameLen {
		return fmt.Errorf("pki: invalid %s (at most %d characters of UTF-8)", what, maxNameLen)
	}
	for _, r := range v {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("pki: %s contains a non-printable character", what)
		}
	}
	return nil
}

func checkOrg(org string) error { return checkName("organization name", org) }

var serialLimit = new(big.Int).Lsh(big.NewInt(1), 128)

// newSerial returns a random positive serial below 2^128.
func newSerial() (*big.Int, error) {
	for {
		n, err := rand.Int(rand.Reader, serialLimit)
		if err != nil {
			return nil, fmt.Errorf("pki: serial: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

// validityWindow backdates NotBefore by clockSkew and keeps NotAfter within
// the issuing CA's lifetime.
func validityWindow(now time.Time, validity time.Duration, caNotAfter time.Time) (time.Time, time.Time) {
	notAfter := now.Add(validity)
	if !caNotAfter.IsZero() && notAfter.After(caNotAfter) {
		notAfter = caNotAfter
	}
	return now.Add(-clockSkew), notAfter
}

func subject(cn, org string) pkix.Name {
	n := pkix.Name{CommonName: cn}
	if org != "" {
		n.Organization = []string{org}
	}
	return n
}

// serverTemplate is a TLS server certificate of the sandbox TLS CA (hosts added by the
// caller).
func serverTemplate(serial *big.Int, sub pkix.Name, nb, na time.Time) *x509.Certificate {
	return &x509.Certificate{SerialNumber: serial, Subject: sub, NotBefore: nb, NotAfter: na,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true}
}

func (b *Bank) createTLSCA(now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := generateP256()
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	nb, na := validityWindow(now, b.opts.CAValidity, time.Time{})
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject(TLSCAName, Organization),
		NotBefore:             nb,
		NotAfter:              na,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: create TLS CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w", err)
	}
	if err := b.write(b.Paths.TLSCACert, b.Paths.TLSCAKey, der, key); err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

func (b *Bank) createSM2CA(now time.Time) (*smx509.Certificate, *sm2.PrivateKey, error) {
	key, err := generateSM2()
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	nb, na := validityWindow(now, b.opts.CAValidity, time.Time{})
	tmpl := &smx509.Certificate{
		SerialNumber:          serial,
		Subject:               subject(SM2CAName, Organization),
		NotBefore:             nb,
		NotAfter:              na,
		KeyUsage:              smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	// smx509 picks SM2-with-SM3 for an SM2 key and signs with the default
	// distinguishing ID 1234567812345678.
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: create SM2 CA: %w", err)
	}
	cert, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w", err)
	}
	if err := b.write(b.Paths.SM2CACert, b.Paths.SM2CAKey, der, key); err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

func (b *Bank) createServerCert(now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := generateP256()
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	nb, na := validityWindow(now, b.opts.ServerValidity, b.TLSCA.NotAfter)
	tmpl := serverTemplate(serial, subject("JR0185 Sandbox Bank API", Organization), nb, na)
	for _, h := range b.opts.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, b.TLSCA, &key.PublicKey, b.tlsCAKey)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: create server certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w", err)
	}
	if err := b.write(b.Paths.ServerCert, b.Paths.ServerKey, der, key); err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// IssueClientCert issues a partner's mTLS client certificate for an ECDSA
// P-256 public key: Subject CN = appID, Subject O = org (omitted if empty),
// ExtKeyUsage clientAuth, and the URI SAN AppIDURI(appID) that binds the
// certificate to the App_ID (JR/T 0185-2020 7.2.1 a) 2), 9.2.1 b) 2)).
// validity 0 means Options.ClientValidity; NotAfter never passes the CA's.
// It returns the certificate and its PEM.
func (b *Bank) IssueClientCert(appID, org string, pub crypto.PublicKey, validity time.Duration) (*x509.Certificate, []byte, error) {
	if !ValidAppID(appID) {
		return nil, nil, fmt.Errorf("%w %q", ErrInvalidAppID, appID)
	}
	if err := checkOrg(org); err != nil {
		return nil, nil, err
	}
	k, ok := p256PublicKey(pub)
	if !ok {
		return nil, nil, fmt.Errorf("pki: client certificate key is %s, want ECDSA P-256", keyName(pub))
	}
	if validity < 0 {
		return nil, nil, fmt.Errorf("pki: negative validity %v", validity)
	}
	if validity == 0 {
		validity = b.opts.ClientValidity
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	nb, na := validityWindow(b.opts.Now(), validity, b.TLSCA.NotAfter)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject(appID, org),
		NotBefore:             nb,
		NotAfter:              na,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		URIs:                  []*url.URL{AppIDURI(appID)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, b.TLSCA, k, b.tlsCAKey)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: create client certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w", err)
	}
	return cert, EncodeCertPEM(der), nil
}

// IssueSM2Cert issues an SM2 certificate signed by the SM2 CA, for signing
// or for encryption (never both, JR/T 0185-2020 7.3.4). The Subject CN is cn;
// when cn is a valid App_ID (a partner's key) the certificate also carries the
// App_ID URI SAN, as client certificates do. validity 0 means
// Options.SignKeyValidity or Options.EncKeyValidity by usage.
func (b *Bank) IssueSM2Cert(cn string, pub *ecdsa.PublicKey, usage KeyUsage, validity time.Duration) (*smx509.Certificate, []byte, error) {
	if cn == "" {
		return nil, nil, errors.New("pki: empty common name")
	}
	if err := checkName("common name", cn); err != nil {
		return nil, nil, err
	}
	org := Organization
	if ValidAppID(cn) {
		org = ""
	}
	cert, err := b.issueSM2(subject(cn, org), pub, usage, validity, b.opts.Now())
	if err != nil {
		return nil, nil, err
	}
	return cert, EncodeCertPEM(cert.Raw), nil
}

// issueSM2 is IssueSM2Cert with an explicit subject and clock.
func (b *Bank) issueSM2(subj pkix.Name, pub *ecdsa.PublicKey, usage KeyUsage, validity time.Duration, now time.Time) (*smx509.Certificate, error) {
	k, ok := sm2PublicKey(pub)
	if !ok {
		return nil, fmt.Errorf("pki: SM2 certificate key is %s, want SM2", keyName(pub))
	}
	bits, err := usage.bits()
	if err != nil {
		return nil, err
	}
	if validity < 0 {
		return nil, fmt.Errorf("pki: negative validity %v", validity)
	}
	if validity == 0 {
		validity = b.opts.SignKeyValidity
		if usage == KeyUsageEncrypt {
			validity = b.opts.EncKeyValidity
		}
	}
	nb, na := validityWindow(now, validity, b.SM2CA.NotAfter)
	return b.issueSM2Window(subj, k, bits, nb, na)
}

// issueSM2Window issues an SM2 certificate valid from nb to na.
func (b *Bank) issueSM2Window(subj pkix.Name, k *ecdsa.PublicKey, bits smx509.KeyUsage, nb, na time.Time) (*smx509.Certificate, error) {
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &smx509.Certificate{
		SerialNumber:          serial,
		Subject:               subj,
		NotBefore:             nb,
		NotAfter:              na,
		KeyUsage:              bits,
		BasicConstraintsValid: true,
	}
	if ValidAppID(subj.CommonName) {
		tmpl.URIs = []*url.URL{AppIDURI(subj.CommonName)}
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, b.SM2CA, k, b.sm2CAKey)
	if err != nil {
		return nil, fmt.Errorf("pki: create SM2 certificate: %w", err)
	}
	cert, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	return cert, nil
}

// CertKind is what SignCSR issued.
type CertKind int

const (
	// CertTLSClient is an mTLS client certificate (ECDSA P-256, TLS CA).
	CertTLSClient CertKind = iota + 1
	// CertSM2Sign is an SM2 signing certificate (SM2 CA).
	CertSM2Sign
)

func (k CertKind) String() string {
	switch k {
	case CertTLSClient:
		return "tls-client"
	case CertSM2Sign:
		return "sm2-sign"
	}
	return fmt.Sprintf("CertKind(%d)", int(k))
}

// Issued is a certificate issued by SignCSR. Exactly one of TLS and SM2 is set.
type Issued struct {
	Kind   CertKind
	TLS    *x509.Certificate   // Kind == CertTLSClient
	SM2    *smx509.Certificate // Kind == CertSM2Sign
	PEM    []byte
	Serial string // SerialHex of the certificate serial: the key serial
}

// MaxCSRSize bounds the input to SignCSR.
const MaxCSRSize = 16 << 10

// ErrBadCSR wraps every reason SignCSR refuses a request that comes from the
// partner (unparsable, bad signature, unsupported key).
var ErrBadCSR = errors.New("pki: bad certificate request")

// SignCSR issues a certificate for appID from a PKCS#10 request in PEM ("CERTIFICATE
// REQUEST") or DER, after checking the request's signature (proof of
// possession of the private key):
//
//   - an ECDSA P-256 key gets a TLS client certificate (IssueClientCert);
//   - an SM2 key gets an SM2 signing certificate (KeyUsageSign).
//
// The Subject CN of the request is ignored: the bank binds the certificate
// to appID (Subject CN and URI SAN). The first Subject O of the request, if
// any, is kept as the organization. An SM2 request must be signed with the default distinguishing ID
// 1234567812345678, e.g.
//
//	openssl req -new -key sign.key -sm3 -sigopt distid:1234567812345678 -subj /CN=app
//
// Errors about the request wrap ErrBadCSR; SignCSR never panics on any input.
func (b *Bank) SignCSR(csrPEM []byte, appID string, validity time.Duration) (*Issued, error) {
	if !ValidAppID(appID) {
		return nil, fmt.Errorf("%w %q", ErrInvalidAppID, appID)
	}
	csr, err := parseCSR(csrPEM)
	if err != nil {
		return nil, err
	}
	var org string
	if len(csr.Subject.Organization) > 0 {
		org = csr.Subject.Organization[0]
		if err := checkOrg(org); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadCSR, err)
		}
	}
	if k, ok := sm2PublicKey(csr.PublicKey); ok {
		cert, err := b.issueSM2(subject(appID, org), k, KeyUsageSign, validity, b.opts.Now())
		if err != nil {
			return nil, err
		}
		return &Issued{Kind: CertSM2Sign, SM2: cert, PEM: EncodeCertPEM(cert.Raw), Serial: SerialHex(cert.SerialNumber)}, nil
	}
	cert, certPEM, err := b.IssueClientCert(appID, org, csr.PublicKey, validity)
	if err != nil {
		return nil, err
	}
	return &Issued{Kind: CertTLSClient, TLS: cert, PEM: certPEM, Serial: SerialHex(cert.SerialNumber)}, nil
}

// parseCSR decodes and checks a PKCS#10 request holding an SM2 or ECDSA
// P-256 key.
func parseCSR(data []byte) (*smx509.CertificateRequest, error) {
	if len(data) > MaxCSRSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadCSR, MaxCSRSize)
	}
	der := data
	if b, err := findBlock(data, pemCSR, pemCSRLegacy); err == nil {
		der = b.Bytes
	} else if bytes.Contains(data, []byte("-----BEGIN")) || len(data) == 0 || data[0] != 0x30 {
		return nil, fmt.Errorf("%w: no PEM block %q", ErrBadCSR, pemCSR)
	}
	csr, err := parseCSRDER(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCSR, err)
	}
	// The signature algorithm must match the key: SM2-with-SM3 for SM2,
	// ECDSA with SHA-2 for P-256.
	_, isSM2 := sm2PublicKey(csr.PublicKey)
	_, isP256 := p256PublicKey(csr.PublicKey)
	switch alg := csr.SignatureAlgorithm; {
	case isSM2 && alg == smx509.SM2WithSM3:
	case isP256 && (alg == smx509.ECDSAWithSHA256 || alg == smx509.ECDSAWithSHA384 || alg == smx509.ECDSAWithSHA512):
	case !isSM2 && !isP256:
		return nil, fmt.Errorf("%w: key is %s, want SM2 or ECDSA P-256", ErrBadCSR, keyName(csr.PublicKey))
	default:
		return nil, fmt.Errorf("%w: signature algorithm %v does not fit a %s key", ErrBadCSR, alg, keyName(csr.PublicKey))
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrBadCSR, err)
	}
	return csr, nil
}

func parseCSRDER(der []byte) (*smx509.CertificateRequest, error) {
	return smx509.ParseCertificateRequest(der)
}
