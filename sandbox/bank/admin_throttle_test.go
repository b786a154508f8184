package bank_test

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestAdminTokenBruteForceIsThrottled (issue 14 item 7): nine wrong admin tokens then the
// right one are served (a right token ends the count); ten wrong ones in a row shut the
// address out — even the right token is refused 429 ADMIN_THROTTLED with Retry-After —
// and raise a security alarm (JR/T 0185-2020 10.1.2/1b).
func TestAdminTokenBruteForceIsThrottled(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	try := func(token string) *resp {
		req, _ := http.NewRequest("GET", tb.b.URL+"/admin/v1/apis", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return tb.do(req, false)
	}
	for i := range 9 {
		if r := try("wrong"); r.Status != 401 || r.Prob.Code != "ADMIN_UNAUTHORIZED" {
			t.Fatalf("wrong token %d: %s", i+1, r)
		}
	}
	if r := try(tb.b.AdminToken); r.Status != 200 {
		t.Fatalf("the right token after 9 wrong ones: %s", r)
	}
	for i := range 10 {
		if r := try("wrong"); r.Status != 401 {
			t.Fatalf("wrong token %d of 10: %s", i+1, r)
		}
	}
	r := try(tb.b.AdminToken)
	if r.Status != 429 || r.Prob.Code != "ADMIN_THROTTLED" {
		t.Fatalf("the right token after 10 wrong ones: %s, want 429 ADMIN_THROTTLED", r)
	}
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 301 {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	// The address is shut out; the operator reads the alarm from another one.
	other := *tb
	other.http = fromAddress(t, tb, "127.0.0.2")
	st, out := other.admin("GET", "/admin/v1/alarms", nil)
	if st != 200 {
		t.Fatalf("alarms from another address: HTTP %d", st)
	}
	found := false
	for _, a := range out["alarms"].([]any) {
		m := a.(map[string]any)
		found = found || (m["kind"] == "admin-token-bruteforce" && strings.Contains(m["detail"].(string), "127.0.0.1"))
	}
	if !found {
		t.Errorf("no admin-token-bruteforce alarm naming 127.0.0.1: %v", out["alarms"])
	}
}

// fromAddress is the test bank's client, connecting from another loopback address.
func fromAddress(t *testing.T, tb *testBank, ip string) *http.Client {
	t.Helper()
	tr := tb.http.Transport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}).DialContext
	return &http.Client{Transport: tr}
}
