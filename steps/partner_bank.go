package steps

// The bank's side of the partner suite: what the sandbox observed the partner send
// (GET /admin/v1/apps/{id}/observations), the faults it injects into its answers to the
// partner, the session-state changes it makes (expire or revoke tokens, revoke consents,
// rotate its key), probe notifications, and the harness's own reading of the bank's
// truth (balances, products, holdings) to compare the partner's answers with.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/jr0185/harness/steps/driver"
)

// observation is one thing the bank saw the partner's App_ID do.
type observation struct {
	Seq              int64     `json:"seq"`
	Time             time.Time `json:"time"`
	Kind             string    `json:"kind"`
	Method           string    `json:"method"`
	Path             string    `json:"path"`
	API              string    `json:"api"`
	UAPIID           string    `json:"uapi_id"`
	TLSVersion       string    `json:"tls_version"`
	ClientCertSHA256 string    `json:"client_cert_sha256"`
	ClientCertBound  bool      `json:"client_cert_bound"`
	Scheme           string    `json:"scheme"`
	Serial           string    `json:"serial"`
	Timestamp        string    `json:"timestamp"`
	TimestampSkewMS  int64     `json:"timestamp_skew_ms"`
	Nonce            string    `json:"nonce"`
	SignatureValid   *bool     `json:"signature_valid"`
	NonceReused      bool      `json:"nonce_reused"`
	AccessToken      bool      `json:"access_token"`
	IdempotencyKey   string    `json:"idempotency_key"`
	Status           int       `json:"status"`
	Code             string    `json:"code"`
	RequestID        string    `json:"request_id"`
	Fault            string    `json:"fault"`
	Notification     *struct {
		URL          string `json:"url"`
		Probe        string `json:"probe"`
		PaymentID    string `json:"payment_id"`
		AnswerStatus int    `json:"answer_status"`
		Error        string `json:"error"`
	} `json:"notification"`
}

func (o observation) String() string {
	s := fmt.Sprintf("#%d %s %s %s (%s) → %d %s", o.Seq, o.Time.Format("15:04:05.000"), o.Method, o.Path, o.API, o.Status, o.Code)
	if o.Fault != "" {
		s += " [fault " + o.Fault + "]"
	}
	return s
}

type observed struct {
	list []observation
	last int64
}

// observations reads everything the bank observed of an app after seq (all pages).
func (e *Env) observations(ctx context.Context, appID string, after int64) (observed, error) {
	var all observed
	all.last = after
	for {
		out, err := e.adminRaw(ctx, "GET", "/admin/v1/apps/"+url.PathEscape(appID)+"/observations?limit=5000&after="+strconv.FormatInt(all.last, 10))
		if err != nil {
			return all, err
		}
		var page struct {
			Observations []observation `json:"observations"`
			Last         int64         `json:"last"`
		}
		if err := json.Unmarshal(out, &page); err != nil {
			return all, fmt.Errorf("observations: %w", err)
		}
		if len(page.Observations) == 0 {
			all.last = max(all.last, page.Last)
			return all, nil
		}
		all.list = append(all.list, page.Observations...)
		all.last = page.Observations[len(page.Observations)-1].Seq
	}
}

type handshake struct {
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Remote  string    `json:"remote"`
	Offered string    `json:"offered"`
	Reason  string    `json:"reason"`
}

type handshakeLog struct {
	list []handshake
	last int64
}

// handshakes reads the TLS handshakes the bank refused after seq.
func (e *Env) handshakes(ctx context.Context, after int64) (handshakeLog, error) {
	out, err := e.adminRaw(ctx, "GET", "/admin/v1/observations/handshakes?after="+strconv.FormatInt(after, 10))
	if err != nil {
		return handshakeLog{}, err
	}
	var page struct {
		Handshakes []handshake `json:"handshakes"`
		Last       int64       `json:"last"`
	}
	if err := json.Unmarshal(out, &page); err != nil {
		return handshakeLog{}, fmt.Errorf("handshakes: %w", err)
	}
	return handshakeLog{list: page.Handshakes, last: max(after, page.Last)}, nil
}

// adminRaw calls the test-control API and insists on 200.
func (e *Env) adminRaw(ctx context.Context, method, path string) ([]byte, error) {
	x, err := e.adminWant(ctx, method, path, nil, 200)
	if err != nil {
		return nil, err
	}
	return x.Body, nil
}

