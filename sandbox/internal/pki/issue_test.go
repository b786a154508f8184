package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

func TestIssueClientCert(t *testing.T) {
	t.Parallel()
	b := newBank(t, Options{})
	key := mustP256(t)
	cert, certPEM, err := b.IssueClientCert("app-0001", "示例科技有限公司", &key.PublicKey, 0)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "app-0001" || !slices.Equal(cert.Subject.Organization, []string{"示例科技有限公司"}) {
		t.Errorf("subject = %v", cert.Subject)
	}
	if len(cert.URIs) != 1 || cert.URIs[0].String() != "urn:jr0185:app:app-0001" {
		t.Errorf("URIs = %v", cert.URIs)
	}
	if !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) || cert.IsCA {
		t.Errorf("ExtKeyUsage = %v IsCA = %v", cert.ExtKeyUsage, cert.IsCA)
	}
	if got := cert.NotAfter.Sub(cert.NotBefore); got != DefaultClientValidity+clockSkew {
		t.Errorf("validity = %v, want %v", got, DefaultClientValidity+clockSkew)
	}
	parsed, err := ParseCertPEM(certPEM)
	if err != nil || !parsed.Equal(cert) {
		t.Errorf("PEM does not hold the certificate: %v", err)
	}
	if err := b.VerifyClientCert(cert, time.Time{}); err != nil {
		t.Error(err)
	}
	if id, err := AppIDFromClientCert(cert); err != nil || id != "app-0001" {
		t.Errorf("AppIDFromClientCert = %q, %v", id, err)
	}

	// NotAfter never passes the CA's.
	long, _, err := b.IssueClientCert("app-0001", "", &key.PublicKey, 2*DefaultCAValidity)
	if err != nil {
		t.Fatal(err)
	}
	if !long.NotAfter.Equal(b.TLSCA.NotAfter) {
		t.Errorf("NotAfter %v, want capped at CA's %v", long.NotAfter, b.TLSCA.NotAfter)
	}
	if len(long.Subject.Organization) != 0 {
		t.Errorf("empty org gave O = %v", long.Subject.Organization)
	}
}

