package pki

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// File names of a partner credential bundle. The bundle also holds copies of
// the bank's public certificates under the bank's names: tls-ca.crt,
// sm2-ca.crt, bank-sign.crt and bank-enc.crt.
const (
	FilePartnerClientCert = "client.crt"
	FilePartnerClientKey  = "client.key"
	FilePartnerSignCert   = "sign.crt"
	FilePartnerSignKey    = "sign.key"
	FilePartnerEncCert    = "enc.crt"
	FilePartnerEncKey     = "enc.key"
)

// PartnerPaths locate the files of a partner credential bundle.
type PartnerPaths struct {
	Dir        string
	ClientCert string
	ClientKey  string
	SignCert   string
	SignKey    string
	EncCert    string
	EncKey     string
	// The bank's public certificates: the TLS CA to trust the server, the
	// SM2 CA, the bank's signing certificate to verify responses and
	// notifications, and its encryption certificate to encrypt sensitive
	// fields to.
	TLSCA        string
	SM2CA        string
	BankSignCert string
	BankEncCert  string
}

func partnerPathsIn(dir string) PartnerPaths {
	j := func(name string) string { return filepath.Join(dir, name) }
	return PartnerPaths{
		Dir:          dir,
		ClientCert:   j(FilePartnerClientCert),
		ClientKey:    j(FilePartnerClientKey),
		SignCert:     j(FilePartnerSignCert),
		SignKey:      j(FilePartnerSignKey),
		EncCert:      j(FilePartnerEncCert),
		EncKey:       j(FilePartnerEncKey),
		TLSCA:        j(FileTLSCACert),
		SM2CA:        j(FileSM2CACert),
		BankSignCert: j(FileSignCert),
		BankEncCert:  j(FileEncCert),
	}
}

// PartnerCredentials are a partner's keys and certificates: an mTLS client
// key, an SM2 signing key and a separate SM2 encryption key (JR/T 0185-2020
// 7.3.4), all bound to one App_ID.
type PartnerCredentials struct {
	AppID      string
	Org        string
	ClientKey  *ecdsa.PrivateKey
	ClientCert *x509.Certificate
	SignKey    *sm2.PrivateKey
	SignCert   *smx509.Certificate
	EncKey     *sm2.PrivateKey
	EncCert    *smx509.Certificate
	Paths      PartnerPaths
}

// TLSCertificate returns the client certificate and key for
// tls.Config.Certificates.
func (p *PartnerCredentials) TLSCertificate() tls.Certificate {
	return tls.Certificate{
		Certificate: [][]byte{p.ClientCert.Raw},
		PrivateKey:  p.ClientKey,
		Leaf:        p.ClientCert,
	}
}

// SignKeySerial is the key serial the partner sends with its signatures.
func (p *PartnerCredentials) SignKeySerial() string { return SerialHex(p.SignCert.SerialNumber) }

// EncKeySerial is the key serial of the partner's encryption key.
func (p *PartnerCredentials) EncKeySerial() string { return SerialHex(p.EncCert.SerialNumber) }