// seen returns what the bank observed of the partner in this scenario.
func seen(ctx context.Context) ([]observation, error) {
	w := W(ctx)
	obs, err := w.Env.observations(ctx, w.Env.partner.appID, pst(w).after)
	return obs.list, err
}

func registerPartnerBank(sc *godog.ScenarioContext) {
	sc.Step(`^the bank will "(tamper-body|tamper-signature|strip-signature|lose-response)" its next answer to the partner(?: from "([a-z0-9.]+)")?$`,
		func(ctx context.Context, kind, api string) error { return injectPartnerFault(ctx, kind, api, 1, nil) })
	sc.Step(`^the bank will answer the partner's next (\d+) calls(?: to "([a-z0-9.]+)")? with 503 and Retry-After (\d+)$`, func(ctx context.Context, n int, api string, secs int) error {
		return injectPartnerFault(ctx, "backend-down", api, n, map[string]any{"retry_after_seconds": secs})
	})
	sc.Step(`^the bank will answer the partner's next (\d+) calls with 429 and Retry-After (\d+)$`, func(ctx context.Context, n, secs int) error {
		return injectPartnerFault(ctx, "rate-limit", "", n, map[string]any{"retry_after_seconds": secs})
	})
	sc.Step(`^the bank has expired the partner's access tokens$`, func(ctx context.Context) error {
		return partnerControl(ctx, "tokens/expire", "expired")
	})
	sc.Step(`^the user has revoked the partner's consent at the bank$`, func(ctx context.Context) error {
		return partnerControl(ctx, "consents/revoke", "revoked")
	})
	sc.Step(`^the bank has rotated its response-signing key$`, func(ctx context.Context) error {
		w := W(ctx)
		out, err := w.Env.adminOK(ctx, "POST", "/admin/v1/bank-keys/rotate", nil, 200)
		if err != nil {
			return err
		}
		pst(w).marks["control"] = time.Now()
		w.Note("bank signing key rotated: %v → %v", out["previous_serial"], out["serial"])
		return nil
	})
	sc.Step(`^the bank sends the partner a probe notification with (a bad signature|no signature|a valid signature)$`, sendProbe)
	sc.Step(`^the partner answered the probe notification with a refusal$`, func(ctx context.Context) error { return probeAnswer(ctx, false) })
	sc.Step(`^the partner answered the probe notification with success$`, func(ctx context.Context) error { return probeAnswer(ctx, true) })
	sc.Step(`^the partner (accepted|did not accept) the probe notification$`, probeAccepted)
	sc.Step(`^the partner accepted the bank's signed notification that the payment is "([a-z_]+)"$`, realNotificationAccepted)
}

// injectPartnerFault injects a fault scoped to the partner's App_ID (and an API).
func injectPartnerFault(ctx context.Context, kind, api string, count int, extra map[string]any) error {
	w := W(ctx)
	spec := map[string]any{"kind": kind, "app_id": w.Env.partner.appID, "count": count, "duration_seconds": 120}
	if api != "" {
		spec["api"] = api
	}
	for k, v := range extra {
		spec[k] = v
	}
	out, err := w.Env.adminOK(ctx, "POST", "/admin/v1/faults", spec, 201)
	if err != nil {
		return err
	}
	w.Note("fault injected: %v", out)
	return nil
}

// partnerControl calls a session-state control on the partner's app.
func partnerControl(ctx context.Context, path, field string) error {
	w := W(ctx)
	out, err := w.Env.adminOK(ctx, "POST", "/admin/v1/apps/"+w.Env.partner.appID+"/"+path, nil, 200)
	if err != nil {
		return err
	}
	if n, _ := out[field].(float64); n < 1 {
		return fmt.Errorf("%s changed nothing (%v): the partner held no live token or consent", path, out)
	}
	pst(w).marks["control"] = time.Now()
	w.Note("%s: %v", path, out)
	return nil
}

func sendProbe(ctx context.Context, how string) error {
	w := W(ctx)
	s := pst(w)
	kind := map[string]string{"a bad signature": "bad-signature", "no signature": "unsigned", "a valid signature": "valid"}[how]
	if w.Env.partner.hello.NotifyURL == "" {
		return errors.New("the partner gave no notify_url in hello: it cannot receive payment notifications")
	}
	s.probeID = "pay_probe_" + randomNonce()[:12]
	out, err := w.Env.adminOK(ctx, "POST", "/admin/v1/apps/"+w.Env.partner.appID+"/probe-notification",
		map[string]any{"kind": kind, "payment_id": s.probeID, "status": "succeeded"}, 200)
	if err != nil {
		return err
	}
	s.probe = out
	w.Note("probe notification (%s) for %s: %v", kind, s.probeID, out)
	return nil
}

