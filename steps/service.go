package steps

// Steps of the API service layer area: validation and attack probes (7.1/7, 7.2.2/1,
// 7.3.2/1), access log and audit (7.3.3, 12.3), monitoring and alarms (10.1.1), flow
// control, fault isolation and recovery (8/2, 10.1.2) and the abnormal-pattern rule
// (10.2.1/2). Everything goes over the wire: the API, the admin API and raw TLS.

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"
	"github.com/tjfoc/gmsm/sm3"
)

func init() { registrars = append(registrars, registerService) }

func registerService(sc *godog.ScenarioContext) {
	sc.Step(`^the app (?:calls|sends) "([A-Z]+) ([^"]+)" (\d+) times$`, func(ctx context.Context, method, uri string, n int) error {
		for i := 0; i < n; i++ {
			if err := call(ctx, "the app", method, uri, nil, FaultNone, ""); err != nil {
				return err
			}
		}
		return nil
	})
	sc.Step(`^(\d+) of the app's answers (?:was|were) (\d{3})(?: "([A-Z0-9_]+)")?$`, countAnswers)
	sc.Step(`^every (\d{3}) "([A-Z0-9_]+)" answer carries Retry-After$`, func(ctx context.Context, status int, code string) error {
		for _, x := range W(ctx).History {
			if x.Status == status && x.Code() == code {
				if s, err := strconv.Atoi(x.Header.Get("Retry-After")); err != nil || s < 1 {
					return fmt.Errorf("%s: Retry-After is %q, want a positive number of seconds", x.Evidence(), x.Header.Get("Retry-After"))
				}
			}
		}
		return nil
	})
	sc.Step(`^the operator limits the app to (\d+) calls? per second with a burst of (\d+)$`, func(ctx context.Context, rps, burst int) error {
		w := W(ctx)
		a, err := w.App("the app")
		if err != nil {
			return err
		}
		_, err = w.Env.adminOK(ctx, "PUT", "/admin/v1/apps/"+a.ID+"/limits",
			map[string]any{"rate_rps": rps, "rate_burst": burst, "max_concurrent": 8}, 200)
		return err
	})
	sc.Step(`^the bank raises an alarm "([a-z-]+)" for the app$`, func(ctx context.Context, kind string) error {
		return expectAlarm(ctx, "the app", kind, true)
	})
	sc.Step(`^the bank raises no alarm "([a-z-]+)" for the other app$`, func(ctx context.Context, kind string) error {
		return expectAlarm(ctx, "the other app", kind, false)
	})

	// Access log and audit (7.3.3, 12.3).
	sc.Step(`^every call of the scenario is in the bank's audit log exactly once with its request id, App_ID, U_API_ID, duration, time and result$`, auditEveryCall)
	sc.Step(`^the audit record of the last call keeps the body's SM3 digest and the request's signature$`, auditKeepsSignature)
	sc.Step(`^the audit record of the last call does not contain "([^"]*)"$`, func(ctx context.Context, s string) error {
		rec, err := auditRecordOfLast(ctx)
		if err != nil {
			return err
		}
		raw, _ := json.Marshal(rec)
		if strings.Contains(string(raw), s) {
			return fmt.Errorf("the audit record keeps %q in clear: %s", s, clip(string(raw), 400))
		}
		return nil
	})
	sc.Step(`^the bank's audit log verifies$`, func(ctx context.Context) error {
		out, err := W(ctx).Env.adminOK(ctx, "GET", "/admin/v1/audit/verify", nil, 200)
		if err != nil {
			return err
		}
		if ok, _ := dig(out, "report", "ok").(bool); !ok {
			return fmt.Errorf("the audit log does not verify: %s", clip(fmt.Sprint(dig(out, "report", "problems")), 600))
		}
		W(ctx).Note("audit log verifies: %v records, signed up to %v", dig(out, "report", "records"), dig(out, "report", "last_checkpoint"))
		return nil
	})
	sc.Step(`^the operator (alters|deletes|overwrites) the audit record of the last call in a copy of the log$`, auditDrill)
	sc.Step(`^the verification of the copy fails naming that record$`, drillNamesRecord)

	// Metrics and health (10.1.1).
	sc.Step(`^the metrics count (\d+) (successful|failed) calls? of the app to "([a-z0-9.]+)"(?: with code "([A-Z0-9_]+)")?$`, metricsCount)
	sc.Step(`^the metrics show the latency of "([a-z0-9.]+)" and the server's resources$`, metricsLatency)
	sc.Step(`^the bank's health shows "([a-z0-9.]+)" degraded by the app's fault, with the server's resources$`, func(ctx context.Context, api string) error {
		return health(ctx, api, true)
	})
	sc.Step(`^the bank's health no longer shows the app's fault$`, func(ctx context.Context) error {
		return health(ctx, "", false)
	})

	// Faults (sandbox test control).
	sc.Step(`^the operator injects a "(backend-down)" fault for the app on "([a-z0-9.]+)"$`, func(ctx context.Context, kind, api string) error {
		return injectFault(ctx, map[string]any{"kind": kind, "api": api})
	})
	sc.Step(`^the operator injects an "(error-rate)" fault of ([0-9.]+) for the app on "([a-z0-9.]+)"$`, func(ctx context.Context, kind, rate, api string) error {
		r, err := strconv.ParseFloat(rate, 64)
		if err != nil {
			return err
		}
		return injectFault(ctx, map[string]any{"kind": kind, "api": api, "rate": r})
	})
	sc.Step(`^the operator clears the app's faults$`, func(ctx context.Context) error {
		w := W(ctx)
		a, err := w.App("the app")
		if err != nil {
			return err
		}
		_, err = w.Env.adminOK(ctx, "DELETE", "/admin/v1/faults?app_id="+url.QueryEscape(a.ID), nil, 200)
		return err
	})

	// Abnormal-pattern rule (10.2.1/2).
	sc.Step(`^the bank has sent the app a signed event notice "([a-z.]+)"$`, eventNotice)

	// Retention (10.1.1/2c).
	sc.Step(`^with the sandbox clock advanced by (\d+) days the audit record of the first call is still retrievable$`, retention)

	// Probes (7.1/7, 7.3.2/1).
	sc.Step(`^the app sends an? (oversized body|SQL injection in a path parameter|SQL injection in a query parameter|path traversal) probe$`, signedProbe)
	sc.Step(`^a client sends a raw (request-smuggling|malformed request line|oversized header) probe$`, rawProbe)
	sc.Step(`^the bank answers a catalogued 4xx problem or closes the connection$`, func(ctx context.Context) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		if x.Err != nil {
			return nil // closed: the probe got nothing
		}
		if x.Status < 400 || x.Status >= 500 {
			return fmt.Errorf("want a 4xx or a closed connection, got HTTP %d: %s", x.Status, clip(string(x.Body), 300))
		}
		return catalogued(x)
	})
	sc.Step(`^the answer reveals no internal detail$`, func(ctx context.Context) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		return noInternalDetail(x)
	})
	sc.Step(`^the bank still serves the app$`, func(ctx context.Context) error {
		if err := call(ctx, "the app", "GET", "/a1/v1/products?page_size=1", nil, FaultNone, ""); err != nil {
			return err
		}
		x, _ := W(ctx).last()
		return expectStatus(x, 200, "")
	})
}

