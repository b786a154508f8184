package partners

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/pki"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/protocol"
)

// Issuer is the bank's certificate authority as the registration uses it (*pki.Bank).
type Issuer interface {
	SignCSR(csrPEM []byte, appID string, validity time.Duration) (*pki.Issued, error)
	IssueSM2Cert(cn string, pub *ecdsa.PublicKey, usage pki.KeyUsage, validity time.Duration) (*smx509.Certificate, []byte, error)
}

// Keys are the public keys a partner may submit with its registration, each optional:
// a CSR for its mTLS client certificate (ECDSA P-256; the bank signs it with the
// sandbox TLS CA, bound to the App_ID), and SM2 public keys for request signing and for
// encryption (the bank certifies them with its SM2 CA, bound to the App_ID). JR/T
// 0185-2020 9.2.1 a) 1), b) 2): 数字证书（或公私钥对）, 客户端证书; 7.3.4: separate keys for
// signing and encryption.
type Keys struct {
	ClientCSR        string `json:"client_csr,omitempty"`
	SM2SignPublicKey string `json:"sm2_sign_public_key,omitempty"`
	SM2EncPublicKey  string `json:"sm2_enc_public_key,omitempty"`
}

// maxKeyPEM bounds a submitted public key PEM (an SM2 SubjectPublicKeyInfo is 91 bytes
// of DER, under 200 of PEM).
const maxKeyPEM = 4 << 10

// Certificate is one certificate the bank issued at registration.
type Certificate struct {
	Kind        apps.CredentialKind `json:"kind"`   // client_cert | sm2_sign | sm2_enc
	Serial      string              `json:"serial"` // the key serial to send with requests
	Certificate string              `json:"certificate"`
	NotAfter    time.Time           `json:"not_after"`
}

// checkedKeys are the submitted keys, parsed and checked.
type checkedKeys struct {
	csr        []byte
	sign, enc  *ecdsa.PublicKey
	submitted  bool
	clientCert bool
}

// checkKeys validates every submitted key before anything is registered, so a refused
// submission leaves no App_ID behind.
func checkKeys(k Keys, mut mutant.Set) (checkedKeys, error) {
	var c checkedKeys
	if strings.TrimSpace(k.ClientCSR) != "" {
		if _, err := pki.CheckClientCSR([]byte(k.ClientCSR)); err != nil && !mut.Is(mutant.CSRUnchecked) {
			return c, invalid("client_csr: %s", strings.TrimPrefix(err.Error(), "pki: "))
		}
		c.csr, c.clientCert, c.submitted = []byte(k.ClientCSR), true, true
	}
	var err error
	if c.sign, err = sm2Key("sm2_sign_public_key", k.SM2SignPublicKey); err != nil {
		return c, err
	}
	if c.enc, err = sm2Key("sm2_enc_public_key", k.SM2EncPublicKey); err != nil {
		return c, err
	}
	if c.sign != nil && c.enc != nil && c.sign.Equal(c.enc) {
		return c, invalid("sm2_enc_public_key: the encryption key must differ from the signing key (JR/T 0185-2020 7.3.4)")
	}
	c.submitted = c.submitted || c.sign != nil || c.enc != nil
	return c, nil
}

func sm2Key(field, pemText string) (*ecdsa.PublicKey, error) {
	if strings.TrimSpace(pemText) == "" {
		return nil, nil
	}
	if len(pemText) > maxKeyPEM {
		return nil, invalid("%s: larger than %d bytes", field, maxKeyPEM)
	}
	if !strings.Contains(pemText, "-----BEGIN PUBLIC KEY-----") {
		return nil, invalid("%s: want one PEM \"PUBLIC KEY\" block (SubjectPublicKeyInfo), e.g. openssl pkey -pubout", field)
	}
	k, err := pki.ParsePublicKeyPEM([]byte(pemText))
	if err != nil {
		return nil, invalid("%s: not a parseable public key", field)
	}
	if !pki.IsSM2PublicKey(k) {
		return nil, invalid("%s: the key is on %s, want SM2 (curve sm2p256v1)", field, k.Curve.Params().Name)
	}
	return k, nil
}

// issue certifies the checked keys for appID and registers them as its credentials.
func (s *Service) issue(ctx context.Context, appID string, k checkedKeys) ([]Certificate, error) {
	if s.PKI == nil {
		return nil, problem.Internal.Wrap(errors.New("partners: no certificate authority"))
	}
	var out []Certificate
	if s.Mutant.Is(mutant.RegistrationKeysIgnored) {
		return out, nil
	}
	if k.clientCert {
		is, err := s.PKI.SignCSR(k.csr, appID, 0)
		if err != nil {
			return nil, problem.Internal.Wrap(err)
		}
		if is.Kind != pki.CertTLSClient {
			return nil, problem.Internal.Wrap(errors.New("partners: the CSR did not yield a client certificate"))
		}
		if err := s.add(ctx, clientCred(appID, is.TLS, is.PEM)); err != nil {
			return nil, err
		}
		out = append(out, Certificate{Kind: apps.KindClientCert, Serial: is.Serial, Certificate: string(is.PEM), NotAfter: is.TLS.NotAfter.UTC()})
	}
	for _, sk := range []struct {
		kind  apps.CredentialKind
		key   *ecdsa.PublicKey
		usage pki.KeyUsage
	}{{apps.KindSM2Sign, k.sign, pki.KeyUsageSign}, {apps.KindSM2Enc, k.enc, pki.KeyUsageEncrypt}} {
		if sk.key == nil {
			continue
		}
		cert, certPEM, err := s.PKI.IssueSM2Cert(appID, sk.key, sk.usage, 0)
		if err != nil {
			return nil, problem.Internal.Wrap(err)
		}
		serial := pki.SerialHex(cert.SerialNumber)
		if err := s.add(ctx, apps.Credential{AppID: appID, Kind: sk.kind, Serial: serial, Material: string(certPEM),
			NotBefore: cert.NotBefore, NotAfter: cert.NotAfter}); err != nil {
			return nil, err
		}
		out = append(out, Certificate{Kind: sk.kind, Serial: serial, Certificate: string(certPEM), NotAfter: cert.NotAfter.UTC()})
	}
	return out, nil
}

func clientCred(appID string, c *x509.Certificate, certPEM []byte) apps.Credential {
	return apps.Credential{AppID: appID, Kind: apps.KindClientCert, Serial: pki.SerialHex(c.SerialNumber), Material: string(certPEM),
		Fingerprint: protocol.SM3Hex(c.Raw), NotBefore: c.NotBefore, NotAfter: c.NotAfter}
}

func (s *Service) add(ctx context.Context, c apps.Credential) error {
	if err := s.Apps.AddCredential(ctx, c); err != nil {
		return problem.Internal.Wrap(err)
	}
	return nil
}
