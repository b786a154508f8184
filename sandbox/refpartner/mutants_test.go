package refpartner_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/refpartner"
	"github.com/jr0185/harness/steps/driver"
)

// A scenario is something the partner does, reduced to an outcome string. The
// reference partner gives ref; every mutant in caught gives something else; every
// mutant in same (which breaks another behaviour) gives ref too: each mutant differs
// from the reference where its behaviour lives, not elsewhere.
type scenario struct {
	name   string
	opts   refpartner.Options // besides Mutant
	proxy  string             // "tamper" / "strip" / "record": the partner reaches the bank through a proxy (w.via)
	hello  bool               // hello only: no registration at the bank
	setup  func(w *world)     // once per bank, after every partner started
	run    func(w *world) string
	ref    string
	caught []string
	same   []string
}

func code(w *world, action string, params any) string {
	c := w.do(action, params, nil)
	if c == "" {
		return "ok"
	}
	return c
}

func logLines(w *world) string {
	lines, err := w.drv.Log(w.t.Context())
	if err != nil {
		w.t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

func alarms(w *world) int {
	var st driver.StatusResult
	w.must(driver.Status, nil, &st)
	return len(st.Alarms)
}

var scenarios = []scenario{
	{name: "a second A1 call is accepted (fresh nonce)", run: func(w *world) string {
		return code(w, driver.ListProducts, nil) + "," + code(w, driver.ListProducts, nil)
	}, ref: "ok,ok", caught: []string{refpartner.ReusesNonces}, same: []string{refpartner.NoPKCE}},

	{name: "an A2 call without a user reaches the business layer (mTLS, TLS 1.2+, DER SM2)", run: func(w *world) string {
		err := w.drv.Do(w.t.Context(), driver.PaymentStatus, driver.PaymentIDParams{PaymentID: "PAYAAAAAAAAAAAAAAAAAAAA"}, nil)
		m := regexp.MustCompile(`[A-Z][A-Z_]{5,}`).FindString(fmt.Sprint(err))
		return driver.Code(err) + " " + m
	}, ref: "bank_error PAYMENT_NOT_FOUND", caught: []string{refpartner.RawSignature, refpartner.MACOnA2, refpartner.NoClientCert, refpartner.TLS11},
		same: []string{refpartner.AcceptUnsigned}},

	{name: "a tampered answer is not used", proxy: "tamper", run: func(w *world) string {
		return code(w, driver.ListProducts, nil)
	}, ref: driver.CodeIntegrity, caught: []string{refpartner.IgnoreSignatures}, same: []string{refpartner.AcceptUnsigned}},

	{name: "an unsigned answer is not used", proxy: "strip", run: func(w *world) string {
		return code(w, driver.ListProducts, nil)
	}, ref: driver.CodeIntegrity, caught: []string{refpartner.AcceptUnsigned, refpartner.IgnoreSignatures}, same: []string{refpartner.NoAlarms}},

	{name: "a badly signed notification is refused with an alarm", run: func(w *world) string {
		body := []byte(`{"event":"payment.status","notification_id":"NTFPROBE","payment":{"payment_id":"PAYPROBE","status":"succeeded"}}`)
		req, _ := http.NewRequest("POST", w.hello.NotifyURL, bytes.NewReader(body))
		for k, v := range map[string]string{"X-JR-Timestamp": fmt.Sprint(time.Now().Unix()), "X-JR-Nonce": "probe0000001",
			"X-JR-Signature": "MEUCIQDeadBeef", "X-JR-Serial": "1"} {
			req.Header.Set(k, v)
		}
		resp, err := w.https.Do(req)
		if err != nil {
			w.t.Fatal(err)
		}
		resp.Body.Close()
		var n driver.NotificationsResult
		w.must(driver.Notifications, nil, &n)
		return fmt.Sprintf("HTTP %d, %d accepted, %d alarms", resp.StatusCode, len(n.Notifications), alarms(w))
	}, ref: "HTTP 401, 0 accepted, 1 alarms", caught: []string{refpartner.AcceptProbeNotifications, refpartner.NoAlarms},
		same: []string{refpartner.NoHistory}},

	{name: "the payee's number is logged masked", run: func(w *world) string {
		w.must(driver.StartPayment, driver.PaymentParams{AccountID: "ac_x", Amount: "1.00", PayeeAccount: "6217000011112222333", PayeeName: "王小二"}, nil)
		return fmt.Sprint(strings.Contains(logLines(w), "6217000011112222333"))
	}, ref: "false", caught: []string{refpartner.LogsFullNumbers}, same: []string{refpartner.LogsHoldings}},

	{name: "an authorization URL carries a PKCE S256 challenge", run: func(w *world) string {
		var a driver.AuthorizationResult
		w.must(driver.StartLink, driver.LinkParams{Scopes: []string{"accounts:read"}}, &a)
		u, _ := url.Parse(a.AuthorizationURL)
		return u.Query().Get("code_challenge_method") + fmt.Sprint(len(u.Query().Get("code_challenge")))
	}, ref: "S25643", caught: []string{refpartner.NoPKCE}, same: []string{refpartner.ReusesNonces}},

	{name: "signing and encryption keys differ", hello: true, run: func(w *world) string {
		return fmt.Sprint(w.hello.SignPublicKeyPEM == w.hello.EncPublicKeyPEM)
	}, ref: "false", caught: []string{refpartner.SameKeySignEnc}, same: []string{refpartner.NoPKCE}},

	{name: "no account call before the user linked", run: func(w *world) string {
		return code(w, driver.Balance, driver.AccountParams{AccountID: "ac_x"}) + " " + fmt.Sprint(strings.Contains(logLines(w), "bank call"))
	}, ref: "not_linked false", caught: []string{refpartner.CallsBeforeConsent}, same: []string{refpartner.ScopeCreep}},

	{name: "every bank call is logged", run: func(w *world) string {
		w.must(driver.ListProducts, nil, nil)
		return fmt.Sprint(strings.Count(logLines(w), `msg="bank call" method=GET path=/a1/v1/products uapi_id=OPC`))
	}, ref: "1", caught: []string{refpartner.NoAccessLog}, same: []string{refpartner.LogsHoldings}},

	{name: "a linked user's balance and holdings: only those APIs, holdings not logged, history kept", run: func(w *world) string {
		accts := w.link("accounts:read", "balances:read", "holdings:read")
		w.must(driver.Balance, driver.AccountParams{AccountID: accts[0].AccountID}, nil)
		w.must(driver.Holdings, nil, nil)
		var h driver.HistoryResult
		w.must(driver.History, nil, &h)
		l := logLines(w)
		return fmt.Sprintf("history %d, transactions %v, holdings logged %v", len(h.Events), strings.Contains(l, "/transactions"), strings.Contains(l, "msg=holdings"))
	}, ref: "history 1, transactions false, holdings logged false", caught: []string{refpartner.NoHistory, refpartner.ScopeCreep, refpartner.LogsHoldings},
		same: []string{refpartner.NoAlarms}},

	{name: "a payment with the payee sealed succeeds", run: func(w *world) string {
		accts := w.link("accounts:read")
		lisi := w.customer("lisi")
		var a driver.AuthorizationResult
		w.must(driver.StartPayment, driver.PaymentParams{AccountID: accts[0].AccountID, Amount: "1.00", PayeeAccount: lisi.Accounts[0].Number,
			PayeeName: lisi.Name, Reference: "mutant test"}, &a)
		var p driver.PaymentResult
		c := w.do(driver.FinishPayment, driver.RedirectParams{RedirectURL: newBrowser(w).consent(a.AuthorizationURL, "zhangsan", true)}, &p)
		return c + p.Status
	}, ref: "succeeded", caught: []string{refpartner.PlaintextPayee}, same: []string{refpartner.LogsFullNumbers}},

	{name: "a payment retried after a 503 keeps its Idempotency-Key", proxy: "record", run: func(w *world) string {
		accts := w.link("accounts:read")
		lisi := w.customer("lisi")
		var a driver.AuthorizationResult
		w.must(driver.StartPayment, driver.PaymentParams{AccountID: accts[0].AccountID, Amount: "1.00", PayeeAccount: lisi.Accounts[0].Number,
			PayeeName: lisi.Name, Reference: "retry"}, &a)
		redirect := newBrowser(w).consent(a.AuthorizationURL, "zhangsan", true)
		w.admin("POST", "/admin/v1/faults", map[string]any{"kind": "backend-down", "app_id": w.appID, "api": "a2.payments.create", "count": 1}, 201)
		var p driver.PaymentResult
		c := w.do(driver.FinishPayment, driver.RedirectParams{RedirectURL: redirect}, &p)
		keys := w.via.idempotencyKeys()
		distinct := map[string]bool{}
		for _, k := range keys {
			distinct[k] = true
		}
		return fmt.Sprintf("%s%s after %d attempts with %d keys", c, p.Status, len(keys), len(distinct))
	}, ref: "succeeded after 2 attempts with 1 keys", caught: []string{refpartner.NewIdempotencyKeyOnRetry}, same: []string{refpartner.NoHistory}},

	{name: "repeated 503s open the circuit with an alarm", opts: refpartner.Options{MaxRetryAfter: time.Second},
		run: func(w *world) string {
			w.admin("POST", "/admin/v1/faults", map[string]any{"kind": "backend-down", "app_id": w.appID, "count": 20}, 201)
			var codes []string
			for i := 0; i < 7; i++ {
				codes = append(codes, code(w, driver.ListProducts, nil))
			}
			var st driver.StatusResult
			w.must(driver.Status, nil, &st)
			return strings.Join(codes, ",") + " " + st.Circuit + fmt.Sprintf(" alarms %v, %d calls", len(st.Alarms) > 0, strings.Count(logLines(w), "path=/a1/v1/products"))
		}, ref: "bank_error,bank_error,bank_error,bank_error,circuit_open,circuit_open,circuit_open open alarms true, 5 calls",
		caught: []string{refpartner.NoCircuitBreaker, refpartner.NoAlarms}, same: []string{refpartner.IgnoresRetryAfter}},

	{name: "a failing interface is isolated: the others stay in use", opts: refpartner.Options{MaxRetryAfter: 2 * time.Second},
		run: func(w *world) string {
			accts := w.link("accounts:read", "balances:read")
			w.admin("POST", "/admin/v1/faults", map[string]any{"kind": "backend-down", "app_id": w.appID, "api": "a2.accounts.balance",
				"count": 20, "retry_after_seconds": 1}, 201)
			var codes []string
			for i := 0; i < 3; i++ {
				codes = append(codes, code(w, driver.Balance, driver.AccountParams{AccountID: accts[0].AccountID}))
			}
			return strings.Join(codes, ",") + " then accounts " + code(w, driver.Accounts, nil)
		}, ref: "bank_error,circuit_open,circuit_open then accounts ok",
		caught: []string{refpartner.GlobalCircuit, refpartner.NoCircuitBreaker}, same: []string{refpartner.NoAlarms}},

	{name: "Retry-After is honoured", run: func(w *world) string {
		w.admin("POST", "/admin/v1/faults", map[string]any{"kind": "backend-down", "app_id": w.appID, "count": 1}, 201)
		start := time.Now()
		c := code(w, driver.ListProducts, nil)
		return fmt.Sprintf("%s waited %v", c, time.Since(start) >= 4*time.Second)
	}, ref: "ok waited true", caught: []string{refpartner.IgnoresRetryAfter}, same: []string{refpartner.NoCircuitBreaker}},

	{name: "an expired access token is refreshed once", run: func(w *world) string {
		accts := w.link("accounts:read", "balances:read")
		w.admin("POST", "/admin/v1/apps/"+w.appID+"/backdate", map[string]any{"seconds": 900}, 200)
		return code(w, driver.Balance, driver.AccountParams{AccountID: accts[0].AccountID})
	}, ref: "ok", caught: []string{refpartner.NoTokenRefresh}, same: []string{refpartner.HammersAfterRevocation}},

	{name: "after the user revokes, one call and then none", run: func(w *world) string {
		accts, b := w.linkWith(newBrowser(w), "accounts:read", "balances:read")
		page, _ := b.do("GET", "/portal", nil)
		m := regexp.MustCompile(`action="(/portal/consents/[^"/]+/revoke)"`).FindStringSubmatch(page)
		if m == nil {
			w.t.Fatalf("the portal offers no revocation:\n%s", page)
		}
		b.do("POST", m[1], url.Values{"csrf": {field(page, "csrf")}})
		before := strings.Count(logLines(w), "bank call")
		c1 := code(w, driver.Balance, driver.AccountParams{AccountID: accts[0].AccountID})
		c2 := code(w, driver.Balance, driver.AccountParams{AccountID: accts[0].AccountID})
		return fmt.Sprintf("%s,%s after %d calls, alarms %v", c1, c2, strings.Count(logLines(w), "bank call")-before, alarms(w) > 0)
	}, ref: "relink_required,relink_required after 1 calls, alarms true", caught: []string{refpartner.HammersAfterRevocation}, same: []string{refpartner.NoTokenRefresh}},

	{name: "a bank endpoint with a self-signed certificate is refused before any call", proxy: "impostor-self", run: func(w *world) string {
		return code(w, driver.ListProducts, nil)
	}, ref: driver.CodeInternal, caught: []string{refpartner.InsecureTLS}, same: []string{refpartner.NoHostnameCheck}},

	{name: "a bank endpoint certified by the CA for another name is refused", proxy: "impostor-name", run: func(w *world) string {
		return code(w, driver.ListProducts, nil)
	}, ref: driver.CodeInternal, caught: []string{refpartner.InsecureTLS, refpartner.NoHostnameCheck}, same: []string{refpartner.IgnoreKeyValidity}},

	{name: "an answer under an unknown serial is refused even when another known key verifies it", run: func(w *world) string {
		w.admin("POST", "/admin/v1/faults", map[string]any{"kind": "unknown-serial", "app_id": w.appID, "count": 1}, 201)
		return code(w, driver.ListProducts, nil) + "," + code(w, driver.ListProducts, nil)
	}, ref: driver.CodeIntegrity + ",ok", caught: []string{refpartner.AcceptUnknownSerial, refpartner.IgnoreSignatures}, same: []string{refpartner.IgnoreKeyValidity}},

	{name: "an answer signed by the retired key (certificate expired) is refused", run: func(w *world) string {
		w.admin("POST", "/admin/v1/faults", map[string]any{"kind": "retired-key", "app_id": w.appID, "count": 1}, 201)
		return code(w, driver.ListProducts, nil) + "," + code(w, driver.ListProducts, nil)
	}, ref: driver.CodeIntegrity + ",ok", caught: []string{refpartner.IgnoreKeyValidity}, same: []string{refpartner.AcceptUnknownSerial}},

	{name: "a spoiled payment status answer is not used", run: func(w *world) string {
		w.admin("POST", "/admin/v1/faults", map[string]any{"kind": "strip-signature", "app_id": w.appID, "api": "a2.payments.get", "count": 1}, 201)
		return code(w, driver.PaymentStatus, driver.PaymentIDParams{PaymentID: "PAYAAAAAAAAAAAAAAAAAAAA"})
	}, ref: driver.CodeIntegrity, caught: []string{refpartner.SkipVerifyPayments, refpartner.SkipVerifyErrors}, same: []string{refpartner.SkipVerifyToken}},

	{name: "a forged CONSENT_REVOKED does not drop the user", run: func(w *world) string {
		accts := w.link("accounts:read", "balances:read")
		w.admin("POST", "/admin/v1/faults", map[string]any{"kind": "tamper-signature", "app_id": w.appID, "api": "a2.accounts.balance",
			"problem": "CONSENT_REVOKED", "count": 1}, 201)
		return code(w, driver.Balance, driver.AccountParams{AccountID: accts[0].AccountID}) + "," + code(w, driver.Balance, driver.AccountParams{AccountID: accts[0].AccountID})
	}, ref: driver.CodeIntegrity + ",ok", caught: []string{refpartner.SkipVerifyErrors}, same: []string{refpartner.SkipVerifyPayments}},

	{name: "an unsigned token answer links no user", run: func(w *world) string {
		var a driver.AuthorizationResult
		w.must(driver.StartLink, driver.LinkParams{Scopes: []string{"accounts:read"}, ValidDays: 1}, &a)
		redirect := newBrowser(w).consent(a.AuthorizationURL, "zhangsan", false)
		w.admin("POST", "/admin/v1/faults", map[string]any{"kind": "strip-signature", "app_id": w.appID, "api": "a2.oauth.token", "count": 1}, 201)
		return code(w, driver.FinishLink, driver.RedirectParams{RedirectURL: redirect}) + "," + code(w, driver.Accounts, nil)
	}, ref: driver.CodeIntegrity + "," + driver.CodeNotLinked, caught: []string{refpartner.SkipVerifyToken}, same: []string{refpartner.SkipVerifyErrors}},

	{name: "after a bank key rotation the answers still verify", setup: func(w *world) {
		w.admin("POST", "/admin/v1/bank-keys/rotate", nil, 0)
	}, run: func(w *world) string {
		return code(w, driver.ListProducts, nil)
	}, ref: "ok", caught: []string{refpartner.NoKeyRefresh}, same: []string{refpartner.IgnoresRetryAfter}},

	// OAuth state, secrets, time, A1 MAC (issue 12: the partner obligation matrix).

	{name: "an A1 call's MAC verifies", run: func(w *world) string {
		return code(w, driver.ListProducts, nil)
	}, ref: "ok", caught: []string{refpartner.MACWrongKey}, same: []string{refpartner.FixedState}},

	{name: "a redirect with a forged state is refused, and the real one then links", run: func(w *world) string {
		var a driver.AuthorizationResult
		w.must(driver.StartLink, driver.LinkParams{Scopes: []string{"accounts:read"}, ValidDays: 30}, &a)
		redirect := newBrowser(w).consent(a.AuthorizationURL, "zhangsan", false)
		forged := withQuery(redirect, "state", "forged0000000000000000")
		return code(w, driver.FinishLink, driver.RedirectParams{RedirectURL: forged}) + ", then " +
			code(w, driver.FinishLink, driver.RedirectParams{RedirectURL: redirect})
	}, ref: "invalid, then ok", caught: []string{refpartner.NoStateCheck}, same: []string{refpartner.FixedState, refpartner.AcceptsUsedState}},

	{name: "a redirect with the state of a finished link is refused", run: func(w *world) string {
		var a driver.AuthorizationResult
		w.must(driver.StartLink, driver.LinkParams{Scopes: []string{"accounts:read"}, ValidDays: 30}, &a)
		first := newBrowser(w).consent(a.AuthorizationURL, "zhangsan", false)
		w.must(driver.FinishLink, driver.RedirectParams{RedirectURL: first}, nil)
		w.must(driver.StartLink, driver.LinkParams{Scopes: []string{"accounts:read"}, ValidDays: 30}, &a)
		second := newBrowser(w).consent(a.AuthorizationURL, "zhangsan", false)
		used, _ := url.Parse(first)
		return code(w, driver.FinishLink, driver.RedirectParams{RedirectURL: withQuery(second, "state", used.Query().Get("state"))})
	}, ref: driver.CodeInvalid, caught: []string{refpartner.AcceptsUsedState, refpartner.NoStateCheck, refpartner.FixedState},
		same: []string{refpartner.ExchangesOnErrorRedirect}},

	{name: "every authorization carries its own state", run: func(w *world) string {
		states := map[string]bool{}
		for i := 0; i < 3; i++ {
			var a driver.AuthorizationResult
			w.must(driver.StartLink, driver.LinkParams{Scopes: []string{"accounts:read"}}, &a)
			u, _ := url.Parse(a.AuthorizationURL)
			states[u.Query().Get("state")] = true
		}
		return fmt.Sprintf("%d states", len(states))
	}, ref: "3 states", caught: []string{refpartner.FixedState}, same: []string{refpartner.NoStateCheck}},

	{name: "a redirect with an error is not exchanged, even with a code", run: func(w *world) string {
		var a driver.AuthorizationResult
		w.must(driver.StartLink, driver.LinkParams{Scopes: []string{"accounts:read"}, ValidDays: 30}, &a)
		redirect := withQuery(newBrowser(w).consent(a.AuthorizationURL, "zhangsan", false), "error", "access_denied")
		c := code(w, driver.FinishLink, driver.RedirectParams{RedirectURL: redirect})
		return fmt.Sprintf("%s, token calls %d", c, strings.Count(logLines(w), "path=/a2/v1/oauth/token"))
	}, ref: "bank_error, token calls 0", caught: []string{refpartner.ExchangesOnErrorRedirect}, same: []string{refpartner.NoStateCheck}},

	{name: "the log holds no App_Secret, token, code or verifier", run: func(w *world) string {
		accts := w.link("accounts:read", "balances:read")
		w.must(driver.Balance, driver.AccountParams{AccountID: accts[0].AccountID}, nil)
		l := logLines(w)
		return fmt.Sprintf("secret %v, tokens %v, code %v", strings.Contains(l, "app_secret="), strings.Contains(l, "access_token="),
			strings.Contains(l, "code_verifier="))
	}, ref: "secret false, tokens false, code false", caught: []string{refpartner.LogsSecrets, refpartner.LogsCodes, refpartner.LogsTokens},
		same: []string{refpartner.LogsFullNumbers, refpartner.HistoryFullNumbers}},

	{name: "the history shows the payee masked", run: func(w *world) string {
		accts := w.link("accounts:read")
		lisi := w.customer("lisi")
		var a driver.AuthorizationResult
		w.must(driver.StartPayment, driver.PaymentParams{AccountID: accts[0].AccountID, Amount: "1.00", PayeeAccount: lisi.Accounts[0].Number,
			PayeeName: lisi.Name, Reference: "history"}, &a)
		w.must(driver.FinishPayment, driver.RedirectParams{RedirectURL: newBrowser(w).consent(a.AuthorizationURL, "zhangsan", true)}, nil)
		var h driver.HistoryResult
		w.must(driver.History, nil, &h)
		full := false
		for _, e := range h.Events {
			full = full || strings.Contains(e.Detail, lisi.Accounts[0].Number)
		}
		return fmt.Sprintf("%d events, full number %v", len(h.Events), full)
	}, ref: "2 events, full number false", caught: []string{refpartner.HistoryFullNumbers}, same: []string{refpartner.LogsFullNumbers}},

	{name: "request timestamps advance with the clock", run: func(w *world) string {
		w.must(driver.ListProducts, nil, nil)
		time.Sleep(2100 * time.Millisecond)
		w.must(driver.ListProducts, nil, nil)
		_, out := w.admin("GET", "/admin/v1/apps/"+w.appID+"/observations", nil, 200)
		list, _ := out["observations"].([]any)
		var ts []string
		for _, o := range list {
			ts = append(ts, fmt.Sprint(o.(map[string]any)["timestamp"]))
		}
		return fmt.Sprintf("%d calls, advanced %v", len(ts), len(ts) == 2 && ts[1] > ts[0])
	}, ref: "2 calls, advanced true", caught: []string{refpartner.FrozenTimestamp}, same: []string{refpartner.NoTimeout}},

	{name: "an answer 8 s late is given up after 5 s and the call tried again", run: func(w *world) string {
		w.admin("POST", "/admin/v1/faults", map[string]any{"kind": "slow", "app_id": w.appID, "api": "a1.products.list", "delay_ms": 8000, "count": 1}, 201)
		start := time.Now()
		c := code(w, driver.ListProducts, nil)
		return fmt.Sprintf("%s within 7 s: %v", c, time.Since(start) < 7*time.Second)
	}, ref: "ok within 7 s: true", caught: []string{refpartner.NoTimeout}, same: []string{refpartner.FrozenTimestamp}},

	{name: "a payment whose answer timed out is retried with the same Idempotency-Key", proxy: "record", run: func(w *world) string {
		accts := w.link("accounts:read")
		lisi := w.customer("lisi")
		var a driver.AuthorizationResult
		w.must(driver.StartPayment, driver.PaymentParams{AccountID: accts[0].AccountID, Amount: "1.00", PayeeAccount: lisi.Accounts[0].Number,
			PayeeName: lisi.Name, Reference: "late"}, &a)
		redirect := newBrowser(w).consent(a.AuthorizationURL, "zhangsan", true)
		w.admin("POST", "/admin/v1/faults", map[string]any{"kind": "slow", "app_id": w.appID, "api": "a2.payments.create", "delay_ms": 8000, "count": 1}, 201)
		var p driver.PaymentResult
		c := w.do(driver.FinishPayment, driver.RedirectParams{RedirectURL: redirect}, &p)
		distinct := map[string]bool{}
		for _, k := range w.via.idempotencyKeys() {
			distinct[k] = true
		}
		return fmt.Sprintf("%s%s with %d keys", c, p.Status, len(distinct))
	}, ref: "succeeded with 1 keys", caught: []string{refpartner.NewKeyAfterTimeout}, same: []string{refpartner.NewIdempotencyKeyOnRetry}},
}

// withQuery returns raw with its query parameter name set to value.
func withQuery(raw, name, value string) string {
	u, _ := url.Parse(raw)
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestMutantsDifferFromTheReferenceWhereTheyShould runs each scenario on one bank
// against the reference partner, the mutants it must catch and mutants of other
// behaviours that must behave like the reference there.
func TestMutantsDifferFromTheReferenceWhereTheyShould(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, sc := range scenarios {
		for _, m := range sc.caught {
			covered[m] = true
		}
		sc := sc
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			b, cfg, https := startBank(t)
			bankW := &world{t: t, b: b, cfg: cfg, https: https}
			type run struct {
				mutant string
				w      *world
			}
			var runs []run
			for _, m := range append(append([]string{""}, sc.caught...), sc.same...) {
				o := sc.opts
				o.Mutant = m
				pw := &world{t: t, b: b, cfg: cfg, https: https}
				switch {
				case sc.hello:
					pw.helloOnly(o)
				case sc.proxy != "":
					pw.via = bankW.proxy(sc.proxy)
					pw.start(o, pw.via.url)
					pw.admin("POST", "/admin/v1/apps/"+pw.appID+"/credentials", map[string]any{"kind": "client_cert", "pem": pw.via.clientPEM}, 201)
				default:
					pw.start(o, "")
				}
				runs = append(runs, run{m, pw})
			}
			if sc.setup != nil {
				sc.setup(bankW)
			}
			for _, r := range runs {
				got := sc.run(r.w)
				name := r.mutant
				if name == "" {
					name = "reference"
				}
				switch {
				case r.mutant == "" || contains(sc.same, r.mutant):
					if got != sc.ref {
						t.Errorf("%s: %q, want the reference outcome %q", name, got, sc.ref)
					}
				case got == sc.ref:
					t.Errorf("mutant %s behaves like the reference: %q", name, got)
				default:
					t.Logf("mutant %s caught: %q (reference %q)", name, got, sc.ref)
				}
			}
		})
	}
	t.Run("every mutant is caught by a scenario", func(t *testing.T) {
		for _, m := range refpartner.Mutants() {
			if !covered[m.Name] {
				t.Errorf("no scenario catches %s", m.Name)
			}
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestUnknownMutantIsRefused(t *testing.T) {
	t.Parallel()
	if _, err := refpartner.New(refpartner.Options{Mutant: "no-such-mutant"}); err == nil {
		t.Fatal("an unknown mutant was accepted")
	}
	if len(refpartner.Mutants()) < 24 {
		t.Fatalf("%d mutants registered", len(refpartner.Mutants()))
	}
}
