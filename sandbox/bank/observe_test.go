package bank_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
)

// observation is the admin API's view of one call (the fields the tests read).
type observation struct {
	Seq              int64  `json:"seq"`
	Kind             string `json:"kind"`
	Path             string `json:"path"`
	API              string `json:"api"`
	TLSVersion       string `json:"tls_version"`
	ClientCertSHA256 string `json:"client_cert_sha256"`
	ClientCertBound  bool   `json:"client_cert_bound"`
	Scheme           string `json:"scheme"`
	Nonce            string `json:"nonce"`
	SignatureValid   *bool  `json:"signature_valid"`
	NonceReused      bool   `json:"nonce_reused"`
	AccessToken      bool   `json:"access_token"`
	IdempotencyKey   string `json:"idempotency_key"`
	Checks           []struct {
		Step, Result, Code string
	} `json:"checks"`
	Status       int    `json:"status"`
	Code         string `json:"code"`
	RequestID    string `json:"request_id"`
	Fault        string `json:"fault"`
	Notification *struct {
		URL          string `json:"url"`
		Probe        string `json:"probe"`
		PaymentID    string `json:"payment_id"`
		AnswerStatus int    `json:"answer_status"`
		Error        string `json:"error"`
	} `json:"notification"`
}

func (tb *testBank) observations(appID string, after int64) ([]observation, int64) {
	tb.t.Helper()
	r, _ := tb.adminCall("GET", "/admin/v1/apps/"+appID+"/observations?after="+itoa(after), nil)
	var out struct {
		Observations []observation `json:"observations"`
		Last         int64         `json:"last"`
	}
	if r.Status != 200 || json.Unmarshal(r.Body, &out) != nil || out.Observations == nil {
		tb.t.Fatalf("observations: %d %s", r.Status, r.Body)
	}
	return out.Observations, out.Last
}

// observationOf is the newest observation of appID whose request id is rid.
func (tb *testBank) observationOf(appID, rid string) observation {
	tb.t.Helper()
	list, _ := tb.observations(appID, 0)
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].RequestID == rid {
			return list[i]
		}
	}
	tb.t.Fatalf("no observation of request %s among %d", rid, len(list))
	return observation{}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (o observation) check(step string) string {
	for _, c := range o.Checks {
		if c.Step == step {
			return c.Result + " " + c.Code
		}
	}
	return "absent"
}

// rawA2 sends an A2 request with a given Authorization header over the partner's mTLS.
func rawA2(t *testing.T, tb *testBank, c *sdk.Client, method, path, auth, token string) *resp {
	t.Helper()
	cfg := c.Config()
	return tb.a2Call(a2Partner{cfg: cfg, cert: *cfg.ClientCert}, path, a2Opts{method: method, auth: auth, token: token})
}

