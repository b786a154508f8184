package sdk

import (
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jr0185/harness/sandbox/protocol"
)

// A bank key is used within its certificate's validity only, both ends inclusive
// (JR/T 0185-2020 7.3.4/3, 9.3.3/1): just inside each end verifies, just outside does
// not — for answers and notifications alike, whether the certificate came with the
// configuration or from a fetch of the published bundle.
func TestBankKeyValidityIsChecked(t *testing.T) {
	t.Parallel()
	nb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	na := nb.Add(30 * 24 * time.Hour)
	b := newRotatingBank(t)
	tmpl := &smx509.Certificate{SerialNumber: big.NewInt(0x2a2b), Subject: pkix.Name{CommonName: "bank signing (retired)"}, NotBefore: nb, NotAfter: na}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, &b.key.PublicKey, b.key)
	if err != nil {
		t.Fatal(err)
	}
	b.certsPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cases := []struct {
		name  string
		now   time.Time
		valid bool
	}{
		{"refused/a nanosecond before NotBefore", nb.Add(-time.Nanosecond), false},
		{"verified/at NotBefore", nb, true},
		{"verified/at NotAfter", na, true},
		{"refused/a nanosecond after NotAfter", na.Add(time.Nanosecond), false},
		{"refused/an hour after NotAfter (the sandbox's retired key)", na.Add(time.Hour), false},
	}
	for _, c := range cases {
		for _, from := range []string{"configured", "fetched"} {
			t.Run(c.name+"/"+from, func(t *testing.T) {
				client := rotatingClient(t, b, from == "fetched", func(cfg *Config) {
					cfg.Now = func() time.Time { return c.now }
					if from == "configured" {
						cfg.BankCertsPEM = b.certsPEM
					}
				})
				_, err := client.Do(context.Background(), "GET", "/a2/v1/x", nil, nil)
				if c.valid != (err == nil) {
					t.Fatalf("answer: err %v, want valid %v", err, c.valid)
				}
				if !c.valid && (!errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "not valid now")) {
					t.Fatalf("answer: err %v, want an integrity failure naming the validity", err)
				}
				body := []byte(`{"event":"payment.status"}`)
				if err := client.VerifyNotification(context.Background(), b.signedHeader(body, b.serial), body); c.valid != (err == nil) {
					t.Fatalf("notification: err %v, want valid %v", err, c.valid)
				}
			})
		}
	}
}

// A serial still unknown after the one fetch is refused even when the signature would
// verify under a key the client knows: the serial names the key, no other is tried.
func TestUnknownSerialIsRefusedWhateverTheSignature(t *testing.T) {
	t.Parallel()
	b := newRotatingBank(t)
	b.serialFor = func() string { return "0f1234" }
	client := rotatingClient(t, b, true, func(cfg *Config) { cfg.BankCertsPEM = b.certsPEM })
	_, err := client.Do(context.Background(), "GET", "/a2/v1/x", nil, nil)
	if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "unknown bank key serial") || b.fetches.Load() != 1 {
		t.Fatalf("err %v after %d fetches, want an unknown serial after one fetch", err, b.fetches.Load())
	}
	if _, err := client.Do(context.Background(), "GET", "/a2/v1/x", nil, nil); !errors.Is(err, ErrIntegrity) || b.fetches.Load() != 1 {
		t.Fatalf("second answer: err %v after %d fetches, want refused without a second fetch", err, b.fetches.Load())
	}
	if protocol.SerialHex(big.NewInt(0x0f1234)) == "0f1234" {
		t.Fatal("a wire serial kept a leading zero")
	}
}
