package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// PEM block types written and accepted by this package.
const (
	pemCertificate = "CERTIFICATE"
	pemPrivateKey  = "PRIVATE KEY"    // PKCS#8, what this package writes
	pemECKey       = "EC PRIVATE KEY" // SEC 1, accepted on read (openssl ecparam -genkey)
	pemPublicKey   = "PUBLIC KEY"
	pemCSR         = "CERTIFICATE REQUEST"
	pemCSRLegacy   = "NEW CERTIFICATE REQUEST"
)

// File modes: private keys are readable by the owner only.
const (
	dirMode  os.FileMode = 0o700
	keyMode  os.FileMode = 0o600
	certMode os.FileMode = 0o644
)

// ErrNoPEM is returned when the input holds no PEM block of the expected type.
var ErrNoPEM = errors.New("pki: no PEM block of the expected type")

// EncodeCertPEM returns der as a PEM "CERTIFICATE" block.
func EncodeCertPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: der})
}

// EncodePrivateKeyPEM returns key (*ecdsa.PrivateKey or *sm2.PrivateKey) as a
// PKCS#8 "PRIVATE KEY" PEM block. SM2 keys are written with the id-ecPublicKey
// algorithm and the SM2 curve OID (1.2.156.10197.1.301), which OpenSSL 3 reads
// as an SM2 key (`openssl pkey -in key.pem -noout`).
func EncodePrivateKeyPEM(key crypto.PrivateKey) ([]byte, error) {
	switch key.(type) {
	case *ecdsa.PrivateKey, *sm2.PrivateKey:
	default:
		return nil, fmt.Errorf("pki: unsupported private key type %T", key)
	}
	der, err := smx509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), nil
}

// EncodePublicKeyPEM returns pub (ECDSA or SM2) as a PKIX "PUBLIC KEY" PEM block.
func EncodePublicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("pki: marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublicKey, Bytes: der}), nil
}

// findBlock returns the first PEM block in data whose type is one of types.
func findBlock(data []byte, types ...string) (*pem.Block, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("%w (want %v)", ErrNoPEM, types)
		}
		for _, t := range types {
			if b.Type == t {
				return b, nil
			}
		}
	}
}

// ParsePrivateKeyPEM parses the first private key in data: PKCS#8 "PRIVATE
// KEY" or SEC 1 "EC PRIVATE KEY". It returns *sm2.PrivateKey for keys on the
// SM2 curve and *ecdsa.PrivateKey for NIST curves.
func ParsePrivateKeyPEM(data []byte) (crypto.PrivateKey, error) {
	b, err := findBlock(data, pemPrivateKey, pemECKey)
	if err != nil {
		return nil, err
	}
	var key any
	if b.Type == pemECKey {
		key, err = smx509.ParseTypedECPrivateKey(b.Bytes)
	} else {
		key, err = smx509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("pki: parse private key: %w", err)
	}
	switch key.(type) {
	case *sm2.PrivateKey, *ecdsa.PrivateKey:
		return key, nil
	default:
		return nil, fmt.Errorf("pki: unsupported private key type %T", key)
	}
}

// ParseSM2PrivateKeyPEM parses an SM2 private key (PKCS#8 or SEC 1 PEM).
func ParseSM2PrivateKeyPEM(data []byte) (*sm2.PrivateKey, error) {
	key, err := ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, err
	}
	k, ok := key.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("pki: want an SM2 private key, got %s", keyName(key))
	}
	return k, nil
}

// ParseECPrivateKeyPEM parses an ECDSA P-256 private key (PKCS#8 or SEC 1 PEM).
func ParseECPrivateKeyPEM(data []byte) (*ecdsa.PrivateKey, error) {
	key, err := ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, err
	}
	k, ok := key.(*ecdsa.PrivateKey)
	if !ok || k.Curve != elliptic.P256() {
		return nil, fmt.Errorf("pki: want an ECDSA P-256 private key, got %s", keyName(key))
	}
	return k, nil
}

// ParseCertPEM parses the first certificate in data with crypto/x509 (TLS
// certificates: ECDSA P-256).
func ParseCertPEM(data []byte) (*x509.Certificate, error) {
	b, err := findBlock(data, pemCertificate)
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("pki: parse certificate: %w", err)
	}
	return c, nil
}

