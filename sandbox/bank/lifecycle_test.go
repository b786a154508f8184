package bank_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/protocol"
)

const (
	productsListUAPIID = "OPC999990103000100000100"
	lifecycleNotice    = "a1.products.list is replaced by /a1/v2/products; migrate before the sunset date"
)

// setAPIState calls PUT /admin/v1/apis/<api>/state.
func (tb *testBank) setAPIState(api string, body any) (*resp, map[string]any) {
	tb.t.Helper()
	return tb.adminCall("PUT", "/admin/v1/apis/"+api+"/state", body)
}

// apiLifecycle is one API's lifecycle as published in GET /docs/apis.json.
type apiLifecycle struct {
	State  string
	Sunset time.Time
	Notice string
}

// publishedLifecycles reads the public catalogue (no credentials) and the admin view,
// checks that they agree, and returns the lifecycle of every API by API_ID.
func (tb *testBank) publishedLifecycles() map[string]apiLifecycle {
	tb.t.Helper()
	read := func(r *resp) map[string]apiLifecycle {
		if r.Status != 200 {
			tb.t.Fatalf("catalogue: %s", r)
		}
		var doc struct {
			APIs []struct {
				ID        string `json:"api_id"`
				Lifecycle apiLifecycle
			}
		}
		if err := json.Unmarshal(r.Body, &doc); err != nil {
			tb.t.Fatalf("catalogue: %v in %s", err, r.Body)
		}
		out := map[string]apiLifecycle{}
		for _, a := range doc.APIs {
			out[a.ID] = a.Lifecycle
		}
		return out
	}
	req, _ := http.NewRequest("GET", tb.b.URL+"/docs/apis.json", nil)
	public := read(tb.do(req, false))
	adminView, _ := tb.adminCall("GET", "/admin/v1/apis", nil)
	if admin := read(adminView); len(admin) != len(public) {
		tb.t.Errorf("admin and public catalogues differ: %v vs %v", admin, public)
	} else {
		for id, l := range public {
			if a := admin[id]; a.State != l.State || !a.Sunset.Equal(l.Sunset) || a.Notice != l.Notice {
				tb.t.Errorf("%s: admin shows %+v, public catalogue %+v", id, a, l)
			}
		}
	}
	return public
}

