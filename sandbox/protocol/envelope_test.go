package protocol

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"encoding/pem"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

func TestEnvelope(t *testing.T) {
	t.Parallel()
	priv, _ := sm2.GenerateKey(rand.Reader)
	other, _ := sm2.GenerateKey(rand.Reader)
	e, err := Seal(&priv.PublicKey, "ab12", []byte("6222021234567890123"), []byte("payee_account"))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := Open(priv, e, []byte("payee_account")); err != nil || string(pt) != "6222021234567890123" {
		t.Fatalf("open = %q, %v", pt, err)
	}
	tampered := e
	ct, _ := base64.StdEncoding.DecodeString(e.Ciphertext)
	ct[0] ^= 1
	tampered.Ciphertext = base64.StdEncoding.EncodeToString(ct)
	tests := []struct {
		name string
		key  *sm2.PrivateKey
		env  Envelope
		aad  string
	}{
		{"refused/tampered ciphertext", priv, tampered, "payee_account"},
		{"refused/moved to another field", priv, e, "payee_name"},
		{"refused/wrong recipient key", other, e, "payee_account"},
		{"refused/unknown alg", priv, Envelope{Alg: "AES"}, ""},
		{"refused/garbage", priv, Envelope{Alg: EnvelopeAlg, Key: "%%", IV: "x"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Open(tc.key, tc.env, []byte(tc.aad)); !errors.Is(err, ErrEnvelope) {
				t.Fatalf("err = %v, want ErrEnvelope", err)
			}
		})
	}
}

// TestEnvelopeKeyOpensWithOpenSSL shows the wrapped content key is standard SM2
// encryption (GB/T 32918.4, ASN.1 C1C3C2) that OpenSSL 3 decrypts.
func TestEnvelopeKeyOpensWithOpenSSL(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("openssl is required (make test installs it)")
	}
	priv, _ := sm2.GenerateKey(rand.Reader)
	der, err := smx509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "enc.key")
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	e, err := Seal(&priv.PublicKey, "1", []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	wrapped, _ := base64.StdEncoding.DecodeString(e.Key)
	_ = os.WriteFile(filepath.Join(dir, "key.bin"), wrapped, 0o600)
	out, err := exec.Command("openssl", "pkeyutl", "-decrypt", "-inkey", keyFile, "-in", filepath.Join(dir, "key.bin")).Output()
	if err != nil {
		t.Fatalf("openssl could not decrypt the wrapped key: %v", err)
	}
	gcm, _ := NewSM4GCM(out)
	iv, _ := base64.StdEncoding.DecodeString(e.IV)
	ct, _ := base64.StdEncoding.DecodeString(e.Ciphertext)
	if pt, err := gcm.Open(nil, iv, ct, nil); err != nil || string(pt) != "x" {
		t.Fatalf("content did not open with the key OpenSSL recovered: %v", err)
	}
}

func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte(`{"alg":"SM2-SM4-GCM","key":"AA==","iv":"AAAAAAAAAAAAAAAA","ciphertext":"AA=="}`))
	priv, _ := sm2.GenerateKey(rand.Reader)
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := ParseEnvelope(raw)
		if err != nil {
			return
		}
		_, _ = Open(priv, e, nil) // must not panic on anything
	})
}