func TestIssueClientCertRefuses(t *testing.T) {
	t.Parallel()
	b := newBank(t, Options{})
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ok := &mustP256(t).PublicKey
	tests := []struct {
		name     string
		appID    string
		org      string
		pub      crypto.PublicKey
		validity time.Duration
		want     error
	}{
		{name: "error/empty App_ID", appID: "", pub: ok, want: ErrInvalidAppID},
		{name: "error/App_ID with a slash", appID: "a/b", pub: ok, want: ErrInvalidAppID},
		{name: "error/App_ID too long", appID: strings.Repeat("a", MaxAppIDLen+1), pub: ok, want: ErrInvalidAppID},
		{name: "error/SM2 key", appID: "app", pub: &mustSM2(t).PublicKey},
		{name: "error/P-384 key", appID: "app", pub: &p384.PublicKey},
		{name: "error/nil key", appID: "app", pub: nil},
		{name: "error/org with control character", appID: "app", org: "a\x00b", pub: ok},
		{name: "error/negative validity", appID: "app", pub: ok, validity: -time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := b.IssueClientCert(tt.appID, tt.org, tt.pub, tt.validity)
			if err == nil {
				t.Fatal("issued")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestIssueSM2Cert(t *testing.T) {
	t.Parallel()
	b := newBank(t, Options{EncKeyValidity: 48 * time.Hour})
	tests := []struct {
		name         string
		cn           string
		usage        KeyUsage
		wantBits     smx509.KeyUsage
		wantValidity time.Duration
		wantAppID    string
	}{
		{"sign/partner", "app-9", KeyUsageSign, smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment, A2KeyValidity, "app-9"},
		{"encrypt/partner", "app-9", KeyUsageEncrypt, smx509.KeyUsageKeyEncipherment | smx509.KeyUsageDataEncipherment, 48 * time.Hour, "app-9"},
		{"sign/not an App_ID", "Some Service", KeyUsageSign, smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment, A2KeyValidity, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := mustSM2(t)
			cert, certPEM, err := b.IssueSM2Cert(tt.cn, &key.PublicKey, tt.usage, 0)
			if err != nil {
				t.Fatal(err)
			}
			if cert.KeyUsage != tt.wantBits {
				t.Errorf("KeyUsage = %#x, want %#x", cert.KeyUsage, tt.wantBits)
			}
			if err := CheckKeyUsage(cert, tt.usage); err != nil {
				t.Error(err)
			}
			other := KeyUsageSign
			if tt.usage == KeyUsageSign {
				other = KeyUsageEncrypt
			}
			if err := CheckKeyUsage(cert, other); !errors.Is(err, ErrCertUsage) {
				t.Errorf("CheckKeyUsage(%s) = %v, want ErrCertUsage", other, err)
			}
			if got := cert.NotAfter.Sub(cert.NotBefore); got != tt.wantValidity+clockSkew {
				t.Errorf("validity = %v, want %v", got, tt.wantValidity+clockSkew)
			}
			if cert.SignatureAlgorithm != smx509.SM2WithSM3 {
				t.Errorf("signature algorithm %v", cert.SignatureAlgorithm)
			}
			if err := b.VerifySM2Cert(cert, time.Time{}); err != nil {
				t.Error(err)
			}
			parsed, err := ParseSM2CertPEM(certPEM)
			if err != nil || !parsed.Equal(cert) {
				t.Errorf("PEM does not hold the certificate: %v", err)
			}
			id, err := AppIDFromSM2Cert(cert)
			if tt.wantAppID == "" {
				if err == nil {
					t.Errorf("AppIDFromSM2Cert = %q, want an error", id)
				}
			} else if id != tt.wantAppID || err != nil {
				t.Errorf("AppIDFromSM2Cert = %q, %v", id, err)
			}
		})
	}
}

func TestIssueSM2CertRefuses(t *testing.T) {
	t.Parallel()
	b := newBank(t, Options{})
	sm2Pub := &mustSM2(t).PublicKey
	tests := []struct {
		name  string
		cn    string
		pub   *ecdsa.PublicKey
		usage KeyUsage
	}{
		{"error/P-256 key", "app", &mustP256(t).PublicKey, KeyUsageSign},
		{"error/nil key", "app", nil, KeyUsageSign},
		{"error/unknown usage", "app", sm2Pub, KeyUsage(0)},
		{"error/both usages", "app", sm2Pub, KeyUsageSign | KeyUsageEncrypt},
		{"error/empty CN", "", sm2Pub, KeyUsageSign},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, _, err := b.IssueSM2Cert(tt.cn, tt.pub, tt.usage, 0); err == nil {
				t.Fatal("issued")
			}
		})
	}
}

func TestSignCSR(t *testing.T) {
	t.Parallel()
	b := newBank(t, Options{})
	p256 := mustP256(t)
	sm2Key := mustSM2(t)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	good := csrPEM(t, p256, "ignored-cn", "Acme Ltd")
	blk, _ := pem.Decode(good)
	tampered := bytes.Clone(blk.Bytes)
	tampered[len(tampered)-5] ^= 0xff // inside the signature

	tests := []struct {
		name     string
		csr      []byte
		appID    string
		wantKind CertKind
		wantErr  error
	}{
		{name: "tls-client/ECDSA P-256 CSR", csr: good, appID: "app-1", wantKind: CertTLSClient},
		{name: "tls-client/DER CSR", csr: blk.Bytes, appID: "app-1", wantKind: CertTLSClient},
		{name: "sm2-sign/SM2 CSR", csr: csrPEM(t, sm2Key, "x", ""), appID: "app-1", wantKind: CertSM2Sign},
		{name: "bad csr/tampered signature", csr: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: tampered}), appID: "app-1", wantErr: ErrBadCSR},
		{name: "bad csr/P-384 key", csr: csrPEM(t, p384, "x", ""), appID: "app-1", wantErr: ErrBadCSR},
		{name: "bad csr/certificate instead of CSR", csr: EncodeCertPEM(b.TLSCA.Raw), appID: "app-1", wantErr: ErrBadCSR},
		{name: "bad csr/garbage", csr: []byte("hello"), appID: "app-1", wantErr: ErrBadCSR},
		{name: "bad csr/empty", csr: nil, appID: "app-1", wantErr: ErrBadCSR},
		{name: "bad csr/too large", csr: append(bytes.Clone(good), make([]byte, MaxCSRSize)...), appID: "app-1", wantErr: ErrBadCSR},
		{name: "bad csr/control character in O", csr: csrPEM(t, p256, "x", "a\x01b"), appID: "app-1", wantErr: ErrBadCSR},
		{name: "bad app id/space", csr: good, appID: "app 1", wantErr: ErrInvalidAppID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := b.SignCSR(tt.csr, tt.appID, 0)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != tt.wantKind {
				t.Fatalf("Kind = %v, want %v", got.Kind, tt.wantKind)
			}
			switch got.Kind {
			case CertTLSClient:
				if got.SM2 != nil || got.Serial != SerialHex(got.TLS.SerialNumber) {
					t.Errorf("Issued = %+v", got)
				}
				if err := b.VerifyClientCert(got.TLS, time.Time{}); err != nil {
					t.Error(err)
				}
				if id, err := AppIDFromClientCert(got.TLS); id != tt.appID || err != nil {
					t.Errorf("App_ID = %q, %v", id, err)
				}
				if !slices.Equal(got.TLS.Subject.Organization, []string{"Acme Ltd"}) {
					t.Errorf("O = %v", got.TLS.Subject.Organization)
				}
			case CertSM2Sign:
				if got.TLS != nil || got.Serial != SerialHex(got.SM2.SerialNumber) {
					t.Errorf("Issued = %+v", got)
				}
				if err := b.VerifySM2Cert(got.SM2, time.Time{}); err != nil {
					t.Error(err)
				}
				if err := CheckKeyUsage(got.SM2, KeyUsageSign); err != nil {
					t.Error(err)
				}
				if !got.SM2.PublicKey.(*ecdsa.PublicKey).Equal(&sm2Key.PublicKey) {
					t.Error("certificate holds another key")
				}
			}
		})
	}
}

