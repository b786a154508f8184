package bank_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/protocol"
)

// outcome is one answer to a request sent from a goroutine (tb.call may t.Fatal, which
// only the test goroutine may do, so bursts use this instead and judge afterwards).
type outcome struct {
	r   *resp
	err error
}

// burstClient is a client with enough idle connections for a burst, so that the
// requests of a burst reach the bank together instead of queueing behind handshakes.
func (tb *testBank) burstClient(conns int) *http.Client {
	tr := tb.http.Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = conns
	tr.MaxIdleConns = conns
	tb.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Timeout: 20 * time.Second, Transport: tr}
}

// burst sends n correctly MACed GETs of uri for app a at once (after a start barrier)
// and returns every answer. Safe to call from any goroutine.
func (tb *testBank) burst(client *http.Client, a a1App, uri string, n int) []outcome {
	out := make([]outcome, n)
	reqs := make([]*http.Request, n)
	for i := range reqs {
		ts, nonce := protocol.Timestamp(time.Now()), protocol.NewNonce()
		mac := protocol.MACBase64(a.MACKey, protocol.StringToSign("GET", uri, ts, nonce, nil))
		reqs[i], out[i].err = http.NewRequest("GET", tb.b.URL+uri, nil)
		if out[i].err != nil {
			return out
		}
		reqs[i].Header.Set("Authorization", protocol.Credentials{Scheme: protocol.SchemeHMAC, AppID: a.ID, Serial: a.Serial,
			Timestamp: ts, Nonce: nonce, Signature: mac}.String())
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			hr, err := client.Do(reqs[i])
			if err != nil {
				out[i].err = err
				return
			}
			defer hr.Body.Close()
			r := &resp{Status: hr.StatusCode, Header: hr.Header}
			r.Body, out[i].err = io.ReadAll(hr.Body)
			if hr.StatusCode >= 400 {
				_ = json.Unmarshal(r.Body, &r.Prob)
			}
			out[i].r = r
		}(i)
	}
	close(start)
	wg.Wait()
	return out
}

// warm opens conns TLS connections to the bank (on a public page) and leaves them idle.
func (tb *testBank) warm(client *http.Client, conns int) {
	tb.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hr, err := client.Get(tb.b.URL + "/healthz")
			if err != nil {
				errs <- err
				return
			}
			_, _ = io.Copy(io.Discard, hr.Body)
			hr.Body.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.t.Fatalf("warm-up: %v", err)
	}
}

// alarm is one entry of GET /admin/v1/alarms.
type alarm struct {
	Seq          int64
	At           time.Time
	Kind, Detail string
	AppID        string `json:"app_id"`
}

// alarms lists GET /admin/v1/alarms, for one App_ID unless appID is empty.
func (tb *testBank) alarms(appID string) []alarm {
	tb.t.Helper()
	r, _ := tb.adminCall("GET", "/admin/v1/alarms?app_id="+appID, nil)
	if r.Status != 200 {
		tb.t.Fatalf("alarms: %s", r)
	}
	var out struct{ Alarms []alarm }
	if err := json.Unmarshal(r.Body, &out); err != nil {
		tb.t.Fatalf("alarms: %v in %s", err, r.Body)
	}
	for _, a := range out.Alarms {
		if appID != "" && a.AppID != appID {
			tb.t.Errorf("alarms?app_id=%s lists an alarm of %q", appID, a.AppID)
		}
		if a.Seq <= 0 || a.At.IsZero() || a.Kind == "" || a.Detail == "" {
			tb.t.Errorf("incomplete alarm: %+v", a)
		}
	}
	return out.Alarms
}

func countKind(alarms []alarm, kind string) int {
	n := 0
	for _, a := range alarms {
		if a.Kind == kind {
			n++
		}
	}
	return n
}

func retryAfter(t *testing.T, r *resp) int {
	t.Helper()
	s, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || s < 1 {
		t.Errorf("%d %s without a usable Retry-After: %q", r.Status, r.Prob.Code, r.Header.Get("Retry-After"))
	}
	return s
}