// countAnswers counts the scenario's answers with this status (and code).
func countAnswers(ctx context.Context, n, status int, code string) error {
	got := 0
	var seen []string
	for _, x := range W(ctx).History {
		seen = append(seen, strconv.Itoa(x.Status)+" "+x.Code())
		if x.Status == status && (code == "" || x.Code() == code) {
			if code != "" {
				if err := catalogued(x); err != nil {
					return err
				}
			}
			got++
		}
	}
	if got != n {
		return fmt.Errorf("%d answers were %d %s, want %d (answers: %s)", got, status, code, n, strings.Join(seen, ", "))
	}
	return nil
}

func expectAlarm(ctx context.Context, role, kind string, want bool) error {
	w := W(ctx)
	a, err := w.App(role)
	if err != nil {
		return err
	}
	check := func() error {
		list, err := appAlarms(ctx, a.ID)
		if err != nil {
			return err
		}
		for _, m := range list {
			if m["kind"] == kind && m["app_id"] == a.ID {
				if !want {
					return fmt.Errorf("alarm %q raised for %s: %v", kind, role, m["detail"])
				}
				w.Note("alarm %s for %s: %v", kind, a.ID, m["detail"])
				return nil
			}
		}
		if want {
			return fmt.Errorf("no alarm %q for App_ID %s on /admin/v1/alarms (%d alarms for it)", kind, a.ID, len(list))
		}
		return nil
	}
	if !want {
		return check() // read once: waiting cannot prove an alarm absent
	}
	return eventually(ctx, asyncWithin, check)
}

