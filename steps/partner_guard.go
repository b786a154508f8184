package steps

// What guards every partner scenario, whatever it is about:
//
//   - Isolation: each scenario starts from a known state of the partner under test at
//     the bank — no injected fault, the bank's clock on real time, no live token or
//     consent of the partner's App_ID, the app's status, scopes, rate limits and payment
//     limits as at onboarding, the partner configured on the bank's current signing
//     certificates — so no verdict depends on the scenarios that ran before it (the
//     mutant proof runs every partner in three random orders and demands the same
//     verdicts). Scenarios run one at a time against one partner.
//   - Secrets and data minimisation (JR/T 0185-2020 9.3.4/2, 7.3.3/2b, 9.3.3/2a,
//     7.2.2/3c): after each scenario, everything the partner exposes — its log, history,
//     alarms, accepted notifications and the messages of its answers — is scanned for
//     every credential the bank issued to it or saw it present (App_Secret, access and
//     refresh tokens, authorization codes, PKCE verifiers: the bank gives their SM3
//     fingerprints, and the harness fingerprints every substring of the same length),
//     for full account, card, ID and phone numbers, and for decrypted holdings. A
//     failure names the obligation and where the leak is, never the leaked value.

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"

	"github.com/cucumber/godog"
	"github.com/tjfoc/gmsm/sm3"

	"github.com/jr0185/harness/steps/driver"
)

// appBaseline is the partner's App_ID at the bank as onboarding left it.
type appBaseline struct {
	status        string
	scopes        any
	limits        any
	paymentLimits map[string]any
}

// snapshotApp reads what a scenario could change of the partner's App_ID.
func (e *Env) snapshotApp(ctx context.Context, appID string) (appBaseline, error) {
	out, err := e.adminOK(ctx, "GET", "/admin/v1/apps/"+url.PathEscape(appID), nil, 200)
	if err != nil {
		return appBaseline{}, err
	}
	app, _ := out["app"].(map[string]any)
	b := appBaseline{scopes: app["scopes"], limits: app["limits"]}
	b.status, _ = app["status"].(string)
	pl, err := e.adminOK(ctx, "GET", "/admin/v1/apps/"+url.PathEscape(appID)+"/payment-limits", nil, 200)
	if err != nil {
		return appBaseline{}, err
	}
	b.paymentLimits, _ = pl["payment_limits"].(map[string]any)
	return b, nil
}

// statusBack is the app action that brings an app from a status back to active.
var statusBack = map[string]string{"suspended": "resume", "blacklisted": "unblacklist"}

// isolate puts the bank's side of the partner back where every scenario starts (see the
// file comment); reconfigure and the partner's reset do the rest.
func (e *Env) isolate(ctx context.Context) error {
	p := &e.partner
	id := url.PathEscape(p.appID)
	for _, c := range []struct{ method, path string }{
		{"DELETE", "/admin/v1/faults?app_id=" + url.QueryEscape(p.appID)},
		{"POST", "/admin/v1/clock/reset"},
		{"POST", "/admin/v1/apps/" + id + "/consents/revoke"},
		{"POST", "/admin/v1/apps/" + id + "/tokens/revoke"},
	} {
		if _, err := e.adminOK(ctx, c.method, c.path, nil, 200); err != nil {
			return err
		}
	}
	now, err := e.snapshotApp(ctx, p.appID)
	if err != nil {
		return err
	}
	base := p.baseline
	if now.status != base.status {
		action, ok := statusBack[now.status]
		if !ok || base.status != "active" {
			return fmt.Errorf("the partner's App_ID is %s at the bank (it was %s at onboarding) and cannot be put back", now.status, base.status)
		}
		if _, err := e.adminOK(ctx, "POST", "/admin/v1/apps/"+id+"/actions/"+action, map[string]any{"reason": "conformance: isolate the next scenario"}, 200); err != nil {
			return err
		}
	}
	if !reflect.DeepEqual(now.scopes, base.scopes) {
		if _, err := e.adminOK(ctx, "PUT", "/admin/v1/apps/"+id+"/scopes", map[string]any{"scopes": base.scopes}, 200); err != nil {
			return err
		}
	}
	if !reflect.DeepEqual(now.limits, base.limits) {
		if _, err := e.adminOK(ctx, "PUT", "/admin/v1/apps/"+id+"/limits", base.limits, 200); err != nil {
			return err
		}
	}
	if !reflect.DeepEqual(now.paymentLimits, base.paymentLimits) {
		if _, err := e.adminOK(ctx, "PUT", "/admin/v1/apps/"+id+"/payment-limits", base.paymentLimits, 200); err != nil {
			return err
		}
	}
	return e.reconfigure(ctx)
}

