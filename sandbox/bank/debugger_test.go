package bank_test

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/internal/config"
	"github.com/jr0185/harness/sandbox/protocol"
)

// debugOf returns the signature debugger's diagnosis code and evidence in a problem.
func debugOf(t *testing.T, r *resp) (code string, dbg map[string]any) {
	t.Helper()
	dbg = r.Prob.Debug
	d, _ := dbg["diagnosis"].(map[string]any)
	code, _ = d["code"].(string)
	return code, dbg
}

// TestSignatureDebuggerOverTLS: real mis-signed requests over TLS to an embedded sandbox
// get, in sandbox mode, the string the bank verified (raw and escaped), its SM3 digest,
// the key serial and the diagnosis; the same requests in production mode get only the
// catalogued error (JR/T 0185-2020 7.1).
func TestSignatureDebuggerOverTLS(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	a := tb.newA1App([]string{"products:read"}, nil)
	p := demoPartner(t, tb)
	uri := "/a1/v1/products?page_size=10&category=deposit"
	sortedURI := "/a1/v1/products?category=deposit&page_size=10"
	ts, nonce := protocol.Timestamp(time.Now()), protocol.NewNonce()
	a2uri := "/a2/v1/accounts"
	wrongID, err := p.cfg.SignKey.SignWithSM2(rand.Reader, []byte(p.cfg.AppID), protocol.StringToSign("GET", a2uri, ts, nonce, nil))
	if err != nil {
		t.Fatal(err)
	}
	good, _ := protocol.SignSM2(p.cfg.SignKey, protocol.StringToSign("GET", a2uri, ts, nonce, nil))
	body := "token=at_unknown"
	signedNL := body + "\n"

	cases := []struct {
		name, code, want string
		send             func() *resp
	}{
		{"sorted query signed: PATH_OR_QUERY_ENCODED_DIFFERENTLY", "MAC_INVALID", "PATH_OR_QUERY_ENCODED_DIFFERENTLY",
			func() *resp { return tb.call(a, uri, callOpts{signedURI: sortedURI}) }},
		{"MAC without the final newline: FINAL_NEWLINE_MISSING", "MAC_INVALID", "FINAL_NEWLINE_MISSING", func() *resp {
			ts, n := protocol.Timestamp(time.Now()), protocol.NewNonce()
			sts := protocol.StringToSign("GET", uri, ts, n, nil)
			return tb.call(a, uri, callOpts{ts: ts, nonce: n, mac: protocol.MACBase64(a.MACKey, sts[:len(sts)-1])})
		}},
		{"timestamp ten minutes old: CLOCK_SKEW", "TIMESTAMP_OUT_OF_WINDOW", "CLOCK_SKEW",
			func() *resp {
				return tb.call(a, uri, callOpts{ts: protocol.Timestamp(time.Now().Add(-10 * time.Minute))})
			}},
		{"A2 signature with the App_ID as distinguishing ID: WRONG_DISTINGUISHING_ID", "SIGNATURE_INVALID", "WRONG_DISTINGUISHING_ID",
			func() *resp {
				return tb.a2Call(p, a2uri, a2Opts{ts: ts, nonce: nonce, sig: base64.StdEncoding.EncodeToString(wrongID)})
			}},
		{"A2 raw r||s: RAW_RS_SIGNATURE", "SIGNATURE_INVALID", "RAW_RS_SIGNATURE",
			func() *resp { return tb.a2Call(p, a2uri, a2Opts{ts: ts, nonce: nonce, sig: rawRS(t, good)}) }},
		{"A2 body signed with a trailing newline: BODY_RESERIALIZED", "SIGNATURE_INVALID", "BODY_RESERIALIZED",
			func() *resp {
				return tb.a2Call(p, "/a2/v1/oauth/revoke", a2Opts{method: "POST", body: body, signedBody: &signedNL})
			}},
	}
	for _, tc := range cases {
		r := tc.send()
		if r.Status != 401 || r.Prob.Code != tc.code {
			t.Errorf("%s: %s, want 401 %s", tc.name, r, tc.code)
			continue
		}
		code, dbg := debugOf(t, r)
		if code != tc.want {
			t.Errorf("%s: diagnosis %v, want %s", tc.name, dbg["diagnosis"], tc.want)
		}
		sts, _ := dbg["string_to_sign"].(string)
		if sts == "" || dbg["string_to_sign_sm3"] != protocol.SM3Hex([]byte(sts)) || !strings.Contains(dbg["string_to_sign_escaped"].(string), `\n`) || dbg["serial"] == "" {
			t.Errorf("%s: evidence incomplete: %v", tc.name, dbg)
		}
	}

	// Unknown serial: the valid serials are named.
	r := tb.call(a, uri, callOpts{auth: protocol.Credentials{Scheme: protocol.SchemeHMAC, AppID: a.ID, Serial: "nope",
		Timestamp: protocol.Timestamp(time.Now()), Nonce: protocol.NewNonce(), Signature: "AAAA"}.String()})
	if code, dbg := debugOf(t, r); r.Prob.Code != "KEY_SERIAL_UNKNOWN" || code != "KEY_SERIAL_UNKNOWN" || !strings.Contains(dbg["diagnosis"].(map[string]any)["message"].(string), a.Serial) {
		t.Errorf("unknown serial: %s", r)
	}

	// The same mistake in production mode: only the catalogued error.
	prod := startBank(t, func(c *bank.Config) { c.Mode = config.ModeProduction })
	pa := prod.newA1App([]string{"products:read"}, nil)
	pr := prod.call(pa, uri, callOpts{signedURI: sortedURI})
	if pr.Status != 401 || pr.Prob.Code != "MAC_INVALID" || pr.Prob.Debug != nil || strings.Contains(string(pr.Body), "string_to_sign") {
		t.Errorf("production mode leaks the debugger: %s", pr)
	}
	if st, out := prod.admin("POST", "/admin/v1/debug/signature", map[string]any{"request": "GET / HTTP/1.1\n\n"}); st != 404 {
		t.Errorf("debug endpoint in production mode: %d %v", st, out)
	}
}

