package refpartner

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// identity is the partner's own key material, generated when it starts. Private keys
// never leave the process; hello shows only the public parts.
type identity struct {
	clientCert    tls.Certificate // mutual TLS (ECDSA P-256, self-signed, registered by fingerprint)
	clientCertPEM string
	signKey       *sm2.PrivateKey // SM2 request signing
	encKey        *sm2.PrivateKey // SM2 decryption of what the bank seals to the partner (7.3.4/1: separate)
	signPubPEM    string
	encPubPEM     string
	notifyKey     *ecdsa.PrivateKey // the notification server's TLS key; the bank certifies it
	notifyCSRPEM  string
}

func newIdentity(name string, sameKey bool) (*identity, error) {
	id := &identity{}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: sn, Subject: pkix.Name{CommonName: name, Organization: []string{"JR/T 0185 reference partner"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	id.clientCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: tmpl}
	id.clientCertPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))

	if id.signKey, err = sm2.GenerateKey(rand.Reader); err != nil {
		return nil, err
	}
	if id.encKey, err = sm2.GenerateKey(rand.Reader); err != nil {
		return nil, err
	}
	if sameKey { // mutant same-key-sign-enc
		id.encKey = id.signKey
	}
	if id.signPubPEM, err = sm2PublicPEM(id.signKey); err != nil {
		return nil, err
	}
	if id.encPubPEM, err = sm2PublicPEM(id.encKey); err != nil {
		return nil, err
	}

	if id.notifyKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: name + " notifications"}}, id.notifyKey)
	if err != nil {
		return nil, err
	}
	id.notifyCSRPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}))
	return id, nil
}

func sm2PublicPEM(k *sm2.PrivateKey) (string, error) {
	der, err := smx509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// notifyPair joins the certificate the bank issued for the CSR with the key.
func (id *identity) notifyPair(certPEM string) (*tls.Certificate, error) {
	keyDER, err := x509.MarshalECPrivateKey(id.notifyKey)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair([]byte(certPEM), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		return nil, err
	}
	return &pair, nil
}