func registerPartnerGuard(sc *godog.ScenarioContext) {
	sc.After(func(ctx context.Context, _ *godog.Scenario, _ error) (context.Context, error) {
		w, _ := ctx.Value(worldKey{}).(*World)
		if w == nil || !pst(w).ready {
			return ctx, nil
		}
		return ctx, partnerKeepsSecrets(ctx)
	})
}

// exposure is one thing the partner exposes, and where.
type exposure struct{ where, text string }

// partnerExposes collects what the partner shows: its log, history, alarms, accepted
// notifications and the messages of the scenario's refusals. A surface the driver does
// not implement (unsupported) exposes nothing.
func partnerExposes(ctx context.Context) ([]exposure, error) {
	w := W(ctx)
	d := w.Env.Partner
	var out []exposure
	lines, err := d.Log(ctx)
	if err != nil {
		return nil, fmt.Errorf("the partner's log: %w", err)
	}
	for i, l := range lines {
		out = append(out, exposure{fmt.Sprintf("log line %d", i+1), l})
	}
	var h driver.HistoryResult
	var st driver.StatusResult
	var n driver.NotificationsResult
	for _, q := range []struct {
		action string
		into   any
	}{{driver.History, &h}, {driver.Status, &st}, {driver.Notifications, &n}} {
		if err := d.Do(ctx, q.action, struct{}{}, q.into); err != nil && driver.Code(err) != driver.CodeUnsupported {
			return nil, fmt.Errorf("the partner's %s: %w", q.action, err)
		}
	}
	for i, e := range h.Events {
		out = append(out, exposure{fmt.Sprintf("history event %d", i+1), e.Kind + " " + e.Detail})
	}
	for i, a := range st.Alarms {
		out = append(out, exposure{fmt.Sprintf("status alarm %d", i+1), a.Message})
	}
	for i, x := range n.Notifications {
		out = append(out, exposure{fmt.Sprintf("accepted notification %d", i+1), x.PaymentID + " " + x.Status})
	}
	for i, a := range pst(w).answers {
		var de *driver.Error
		if errors.As(a.Err, &de) {
			out = append(out, exposure{fmt.Sprintf("the message of its answer %d (%s)", i+1, a.Action), de.Message})
		}
	}
	return out, nil
}

// secretPrint is a credential fingerprint the bank gives (GET
// /admin/v1/apps/{id}/secret-fingerprints).
type secretPrint struct {
	Kind   string `json:"kind"`
	SM3    string `json:"sm3"`
	Length int    `json:"length"`
}

func (e *Env) secretPrints(ctx context.Context, appID string) ([]secretPrint, error) {
	raw, err := e.adminRaw(ctx, "GET", "/admin/v1/apps/"+url.PathEscape(appID)+"/secret-fingerprints")
	if err != nil {
		return nil, err
	}
	var page struct {
		Algorithm    string        `json:"algorithm"`
		Fingerprints []secretPrint `json:"fingerprints"`
	}
	if err := json.Unmarshal(raw, &page); err != nil || page.Algorithm != "SM3" {
		return nil, fmt.Errorf("secret fingerprints: want SM3 fingerprints, got %s", clip(string(raw), 200))
	}
	return page.Fingerprints, nil
}

// credentialChar: the characters a credential is made of (base64, base64url, hex, and
// the prefixes the bank puts in front).
func credentialChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("-_.~+/=", b) >= 0
}