// auditRecord fetches the one audit record with this request id.
func auditRecord(ctx context.Context, rid string) (map[string]any, error) {
	w := W(ctx)
	var rec map[string]any
	err := eventually(ctx, asyncWithin, func() error {
		out, err := w.Env.adminOK(ctx, "GET", "/admin/v1/audit?request_id="+url.QueryEscape(rid), nil, 200)
		if err != nil {
			return err
		}
		list, _ := out["records"].([]any)
		if len(list) != 1 {
			return fmt.Errorf("the audit log holds %d records with request id %s, want exactly 1", len(list), rid)
		}
		rec, _ = list[0].(map[string]any)
		return nil
	})
	return rec, err
}

func auditEveryCall(ctx context.Context) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	if len(w.History) == 0 {
		return fmt.Errorf("the scenario made no call")
	}
	for _, x := range w.History {
		rid := x.RequestID()
		if rid == "" {
			return fmt.Errorf("%s: the answer has no X-Request-Id", x.Evidence())
		}
		rec, err := auditRecord(ctx, rid)
		if err != nil {
			return fmt.Errorf("%s: %w", x.Evidence(), err)
		}
		problems := []string{}
		if rec["request_id"] != rid {
			problems = append(problems, fmt.Sprintf("request_id %v", rec["request_id"]))
		}
		if rec["app_id"] != a.ID {
			problems = append(problems, fmt.Sprintf("app_id %v, want %s", rec["app_id"], a.ID))
		}
		if u := x.Header.Get("X-JR-U-API-ID"); u == "" || rec["u_api_id"] != u {
			problems = append(problems, fmt.Sprintf("u_api_id %v, answer's X-JR-U-API-ID %q", rec["u_api_id"], u))
		}
		if d, ok := rec["duration_us"].(float64); !ok || d < 0 {
			problems = append(problems, fmt.Sprintf("duration_us %v", rec["duration_us"]))
		}
		if ts, _ := rec["time"].(string); !recent(ts) {
			problems = append(problems, fmt.Sprintf("time %q is not within ten minutes of now", ts))
		}
		want := "success"
		if x.Status >= 400 {
			want = "failure"
		}
		if rec["result"] != want || int(toFloat(rec["status"])) != x.Status {
			problems = append(problems, fmt.Sprintf("result %v status %v, want %s %d", rec["result"], rec["status"], want, x.Status))
		}
		if len(problems) > 0 {
			return fmt.Errorf("audit record of %s: %s", x.Evidence(), strings.Join(problems, "; "))
		}
		w.Note("audit record %v for request %s: %v %v %vµs", rec["seq"], rid, rec["u_api_id"], rec["result"], rec["duration_us"])
	}
	return nil
}

func recent(ts string) bool {
	t, err := time.Parse(time.RFC3339Nano, ts)
	return err == nil && time.Since(t).Abs() < 10*time.Minute
}

func toFloat(v any) float64 {
	f, _ := v.(float64)
	return f
}