// GeneratePartnerKeys creates fresh credentials for appID — an ECDSA P-256
// client key and certificate, an SM2 signing key and certificate, an SM2
// encryption key and certificate — and writes them as PEM into dir (created
// with mode 0700; keys 0600, certificates 0644) together with the bank's
// public certificates. Existing files are replaced. validity 0 takes the
// bank's defaults per kind (Options.ClientValidity, SignKeyValidity,
// EncKeyValidity); pass A1KeyValidity or A2KeyValidity to follow the App's
// API level (JR/T 0185-2020 7.3.4).
//
// This is how the demo partner's credentials are handed out; dir must be a
// directory the caller chose for them (never a committed path).
func (b *Bank) GeneratePartnerKeys(dir, appID, org string, validity time.Duration) (*PartnerCredentials, error) {
	if dir == "" {
		return nil, fmt.Errorf("pki: empty partner directory")
	}
	if !ValidAppID(appID) {
		return nil, fmt.Errorf("%w %q", ErrInvalidAppID, appID)
	}
	if err := checkOrg(org); err != nil {
		return nil, err
	}
	p := &PartnerCredentials{AppID: appID, Org: org, Paths: partnerPathsIn(dir)}

	var err error
	if p.ClientKey, err = generateP256(); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	if p.ClientCert, _, err = b.IssueClientCert(appID, org, &p.ClientKey.PublicKey, validity); err != nil {
		return nil, err
	}
	now := b.Now()
	if p.SignKey, err = generateSM2(); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	if p.SignCert, err = b.issueSM2(subject(appID, org), &p.SignKey.PublicKey, KeyUsageSign, validity, now); err != nil {
		return nil, err
	}
	if p.EncKey, err = generateSM2(); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	if p.EncCert, err = b.issueSM2(subject(appID, org), &p.EncKey.PublicKey, KeyUsageEncrypt, validity, now); err != nil {
		return nil, err
	}

	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	pp := p.Paths
	for _, kp := range []struct {
		cert, key string
		der       []byte
		priv      any
	}{
		{pp.ClientCert, pp.ClientKey, p.ClientCert.Raw, p.ClientKey},
		{pp.SignCert, pp.SignKey, p.SignCert.Raw, p.SignKey},
		{pp.EncCert, pp.EncKey, p.EncCert.Raw, p.EncKey},
	} {
		if err := writeKeyPair(kp.cert, kp.key, kp.der, kp.priv); err != nil {
			return nil, fmt.Errorf("pki: write %s: %w", filepath.Base(kp.cert), err)
		}
	}
	for _, c := range []struct {
		path string
		der  []byte
	}{
		{pp.TLSCA, b.TLSCA.Raw},
		{pp.SM2CA, b.SM2CA.Raw},
		{pp.BankSignCert, b.SignCert.Raw},
		{pp.BankEncCert, b.EncCert.Raw},
	} {
		if err := writeFileAtomic(c.path, EncodeCertPEM(c.der), certMode); err != nil {
			return nil, fmt.Errorf("pki: write %s: %w", filepath.Base(c.path), err)
		}
	}
	return p, nil
}

// LoadPartnerKeys reads a bundle written by GeneratePartnerKeys. It checks
// that each key matches its certificate and that the three certificates name
// the same App_ID, but not that they chain to a bank: use VerifyClientCert
// and VerifySM2Cert for that.
func LoadPartnerKeys(dir string) (*PartnerCredentials, error) {
	p := &PartnerCredentials{Paths: partnerPathsIn(dir)}
	var err error
	if p.ClientCert, p.ClientKey, err = loadRequiredTLSPair(p.Paths.ClientCert, p.Paths.ClientKey); err != nil {
		return nil, err
	}
	if p.SignCert, p.SignKey, err = loadRequiredSM2Pair(p.Paths.SignCert, p.Paths.SignKey); err != nil {
		return nil, err
	}
	if p.EncCert, p.EncKey, err = loadRequiredSM2Pair(p.Paths.EncCert, p.Paths.EncKey); err != nil {
		return nil, err
	}
	if p.AppID, err = AppIDFromClientCert(p.ClientCert); err != nil {
		return nil, fmt.Errorf("pki: %s: %w", FilePartnerClientCert, err)
	}
	for _, c := range []*smx509.Certificate{p.SignCert, p.EncCert} {
		id, err := AppIDFromSM2Cert(c)
		if err != nil {
			return nil, err
		}
		if id != p.AppID {
			return nil, fmt.Errorf("pki: SM2 certificate for App_ID %q in a bundle for %q", id, p.AppID)
		}
	}
	if err := CheckKeyUsage(p.SignCert, KeyUsageSign); err != nil {
		return nil, fmt.Errorf("%s: %w", FilePartnerSignCert, err)
	}
	if err := CheckKeyUsage(p.EncCert, KeyUsageEncrypt); err != nil {
		return nil, fmt.Errorf("%s: %w", FilePartnerEncCert, err)
	}
	if len(p.ClientCert.Subject.Organization) > 0 {
		p.Org = p.ClientCert.Subject.Organization[0]
	}
	return p, nil
}

func loadRequiredTLSPair(certPath, keyPath string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cert, key, found, err := loadTLSPair(certPath, keyPath)
	if err == nil && !found {
		err = fmt.Errorf("pki: %s: %w", filepath.Base(certPath), os.ErrNotExist)
	}
	return cert, key, err
}

func loadRequiredSM2Pair(certPath, keyPath string) (*smx509.Certificate, *sm2.PrivateKey, error) {
	cert, key, found, err := loadSM2Pair(certPath, keyPath)
	if err == nil && !found {
		err = fmt.Errorf("pki: %s: %w", filepath.Base(certPath), os.ErrNotExist)
	}
	return cert, key, err
}