// TestPartnerObservationAndFaults is the partner-side suite's view of the sandbox: it
// plays a partner over real mTLS with SM2 signatures and checks what the bank observed
// and that every partner-suite fault does what the README says.
func TestPartnerObservationAndFaults(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	ctx := context.Background()
	notifyURL, notes := notifyReceiver(t, tb)
	client := onboardPartner(t, tb, notifyURL)
	appID := client.Config().AppID
	browser := pgNewBrowser(t, tb)
	zhang, lisi := pgCustomer(t, tb, "zhangsan"), pgCustomer(t, tb, "lisi")

	tok := accountsToken(t, client, browser, "zhangsan", 30, "accounts:read", "balances:read")
	user := client.ForUser(tok)

	t.Run("a good call is observed with its TLS, bound certificate and valid signature", func(t *testing.T) {
		r, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
		if err != nil || r.Status != 200 {
			t.Fatalf("accounts: %v %s", err, r.Body)
		}
		o := tb.observationOf(appID, r.RequestID)
		sum := sha256.Sum256(client.Config().ClientCert.Certificate[0])
		if o.Kind != "api" || o.API != "a2.accounts.list" || !strings.HasPrefix(o.TLSVersion, "TLS 1.") || o.TLSVersion < "TLS 1.2" ||
			o.ClientCertSHA256 != hex.EncodeToString(sum[:]) || !o.ClientCertBound || o.SignatureValid == nil || !*o.SignatureValid ||
			o.NonceReused || !o.AccessToken || o.Status != 200 || o.Scheme != protocol.SchemeSM2 ||
			o.check("signature") != "pass " || o.check("business") != "pass " {
			t.Fatalf("observation: %+v", o)
		}
	})

	t.Run("a bad signature is observed as signature_valid false", func(t *testing.T) {
		a, err := client.Authorization("GET", "/a2/v1/accounts?other=1", nil) // signs another URI
		if err != nil {
			t.Fatal(err)
		}
		r := rawA2(t, tb, client, "GET", "/a2/v1/accounts", a, tok.AccessToken)
		if r.Status != 401 || r.Prob.Code != "SIGNATURE_INVALID" {
			t.Fatalf("bad signature answered %s", r)
		}
		o := tb.observationOf(appID, r.Prob.RequestID)
		if o.SignatureValid == nil || *o.SignatureValid || o.check("signature") != "fail SIGNATURE_INVALID" || o.Code != "SIGNATURE_INVALID" {
			t.Fatalf("observation: %+v", o)
		}
	})

	t.Run("a replayed request is observed as nonce_reused", func(t *testing.T) {
		a, err := client.Authorization("GET", "/a2/v1/accounts", nil)
		if err != nil {
			t.Fatal(err)
		}
		if r := rawA2(t, tb, client, "GET", "/a2/v1/accounts", a, tok.AccessToken); r.Status != 200 {
			t.Fatalf("first: %s", r)
		}
		r := rawA2(t, tb, client, "GET", "/a2/v1/accounts", a, tok.AccessToken)
		if r.Prob.Code != "NONCE_REPLAYED" {
			t.Fatalf("replay answered %s", r)
		}
		o := tb.observationOf(appID, r.Prob.RequestID)
		if !o.NonceReused || o.SignatureValid == nil || !*o.SignatureValid || o.check("nonce") != "fail NONCE_REPLAYED" {
			t.Fatalf("observation: %+v", o)
		}
	})

	fault := func(t *testing.T, spec map[string]any) {
		t.Helper()
		spec["app_id"] = appID
		if st, out := tb.admin("POST", "/admin/v1/faults", spec); st != 201 {
			t.Fatalf("inject %v: %d %v", spec, st, out)
		}
	}

	t.Run("tamper-body changes one digit after signing: valid JSON, signature fails", func(t *testing.T) {
		good, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		fault(t, map[string]any{"kind": "tamper-body", "count": 1})
		bad, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
		if !errors.Is(err, sdk.ErrIntegrity) || bad == nil || !json.Valid(bad.Body) || len(bad.Body) != len(good.Body) || string(bad.Body) == string(good.Body) {
			t.Fatalf("tampered answer: %v\n%s\n%s", err, good.Body, bad.Body)
		}
		diff := 0
		for i := range good.Body {
			if good.Body[i] != bad.Body[i] {
				diff++
			}
		}
		if diff != 1 {
			t.Fatalf("%d bytes differ, want 1", diff)
		}
		if o := tb.observationOf(appID, bad.RequestID); o.Fault != "tamper-body" {
			t.Fatalf("observation: %+v", o)
		}
		if _, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil); err != nil {
			t.Fatalf("count 1 did not end the fault: %v", err)
		}
	})

	t.Run("tamper-signature and strip-signature spoil the token endpoint's answer too", func(t *testing.T) {
		fault(t, map[string]any{"kind": "tamper-signature", "count": 1})
		if _, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil); !errors.Is(err, sdk.ErrIntegrity) {
			t.Fatalf("tamper-signature: %v", err)
		}
		fault(t, map[string]any{"kind": "strip-signature", "count": 1})
		err := client.Revoke(ctx, "at_not_a_token") // RFC 7009: answered 200, changes nothing
		if !errors.Is(err, sdk.ErrIntegrity) || !strings.Contains(err.Error(), "not signed") {
			t.Fatalf("strip-signature on the token endpoint: %v", err)
		}
		list, _ := tb.observations(appID, 0)
		if o := list[len(list)-1]; o.Kind != "oauth" || o.Fault != "strip-signature" {
			t.Fatalf("observation: %+v", o)
		}
	})

	t.Run("rate-limit answers a signed 429 with the Retry-After asked for", func(t *testing.T) {
		fault(t, map[string]any{"kind": "rate-limit", "count": 1, "retry_after_seconds": 3})
		r, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
		if err != nil || r.Status != 429 || r.Header.Get("Retry-After") != "3" || !strings.Contains(string(r.Body), `"RATE_LIMITED"`) {
			t.Fatalf("rate-limit: %v %+v %s", err, r.Header, r.Body)
		}
		if o := tb.observationOf(appID, r.RequestID); o.Fault != "rate-limit" || o.check("business") != "absent" {
			t.Fatalf("observation: %+v", o)
		}
	})

	t.Run("tokens/expire: the next call is TOKEN_EXPIRED and refreshing works", func(t *testing.T) {
		st, out := tb.admin("POST", "/admin/v1/apps/"+appID+"/tokens/expire", nil)
		if st != 200 || out["expired"].(float64) < 1 {
			t.Fatalf("expire: %d %v", st, out)
		}
		r, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
		if err != nil || r.Status != 401 || !strings.Contains(string(r.Body), `"TOKEN_EXPIRED"`) {
			t.Fatalf("after expire: %v %s", err, r.Body)
		}
		fresh, err := client.Refresh(ctx, tok.RefreshToken)
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		tok, user = fresh, client.ForUser(fresh)
		if r, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil); err != nil || r.Status != 200 {
			t.Fatalf("after refresh: %v %s", err, r.Body)
		}
	})

	t.Run("lose-response: 503, then the retry gets the original payment answer and one payment exists", func(t *testing.T) {
		ptok := paymentToken(t, client, browser, "zhangsan", "10.00", zhang.Accounts[0].Number, lisi.Accounts[0].Number, lisi.Name)
		body := paymentBody(t, tb, zhangAccountID(t, client, tok, zhang.Accounts[0].Number), "10.00", lisi.Accounts[0].Number, lisi.Name, "lost")
		hdr := http.Header{"Idempotency-Key": {"observe-lost-0001"}}
		fault(t, map[string]any{"kind": "lose-response", "count": 1})
		lost, err := client.ForUser(ptok).Do(ctx, "POST", "/a2/v1/payments", body, hdr)
		if err != nil || lost.Status != 503 || lost.Header.Get("Retry-After") != "1" || !strings.Contains(string(lost.Body), "SERVICE_UNAVAILABLE") {
			t.Fatalf("lost answer: %v %d %s", err, lost.Status, lost.Body)
		}
		o := tb.observationOf(appID, lost.RequestID)
		if o.Fault != "lose-response" || o.IdempotencyKey != "observe-lost-0001" || o.check("business") != "pass " || o.Status != 503 {
			t.Fatalf("observation: %+v", o)
		}
		first, err := client.ForUser(ptok).Do(ctx, "POST", "/a2/v1/payments", body, hdr)
		if err != nil || first.Status != 201 || first.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry: %v %d %s", err, first.Status, first.Body)
		}
		again, err := client.ForUser(ptok).Do(ctx, "POST", "/a2/v1/payments", body, hdr)
		if err != nil || string(again.Body) != string(first.Body) || again.Header.Get(protocol.HeaderSignature) != first.Header.Get(protocol.HeaderSignature) {
			t.Fatalf("second retry differs: %v\n%s\n%s", err, first.Body, again.Body)
		}
		var pay struct {
			ID string `json:"payment_id"`
		}
		_ = json.Unmarshal(first.Body, &pay)
		n := 0
		for _, row := range tb.snapshot()["payments"] {
			if strings.Contains(row, appID) {
				n++
			}
		}
		if pay.ID == "" || n != 1 {
			t.Fatalf("payment %q, %d payments of the app", pay.ID, n)
		}
		// The real notification of that payment is observed too.
		select {
		case <-notes:
		case <-time.After(15 * time.Second):
			t.Fatal("no notification")
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			list, _ := tb.observations(appID, 0)
			found := false
			for _, o := range list {
				found = found || o.Kind == "notification" && o.Notification != nil && o.Notification.Probe == "" && o.Notification.PaymentID == pay.ID && o.Notification.AnswerStatus == 204
			}
			if found {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the delivery was not observed")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("probe-notification sends one notification with a bad signature and records it", func(t *testing.T) {
		st, out := tb.admin("POST", "/admin/v1/apps/"+appID+"/probe-notification", map[string]any{"kind": "bad-signature", "payment_id": "PAYPROBE1"})
		if st != 200 || out["answer_status"].(float64) != 204 || out["delivered"] != true || out["url"] != notifyURL {
			t.Fatalf("probe: %d %v", st, out)
		}
		n := <-notes
		msg := protocol.ResponseStringToSign(n.header.Get(protocol.HeaderTimestamp), n.header.Get(protocol.HeaderNonce), n.body)
		pub := tb.bankKeys[n.header.Get(protocol.HeaderSerial)]
		if pub == nil || protocol.VerifySM2(pub, msg, n.header.Get(protocol.HeaderSignature)) ||
			!strings.Contains(string(n.body), `"event":"payment.status"`) || !strings.Contains(string(n.body), "PAYPROBE1") {
			t.Fatalf("probe received: %v %s", n.header, n.body)
		}
		list, _ := tb.observations(appID, 0)
		o := list[len(list)-1]
		if o.Kind != "notification" || o.Notification == nil || o.Notification.Probe != "bad-signature" || o.Notification.AnswerStatus != 204 || o.Notification.URL != notifyURL {
			t.Fatalf("observation: %+v", o)
		}
	})

	t.Run("consents/revoke: the app's tokens die with CONSENT_REVOKED", func(t *testing.T) {
		st, out := tb.admin("POST", "/admin/v1/apps/"+appID+"/consents/revoke", nil)
		if st != 200 || out["revoked"].(float64) < 1 {
			t.Fatalf("revoke: %d %v", st, out)
		}
		r, err := user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
		if err != nil || r.Status != 403 || !strings.Contains(string(r.Body), `"CONSENT_REVOKED"`) {
			t.Fatalf("after consents/revoke: %v %s", err, r.Body)
		}
	})

	t.Run("tokens/revoke answers how many it revoked", func(t *testing.T) {
		st, out := tb.admin("POST", "/admin/v1/apps/"+appID+"/tokens/revoke", nil)
		if st != 200 || out["revoked"] == nil {
			t.Fatalf("revoke: %d %v", st, out)
		}
	})

	t.Run("a TLS 1.1 ClientHello is observed as a refused handshake", func(t *testing.T) {
		_, before := handshakes(t, tb, 0)
		conn, err := tls.Dial("tcp", tb.b.Addr, &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11, InsecureSkipVerify: true}) // #nosec G402 -- the refused client under test
		if err == nil {
			conn.Close()
			t.Fatal("the bank accepted TLS 1.1")
		}
		list, _ := handshakes(t, tb, before)
		if len(list) != 1 || list[0].Offered != "TLS 1.1" || !strings.Contains(list[0].Reason, "TLS 1.2") || list[0].Remote == "" {
			t.Fatalf("handshakes: %+v", list)
		}
	})
}

