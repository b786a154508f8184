package partners

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/pki"
)

func p256CSR(t *testing.T, curve elliptic.Curve, cn string) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn, Organization: []string{"示例科技"}}}, k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func sm2Pub(t *testing.T) (*sm2.PrivateKey, string) {
	t.Helper()
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pki.EncodePublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return k, string(p)
}

func TestCheckKeys(t *testing.T) {
	t.Parallel()
	csr := string(p256CSR(t, elliptic.P256(), "my-wallet"))
	signKey, sign := sm2Pub(t)
	_, enc := sm2Pub(t)
	sm2CSRDER, err := smx509.CreateCertificateRequest(rand.Reader, &smx509.CertificateRequest{Subject: pkix.Name{CommonName: "x"}}, signKey)
	if err != nil {
		t.Fatal(err)
	}
	sm2CSR := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: sm2CSRDER}))
	blk, _ := pem.Decode([]byte(csr))
	tampered := append([]byte(nil), blk.Bytes...)
	tampered[len(tampered)-3] ^= 0x01 // inside the signature
	p256Key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p256PubDER, _ := x509.MarshalPKIXPublicKey(&p256Key.PublicKey)
	p256Pub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: p256PubDER}))

	tests := []struct {
		name  string
		keys  Keys
		field string // "" when accepted
		says  string
	}{
		{"accepted/no keys", Keys{}, "", ""},
		{"accepted/CSR and both SM2 keys", Keys{ClientCSR: csr, SM2SignPublicKey: sign, SM2EncPublicKey: enc}, "", ""},
		{"accepted/only a signing key", Keys{SM2SignPublicKey: sign}, "", ""},
		{"400/CSR not PEM", Keys{ClientCSR: "hello"}, "client_csr", "no PEM block"},
		{"400/CSR with an SM2 key", Keys{ClientCSR: sm2CSR}, "client_csr", "ECDSA P-256"},
		{"400/CSR with a P-384 key", Keys{ClientCSR: string(p256CSR(t, elliptic.P384(), "x"))}, "client_csr", "want SM2 or ECDSA P-256"},
		{"400/CSR signature does not verify", Keys{ClientCSR: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: tampered}))}, "client_csr", ""},
		{"400/CSR common name too long", Keys{ClientCSR: string(p256CSR(t, elliptic.P256(), strings.Repeat("a", 65)))}, "client_csr", "common name"},
		{"400/signing key on P-256", Keys{SM2SignPublicKey: p256Pub}, "sm2_sign_public_key", "want SM2"},
		{"400/signing key is a CSR", Keys{SM2SignPublicKey: csr}, "sm2_sign_public_key", "PUBLIC KEY"},
		{"400/encryption key corrupt", Keys{SM2EncPublicKey: "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n"}, "sm2_enc_public_key", "not a parseable"},
		{"400/encryption key equals the signing key", Keys{SM2SignPublicKey: sign, SM2EncPublicKey: sign}, "sm2_enc_public_key", "differ"},
		{"400/key too large", Keys{SM2SignPublicKey: sign + strings.Repeat(" ", maxKeyPEM)}, "sm2_sign_public_key", "larger"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := checkKeys(tc.keys, mutant.Set{})
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("got %v, want a refusal naming %s and saying %q", err, tc.field, tc.says)
			}
		})
	}
}
