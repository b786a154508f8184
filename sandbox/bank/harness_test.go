package bank_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/protocol"
)

// testBank is a sandbox bank started in-process on 127.0.0.1 with a fresh data folder,
// reached over real TLS.
type testBank struct {
	t        testing.TB
	b        *bank.Bank
	cfg      bank.Config
	http     *http.Client
	bankKeys map[string]*ecdsa.PublicKey
}

func startBank(t testing.TB, mutate func(*bank.Config)) *testBank {
	t.Helper()
	cfg := bank.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	cfg.Customers, cfg.Products = 10, 24
	if mutate != nil {
		mutate(&cfg)
	}
	b, err := bank.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("start bank: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.Close(ctx)
	})
	tb := &testBank{t: t, b: b, cfg: cfg}
	tb.http, tb.bankKeys = startBankClient(t, b, cfg)
	return tb
}

// startBankClient returns an HTTPS client trusting the bank's CA and its signing keys.
func startBankClient(t testing.TB, b *bank.Bank, cfg bank.Config) (*http.Client, map[string]*ecdsa.PublicKey) {
	t.Helper()
	ca, err := os.ReadFile(b.TLSCAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	keys, err := bank.BankKeys(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Timeout: 20 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}, MaxIdleConnsPerHost: 8}}, keys
}