type handshake struct {
	Seq     int64  `json:"seq"`
	Remote  string `json:"remote"`
	Offered string `json:"offered"`
	Reason  string `json:"reason"`
}

func handshakes(t *testing.T, tb *testBank, after int64) ([]handshake, int64) {
	t.Helper()
	r, _ := tb.adminCall("GET", "/admin/v1/observations/handshakes?after="+itoa(after), nil)
	var out struct {
		Handshakes []handshake `json:"handshakes"`
		Last       int64       `json:"last"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil || r.Status != 200 {
		t.Fatalf("handshakes: %d %v", r.Status, err)
	}
	return out.Handshakes, out.Last
}

// Bad input to the observation endpoints is a catalogued 4xx, never a 5xx.
func TestObservationEndpointsRefuseBadInput(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	a := tb.newA1App([]string{"products:read"}, nil)
	if r := tb.call(a, "/a1/v1/products", callOpts{}); r.Status != 200 {
		t.Fatalf("A1 call: %s", r)
	}
	list, last := tb.observations(a.ID, 0)
	if len(list) != 1 || last != list[0].Seq || list[0].SignatureValid == nil || !*list[0].SignatureValid || list[0].Scheme != protocol.SchemeHMAC {
		t.Fatalf("A1 observation: %+v last %d", list, last)
	}
	if list, last2 := tb.observations(a.ID, last); len(list) != 0 || last2 != last {
		t.Fatalf("after last: %+v %d", list, last2)
	}
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"400 PARAMETER_INVALID/after is not a number", "GET", "/admin/v1/apps/" + a.ID + "/observations?after=x", nil, 400, "PARAMETER_INVALID"},
		{"400 PARAMETER_INVALID/limit above 5000", "GET", "/admin/v1/apps/" + a.ID + "/observations?limit=5001", nil, 400, "PARAMETER_INVALID"},
		{"400 PARAMETER_INVALID/negative after on handshakes", "GET", "/admin/v1/observations/handshakes?after=-1", nil, 400, "PARAMETER_INVALID"},
		{"404 NOT_FOUND/unknown app's observations", "GET", "/admin/v1/apps/NOPE/observations", nil, 404, "NOT_FOUND"},
		{"404 NOT_FOUND/unknown app's tokens", "POST", "/admin/v1/apps/NOPE/tokens/expire", nil, 404, "NOT_FOUND"},
		{"400 BODY_INVALID/unknown field on tokens/revoke", "POST", "/admin/v1/apps/" + a.ID + "/tokens/revoke", map[string]any{"x": 1}, 400, "BODY_INVALID"},
		{"400 PARAMETER_INVALID/unknown probe kind", "POST", "/admin/v1/apps/" + a.ID + "/probe-notification", map[string]any{"kind": "loud"}, 400, "PARAMETER_INVALID"},
		{"400 PARAMETER_INVALID/probe with an unknown status", "POST", "/admin/v1/apps/" + a.ID + "/probe-notification", map[string]any{"kind": "valid", "status": "paid"}, 400, "PARAMETER_INVALID"},
		{"409 STATE_CONFLICT/probe of an app without a notification URL", "POST", "/admin/v1/apps/" + a.ID + "/probe-notification", map[string]any{"kind": "valid"}, 409, "STATE_CONFLICT"},
		{"400 PARAMETER_INVALID/rate-limit Retry-After above 60", "POST", "/admin/v1/faults", map[string]any{"kind": "rate-limit", "app_id": a.ID, "retry_after_seconds": 61}, 400, "PARAMETER_INVALID"},
		{"400 PARAMETER_INVALID/tamper-body without app_id", "POST", "/admin/v1/faults", map[string]any{"kind": "tamper-body", "api": "a1.products.list"}, 400, "PARAMETER_INVALID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, out := tb.admin(c.method, c.path, c.body)
			if st != c.status || out["code"] != c.code {
				t.Fatalf("%d %v", st, out)
			}
		})
	}
}

// Outside sandbox mode nothing is observed and the endpoints do not exist.
func TestObservationIsSandboxOnly(t *testing.T) {
	t.Parallel()
	tb := startBank(t, func(c *bank.Config) { c.Mode = "production" })
	if st, _ := tb.admin("GET", "/admin/v1/observations/handshakes", nil); st != 404 {
		t.Fatalf("handshakes outside sandbox mode: %d", st)
	}
}