// TestFlowConcurrencyLimit: JR/T 0185-2020 10.1.2/1a — an app may not have more calls
// in flight than its limit; the excess is refused with 429 CONCURRENCY_LIMITED and a
// Retry-After, and nothing else goes wrong.
func TestFlowConcurrencyLimit(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	a := tb.newA1App([]string{"products:read"}, map[string]any{"rate_rps": 100000, "rate_burst": 100000, "max_concurrent": 1})
	const n, maxRounds = 48, 20
	client := tb.burstClient(n)
	tb.warm(client, n)

	ok, limited := 0, 0
	for round := 0; round < maxRounds && (ok == 0 || limited == 0); round++ {
		for _, o := range tb.burst(client, a, "/a1/v1/products?page_size=100", n) {
			if o.err != nil || o.r == nil {
				t.Fatalf("request failed: %v", o.err)
			}
			r := o.r
			tb.checkSigned(r)
			switch {
			case r.Status == 200:
				ok++
			case r.Status == 429 && r.Prob.Code == "CONCURRENCY_LIMITED":
				limited++
				retryAfter(t, r)
				if r.Header.Get("Content-Type") != "application/problem+json" || r.Prob.Clause != "JR/T 0185-2020 10.1.2/1a" {
					t.Errorf("429 is not a catalogued problem: %s", r)
				}
			default:
				t.Fatalf("got %s; under a concurrency limit every answer is 200 or 429 CONCURRENCY_LIMITED", r)
			}
		}
	}
	if limited == 0 || ok == 0 {
		t.Fatalf("%d rounds of %d simultaneous calls with max_concurrent 1: %d answered 200, %d 429 CONCURRENCY_LIMITED; want both",
			maxRounds, n, ok, limited)
	}
	t.Logf("%d answered 200, %d refused with CONCURRENCY_LIMITED", ok, limited)
	// Every slot was given back: a lone call goes through.
	if r := tb.call(a, "/a1/v1/products", callOpts{}); r.Status != 200 {
		t.Fatalf("lone call after the bursts: %s", r)
	}
	if n := countKind(tb.alarms(a.ID), "flow-control"); n == 0 {
		t.Error("no flow-control alarm after CONCURRENCY_LIMITED refusals")
	}
}

// TestFlowLimitChangeKeepsSlots: changing an app's limits while its calls are in flight
// must not leave phantom calls behind. Afterwards, with nothing in flight, a lone call
// under max_concurrent 1 must go through (JR/T 0185-2020 10.1.2/1a: the limit counts
// calls actually in flight).
func TestFlowLimitChangeKeepsSlots(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	a := tb.newA1App([]string{"products:read"}, map[string]any{"rate_rps": 100000, "rate_burst": 100000, "max_concurrent": 4})
	const n = 16
	client := tb.burstClient(n)
	tb.warm(client, n)

	var wg sync.WaitGroup
	results := make(chan []outcome, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- tb.burst(client, a, "/a1/v1/products?page_size=100", n)
		}()
		// Change the limits while the burst is in flight.
		for _, mc := range []int{3, 4} {
			if r, _ := tb.adminCall("PUT", "/admin/v1/apps/"+a.ID+"/limits",
				map[string]any{"rate_rps": 100000, "rate_burst": 100000, "max_concurrent": mc}); r.Status != 200 {
				t.Fatalf("set limits: %s", r)
			}
		}
	}
	wg.Wait()
	close(results)
	for out := range results {
		for _, o := range out {
			if o.err != nil || o.r == nil {
				t.Fatalf("request failed: %v", o.err)
			}
			if o.r.Status != 200 && o.r.Status != 429 {
				t.Fatalf("got %s during the limit changes", o.r)
			}
		}
	}
	// Nothing is in flight now.
	if r, _ := tb.adminCall("PUT", "/admin/v1/apps/"+a.ID+"/limits",
		map[string]any{"rate_rps": 100000, "rate_burst": 100000, "max_concurrent": 1}); r.Status != 200 {
		t.Fatalf("set limits: %s", r)
	}
	for i := 0; i < 3; i++ {
		if r := tb.call(a, "/a1/v1/products", callOpts{}); r.Status != 200 {
			t.Fatalf("lone call %d with nothing in flight: %s", i+1, r)
		}
	}
}