func auditRecordOfLast(ctx context.Context) (map[string]any, error) {
	x, err := W(ctx).last()
	if err != nil {
		return nil, err
	}
	return auditRecord(ctx, x.RequestID())
}

func auditKeepsSignature(ctx context.Context) error {
	x, err := W(ctx).last()
	if err != nil {
		return err
	}
	rec, err := auditRecordOfLast(ctx)
	if err != nil {
		return err
	}
	ex, _ := rec["excerpt"].(string)
	var e struct {
		Len int    `json:"len"`
		SM3 string `json:"sm3"`
		Sig struct {
			Serial, Timestamp, Nonce, Signature string
		} `json:"sig"`
	}
	if err := json.Unmarshal([]byte(ex), &e); err != nil {
		return fmt.Errorf("the audit record keeps no readable excerpt of the message: %q", clip(ex, 200))
	}
	if sum := sm3.Sm3Sum(x.ReqBody); e.Len != len(x.ReqBody) || !strings.EqualFold(e.SM3, hex.EncodeToString(sum)) {
		return fmt.Errorf("the excerpt's length %d and SM3 %q do not match the body sent (%d bytes, %x)", e.Len, e.SM3, len(x.ReqBody), sum)
	}
	auth := x.ReqHeader.Get("Authorization")
	for name, v := range map[string]string{"signature": e.Sig.Signature, "nonce": e.Sig.Nonce, "timestamp": e.Sig.Timestamp, "serial": e.Sig.Serial} {
		if v == "" || !strings.Contains(auth, name+`="`+v+`"`) {
			return fmt.Errorf("the excerpt's %s %q is not the one the request carried", name, v)
		}
	}
	return nil
}

func auditDrill(ctx context.Context, verb string) error {
	w := W(ctx)
	rec, err := auditRecordOfLast(ctx)
	if err != nil {
		return err
	}
	seq := int64(toFloat(rec["seq"]))
	kind := map[string]string{"alters": "alter", "deletes": "delete", "overwrites": "overwrite"}[verb]
	out, err := w.Env.adminOK(ctx, "POST", "/admin/v1/audit/drill", map[string]any{"seq": seq, "tamper": kind}, 200)
	if err != nil {
		return err
	}
	w.Vars["drill.seq"] = strconv.FormatInt(seq, 10)
	raw, _ := json.Marshal(out["report"])
	w.Vars["drill.report"] = string(raw)
	w.Note("tampering drill (%s record %d on a copy): %s", kind, seq, clip(string(raw), 300))
	return nil
}

func drillNamesRecord(ctx context.Context) error {
	w := W(ctx)
	var rep struct {
		OK       bool `json:"ok"`
		Problems []struct {
			Seq     int64  `json:"seq"`
			Kind    string `json:"kind"`
			Message string `json:"message"`
		} `json:"problems"`
	}
	if err := json.Unmarshal([]byte(w.Vars["drill.report"]), &rep); err != nil {
		return fmt.Errorf("no drill report: %v", err)
	}
	if rep.OK || len(rep.Problems) == 0 {
		return fmt.Errorf("the tampered copy still verifies")
	}
	seq, _ := strconv.ParseInt(w.Vars["drill.seq"], 10, 64)
	p := rep.Problems[0]
	named := p.Seq == seq || strings.Contains(p.Message, fmt.Sprintf("records %d and", seq)) || strings.Contains(p.Message, fmt.Sprintf("record %d ", seq))
	if !named {
		return fmt.Errorf("the first problem is not about record %d: [%s] record %d: %s", seq, p.Kind, p.Seq, p.Message)
	}
	return nil
}

// metrics reads the bank's Prometheus text.
func metrics(ctx context.Context) (string, error) {
	x, err := W(ctx).Env.Admin(ctx, "GET", "/metrics", nil)
	if err != nil {
		return "", err
	}
	if x.Status != 200 {
		return "", fmt.Errorf("GET /metrics: HTTP %d", x.Status)
	}
	return string(x.Body), nil
}

var sampleRE = regexp.MustCompile(`^([a-z_0-9]+)\{([^}]*)\} ([0-9.e+-]+)$`)