func probeAnswer(ctx context.Context, success bool) error {
	s := pst(W(ctx))
	if s.probe == nil {
		return errors.New("no probe notification was sent")
	}
	st, _ := s.probe["answer_status"].(float64)
	ok := st >= 200 && st < 300
	switch {
	case success && !ok:
		return fmt.Errorf("the partner answered a correctly signed notification with HTTP %v (%v)", st, s.probe["error"])
	case !success && ok:
		return fmt.Errorf("the partner answered HTTP %v to a notification whose signature does not verify: it must refuse it", st)
	case !success && st == 0:
		return fmt.Errorf("the probe was not delivered: %v", s.probe["error"])
	}
	return nil
}

func probeAccepted(ctx context.Context, which string) error {
	w := W(ctx)
	s := pst(w)
	var r driver.NotificationsResult
	if err := w.Env.Partner.Do(ctx, driver.Notifications, struct{}{}, &r); err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	found := false
	for _, n := range r.Notifications {
		found = found || n.PaymentID == s.probeID
	}
	switch {
	case which == "accepted" && !found:
		return fmt.Errorf("the partner's accepted notifications do not include %s: %v", s.probeID, r.Notifications)
	case which != "accepted" && found:
		return fmt.Errorf("the partner acted on the probe notification for %s although its signature does not verify", s.probeID)
	}
	return nil
}

// realNotificationAccepted waits (up to 15 s) for the partner to have accepted the
// bank's notification of the scenario's payment.
func realNotificationAccepted(ctx context.Context, status string) error {
	w := W(ctx)
	s := pst(w)
	if s.payment.PaymentID == "" {
		return errors.New("the partner reported no payment id")
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var r driver.NotificationsResult
		if err := w.Env.Partner.Do(ctx, driver.Notifications, struct{}{}, &r); err != nil {
			return fmt.Errorf("notifications: %w", err)
		}
		for _, n := range r.Notifications {
			if n.PaymentID == s.payment.PaymentID && n.Status == status {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after 15 s the partner has accepted no %q notification for %s (accepted: %v)", status, s.payment.PaymentID, r.Notifications)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// ---- the bank's truth, read by the harness with its own app

// truthApp makes sure the scenario has the harness's own A2 app with the user's
// account-information consent.
func truthApp(ctx context.Context, user string) (*App, error) {
	w := W(ctx)
	if _, ok := w.Apps["the app"]; !ok {
		if err := registerRole(ctx, "the app", "A2", nil); err != nil {
			return nil, err
		}
	}
	if _, ok := w.Tokens[user]; !ok {
		if err := consentAndToken(ctx, user, ConsentRequest{Scopes: []string{"accounts:read", "balances:read", "transactions:read", "holdings:read"}, ValidDays: 1}); err != nil {
			return nil, err
		}
	}
	return w.App("the app")
}

// truthGet reads an A2 resource for the user with the harness's own app.
func truthGet(ctx context.Context, user, uri string) (map[string]any, *Exchange, error) {
	w := W(ctx)
	a, err := truthApp(ctx, user)
	if err != nil {
		return nil, nil, err
	}
	x, err := w.Env.Do(ctx, Call{App: a, Method: "GET", URI: uri, Header: map[string][]string{"X-Jr-Access-Token": {w.Tokens[user].Access}}}, nil)
	if err != nil {
		return nil, nil, err
	}
	if x.Status != 200 {
		return nil, x, fmt.Errorf("the harness's own GET %s: HTTP %d %s", uri, x.Status, clip(string(x.Body), 300))
	}
	return x.JSON(), x, nil
}

// truthBalance is the account's available balance in fen, as the bank tells the harness.
func truthBalance(ctx context.Context, user, accountID string) (int64, error) {
	m, _, err := truthGet(ctx, user, "/a2/v1/accounts/"+url.PathEscape(accountID)+"/balance")
	if err != nil {
		return 0, err
	}
	s, _ := m["available"].(string)
	return fen(s)
}

// fen parses a yuan amount with at most two decimals.
func fen(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" {
		return 0, fmt.Errorf("amount %q is not yuan with at most two decimals", s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	if neg {
		n = -n
	}
	return n, nil
}
