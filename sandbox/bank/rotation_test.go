package bank_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/pem"
	"io"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
)

// TestBankKeyRotation: after rotation the bank signs with the new key; both serials
// are published and verify; the audit log, with checkpoints under both keys, still
// verifies (JR/T 0185-2020 7.3.4/3).
func TestBankKeyRotation(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	app := tb.newA1App([]string{"products:read"}, nil)
	before := tb.call(app, "/a1/v1/products?page_size=1", callOpts{skipVerifyCheck: true})
	if before.Status != 200 {
		t.Fatalf("before: %s", before)
	}
	st, out := tb.admin("POST", "/admin/v1/bank-keys/rotate", nil)
	if st != 200 || out["serial"] == out["previous_serial"] || out["previous_serial"] != before.Header.Get(protocol.HeaderSerial) {
		t.Fatalf("rotate: %d %v", st, out)
	}
	after := tb.call(app, "/a1/v1/products?page_size=1", callOpts{skipVerifyCheck: true})
	if after.Header.Get(protocol.HeaderSerial) != out["serial"] {
		t.Fatalf("after rotation the bank signs with %s, want %s", after.Header.Get(protocol.HeaderSerial), out["serial"])
	}
	// Both serials verify against the published certificate set.
	hr, err := tb.http.Get(tb.b.URL + "/pki/bank-sign-certs.pem")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(hr.Body)
	hr.Body.Close()
	published := map[string]*ecdsa.PublicKey{}
	for block, rest := pem.Decode(raw); block != nil; block, rest = pem.Decode(rest) {
		c, err := smx509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		published[protocol.SerialHex(c.SerialNumber)] = c.PublicKey.(*ecdsa.PublicKey)
	}
	for _, r := range []*resp{before, after} {
		pub := published[r.Header.Get(protocol.HeaderSerial)]
		msg := protocol.ResponseStringToSign(r.Header.Get(protocol.HeaderTimestamp), r.Header.Get(protocol.HeaderNonce), r.Body)
		if pub == nil || !protocol.VerifySM2(pub, msg, r.Header.Get(protocol.HeaderSignature)) {
			t.Fatalf("response signed with %s does not verify against /pki/bank-sign-certs.pem", r.Header.Get(protocol.HeaderSerial))
		}
	}
	// The demo partner's SDK, loaded from its refreshed folder, verifies the new key.
	cfg, _, err := sdk.LoadDir(tb.b.DemoDir)
	if err != nil {
		t.Fatal(err)
	}
	client, err := sdk.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	certs := bytes.Count(cfg.BankCertsPEM, []byte("-----BEGIN CERTIFICATE-----"))
	if r, err := client.Do(context.Background(), "GET", "/a1/v1/products?page_size=1", nil, nil); err != nil || r.Integrity.Serial != out["serial"] || certs < 2 {
		t.Fatalf("SDK after rotation: %v serial %v certificates %d", err, r, certs)
	}
	if err := tb.b.FlushAudit(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tb.b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := bank.VerifyAudit(context.Background(), tb.cfg.DataDir)
	if err != nil || !rep.OK || rep.Checkpoints < 1 {
		t.Fatalf("audit after rotation: %v\n%s", err, rep.String())
	}
}