// TestFlowAuthFailurePause: JR/T 0185-2020 10.1.2/1b — an App_ID with repeated
// authentication failures is paused (even for correct requests), an alarm is raised,
// and other apps are not affected.
func TestFlowAuthFailurePause(t *testing.T) {
	t.Parallel()
	tb := startBank(t, func(c *bank.Config) { c.AuthFailLimit = 3 })
	victim := tb.newA1App([]string{"products:read"}, nil)
	bystander := tb.newA1App([]string{"products:read"}, nil)
	nearMiss := tb.newA1App([]string{"products:read"}, nil)
	wrong := callOpts{mac: protocol.MACBase64([]byte("not the key"), []byte("x"))}

	t.Run("401/wrong MACs up to the limit", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			r := tb.call(victim, "/a1/v1/products", wrong)
			if r.Status != 401 || r.Prob.Code != "MAC_INVALID" {
				t.Fatalf("wrong MAC %d: got %s, want 401 MAC_INVALID", i+1, r)
			}
		}
	})
	t.Run("403/correct request while paused", func(t *testing.T) {
		before := tb.snapshot()
		r := tb.call(victim, "/a1/v1/products", callOpts{})
		if r.Status != 403 || r.Prob.Code != "APP_AUTH_LOCKED" {
			t.Fatalf("got %s, want 403 APP_AUTH_LOCKED", r)
		}
		if s := retryAfter(t, r); s > int(tb.cfg.AuthLockFor.Seconds())+1 {
			t.Errorf("Retry-After %d s is longer than the pause (%s)", s, tb.cfg.AuthLockFor)
		}
		if r.Prob.Clause != "JR/T 0185-2020 10.1.2/1b" {
			t.Errorf("clause = %q", r.Prob.Clause)
		}
		tb.assertUnchanged(before, "paused call")
	})
	t.Run("403/wrong MAC while paused", func(t *testing.T) {
		r := tb.call(victim, "/a1/v1/products", wrong)
		if r.Status != 403 || r.Prob.Code != "APP_AUTH_LOCKED" {
			t.Fatalf("got %s, want 403 APP_AUTH_LOCKED", r)
		}
	})
	t.Run("alarm/auth-failures listed for the app", func(t *testing.T) {
		if n := countKind(tb.alarms(victim.ID), "auth-failures"); n != 1 {
			t.Errorf("%d auth-failures alarms, want 1", n)
		}
	})
	t.Run("200/another app is unaffected", func(t *testing.T) {
		if r := tb.call(bystander, "/a1/v1/products", callOpts{}); r.Status != 200 {
			t.Fatalf("bystander: %s", r)
		}
		if al := tb.alarms(bystander.ID); len(al) != 0 {
			t.Errorf("bystander has alarms: %+v", al)
		}
	})
	t.Run("200/fewer failures than the limit do not pause", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			if r := tb.call(nearMiss, "/a1/v1/products", wrong); r.Status != 401 {
				t.Fatalf("wrong MAC: %s", r)
			}
		}
		if r := tb.call(nearMiss, "/a1/v1/products", callOpts{}); r.Status != 200 {
			t.Fatalf("got %s after 2 of 3 allowed failures", r)
		}
		if n := countKind(tb.alarms(nearMiss.ID), "auth-failures"); n != 0 {
			t.Errorf("%d auth-failures alarms, want none", n)
		}
	})
}

