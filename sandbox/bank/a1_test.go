package bank_test

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/protocol"
)

func TestA1ProductsHappyPath(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	app := tb.newA1App([]string{"products:read"}, nil)

	r := tb.call(app, "/a1/v1/products?category=deposit&page=1&page_size=3", callOpts{})
	if r.Status != 200 {
		t.Fatalf("list: %s", r)
	}
	var page struct {
		Items []struct {
			Code, Category, Currency string
			MinAmountJSON            string `json:"min_amount"`
		}
		Page     int
		PageSize int `json:"page_size"`
		Total    int
	}
	if err := json.Unmarshal(r.Body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) == 0 || len(page.Items) > 3 || page.PageSize != 3 || page.Total < len(page.Items) {
		t.Fatalf("page = %+v", page)
	}
	for _, it := range page.Items {
		if it.Category != "deposit" || it.MinAmountJSON == "" {
			t.Errorf("filter or money field wrong: %+v", it)
		}
	}
	if got := r.Header.Get(protocol.HeaderUAPIID); got != "OPC999990103000100000100" {
		t.Errorf("U_API_ID header = %q", got)
	}
	if _, err := protocol.ParseUAPIID(r.Header.Get(protocol.HeaderUAPIID)); err != nil {
		t.Error(err)
	}
	// The A1 response MAC under the app's key, over the same string as the signature.
	msg := protocol.ResponseStringToSign(r.Header.Get(protocol.HeaderTimestamp), r.Header.Get(protocol.HeaderNonce), r.Body)
	if !protocol.VerifyMAC(app.MACKey, msg, r.Header.Get(protocol.HeaderMAC)) {
		t.Error("A1 response MAC does not verify")
	}
	if r.Header.Get("Server") != "" {
		t.Errorf("Server header present: %q", r.Header.Get("Server"))
	}

	// Page 2 continues where page 1 stopped, without overlap.
	r2 := tb.call(app, "/a1/v1/products?category=deposit&page=2&page_size=3", callOpts{})
	if r2.Status != 200 || strings.Contains(string(r2.Body), page.Items[0].Code+`"`) {
		t.Fatalf("page 2: %s", r2)
	}

	code := page.Items[0].Code
	d := tb.call(app, "/a1/v1/products/"+code, callOpts{})
	if d.Status != 200 || !strings.Contains(string(d.Body), `"code":"`+code+`"`) {
		t.Fatalf("detail: %s", d)
	}
	if got := d.Header.Get(protocol.HeaderUAPIID); got != "OPC999990103000100000200" {
		t.Errorf("detail U_API_ID = %q", got)
	}
	nf := tb.call(app, "/a1/v1/products/DEP9999", callOpts{})
	if nf.Status != 404 || nf.Prob.Code != "PRODUCT_NOT_FOUND" {
		t.Errorf("unknown product: %s", nf)
	}
}