// TestLifecycleDeprecation: JR/T 0185-2020 7.1/6 and 10.3/1 — a deprecated API keeps
// answering, tells every caller so (Deprecation, Sunset, notice), and the published
// catalogue shows its state.
func TestLifecycleDeprecation(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	a := tb.newA1App([]string{"products:read", "rates:read"}, nil)
	sunset := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)

	refusals := []struct {
		name, api string
		body      any
		status    int
		code      string
	}{
		{"400/deprecate without a notice", "a1.products.list", map[string]any{"state": "deprecated", "sunset": sunset}, 400, "PARAMETER_INVALID"},
		{"400/deprecate with a past sunset", "a1.products.list", map[string]any{"state": "deprecated", "notice": lifecycleNotice, "sunset": time.Now().Add(-time.Hour).UTC()}, 400, "PARAMETER_INVALID"},
		{"400/deprecate without a sunset", "a1.products.list", map[string]any{"state": "deprecated", "notice": lifecycleNotice}, 400, "PARAMETER_INVALID"},
		{"400/sunset not an RFC 3339 time", "a1.products.list", map[string]any{"state": "deprecated", "notice": lifecycleNotice, "sunset": "next spring"}, 400, "BODY_INVALID"},
		{"400/unknown field", "a1.products.list", map[string]any{"state": "deprecated", "notice": lifecycleNotice, "sunset": sunset, "reason": "x"}, 400, "BODY_INVALID"},
		{"404/unknown API", "a1.accounts.list", map[string]any{"state": "deprecated", "notice": lifecycleNotice, "sunset": sunset}, 404, "NOT_FOUND"},
		{"409/withdraw the deprecation of an active API", "a1.products.list", map[string]any{"state": "active"}, 409, "STATE_CONFLICT"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			before := tb.snapshot()
			r, _ := tb.setAPIState(tc.api, tc.body)
			if r.Status != tc.status || r.Prob.Code != tc.code {
				t.Fatalf("got %s, want %d %s", r, tc.status, tc.code)
			}
			tb.assertUnchanged(before, tc.name)
			if st := tb.publishedLifecycles()["a1.products.list"].State; st != "active" {
				t.Errorf("refused change left the API %s", st)
			}
			if c := tb.call(a, "/a1/v1/products", callOpts{}); c.Status != 200 || c.Header.Get("Deprecation") != "" {
				t.Errorf("API after a refused change: %s (Deprecation %q)", c, c.Header.Get("Deprecation"))
			}
		})
	}

	t.Run("200/deprecate with a notice and a future sunset", func(t *testing.T) {
		r, out := tb.setAPIState("a1.products.list", map[string]any{"state": "deprecated", "notice": lifecycleNotice, "sunset": sunset.Format(time.RFC3339)})
		if r.Status != 200 {
			t.Fatalf("deprecate: %s", r)
		}
		lc, _ := out["lifecycle"].(map[string]any)
		if lc["state"] != "deprecated" || lc["notice"] != lifecycleNotice {
			t.Errorf("answer = %s", r.Body)
		}
	})
	checkDeprecationHeaders := func(t *testing.T, c *resp) {
		t.Helper()
		if got := c.Header.Get("Deprecation"); got != "true" {
			t.Errorf("Deprecation = %q, want true", got)
		}
		// RFC 8594: Sunset = HTTP-date (IMF-fixdate, "GMT").
		raw := c.Header.Get("Sunset")
		if got, err := http.ParseTime(raw); err != nil || !got.Equal(sunset) {
			t.Errorf("Sunset = %q, want the HTTP-date %q", raw, sunset.Format(http.TimeFormat))
		}
		if got := c.Header.Get("X-JR-API-Notice"); got != lifecycleNotice {
			t.Errorf("X-JR-API-Notice = %q, want %q", got, lifecycleNotice)
		}
	}
	t.Run("200/deprecated API still answers and announces its sunset", func(t *testing.T) {
		c := tb.call(a, "/a1/v1/products?page_size=2", callOpts{})
		if c.Status != 200 || !strings.Contains(string(c.Body), `"items"`) {
			t.Fatalf("deprecated API: %s", c)
		}
		checkDeprecationHeaders(t, c)
		if got := c.Header.Get(protocol.HeaderUAPIID); got != productsListUAPIID {
			t.Errorf("U_API_ID = %q", got)
		}
	})
	t.Run("401/refusals of a deprecated API announce the sunset too", func(t *testing.T) {
		c := tb.call(a, "/a1/v1/products", callOpts{mac: protocol.MACBase64([]byte("wrong"), []byte("x"))})
		if c.Status != 401 || c.Prob.Code != "MAC_INVALID" {
			t.Fatalf("got %s, want 401 MAC_INVALID", c)
		}
		checkDeprecationHeaders(t, c)
	})
	t.Run("200/other APIs carry no deprecation", func(t *testing.T) {
		c := tb.call(a, "/a1/v1/deposit-rates", callOpts{})
		if c.Status != 200 {
			t.Fatalf("rates: %s", c)
		}
		for _, h := range []string{"Deprecation", "Sunset", "X-JR-API-Notice"} {
			if v := c.Header.Get(h); v != "" {
				t.Errorf("%s: %q on an active API", h, v)
			}
		}
	})
	t.Run("200/catalogue shows the lifecycle", func(t *testing.T) {
		lcs := tb.publishedLifecycles()
		got := lcs["a1.products.list"]
		if got.State != "deprecated" || got.Notice != lifecycleNotice || !got.Sunset.Equal(sunset) {
			t.Errorf("a1.products.list published as %+v", got)
		}
		for id, l := range lcs {
			if id != "a1.products.list" && l.State != "active" {
				t.Errorf("%s published as %+v", id, l)
			}
		}
	})
	t.Run("409/deprecate a deprecated API", func(t *testing.T) {
		before := tb.snapshot()
		r, _ := tb.setAPIState("a1.products.list", map[string]any{"state": "deprecated", "notice": "again", "sunset": sunset.Add(time.Hour)})
		if r.Status != 409 || r.Prob.Code != "STATE_CONFLICT" {
			t.Fatalf("got %s, want 409 STATE_CONFLICT", r)
		}
		tb.assertUnchanged(before, "second deprecation")
	})
	t.Run("200/withdraw the deprecation", func(t *testing.T) {
		r, _ := tb.setAPIState("a1.products.list", map[string]any{"state": "active"})
		if r.Status != 200 {
			t.Fatalf("withdraw: %s", r)
		}
		c := tb.call(a, "/a1/v1/products", callOpts{})
		if c.Status != 200 {
			t.Fatalf("API after withdrawal: %s", c)
		}
		for _, h := range []string{"Deprecation", "Sunset", "X-JR-API-Notice"} {
			if v := c.Header.Get(h); v != "" {
				t.Errorf("%s still sent after withdrawal: %q", h, v)
			}
		}
		if got := tb.publishedLifecycles()["a1.products.list"]; got.State != "active" || got.Notice != "" || !got.Sunset.IsZero() {
			t.Errorf("published after withdrawal: %+v", got)
		}
	})
}