// TestFlowAuthFailurePauseEnds: the pause lasts as long as Retry-After says, then the
// App_ID works again.
func TestFlowAuthFailurePauseEnds(t *testing.T) {
	t.Parallel()
	tb := startBank(t, func(c *bank.Config) { c.AuthFailLimit, c.AuthLockFor = 2, 1500*time.Millisecond })
	a := tb.newA1App([]string{"products:read"}, nil)
	for i := 0; i < 2; i++ {
		tb.call(a, "/a1/v1/products", callOpts{mac: protocol.MACBase64([]byte("bad"), []byte("x"))})
	}
	r := tb.call(a, "/a1/v1/products", callOpts{})
	if r.Status != 403 || r.Prob.Code != "APP_AUTH_LOCKED" {
		t.Fatalf("got %s, want 403 APP_AUTH_LOCKED", r)
	}
	wait := retryAfter(t, r)
	if wait > 2 {
		t.Fatalf("Retry-After %d s for a 1.5 s pause", wait)
	}
	time.Sleep(time.Duration(wait) * time.Second)
	if r := tb.call(a, "/a1/v1/products", callOpts{}); r.Status != 200 {
		t.Fatalf("after waiting Retry-After (%d s): %s", wait, r)
	}
}

// TestFlowAlarms: JR/T 0185-2020 10.1.2/1a, 1b — flow-control refusals and calls with
// unknown App_IDs raise alarms the operator can list per app.
func TestFlowAlarms(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	limited := tb.newA1App([]string{"products:read"}, map[string]any{"rate_rps": 0.01, "rate_burst": 1, "max_concurrent": 5})
	quiet := tb.newA1App([]string{"products:read"}, nil)

	t.Run("alarm/flow-control after a 429", func(t *testing.T) {
		if r := tb.call(limited, "/a1/v1/products", callOpts{}); r.Status != 200 {
			t.Fatalf("first call: %s", r)
		}
		if n := countKind(tb.alarms(limited.ID), "flow-control"); n != 0 {
			t.Fatalf("flow-control alarm before any refusal")
		}
		r := tb.call(limited, "/a1/v1/products", callOpts{})
		if r.Status != 429 || r.Prob.Code != "RATE_LIMITED" {
			t.Fatalf("got %s, want 429 RATE_LIMITED", r)
		}
		retryAfter(t, r)
		al := tb.alarms(limited.ID)
		if n := countKind(al, "flow-control"); n != 1 {
			t.Fatalf("%d flow-control alarms after one 429, want 1: %+v", n, al)
		}
	})
	t.Run("alarm/unknown-app for an unknown App_ID", func(t *testing.T) {
		ghost := quiet
		ghost.ID = "APPGHOST0000001"
		r := tb.call(ghost, "/a1/v1/products", callOpts{})
		if r.Status != 401 || r.Prob.Code != "APP_UNKNOWN" {
			t.Fatalf("got %s, want 401 APP_UNKNOWN", r)
		}
		if n := countKind(tb.alarms(ghost.ID), "unknown-app"); n != 1 {
			t.Fatalf("%d unknown-app alarms, want 1", n)
		}
	})
	t.Run("200/alarms are filtered by app and by sequence", func(t *testing.T) {
		if al := tb.alarms(quiet.ID); len(al) != 0 {
			t.Errorf("quiet app has alarms: %+v", al)
		}
		all := tb.alarms("")
		if len(all) < 2 {
			t.Fatalf("all alarms: %+v", all)
		}
		for i := 1; i < len(all); i++ {
			if all[i].Seq <= all[i-1].Seq {
				t.Errorf("alarms not oldest first: %+v", all)
			}
		}
		last := all[len(all)-1].Seq
		r, out := tb.adminCall("GET", "/admin/v1/alarms?after="+strconv.FormatInt(last-1, 10), nil)
		if got, _ := out["alarms"].([]any); r.Status != 200 || len(got) != 1 {
			t.Errorf("alarms after seq %d: %s, want only the last one", last-1, r)
		}
	})
}
