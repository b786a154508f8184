package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
)

// TestDebugSignatureCLI: a request signed with the demo partner's MAC key over a
// re-encoded query, pasted into `sandbox debug-signature`, gets the diagnosis from the
// running sandbox; the correct one is accepted.
func TestDebugSignatureCLI(t *testing.T) {
	b, dataDir := startCLIBank(t, func(cfg *bank.Config) { cfg.Customers, cfg.Products = 10, 24 })
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	pc, _, err := sdk.LoadDir(b.DemoDir)
	if err != nil {
		t.Fatal(err)
	}
	uri := "/a1/v1/products?page_size=5&category=deposit"
	ts, nonce := protocol.Timestamp(time.Now()), protocol.NewNonce()
	write := func(name, signedURI string) string {
		mac := protocol.MACBase64(protocol.DeriveMACKey(pc.AppSecret, pc.AppID), protocol.StringToSign("GET", signedURI, ts, nonce, nil))
		raw := "GET " + uri + " HTTP/1.1\nHost: 127.0.0.1\nAuthorization: " + protocol.Credentials{Scheme: protocol.SchemeHMAC, AppID: pc.AppID,
			Serial: pc.SecretSerial, Timestamp: ts, Nonce: nonce, Signature: mac}.String() + "\n\n"
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(raw), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	args := func(f string) []string {
		return []string{"debug-signature", "--url", b.URL, "--data-dir", dataDir, "--file", f}
	}
	out, err := runCLI(t, args(write("bad.txt", "/a1/v1/products?category=deposit&page_size=5"))...)
	if err == nil || !strings.Contains(out, "REFUSED (PATH_OR_QUERY_ENCODED_DIFFERENTLY)") || !strings.Contains(out, `you signed:     "GET\n/a1/v1/products?category=deposit&page_size=5\n`) {
		t.Fatalf("mis-signed request: err %v\n%s", err, out)
	}
	out, err = runCLI(t, args(write("good.txt", uri))...)
	if err != nil || !strings.Contains(out, "ACCEPTED (OK)") || !strings.Contains(out, protocol.SM3Hex(protocol.StringToSign("GET", uri, ts, nonce, nil))) {
		t.Fatalf("correct request: err %v\n%s", err, out)
	}
}