// TestLifecycleTermination: JR/T 0185-2020 11/3 — a terminated API answers every call
// with a signed baffle (410 SERVICE_TERMINATED naming the API and carrying the notice),
// whoever calls and however, and cannot come back.
func TestLifecycleTermination(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	a := tb.newA1App([]string{"products:read"}, nil)
	sunset := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	if r, _ := tb.setAPIState("a1.products.list", map[string]any{"state": "deprecated", "notice": lifecycleNotice, "sunset": sunset}); r.Status != 200 {
		t.Fatalf("deprecate: %s", r)
	}
	r, out := tb.setAPIState("a1.products.list", map[string]any{"state": "terminated"})
	if r.Status != 200 {
		t.Fatalf("terminate: %s", r)
	}
	if lc, _ := out["lifecycle"].(map[string]any); lc["state"] != "terminated" || lc["notice"] != lifecycleNotice {
		t.Errorf("termination answer = %s, want the deprecation notice kept", r.Body)
	}
	unknown := a
	unknown.ID = "APPNOSUCHAPP00001"
	pending, _ := tb.register(map[string]any{"name": "Pending", "level": "A1", "scopes": []string{"rates:read"}})

	tests := []struct {
		name string
		app  a1App
		uri  string
		opts callOpts
	}{
		{"410/correctly signed call", a, "/a1/v1/products", callOpts{}},
		{"410/unauthenticated call", a, "/a1/v1/products", callOpts{noAuth: true}},
		{"410/bad MAC", a, "/a1/v1/products", callOpts{mac: protocol.MACBase64([]byte("wrong"), []byte("x"))}},
		{"410/malformed Authorization", a, "/a1/v1/products", callOpts{auth: "Basic Zm9vOmJhcg=="}},
		{"410/unknown App_ID", unknown, "/a1/v1/products", callOpts{}},
		{"410/app without the scope, still pending", pending, "/a1/v1/products", callOpts{}},
		{"410/bad parameter", a, "/a1/v1/products?risk_level=R9&sort=x", callOpts{}},
		{"410/stale timestamp", a, "/a1/v1/products", callOpts{ts: protocol.Timestamp(time.Now().Add(-time.Hour))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tb.snapshot()
			c := tb.call(tc.app, tc.uri, tc.opts) // checks the bank's response signature
			if c.Status != 410 || c.Prob.Code != "SERVICE_TERMINATED" {
				t.Fatalf("got %s, want 410 SERVICE_TERMINATED", c)
			}
			if c.Prob.Clause != "JR/T 0185-2020 11/3" {
				t.Errorf("clause = %q", c.Prob.Clause)
			}
			if !strings.Contains(c.Prob.Detail, lifecycleNotice) || !strings.Contains(c.Prob.Detail, productsListUAPIID) {
				t.Errorf("detail %q lacks the notice or the U_API_ID", c.Prob.Detail)
			}
			if got := c.Header.Get(protocol.HeaderUAPIID); got != productsListUAPIID {
				t.Errorf("U_API_ID header = %q", got)
			}
			tb.assertUnchanged(before, tc.name)
		})
	}
	t.Run("200/other APIs still answer", func(t *testing.T) {
		if c := tb.call(a, "/a1/v1/products/DEP0001", callOpts{}); c.Status != 200 {
			t.Fatalf("a1.products.get: %s", c)
		}
	})
	t.Run("200/catalogue shows the termination", func(t *testing.T) {
		if got := tb.publishedLifecycles()["a1.products.list"]; got.State != "terminated" || got.Notice != lifecycleNotice {
			t.Errorf("published as %+v", got)
		}
	})
	for _, to := range []string{"active", "deprecated", "terminated"} {
		t.Run("409/terminated to "+to, func(t *testing.T) {
			before := tb.snapshot()
			r, _ := tb.setAPIState("a1.products.list", map[string]any{"state": to, "notice": "back again", "sunset": time.Now().Add(time.Hour)})
			if r.Status != 409 || r.Prob.Code != "STATE_CONFLICT" {
				t.Fatalf("got %s, want 409 STATE_CONFLICT", r)
			}
			tb.assertUnchanged(before, "terminated to "+to)
			if c := tb.call(a, "/a1/v1/products", callOpts{}); c.Status != 410 {
				t.Errorf("API after refused change: %s", c)
			}
		})
	}
}

// TestLifecycleTerminationNeedsPriorNotice: JR/T 0185-2020 11/1 — the parties are told
// before a service ends, so an API is deprecated (notice and sunset published) before
// it can be terminated; an active API cannot be terminated straight away.
func TestLifecycleTerminationNeedsPriorNotice(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	a := tb.newA1App([]string{"rates:read"}, nil)
	before := tb.snapshot()
	r, _ := tb.setAPIState("a1.rates.deposit", map[string]any{"state": "terminated", "notice": "gone"})
	if r.Status != 409 || r.Prob.Code != "STATE_CONFLICT" {
		t.Errorf("terminating an active API: got %s, want 409 STATE_CONFLICT", r)
	}
	tb.assertUnchanged(before, "termination without notice")
	if c := tb.call(a, "/a1/v1/deposit-rates", callOpts{}); c.Status != 200 {
		t.Errorf("API after the refused termination: %s", c)
	}
}
