package bank_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/protocol"
)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelPair  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

// parseMetrics reads the Prometheus text exposition format.
func parseMetrics(t testing.TB, body string) []sample {
	t.Helper()
	var out []sample
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("not a Prometheus sample line: %q", line)
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Errorf("bad value in %q", line)
			continue
		}
		s := sample{name: m[1], labels: map[string]string{}, value: v}
		for _, p := range labelPair.FindAllStringSubmatch(m[2], -1) {
			s.labels[p[1]] = p[2]
		}
		out = append(out, s)
	}
	return out
}

// metricValue returns the value of the one sample with this name whose labels include want,
// and how many samples matched.
func metricValue(samples []sample, name string, want map[string]string) (float64, int) {
	var v float64
	n := 0
next:
	for _, s := range samples {
		if s.name != name {
			continue
		}
		for k, w := range want {
			if s.labels[k] != w {
				continue next
			}
		}
		v, n = s.value, n+1
	}
	return v, n
}

func (tb *testBank) plainGet(path, auth string) *resp {
	tb.t.Helper()
	req, _ := http.NewRequest("GET", tb.b.URL+path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return tb.do(req, false)
}

// TestMetrics: JR/T 0185-2020 10.1.1 — per-API latency, volume and success rate for the
// bank's monitoring platform, behind the admin token (7.1/7: they name the runtime).
func TestMetrics(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	a := tb.newA1App([]string{"products:read", "rates:read"}, nil)

	for _, tc := range []struct{ name, auth string }{
		{"401/metrics without the admin token", ""},
		{"401/metrics with a wrong token", "Bearer adm_wrong"},
		{"401/metrics with the token under another scheme", "Basic " + tb.b.AdminToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tb.plainGet("/metrics", tc.auth)
			if r.Status != 401 || r.Prob.Code != "ADMIN_UNAUTHORIZED" {
				t.Fatalf("got %s, want 401 ADMIN_UNAUTHORIZED", r)
			}
			if strings.Contains(string(r.Body), "jr0185_") || strings.Contains(string(r.Body), "go_") {
				t.Errorf("refusal leaks metrics: %s", r.Body)
			}
		})
	}

	// Two successes and one MAC failure on the products list, one success on rates,
	// and one call with an unknown App_ID.
	for i := 0; i < 2; i++ {
		if r := tb.call(a, "/a1/v1/products", callOpts{}); r.Status != 200 {
			t.Fatalf("products: %s", r)
		}
	}
	if r := tb.call(a, "/a1/v1/products", callOpts{mac: protocol.MACBase64([]byte("wrong"), []byte("x"))}); r.Prob.Code != "MAC_INVALID" {
		t.Fatalf("wrong MAC: %s", r)
	}
	if r := tb.call(a, "/a1/v1/deposit-rates", callOpts{}); r.Status != 200 {
		t.Fatalf("rates: %s", r)
	}
	ghost := a
	ghost.ID = "APPGHOST0000002"
	if r := tb.call(ghost, "/a1/v1/deposit-rates", callOpts{}); r.Prob.Code != "APP_UNKNOWN" {
		t.Fatalf("unknown app: %s", r)
	}

	t.Run("200/metrics with the admin token", func(t *testing.T) {
		r := tb.plainGet("/metrics", "Bearer "+tb.b.AdminToken)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("got %d %q", r.Status, r.Header.Get("Content-Type"))
		}
		body := string(r.Body)
		for _, s := range []string{
			`jr0185_api_request_duration_seconds_bucket{api_id="a1.products.list"`,
			"# TYPE jr0185_api_request_duration_seconds histogram",
			"# TYPE jr0185_api_requests_total counter",
			"# TYPE jr0185_alarms_total counter",
			"# TYPE jr0185_api_inflight_requests gauge",
		} {
			if !strings.Contains(body, s) {
				t.Errorf("metrics lack %s", s)
			}
		}
		samples := parseMetrics(t, body)
		products := map[string]string{"api_id": "a1.products.list", "u_api_id": productsListUAPIID}
		with := func(m map[string]string, kv ...string) map[string]string {
			out := map[string]string{}
			for k, v := range m {
				out[k] = v
			}
			for i := 0; i < len(kv); i += 2 {
				out[kv[i]] = kv[i+1]
			}
			return out
		}
		checks := []struct {
			name   string
			metric string
			labels map[string]string
			want   float64
		}{
			{"successes of the products list", "jr0185_api_requests_total", with(products, "result", "success", "code", ""), 2},
			{"MAC failures of the products list", "jr0185_api_requests_total", with(products, "result", "failure", "code", "MAC_INVALID"), 1},
			{"successes of the rates API", "jr0185_api_requests_total", map[string]string{"api_id": "a1.rates.deposit", "result": "success"}, 1},
			{"unknown-App_ID failures of the rates API", "jr0185_api_requests_total", map[string]string{"api_id": "a1.rates.deposit", "result": "failure", "code": "APP_UNKNOWN"}, 1},
			{"latency observations of successful product lists", "jr0185_api_request_duration_seconds_count", with(products, "result", "success"), 2},
			{"latency +Inf bucket of successful product lists", "jr0185_api_request_duration_seconds_bucket", with(products, "result", "success", "le", "+Inf"), 2},
			{"latency observations of failed product lists", "jr0185_api_request_duration_seconds_count", with(products, "result", "failure"), 1},
			{"unknown-app alarms", "jr0185_alarms_total", map[string]string{"kind": "unknown-app"}, 1},
			{"calls in flight once all have answered", "jr0185_api_inflight_requests", nil, 0},
		}
		for _, c := range checks {
			v, n := metricValue(samples, c.metric, c.labels)
			if n != 1 || v != c.want {
				t.Errorf("%s: %s%v = %g (%d series), want %g", c.name, c.metric, c.labels, v, n, c.want)
			}
		}
		// The three accepted calls each recorded their nonce through the group-commit writer.
		txs, n1 := metricValue(samples, "jr0185_db_writer_transactions_total", nil)
		commits, n2 := metricValue(samples, "jr0185_db_writer_commits_total", nil)
		busy, n3 := metricValue(samples, "jr0185_db_writer_busy_seconds_total", nil)
		if n1 != 1 || n2 != 1 || n3 != 1 || txs < 3 || commits < 1 || commits > txs || busy <= 0 {
			t.Errorf("writer: %g transactions in %g commits, busy %gs (series %d %d %d); want >= 3 transactions, 1 to that many commits, busy > 0",
				txs, commits, busy, n1, n2, n3)
		}
		if v, n := metricValue(samples, "jr0185_api_request_duration_seconds_sum", with(products, "result", "success")); n != 1 || v <= 0 {
			t.Errorf("latency sum of product lists = %g (%d series), want > 0", v, n)
		}
		// Buckets are cumulative.
		var prev float64
		for _, s := range samples {
			if s.name == "jr0185_api_request_duration_seconds_bucket" && s.labels["api_id"] == "a1.products.list" && s.labels["result"] == "success" {
				if s.value < prev {
					t.Errorf("bucket le=%s holds %g, less than the bucket before (%g)", s.labels["le"], s.value, prev)
				}
				prev = s.value
			}
		}
	})

	for _, tc := range []struct{ path, status string }{{"/healthz", "ok"}, {"/readyz", "ready"}} {
		t.Run("200/"+tc.path, func(t *testing.T) {
			r := tb.plainGet(tc.path, "")
			if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("got %s (Content-Type %q)", r, r.Header.Get("Content-Type"))
			}
			var body struct{ Status string }
			if err := json.Unmarshal(r.Body, &body); err != nil || body.Status != tc.status {
				t.Errorf("body %s, want status %q", r.Body, tc.status)
			}
		})
	}
}

