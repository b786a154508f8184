package sdk

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/jr0185/harness/sandbox/protocol"
)

// CredentialsFile is the JSON file in a partner credential folder.
const CredentialsFile = "credentials.json"

// Credentials is what a partner receives at registration, as written to a credential
// folder by the sandbox for its demo partner:
//
//	credentials.json  app_id, app_secret, serials, base_url
//	client.crt/.key   mTLS client certificate (ECDSA P-256)
//	sign.crt/.key     SM2 request-signing key
//	enc.crt/.key      SM2 encryption key (fields the bank encrypts to the partner)
//	tls-ca.crt        CA of the bank's TLS certificate
//	bank-sign.crt     the bank's response-signing certificate
//	bank-enc.crt      the bank's encryption certificate
type Credentials struct {
	BaseURL      string `json:"base_url"`
	AppID        string `json:"app_id"`
	AppSecret    string `json:"app_secret"`
	SecretSerial string `json:"secret_serial"`
	SignSerial   string `json:"sign_serial"`
	EncSerial    string `json:"enc_serial"`
	BankSerial   string `json:"bank_sign_serial"`
}

// LoadDir reads a credential folder into a Config. The App_Secret comes from the file
// unless the environment variable JR0185_APP_SECRET is set (keep secrets out of files
// in production: JR/T 0185-2020 7.3.4/2).
func LoadDir(dir string) (Config, Credentials, error) {
	var cr Credentials
	b, err := os.ReadFile(filepath.Join(dir, CredentialsFile))
	if err != nil {
		return Config{}, cr, err
	}
	if err := json.Unmarshal(b, &cr); err != nil {
		return Config{}, cr, fmt.Errorf("%s: %w", CredentialsFile, err)
	}
	if s := os.Getenv("JR0185_APP_SECRET"); s != "" {
		cr.AppSecret = s
	}
	cfg := Config{BaseURL: cr.BaseURL, AppID: cr.AppID, AppSecret: cr.AppSecret, SecretSerial: cr.SecretSerial, SignSerial: cr.SignSerial}
	if ca, err := os.ReadFile(filepath.Join(dir, "tls-ca.crt")); err == nil {
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(ca) {
			return cfg, cr, errors.New("tls-ca.crt holds no certificate")
		}
	}
	if cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key")); err == nil {
		cfg.ClientCert = &cert
	}
	if k, err := LoadSM2Key(filepath.Join(dir, "sign.key")); err == nil {
		cfg.SignKey = k
	}
	current, err := os.ReadFile(filepath.Join(dir, "bank-sign.crt"))
	if err != nil {
		return cfg, cr, fmt.Errorf("bank-sign.crt: %w", err)
	}
	if _, _, err := ParseSM2CertPEM(current); err != nil {
		return cfg, cr, fmt.Errorf("bank-sign.crt: %w", err)
	}
	cfg.BankCertsPEM = current
	// After a bank key rotation, bank-sign-certs.pem (as published at
	// /pki/bank-sign-certs.pem) holds every signing certificate; each is used within
	// its validity only.
	if all, err := os.ReadFile(filepath.Join(dir, "bank-sign-certs.pem")); err == nil {
		cfg.BankCertsPEM = append(append(append([]byte(nil), current...), '\n'), all...)
	}
	return cfg, cr, nil
}

// LoadSM2Key reads a PKCS#8 PEM SM2 private key (as written by the sandbox or by
// `openssl genpkey -algorithm SM2`).
func LoadSM2Key(path string) (*sm2.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := smx509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	sk, ok := k.(*sm2.PrivateKey)
	if !ok {
		return nil, errors.New("not an SM2 private key")
	}
	return sk, nil
}

// LoadSM2Cert reads an SM2 certificate and returns its wire serial and public key.
func LoadSM2Cert(path string) (string, *ecdsa.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	return ParseSM2CertPEM(b)
}

// ParseSM2CertPEM parses a PEM SM2 certificate into its wire serial and public key.
func ParseSM2CertPEM(b []byte) (string, *ecdsa.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return "", nil, errors.New("no PEM block")
	}
	return parseSM2CertDER(block.Bytes)
}

// parseSM2CertBundle parses every SM2 certificate of a PEM bundle (as published at
// /pki/bank-sign-certs.pem) into its public key and validity by wire serial; blocks
// that are not SM2 certificates are skipped.
func parseSM2CertBundle(b []byte) map[string]bankKey {
	keys := map[string]bankKey{}
	for block, rest := pem.Decode(b); block != nil; block, rest = pem.Decode(rest) {
		c, err := smx509.ParseCertificate(block.Bytes)
		if err != nil {
			continue
		}
		if pub, ok := c.PublicKey.(*ecdsa.PublicKey); ok {
			keys[protocol.SerialHex(c.SerialNumber)] = bankKey{pub: pub, notBefore: c.NotBefore, notAfter: c.NotAfter}
		}
	}
	return keys
}

// parseSM2CertDER parses a DER SM2 certificate into its wire serial and public key.
func parseSM2CertDER(der []byte) (string, *ecdsa.PublicKey, error) {
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		return "", nil, err
	}
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return "", nil, errors.New("not an SM2 certificate")
	}
	return protocol.SerialHex(c.SerialNumber), pub, nil
}