// sum adds the samples of metric whose labels include every want label.
func sum(text, metric string, want map[string]string) float64 {
	total := 0.0
	for _, line := range strings.Split(text, "\n") {
		m := sampleRE.FindStringSubmatch(line)
		if m == nil || m[1] != metric {
			continue
		}
		ok := true
		for k, v := range want {
			if !strings.Contains(","+m[2]+",", ","+k+`="`+v+`",`) {
				ok = false
			}
		}
		if ok {
			f, _ := strconv.ParseFloat(m[3], 64)
			total += f
		}
	}
	return total
}

// uapiID looks an API's U_API_ID up in the published catalogue.
func uapiID(ctx context.Context, api string) (string, error) {
	cat, err := catalogue(ctx)
	if err != nil {
		return "", err
	}
	a, err := cat.byID(api)
	if err != nil {
		return "", fmt.Errorf("%s is not in the published catalogue", api)
	}
	return a.UAPIID, nil
}

func metricsCount(ctx context.Context, n int, outcome, api, code string) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	u, err := uapiID(ctx, api)
	if err != nil {
		return err
	}
	want := map[string]string{"app_id": a.ID, "u_api_id": u, "result": map[string]string{"successful": "success", "failed": "failure"}[outcome]}
	if code != "" {
		want["code"] = code
	}
	return eventually(ctx, asyncWithin, func() error {
		text, err := metrics(ctx)
		if err != nil {
			return err
		}
		if got := sum(text, "jr0185_app_requests_total", want); int(got) != n {
			return fmt.Errorf("jr0185_app_requests_total%v is %g, want %d", want, got, n)
		}
		w.Note("jr0185_app_requests_total%v = %d", want, n)
		return nil
	})
}

func metricsLatency(ctx context.Context, api string) error {
	calls := 0
	for _, x := range W(ctx).History {
		if x.Err == nil {
			calls++
		}
	}
	return eventually(ctx, asyncWithin, func() error {
		text, err := metrics(ctx)
		if err != nil {
			return err
		}
		if got := sum(text, "jr0185_api_request_duration_seconds_count", map[string]string{"api_id": api}); int(got) < calls {
			return fmt.Errorf("the latency histogram of %s counts %g calls, fewer than this scenario's %d", api, got, calls)
		}
		if sum(text, "jr0185_api_request_duration_seconds_sum", map[string]string{"api_id": api}) <= 0 {
			return fmt.Errorf("the latency histogram of %s has no duration", api)
		}
		for _, m := range []string{"process_resident_memory_bytes", "go_goroutines"} {
			if !strings.Contains(text, "\n"+m+" ") {
				return fmt.Errorf("the metrics do not show %s", m)
			}
		}
		return nil
	})
}

func injectFault(ctx context.Context, spec map[string]any) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	spec["app_id"] = a.ID
	spec["duration_seconds"] = 300
	out, err := w.Env.adminOK(ctx, "POST", "/admin/v1/faults", spec, 201)
	if err != nil {
		return err
	}
	id, _ := dig(out, "fault", "id").(string)
	if id == "" {
		return fmt.Errorf("the bank did not name the injected fault: %v", out)
	}
	w.Vars["fault.id"] = id
	w.Note("fault %s injected: %v", id, spec)
	return nil
}

// health waits for the bank's health to show (or, once cleared, no longer show) the
// scenario's fault: a bank may monitor its interfaces on its own schedule.
func health(ctx context.Context, api string, degraded bool) error {
	return eventually(ctx, asyncWithin, func() error { return healthOnce(ctx, api, degraded) })
}

