package bank_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/pem"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
)

// TestBankAsAdversary: the spoiling faults the partner-side suite uses, over the wire.
// The published bundle ends with the retired certificate (expired); unknown-serial and
// retired-key answers carry signatures that verify under a key the partner knows, so only
// a partner that resolves the serial and checks the certificate's validity refuses them;
// a forged catalogued error is answered without the business layer (JR/T 0185-2020
// 9.3.3/1 test controls).
func TestBankAsAdversary(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	ctx := context.Background()
	notifyURL, _ := notifyReceiver(t, tb)
	client := onboardPartner(t, tb, notifyURL)
	appID := client.Config().AppID
	tok := accountsToken(t, client, pgNewBrowser(t, tb), "zhangsan", 30, "accounts:read", "balances:read")
	user := client.ForUser(tok)

	hr, err := tb.http.Get(tb.b.URL + "/pki/bank-sign-certs.pem")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(hr.Body)
	_ = hr.Body.Close()
	var certs []*smx509.Certificate
	for block, rest := pem.Decode(raw); block != nil; block, rest = pem.Decode(rest) {
		c, err := smx509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		certs = append(certs, c)
	}
	if len(certs) < 2 {
		t.Fatalf("%d published signing certificates, want the current one and the retired one", len(certs))
	}
	current, retired := certs[0], certs[len(certs)-1]
	cfg := client.Config()
	cfg.BankCertsPEM = raw // as a partner configured with the published bundle
	published, err := sdk.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	user = published.ForUser(tok)
	if now := time.Now(); !now.After(retired.NotAfter) || now.Sub(retired.NotAfter) > 2*time.Hour || now.Before(current.NotBefore) || now.After(current.NotAfter) {
		t.Fatalf("retired certificate valid %v to %v, current %v to %v: want the last one expired within two hours, the first valid",
			retired.NotBefore, retired.NotAfter, current.NotBefore, current.NotAfter)
	}
	verifiesUnder := func(c *smx509.Certificate, r *sdk.Response) bool {
		pub, _ := c.PublicKey.(*ecdsa.PublicKey)
		return pub != nil && protocol.VerifySM2(pub, protocol.ResponseStringToSign(r.Header.Get(protocol.HeaderTimestamp),
			r.Header.Get(protocol.HeaderNonce), r.Body), r.Header.Get(protocol.HeaderSignature))
	}
	fault := func(t *testing.T, spec map[string]any) {
		t.Helper()
		spec["app_id"], spec["count"] = appID, 1
		if st, out := tb.admin("POST", "/admin/v1/faults", spec); st != 201 {
			t.Fatalf("inject %v: %d %v", spec, st, out)
		}
	}

	t.Run("unknown-serial names an unpublished serial on the current key's signature", func(t *testing.T) {
		fault(t, map[string]any{"kind": "unknown-serial", "api": "a2.accounts.list"})
		r, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
		if !errors.Is(err, sdk.ErrIntegrity) || !strings.Contains(err.Error(), "unknown bank key serial") || r == nil {
			t.Fatalf("err %v", err)
		}
		if s := r.Header.Get(protocol.HeaderSerial); !strings.HasPrefix(s, "0f") || !verifiesUnder(current, r) {
			t.Fatalf("serial %q; verifies under the current key: %v", s, verifiesUnder(current, r))
		}
		if o := tb.observationOf(appID, r.RequestID); o.Fault != "unknown-serial" {
			t.Fatalf("observation %+v", o)
		}
	})

	t.Run("retired-key signs with the retired key, whose published certificate has expired", func(t *testing.T) {
		fault(t, map[string]any{"kind": "retired-key", "api": "a2.accounts.list"})
		r, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
		if !errors.Is(err, sdk.ErrIntegrity) || !strings.Contains(err.Error(), "not valid now") || r == nil {
			t.Fatalf("err %v", err)
		}
		if r.Header.Get(protocol.HeaderSerial) != protocol.SerialHex(retired.SerialNumber) || !verifiesUnder(retired, r) {
			t.Fatalf("serial %q, want the retired %s with a signature that verifies under it", r.Header.Get(protocol.HeaderSerial), protocol.SerialHex(retired.SerialNumber))
		}
	})

	t.Run("a forged CONSENT_REVOKED skips the business layer and revokes nothing", func(t *testing.T) {
		fault(t, map[string]any{"kind": "tamper-signature", "api": "a2.accounts.list", "problem": "CONSENT_REVOKED"})
		r, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
		if !errors.Is(err, sdk.ErrIntegrity) || r == nil || r.Status != 403 || !strings.Contains(string(r.Body), `"CONSENT_REVOKED"`) {
			t.Fatalf("forged error: %v %+v", err, r)
		}
		if o := tb.observationOf(appID, r.RequestID); o.Fault != "tamper-signature" || o.check("business") != "absent" || o.Code != "CONSENT_REVOKED" {
			t.Fatalf("observation %+v", o)
		}
		if r, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil); err != nil || r.Status != 200 {
			t.Fatalf("after the forged error the consent must still work: %v %+v", err, r)
		}
	})

	t.Run("bad specs and hosts get a catalogued 400", func(t *testing.T) {
		cases := []struct {
			name, path string
			body       map[string]any
		}{
			{"400 PARAMETER_INVALID/problem not in the catalogue", "/admin/v1/faults", map[string]any{"kind": "tamper-body", "app_id": appID, "problem": "NO_SUCH_CODE"}},
			{"400 PARAMETER_INVALID/problem on rate-limit", "/admin/v1/faults", map[string]any{"kind": "rate-limit", "app_id": appID, "problem": "CONSENT_REVOKED"}},
			{"400 PARAMETER_INVALID/problem on notifications", "/admin/v1/faults", map[string]any{"kind": "tamper-body", "app_id": appID, "api": "notify.payment-status", "problem": "PAYMENT_REJECTED"}},
			{"400 PARAMETER_INVALID/backend-down on notifications", "/admin/v1/faults", map[string]any{"kind": "backend-down", "app_id": appID, "api": "notify.payment-status"}},
			{"400 PARAMETER_INVALID/unknown-serial without app_id", "/admin/v1/faults", map[string]any{"kind": "unknown-serial", "api": "a2.accounts.list"}},
			{"400 PARAMETER_INVALID/test server cert for an IP", "/admin/v1/pki/test-server-certs", map[string]any{"csr": "x", "hosts": []string{"10.0.0.1"}}},
			{"400 PARAMETER_INVALID/test server cert for a real name", "/admin/v1/pki/test-server-certs", map[string]any{"csr": "x", "hosts": []string{"bank.example.com"}}},
			{"400 PARAMETER_INVALID/test server cert for five names", "/admin/v1/pki/test-server-certs", map[string]any{"csr": "x", "hosts": []string{"a.test", "b.test", "c.test", "d.test", "e.test"}}},
		}
		for _, c := range cases {
			st, out := tb.admin("POST", c.path, c.body)
			if st != 400 || out["code"] != "PARAMETER_INVALID" {
				t.Errorf("%s: %d %v", c.name, st, out)
			}
		}
	})
}