// TestDebugSignatureEndpoint: a pasted request gets the same verdict as the in-band
// debugger, and the App_Secret (when given) lets it name a MAC keyed with the secret
// itself.
func TestDebugSignatureEndpoint(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	a := tb.newA1App([]string{"products:read"}, nil)
	uri := "/a1/v1/products?page_size=10"
	ts, nonce := protocol.Timestamp(time.Now()), protocol.NewNonce()
	sts := protocol.StringToSign("GET", uri, ts, nonce, nil)
	raw := func(mac string) string {
		return "GET " + uri + " HTTP/1.1\nHost: 127.0.0.1\nAuthorization: " + protocol.Credentials{Scheme: protocol.SchemeHMAC, AppID: a.ID,
			Serial: a.Serial, Timestamp: ts, Nonce: nonce, Signature: mac}.String() + "\n\n"
	}
	cases := []struct {
		name string
		in   map[string]any
		want string
	}{
		{"correct request: OK", map[string]any{"request": raw(protocol.MACBase64(a.MACKey, sts))}, "OK"},
		{"MAC keyed with the App_Secret: MAC_KEYED_WITH_APP_SECRET",
			map[string]any{"request": raw(protocol.MACBase64([]byte(a.Secret), sts)), "app_secret": a.Secret}, "MAC_KEYED_WITH_APP_SECRET"},
		{"fields form, CRLF: CRLF_LINE_ENDINGS", map[string]any{"method": "GET", "path": uri, "headers": map[string]string{
			"Authorization": protocol.Credentials{Scheme: protocol.SchemeHMAC, AppID: a.ID, Serial: a.Serial, Timestamp: ts, Nonce: nonce,
				Signature: protocol.MACBase64(a.MACKey, []byte(strings.ReplaceAll(string(sts), "\n", "\r\n")))}.String()}}, "CRLF_LINE_ENDINGS"},
		{"unknown app: APP_UNKNOWN", map[string]any{"request": raw("AAAA"), "app_id": "NOSUCHAPP"}, "APP_UNKNOWN"},
	}
	for _, tc := range cases {
		st, out := tb.admin("POST", "/admin/v1/debug/signature", tc.in)
		v, _ := out["verdict"].(map[string]any)
		d, _ := v["diagnosis"].(map[string]any)
		if st != 200 || d["code"] != tc.want || v["string_to_sign_sm3"] != protocol.SM3Hex(sts) {
			t.Errorf("%s: %d %v", tc.name, st, out)
		}
	}
	if st, _ := tb.admin("POST", "/admin/v1/debug/signature", map[string]any{"request": "nonsense"}); st != 400 {
		t.Errorf("garbage request: %d, want 400", st)
	}
	// The debugger used no nonce: the correct request still goes through afterwards.
	if r := tb.call(a, uri, callOpts{ts: ts, nonce: nonce, mac: protocol.MACBase64(a.MACKey, sts)}); r.Status != 200 {
		t.Errorf("the debugged request was consumed: %s", r)
	}
}