func healthOnce(ctx context.Context, api string, degraded bool) error {
	w := W(ctx)
	out, err := w.Env.adminOK(ctx, "GET", "/admin/v1/health", nil, 200)
	if err != nil {
		return err
	}
	id := w.Vars["fault.id"]
	listed := false
	faults, _ := out["faults"].([]any)
	for _, f := range faults {
		if m, _ := f.(map[string]any); m["id"] == id {
			listed = true
		}
	}
	if !degraded {
		if listed {
			return fmt.Errorf("health still lists fault %s", id)
		}
		return nil
	}
	if out["status"] != "degraded" || !listed {
		return fmt.Errorf("health is %v and lists fault %s: %v, want degraded with it", out["status"], id, listed)
	}
	if ids, _ := dig(out, "degraded_apis", api).([]any); len(ids) == 0 {
		return fmt.Errorf("health does not show %s degraded: %v", api, out["degraded_apis"])
	}
	if toFloat(out["goroutines"]) <= 0 || toFloat(out["heap_alloc_bytes"]) <= 0 {
		return fmt.Errorf("health shows no server resources: %v", out)
	}
	return nil
}

func eventNotice(ctx context.Context, kind string) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	return eventually(ctx, asyncWithin, func() error { return eventNoticeOnce(ctx, w, a, kind) })
}

// eventNoticeOnce reads the app's event notices once and checks the one of kind.
func eventNoticeOnce(ctx context.Context, w *World, a *App, kind string) error {
	out, err := w.Env.adminOK(ctx, "GET", "/admin/v1/apps/"+a.ID+"/events", nil, 200)
	if err != nil {
		return err
	}
	list, _ := out["events"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		if m["kind"] != kind {
			continue
		}
		body, _ := m["body"].(string)
		ts, _ := m["timestamp"].(string)
		nonce, _ := m["nonce"].(string)
		serial, _ := m["serial"].(string)
		sigB64, _ := m["signature"].(string)
		key, err := w.Env.bankKey(ctx, serial)
		if err != nil {
			return err
		}
		sig, err := base64.StdEncoding.DecodeString(sigB64)
		if err != nil || !verifyDER(key, []byte(ts+"\n"+nonce+"\n"+body+"\n"), sig) {
			return fmt.Errorf("the event notice's signature does not verify with the bank's published key %s", serial)
		}
		var b map[string]any
		if err := json.Unmarshal([]byte(body), &b); err != nil || b["app_id"] != a.ID {
			return fmt.Errorf("the event notice is not addressed to App_ID %s: %s", a.ID, clip(body, 200))
		}
		w.Note("signed event notice %v: %s", m["id"], clip(body, 200))
		return nil
	}
	return fmt.Errorf("no event notice %q for App_ID %s (%d notices)", kind, a.ID, len(list))
}

// retention advances the bank-global sandbox clock, reads, verifies and resets the
// clock in one step, with every other exchange of the run held back meanwhile.
func retention(ctx context.Context, days int) error {
	w := W(ctx)
	if len(w.History) == 0 {
		return fmt.Errorf("the scenario made no call")
	}
	rid := w.History[0].RequestID()
	if _, err := auditRecord(ctx, rid); err != nil { // committed before the clock moves
		return err
	}
	// The clock is bank-global: no other exchange of this run is in flight while it is
	// away (Env.Exclusive), and it is back before any resumes.
	return w.Env.Exclusive(ctx, func(ctx context.Context) (err error) {
		if _, err := w.Env.adminOK(ctx, "POST", "/admin/v1/clock/advance", map[string]any{"seconds": days * 86400}, 200); err != nil {
			return err
		}
		defer func() {
			if _, rerr := w.Env.adminOK(ctx, "POST", "/admin/v1/clock/reset", nil, 200); rerr != nil && err == nil {
				err = rerr
			}
		}()
		out, err := w.Env.adminOK(ctx, "GET", "/admin/v1/audit?request_id="+url.QueryEscape(rid), nil, 200)
		if err != nil {
			return err
		}
		if list, _ := out["records"].([]any); len(list) != 1 {
			return fmt.Errorf("%d days later the audit log serves %d records for request %s, want 1", days, len(list), rid)
		}
		w.Note("%d days later the audit record of request %s is still served", days, rid)
		return nil
	})
}