// admin calls the admin API and decodes the JSON answer.
func (tb *testBank) admin(method, path string, body any) (int, map[string]any) {
	tb.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, tb.b.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+tb.b.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := tb.http.Do(req)
	if err != nil {
		tb.t.Fatalf("admin %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

type a1App struct {
	ID, Secret, Serial string
	MACKey             []byte
}

// newA1App registers an A1 app through the admin API and approves it.
func (tb *testBank) newA1App(scopes []string, limits map[string]any) a1App {
	tb.t.Helper()
	reg := map[string]any{"name": "Test Partner " + protocol.NewNonce()[:6], "level": "A1", "scopes": scopes}
	if limits != nil {
		reg["limits"] = limits
	}
	st, out := tb.admin("POST", "/admin/v1/apps", reg)
	if st != 201 {
		tb.t.Fatalf("register: %d %v", st, out)
	}
	app := out["app"].(map[string]any)
	creds := out["credentials"].(map[string]any)
	a := a1App{ID: app["app_id"].(string), Secret: creds["app_secret"].(string), Serial: creds["serial"].(string)}
	a.MACKey = protocol.DeriveMACKey(a.Secret, a.ID)
	if st, out := tb.admin("POST", "/admin/v1/apps/"+a.ID+"/actions/approve", nil); st != 200 {
		tb.t.Fatalf("approve: %d %v", st, out)
	}
	return a
}

// callOpts let a test break one part of a correctly signed request.
type callOpts struct {
	method, body    string
	ts, nonce       string
	mac, appID      string
	noAuth          bool
	auth            string // replaces the whole Authorization header
	signedURI       string // URI covered by the MAC when it differs from the one sent
	header          map[string]string
	skipVerifyCheck bool
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
	Prob   struct {
		Type, Title, Code, Detail, RequestID, Clause string
		Status                                       int
		Debug                                        map[string]any
	}
}

func (r *resp) String() string { return fmt.Sprintf("HTTP %d %s", r.Status, r.Body) }

// call sends a MAC-authenticated A1 request (HMAC-SM3 over the canonical string).
func (tb *testBank) call(a a1App, uri string, o callOpts) *resp {
	tb.t.Helper()
	if o.method == "" {
		o.method = "GET"
	}
	if o.ts == "" {
		o.ts = protocol.Timestamp(time.Now())
	}
	if o.nonce == "" {
		o.nonce = protocol.NewNonce()
	}
	if o.appID == "" {
		o.appID = a.ID
	}
	signed := uri
	if o.signedURI != "" {
		signed = o.signedURI
	}
	if o.mac == "" {
		o.mac = protocol.MACBase64(a.MACKey, protocol.StringToSign(o.method, signed, o.ts, o.nonce, []byte(o.body)))
	}
	req, err := http.NewRequest(o.method, tb.b.URL+uri, strings.NewReader(o.body))
	if err != nil {
		tb.t.Fatal(err)
	}
	if !o.noAuth {
		h := o.auth
		if h == "" {
			h = protocol.Credentials{Scheme: protocol.SchemeHMAC, AppID: o.appID, Serial: a.Serial, Timestamp: o.ts, Nonce: o.nonce, Signature: o.mac}.String()
		}
		req.Header.Set("Authorization", h)
	}
	for k, v := range o.header {
		req.Header.Set(k, v)
	}
	return tb.do(req, !o.skipVerifyCheck)
}

func (tb *testBank) do(req *http.Request, mustBeSigned bool) *resp {
	tb.t.Helper()
	hr, err := tb.http.Do(req)
	if err != nil {
		tb.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer hr.Body.Close()
	r := &resp{Status: hr.StatusCode, Header: hr.Header}
	r.Body, _ = io.ReadAll(hr.Body)
	if hr.StatusCode >= 400 {
		if ct := hr.Header.Get("Content-Type"); ct != "application/problem+json" {
			tb.t.Errorf("error response has Content-Type %q, want application/problem+json", ct)
		}
		var p struct {
			Type, Title, Code, Detail, Clause string
			RequestID                         string `json:"request_id"`
			Status                            int
			Debug                             map[string]any
		}
		if err := json.Unmarshal(r.Body, &p); err != nil {
			tb.t.Errorf("error body is not JSON: %s", r.Body)
		}
		r.Prob.Type, r.Prob.Title, r.Prob.Code, r.Prob.Detail, r.Prob.Clause = p.Type, p.Title, p.Code, p.Detail, p.Clause
		r.Prob.RequestID, r.Prob.Status, r.Prob.Debug = p.RequestID, p.Status, p.Debug
		if p.RequestID == "" || p.RequestID != hr.Header.Get("X-Request-Id") || p.Status != hr.StatusCode {
			tb.t.Errorf("problem lacks a request id matching X-Request-Id or a matching status: %s", r.Body)
		}
	}
	if mustBeSigned {
		tb.checkSigned(r)
	}
	return r
}

// checkSigned verifies the bank's SM2 response signature (JR/T 0185-2020 9.2.2).
func (tb *testBank) checkSigned(r *resp) {
	tb.t.Helper()
	serial := r.Header.Get(protocol.HeaderSerial)
	pub, ok := tb.bankKeys[serial]
	if !ok {
		tb.t.Errorf("response signed with unknown serial %q (%s)", serial, r)
		return
	}
	msg := protocol.ResponseStringToSign(r.Header.Get(protocol.HeaderTimestamp), r.Header.Get(protocol.HeaderNonce), r.Body)
	if !protocol.VerifySM2(pub, msg, r.Header.Get(protocol.HeaderSignature)) {
		tb.t.Errorf("response signature does not verify: %s", r)
	}
}

func (tb *testBank) snapshot() map[string][]string {
	tb.t.Helper()
	s, err := tb.b.Snapshot(context.Background())
	if err != nil {
		tb.t.Fatal(err)
	}
	return s
}

// workerTables are updated by background workers on their own schedule (delivery
// attempts of notifications): for them a refused request must add no row; their rows'
// delivery state may move meanwhile.
var workerTables = map[string]bool{"payment_notifications": true}

func (tb *testBank) assertUnchanged(before map[string][]string, what string) {
	tb.t.Helper()
	after := tb.snapshot()
	for k := range after {
		if workerTables[k] {
			if len(before[k]) != len(after[k]) {
				tb.t.Errorf("%s added rows to %s", what, k)
			}
			continue
		}
		if !reflect.DeepEqual(before[k], after[k]) {
			tb.t.Errorf("%s changed table %s", what, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			tb.t.Errorf("%s removed table %s", what, k)
		}
	}
}