// FuzzSignCSR: SignCSR sees partner bytes; it must never panic, and whatever
// it accepts must come out as a certificate that verifies.
func FuzzSignCSR(f *testing.F) {
	b := newBank(f, Options{})
	good := csrPEM(f, mustP256(f), "x", "Org")
	f.Add(good)
	f.Add(csrPEM(f, mustSM2(f), "x", ""))
	blk, _ := pem.Decode(good)
	f.Add(blk.Bytes)
	f.Add([]byte("-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n"))
	f.Add(EncodeCertPEM(b.SM2CA.Raw))
	f.Add([]byte{0x30, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := CheckClientCSR(data); err != nil && !errors.Is(err, ErrBadCSR) {
			t.Fatalf("CheckClientCSR error not wrapping ErrBadCSR: %v", err)
		}
		got, err := b.SignCSR(data, "fuzz-app", time.Hour)
		if err != nil {
			if !errors.Is(err, ErrBadCSR) {
				t.Fatalf("error not wrapping ErrBadCSR: %v", err)
			}
			return
		}
		switch got.Kind {
		case CertTLSClient:
			err = b.VerifyClientCert(got.TLS, time.Time{})
		case CertSM2Sign:
			err = b.VerifySM2Cert(got.SM2, time.Time{})
		default:
			t.Fatalf("Kind %v", got.Kind)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzParsePEM: the PEM helpers see partner-supplied keys and certificates.
func FuzzParsePEM(f *testing.F) {
	b := newBank(f, Options{})
	keyPEM, _ := EncodePrivateKeyPEM(b.SignKey)
	pubPEM, _ := EncodePublicKeyPEM(&b.SignKey.PublicKey)
	f.Add(keyPEM)
	f.Add(pubPEM)
	f.Add(EncodeCertPEM(b.SignCert.Raw))
	f.Add(EncodeCertPEM(b.ServerCert.Raw))
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParsePrivateKeyPEM(data)
		_, _ = ParseSM2PrivateKeyPEM(data)
		_, _ = ParseECPrivateKeyPEM(data)
		_, _ = ParsePublicKeyPEM(data)
		_, _ = ParseCertPEM(data)
		if c, err := ParseSM2CertPEM(data); err == nil {
			_ = b.VerifySM2Cert(c, time.Time{})
			_, _ = AppIDFromSM2Cert(c)
		}
	})
}