// signedProbe sends a hostile request as the app, signed like any call.
func signedProbe(ctx context.Context, probe string) error {
	switch probe {
	case "oversized body":
		return call(ctx, "the app", "POST", "/a1/v1/products", []byte(`{"x":"`+strings.Repeat("A", 256<<10)+`"}`), FaultNone, "")
	case "SQL injection in a path parameter":
		return call(ctx, "the app", "GET", "/a1/v1/products/"+url.PathEscape("DEP0001' OR '1'='1"), nil, FaultNone, "")
	case "SQL injection in a query parameter":
		return call(ctx, "the app", "GET", "/a1/v1/products?category="+url.QueryEscape("deposit' UNION SELECT * FROM apps--"), nil, FaultNone, "")
	default: // path traversal
		return call(ctx, "the app", "GET", "/a1/v1/products/..%2F..%2F..%2Fetc%2Fpasswd", nil, FaultNone, "")
	}
}

// rawProbe writes bytes a normal client never sends, over TLS, and records the answer
// (or the closed connection).
func rawProbe(ctx context.Context, probe string) error {
	w := W(ctx)
	u, err := url.Parse(w.Env.T.BaseURL)
	if err != nil {
		return err
	}
	host := u.Host
	var req string
	switch probe {
	case "request-smuggling":
		req = "POST /a1/v1/products HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"0\r\n\r\nGET /admin/v1/apps HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
	case "malformed request line":
		req = "GET /a1/v1/products HTTP/1.1 EXTRA\x00\r\nHost: " + host + "\r\n\r\n"
	default: // oversized header
		req = "GET /a1/v1/products HTTP/1.1\r\nHost: " + host + "\r\nX-Probe: " + strings.Repeat("A", 64<<10) + "\r\n\r\n"
	}
	x, err := rawExchange(ctx, probe, req)
	if err != nil {
		return err
	}
	if x.Err == nil && probe == "request-smuggling" && strings.Contains(string(x.Body), `"apps"`) {
		return fmt.Errorf("the smuggled admin request was answered: %s", clip(string(x.Body), 200))
	}
	return nil
}

// leaks are what must never reach a partner (7.1/7): stack traces, source paths,
// server software and versions, SQL, file paths, internal addresses.
var leaks = []*regexp.Regexp{
	regexp.MustCompile(`goroutine \d+|\.go:\d+|panic\(|runtime/debug`),
	regexp.MustCompile(`(?i)fasthttp|fiber|golang|go1\.\d+|nginx|apache|sqlite|modernc`),
	regexp.MustCompile(`(?i)\bselect\b.+\bfrom\b|\binsert into\b|syntax error|no such table`),
	regexp.MustCompile(`(?:/home/|/usr/|/var/|/tmp/|/etc/passwd|[A-Z]:\\)`),
	regexp.MustCompile(`\b(?:(?:10|127)\.\d{1,3}|192\.168|172\.(?:1[6-9]|2\d|3[01]))\.\d{1,3}\.\d{1,3}\b`),
}

func noInternalDetail(x *Exchange) error {
	if x.Err != nil {
		return nil
	}
	var hdr strings.Builder
	for k, vs := range x.Header {
		if k == "X-Jr-Signature" || k == "X-JR-Signature" || k == "X-Jr-Nonce" || k == "X-JR-Nonce" || k == "X-Jr-Mac" || k == "X-JR-MAC" {
			continue // base64 and hex can match anything
		}
		fmt.Fprintf(&hdr, "%s: %s\n", k, strings.Join(vs, ","))
	}
	for _, part := range []struct{ name, text string }{{"headers", hdr.String()}, {"body", string(x.Body)}} {
		for _, re := range leaks {
			if m := re.FindString(part.text); m != "" {
				return fmt.Errorf("the answer's %s reveal internal detail %q (%s)", part.name, m, x.Evidence())
			}
		}
	}
	if v := x.Header["Server"]; len(v) > 0 {
		return fmt.Errorf("the answer names its server software: Server: %s", strings.Join(v, ","))
	}
	return nil
}
