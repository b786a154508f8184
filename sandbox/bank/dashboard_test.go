package bank_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// dashLogin logs in to the dashboard with the admin token and returns the session
// cookie and the page's form token.
func dashLogin(t *testing.T, tb *testBank) (cookie, formToken string) {
	t.Helper()
	c := &http.Client{Transport: tb.http.Transport, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(tb.b.URL+"/dashboard/login", url.Values{"token": {tb.b.AdminToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sc := resp.Header.Get("Set-Cookie")
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, want := range []string{"__Host-jr_dashboard=", "HttpOnly", "secure", "SameSite=Strict", "path=/"} {
		if !strings.Contains(strings.ToLower(sc), strings.ToLower(want)) {
			t.Errorf("session cookie %q lacks %s", sc, want)
		}
	}
	cookie = strings.SplitN(sc, ";", 2)[0]
	req, _ := http.NewRequest("GET", tb.b.URL+"/dashboard", nil)
	req.Header.Set("Cookie", cookie)
	req.Header.Set("Accept", "text/html")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("dashboard with the session: %d", resp.StatusCode)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("dashboard CSP %q: want script-src 'self', no unsafe-inline, no framing", csp)
	}
	if strings.Contains(string(body), "<script>") {
		t.Error("the dashboard has an inline script")
	}
	m := regexp.MustCompile(`name="dashboard-token" content="([^"]+)"`).FindStringSubmatch(string(body))
	if m == nil {
		t.Fatal("no form token on the dashboard")
	}
	return cookie, m[1]
}

func TestDashboardIsBehindTheAdminToken(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	c := &http.Client{Transport: tb.http.Transport, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path, cookie string) *http.Response {
		req, _ := http.NewRequest("GET", tb.b.URL+path, nil)
		req.Header.Set("Accept", "text/html")
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := get("/dashboard", ""); r.StatusCode != 303 || r.Header.Get("Location") != "/dashboard/login" {
		t.Errorf("/dashboard without a session: %d %s, want 303 to the login form", r.StatusCode, r.Header.Get("Location"))
	}
	if r := get("/dashboard/events", ""); r.StatusCode != 401 {
		t.Errorf("/dashboard/events without a session: %d, want 401", r.StatusCode)
	}
	if r := get("/dashboard/events", "__Host-jr_dashboard=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); r.StatusCode != 401 {
		t.Errorf("/dashboard/events with a forged session: %d, want 401", r.StatusCode)
	}
	resp, err := c.PostForm(tb.b.URL+"/dashboard/login", url.Values{"token": {tb.b.AdminToken + "x"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("Set-Cookie") != "" {
		t.Errorf("login with a wrong token: %d, cookie %q; want 401 and no cookie", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
	cookie, _ := dashLogin(t, tb)
	// A flow without the form token is refused (the cookie alone is not enough).
	req, _ := http.NewRequest("POST", tb.b.URL+"/dashboard/flows/tamper", nil)
	req.Header.Set("Cookie", cookie)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("flow without the form token: %d, want 403", resp.StatusCode)
	}
}

// dashFlow runs one flow and decodes its result.
func dashFlow(t *testing.T, tb *testBank, cookie, formToken, flow string) (ok bool, steps string) {
	t.Helper()
	req, _ := http.NewRequest("POST", tb.b.URL+"/dashboard/flows/"+flow, nil)
	req.Header.Set("Cookie", cookie)
	req.Header.Set("X-Dashboard-Token", formToken)
	resp, err := tb.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		OK    bool `json:"ok"`
		Steps []struct {
			Text string `json:"text"`
		} `json:"steps"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(raw, &r) != nil {
		t.Fatalf("flow %s: %d %s", flow, resp.StatusCode, raw)
	}
	for _, s := range r.Steps {
		steps += s.Text + "\n"
	}
	return r.OK, steps
}

func TestDashboardStreamsCallsAndRunsFlows(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	cookie, formToken := dashLogin(t, tb)

	req, _ := http.NewRequest("GET", tb.b.URL+"/dashboard/events", nil)
	req.Header.Set("Cookie", cookie)
	stream, err := tb.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	if ct := stream.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("events content type %q", ct)
	}
	events := make(chan string, 256)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(stream.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				events <- d
			}
		}
	}()

	if ok, steps := dashFlow(t, tb, cookie, formToken, "tamper"); !ok || !strings.Contains(steps, "SDK refused") {
		t.Errorf("tamper flow: ok=%v\n%s", ok, steps)
	}
	// The tampered call arrives live with its verification steps and the fault.
	deadline := time.After(8 * time.Second)
	for found := false; !found; {
		select {
		case d, open := <-events:
			if !open {
				t.Fatal("stream ended before the tampered call arrived")
			}
			found = strings.Contains(d, `"fault":"tamper-body"`) && strings.Contains(d, `"step":"signature","result":"pass"`) &&
				strings.Contains(d, `"step":"tls"`) && strings.Contains(d, `"uapi_id":"`)
		case <-deadline:
			t.Fatal("the tampered call did not arrive on the event stream")
		}
	}
	if ok, steps := dashFlow(t, tb, cookie, formToken, "rate-limit"); !ok || !strings.Contains(steps, "429") {
		t.Errorf("rate-limit flow: ok=%v\n%s", ok, steps)
	}
	if ok, steps := dashFlow(t, tb, cookie, formToken, "revoke"); ok || !strings.Contains(steps, "consent flow first") {
		t.Errorf("revoke flow with no token: ok=%v\n%s", ok, steps)
	}
}