// ParseSM2CertPEM parses the first certificate in data with smx509 and
// requires an SM2 public key.
func ParseSM2CertPEM(data []byte) (*smx509.Certificate, error) {
	b, err := findBlock(data, pemCertificate)
	if err != nil {
		return nil, err
	}
	c, err := smx509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("pki: parse SM2 certificate: %w", err)
	}
	if _, ok := sm2PublicKey(c.PublicKey); !ok {
		return nil, fmt.Errorf("pki: certificate key is %s, want SM2", keyName(c.PublicKey))
	}
	return c, nil
}

// ParsePublicKeyPEM parses a PKIX "PUBLIC KEY" block holding an SM2 or ECDSA
// P-256 key (the form partners use to register a key without a CSR). Both come
// back as *ecdsa.PublicKey; the curve tells them apart (see IsSM2PublicKey).
func ParsePublicKeyPEM(data []byte) (*ecdsa.PublicKey, error) {
	b, err := findBlock(data, pemPublicKey)
	if err != nil {
		return nil, err
	}
	pub, err := smx509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("pki: parse public key: %w", err)
	}
	if k, ok := sm2PublicKey(pub); ok {
		return k, nil
	}
	if k, ok := p256PublicKey(pub); ok {
		return k, nil
	}
	return nil, fmt.Errorf("pki: unsupported public key %s", keyName(pub))
}

// IsSM2PublicKey reports whether pub is an SM2 public key.
func IsSM2PublicKey(pub crypto.PublicKey) bool {
	_, ok := sm2PublicKey(pub)
	return ok
}

// LoadSM2PrivateKeyPEM reads and parses an SM2 private key file.
func LoadSM2PrivateKeyPEM(path string) (*sm2.PrivateKey, error) {
	return loadWith(path, ParseSM2PrivateKeyPEM)
}

// LoadECPrivateKeyPEM reads and parses an ECDSA P-256 private key file.
func LoadECPrivateKeyPEM(path string) (*ecdsa.PrivateKey, error) {
	return loadWith(path, ParseECPrivateKeyPEM)
}

// LoadCertPEM reads and parses a TLS (crypto/x509) certificate file.
func LoadCertPEM(path string) (*x509.Certificate, error) {
	return loadWith(path, ParseCertPEM)
}

// LoadSM2CertPEM reads and parses an SM2 certificate file.
func LoadSM2CertPEM(path string) (*smx509.Certificate, error) {
	return loadWith(path, ParseSM2CertPEM)
}

func loadWith[T any](path string, parse func([]byte) (T, error)) (T, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := parse(data)
	if err != nil {
		return v, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return v, nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so a crash never leaves a truncated key or
// certificate behind.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}

// writeKeyPair writes the private key, then the certificate: a certificate
// on disk implies its key is complete (see loadPair).
func writeKeyPair(certPath, keyPath string, certDER []byte, key crypto.PrivateKey) error {
	keyPEM, err := EncodePrivateKeyPEM(key)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(keyPath, keyPEM, keyMode); err != nil {
		return err
	}
	return writeFileAtomic(certPath, EncodeCertPEM(certDER), certMode)
}

func sm2PublicKey(pub any) (*ecdsa.PublicKey, bool) {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok || k == nil || k.Curve != sm2.P256() {
		return nil, false
	}
	return k, true
}

func p256PublicKey(pub any) (*ecdsa.PublicKey, bool) {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok || k == nil || k.Curve != elliptic.P256() {
		return nil, false
	}
	return k, true
}

// keyName describes a key's type for error messages.
func keyName(k any) string {
	switch k := k.(type) {
	case *sm2.PrivateKey:
		return "SM2"
	case *ecdsa.PrivateKey:
		if k == nil {
			return "nil key"
		}
		return keyName(&k.PublicKey)
	case *ecdsa.PublicKey:
		switch {
		case k == nil || k.Curve == nil || k.Curve.Params() == nil:
			return "ECDSA (no curve)"
		case k.Curve == sm2.P256():
			return "SM2"
		}
		return "ECDSA " + k.Curve.Params().Name
	default:
		return fmt.Sprintf("%T", k)
	}
}

// generateP256 and generateSM2 use crypto/rand.
func generateP256() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}
func generateSM2() (*sm2.PrivateKey, error) { return sm2.GenerateKey(rand.Reader) }