// TestMetricsAuditRecordKeepsItsOwnMethod: JR/T 0185-2020 7.3.3 — each access-log
// record describes its own call. The log is written asynchronously, so a record must not
// share memory with the HTTP layer's buffers, which the next request on the same
// keep-alive connection overwrites.
func TestMetricsAuditRecordKeepsItsOwnMethod(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	a := tb.newA1App([]string{"products:read"}, nil)
	// One connection, so that each DELETE is read into the buffer the GET before it used.
	tr := tb.http.Transport.(*http.Transport).Clone()
	tr.MaxConnsPerHost = 1
	defer tr.CloseIdleConnections()
	one := *tb
	one.http = &http.Client{Timeout: 20 * time.Second, Transport: tr}

	type sent struct{ rid, method, path string }
	var calls []sent
	for i := 0; i < 5; i++ {
		g := one.call(a, "/a1/v1/products", callOpts{})
		if g.Status != 200 {
			t.Fatalf("GET: %s", g)
		}
		d := one.call(a, "/a1/v1/products", callOpts{method: "DELETE"})
		if d.Status != 405 {
			t.Fatalf("DELETE: %s", d)
		}
		calls = append(calls, sent{g.Header.Get("X-Request-Id"), "GET", "/a1/v1/products"},
			sent{d.Header.Get("X-Request-Id"), "DELETE", "/a1/v1/products"})
	}
	if err := tb.b.FlushAudit(); err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		r, _ := tb.adminCall("GET", "/admin/v1/audit?request_id="+c.rid, nil)
		var out struct {
			Records []struct {
				RequestID    string `json:"request_id"`
				Method, Path string
			}
		}
		if err := json.Unmarshal(r.Body, &out); err != nil || r.Status != 200 || len(out.Records) != 1 {
			t.Fatalf("audit record %s: %s", c.rid, r)
		}
		if got := out.Records[0]; got.Method != c.method || got.Path != c.path {
			t.Errorf("audit record %s says %s %s, but the call was %s %s", c.rid, got.Method, got.Path, c.method, c.path)
		}
	}
}