// findPrint looks for a credential in text: every substring of each fingerprinted
// length, inside a run of credential characters, is fingerprinted with SM3.
func findPrint(text string, byLen map[int]map[string]string) (kind string, found bool) {
	for i := 0; i < len(text); {
		if !credentialChar(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && credentialChar(text[j]) {
			j++
		}
		for l, prints := range byLen {
			for k := i; k+l <= j; k++ {
				if kind, ok := prints[hex.EncodeToString(sm3.Sm3Sum([]byte(text[k:k+l])))]; ok {
					return kind, true
				}
			}
		}
		i = j
	}
	return "", false
}

var secretNames = map[string]string{"access_token": "an access token", "refresh_token": "a refresh token",
	"authorization_code": "an authorization code", "pkce_verifier": "a PKCE code verifier"}

// partnerKeepsSecrets is the After hook's scan (see the file comment).
func partnerKeepsSecrets(ctx context.Context) error {
	w := W(ctx)
	s := pst(w)
	p := &w.Env.partner
	surfaces, err := partnerExposes(ctx)
	if err != nil {
		return err
	}
	prints, err := w.Env.secretPrints(ctx, p.appID)
	if err != nil {
		return err
	}
	byLen := map[int]map[string]string{}
	for _, pr := range prints {
		if byLen[pr.Length] == nil {
			byLen[pr.Length] = map[string]string{}
		}
		byLen[pr.Length][pr.SM3] = pr.Kind
	}
	var holdings []string
	for _, a := range s.answers {
		if a.Action == driver.Holdings && a.Err == nil {
			if holdings, err = holdingValues(ctx); err != nil {
				return err
			}
			break
		}
	}
	for _, e := range surfaces {
		if sec := p.conf.AppSecret; len(sec) >= 8 && strings.Contains(e.text, sec) {
			return fmt.Errorf("[P-SECRET-EXPOSE] the partner exposes its App_Secret in its %s (JR/T 0185-2020 9.3.4/2; DRIVER.md: no secret, token, code or verifier is ever logged or shown)", e.where)
		}
		for _, c := range s.codes {
			if strings.Contains(e.text, c) {
				return fmt.Errorf("[P-SECRET-EXPOSE] the partner exposes an authorization code the bank redirected with in its %s (JR/T 0185-2020 9.3.4/2)", e.where)
			}
		}
		if kind, ok := findPrint(e.text, byLen); ok {
			return fmt.Errorf("[P-SECRET-EXPOSE] the partner exposes %s the bank issued to it or saw it present in its %s (JR/T 0185-2020 9.3.4/2; found by SM3 fingerprint)", secretNames[kind], e.where)
		}
		if what := fullNumber(e.text, s.handed); what != "" {
			return fmt.Errorf("[P-PII-EXPOSE] the partner exposes %s in its %s (JR/T 0185-2020 7.3.3/2b, 9.3.3/2a: only the last four digits)", what, e.where)
		}
		for _, v := range holdings {
			if strings.Contains(e.text, v) {
				return fmt.Errorf("[P-HOLDINGS-KEEP] the partner exposes a value of the user's decrypted holdings in its %s (JR/T 0185-2020 7.2.2/3c: query results are not kept at the partner)", e.where)
			}
		}
	}
	w.Note("secrets scan: %d places the partner exposes, %d credential fingerprints, %d codes: nothing leaked", len(surfaces), len(prints), len(s.codes))
	return nil
}

// holdingValues are the amounts of the user's holdings (as the bank tells the harness)
// that are long enough not to appear by chance.
func holdingValues(ctx context.Context) ([]string, error) {
	truth, err := truthHoldings(ctx, pst(W(ctx)).user)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, h := range truth {
		for _, f := range []string{"market_value", "principal"} {
			if v, ok := h[f].(string); ok && len(v) >= 4 {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

// fullNumber names the full account, card, ID or phone number in s (separators
// removed), or a full number the harness handed the partner; "" when there is none.
func fullNumber(s string, handed []string) string {
	joined := separators.ReplaceAllString(separators.ReplaceAllString(s, "$1$2"), "$1$2")
	for _, c := range []struct {
		re   interface{ FindStringSubmatch(string) []string }
		what string
	}{{idNumber, "a full ID number"}, {longDigits, "a full card or account number"}, {phone, "a full mobile number"}} {
		if m := c.re.FindStringSubmatch(joined); m != nil {
			return fmt.Sprintf("%s (%d digits)", c.what, len(m[1]))
		}
	}
	for _, h := range handed {
		if strings.Contains(joined, h) {
			return "the full account number it was given"
		}
	}
	return ""
}