// TestA1Refusals covers every refusal of the acceptance list: each gets its catalogued
// code and status in a signed problem+json, and nothing in the store changes.
func TestA1Refusals(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	good := tb.newA1App([]string{"products:read"}, nil)
	suspended := tb.newA1App([]string{"products:read"}, nil)
	tb.admin("POST", "/admin/v1/apps/"+suspended.ID+"/actions/suspend", map[string]string{"reason": "test"})
	blacklisted := tb.newA1App([]string{"products:read"}, nil)
	tb.admin("POST", "/admin/v1/apps/"+blacklisted.ID+"/actions/blacklist", map[string]string{"reason": "test"})
	limited := tb.newA1App([]string{"products:read"}, map[string]any{"rate_rps": 0.01, "rate_burst": 1, "max_concurrent": 5})
	replayNonce := protocol.NewNonce()
	if r := tb.call(good, "/a1/v1/products", callOpts{nonce: replayNonce}); r.Status != 200 {
		t.Fatalf("first use of nonce: %s", r)
	}
	if r := tb.call(limited, "/a1/v1/products", callOpts{}); r.Status != 200 {
		t.Fatalf("first call of rate-limited app: %s", r)
	}
	stale := protocol.Timestamp(time.Now().Add(-tb.cfg.TimestampWindow - time.Minute))
	unknown := good
	unknown.ID = "APPNOSUCHAPP00001"

	tests := []struct {
		name   string
		app    a1App
		uri    string
		opts   callOpts
		status int
		code   string
	}{
		{"401/missing MAC", good, "/a1/v1/products", callOpts{noAuth: true}, 401, "AUTH_MISSING"},
		{"401/malformed Authorization", good, "/a1/v1/products", callOpts{auth: `JR0185-HMAC-SM3 app_id=x`}, 401, "AUTH_MALFORMED"},
		{"401/wrong MAC", good, "/a1/v1/products", callOpts{mac: protocol.MACBase64([]byte("another secret"), []byte("x"))}, 401, "MAC_INVALID"},
		{"401/MAC over another URI", good, "/a1/v1/products?page=2", callOpts{signedURI: "/a1/v1/products?page=1"}, 401, "MAC_INVALID"},
		{"401/stale timestamp", good, "/a1/v1/products", callOpts{ts: stale}, 401, "TIMESTAMP_OUT_OF_WINDOW"},
		{"401/replayed nonce", good, "/a1/v1/products", callOpts{nonce: replayNonce}, 401, "NONCE_REPLAYED"},
		{"401/unknown App_ID", unknown, "/a1/v1/products", callOpts{}, 401, "APP_UNKNOWN"},
		{"403/suspended app", suspended, "/a1/v1/products", callOpts{}, 403, "APP_SUSPENDED"},
		{"403/blacklisted app", blacklisted, "/a1/v1/products", callOpts{}, 403, "APP_BLACKLISTED"},
		{"429/rate limit exceeded", limited, "/a1/v1/products", callOpts{}, 429, "RATE_LIMITED"},
		{"400/unknown API version", good, "/a1/v9/products", callOpts{}, 400, "API_VERSION_UNSUPPORTED"},
		{"400/bad parameter value", good, "/a1/v1/products?risk_level=R9", callOpts{}, 400, "PARAMETER_INVALID"},
		{"400/unknown parameter", good, "/a1/v1/products?sort=name", callOpts{}, 400, "PARAMETER_INVALID"},
		{"400/page size out of range", good, "/a1/v1/products?page_size=1000", callOpts{}, 400, "PARAMETER_INVALID"},
		{"400/bad path parameter", good, "/a1/v1/products/..%2f..%2fetc", callOpts{}, 400, "PARAMETER_INVALID"},
		{"404/unknown route", good, "/a1/v1/accounts", callOpts{}, 404, "ROUTE_NOT_FOUND"},
		{"405/wrong method", good, "/a1/v1/products", callOpts{method: "POST", body: "{}"}, 405, "METHOD_NOT_ALLOWED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tb.snapshot()
			r := tb.call(tc.app, tc.uri, tc.opts)
			if r.Status != tc.status || r.Prob.Code != tc.code {
				t.Fatalf("got %s, want %d %s", r, tc.status, tc.code)
			}
			if !strings.HasPrefix(r.Prob.Clause, "JR/T 0185-2020 ") || r.Prob.Type != "/docs/errors#"+tc.code {
				t.Errorf("problem lacks its clause or type: %s", r.Body)
			}
			if tc.status == 429 {
				if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
					t.Errorf("429 without a usable Retry-After: %q", r.Header.Get("Retry-After"))
				}
			}
			tb.assertUnchanged(before, tc.name)
		})
	}

	t.Run("403/scope not granted", func(t *testing.T) {
		// JR/T 0185-2020 7.3.1: an app granted only the rates API may not list products.
		ratesOnly := tb.newA1App([]string{"rates:read"}, nil)
		if r := tb.call(ratesOnly, "/a1/v1/deposit-rates", callOpts{}); r.Status != 200 || !strings.Contains(string(r.Body), `"term_days"`) {
			t.Fatalf("granted API refused: %s", r)
		}
		before := tb.snapshot()
		r := tb.call(ratesOnly, "/a1/v1/products", callOpts{})
		if r.Status != 403 || r.Prob.Code != "SCOPE_NOT_GRANTED" {
			t.Fatalf("got %s, want 403 SCOPE_NOT_GRANTED", r)
		}
		tb.assertUnchanged(before, "scope refusal")
		// Unknown scopes are refused at registration: least privilege is checked there too.
		st, out := tb.admin("POST", "/admin/v1/apps", map[string]any{"name": "x", "level": "A1", "scopes": []string{"accounts:everything"}})
		if st != 400 || out["code"] != "PARAMETER_INVALID" {
			t.Fatalf("unknown scope accepted at registration: %d %v", st, out)
		}
	})

	t.Run("handshake refused/TLS 1.1 client", func(t *testing.T) {
		before := tb.snapshot()
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", tb.b.Addr, &tls.Config{
			MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11, InsecureSkipVerify: true, //nolint:gosec // the test offers only old versions on purpose
		})
		if err == nil {
			conn.Close()
			t.Fatal("TLS 1.1 handshake succeeded")
		}
		var alert tls.AlertError
		if !errors.As(err, &alert) && !strings.Contains(err.Error(), "protocol version") {
			t.Fatalf("TLS 1.1 refused with an unexpected error: %v", err)
		}
		tb.assertUnchanged(before, "TLS 1.1 handshake")
	})
}
