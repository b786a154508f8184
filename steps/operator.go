package steps

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cucumber/godog"
	"github.com/tjfoc/gmsm/sm2"
	tjx509 "github.com/tjfoc/gmsm/x509"
)

// The operator's interfaces (the bank's management of App_IDs: JR/T 0185-2020 9.2.1 a)
// 2) 集中管理, 7.3.1/1 授权管理, 7.3.4 密钥管理) judged as the partner interfaces are: an
// App_ID that does not exist is a catalogued 404 that changes nothing, a credential
// registered twice is a conflict rather than a silent success, and every change to an
// App_ID's access is in its history with the values of the change (issue 13 item 4:
// mutation survivors of apps.Service and its store).

func init() { registrars = append(registrars, registerOperator) }

func registerOperator(sc *godog.ScenarioContext) {
	sc.Step(`^the operator's interfaces answer an App_ID that does not exist with 404 "NOT_FOUND" and change nothing$`, operatorUnknownApp)
	sc.Step(`^a public key registered twice for the app is refused the second time with 409 "STATE_CONFLICT" and kept once$`, operatorCredentialTwice)
	sc.Step(`^the app's history records its limits change and its credential's revocation with their values$`, operatorHistory)
}

type operatorState struct {
	serial string // the public key registered by the scenario
}

func opState(w *World) *operatorState {
	return areaState(w, func() *operatorState { return &operatorState{} })
}

// unknownAppID is an App_ID of the valid form that no bank issued.
func unknownAppID() string { return "NOSUCHAPP" + strings.ToUpper(randomNonce()[:12]) }

func operatorUnknownApp(ctx context.Context) error {
	w := W(ctx)
	id := unknownAppID()
	p := "/admin/v1/apps/" + url.PathEscape(id)
	calls := []struct {
		method, path string
		body         any
	}{
		{"GET", p, nil},
		{"PUT", p + "/limits", map[string]any{"rate_rps": 5, "rate_burst": 5, "max_concurrent": 5}},
		{"PUT", p + "/scopes", map[string]any{"scopes": A1Scopes}},
		{"POST", p + "/actions/suspend", nil},
		{"GET", p + "/payment-limits", nil},
		{"PUT", p + "/payment-limits", map[string]any{"per_transaction": "10.00", "daily": "100.00"}},
	}
	for _, c := range calls {
		x, err := w.Env.Admin(ctx, c.method, c.path, c.body)
		if err != nil {
			return err
		}
		w.record(x)
		if err := refusedWith(x, 404, "NOT_FOUND"); err != nil {
			return fmt.Errorf("%s %s (an App_ID no bank issued): %w", c.method, c.path, err)
		}
	}
	// Nothing was created on the way: the App_ID is still unknown.
	x, err := w.Env.Admin(ctx, "GET", p, nil)
	if err != nil {
		return err
	}
	if err := refusedWith(x, 404, "NOT_FOUND"); err != nil {
		return fmt.Errorf("after the refused changes, GET %s: %w", p, err)
	}
	return nil
}

func operatorCredentialTwice(ctx context.Context) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	pubPEM, err := tjx509.WritePublicKeyToPem(&priv.PublicKey)
	if err != nil {
		return err
	}
	body := map[string]any{"kind": "sm2_sign", "pem": string(pubPEM), "valid_days": 30}
	path := "/admin/v1/apps/" + url.PathEscape(a.ID) + "/credentials"
	first, err := w.Env.adminOK(ctx, "POST", path, body, 201)
	if err != nil {
		return err
	}
	serial, _ := dig(first, "credential", "serial").(string)
	if serial == "" {
		return fmt.Errorf("the registered key has no credential.serial: %v", first)
	}
	opState(w).serial = serial
	x, err := w.Env.Admin(ctx, "POST", path, body)
	if err != nil {
		return err
	}
	w.record(x)
	if err := refusedWith(x, 409, "STATE_CONFLICT"); err != nil {
		return fmt.Errorf("the same public key registered again: %w", err)
	}
	creds, err := appCredentials(ctx, a.ID)
	if err != nil {
		return err
	}
	n := 0
	for _, c := range creds {
		if c["serial"] == serial {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("the app holds %d credentials of serial %s, want 1", n, serial)
	}
	return nil
}

// appCredentials reads the App_ID's credentials from the operator's view of it.
func appCredentials(ctx context.Context, id string) ([]map[string]any, error) {
	out, err := W(ctx).Env.adminOK(ctx, "GET", "/admin/v1/apps/"+url.PathEscape(id), nil, 200)
	if err != nil {
		return nil, err
	}
	return asList(out["credentials"]), nil
}

// operatorHistory changes the app's limits and revokes the scenario's key, and insists
// the app's history holds each change once, with its values and a time within the call.
func operatorHistory(ctx context.Context) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	serial := opState(w).serial
	if serial == "" {
		return fmt.Errorf("the scenario registered no key")
	}
	id := url.PathEscape(a.ID)
	rps := 7 + int(time.Now().UnixNano()%50)
	changes := []struct {
		method, path string
		body         any
		action, has  string
	}{
		{"PUT", "/admin/v1/apps/" + id + "/limits", map[string]any{"rate_rps": rps, "rate_burst": 9, "max_concurrent": 4}, "limits", fmt.Sprintf("%d rps", rps)},
		{"DELETE", "/admin/v1/apps/" + id + "/credentials/" + url.PathEscape(serial), nil, "credential-revoked", serial},
	}
	for _, c := range changes {
		before := time.Now().Add(-time.Minute) // the bank's clock, within ANSWER-SIGNED's 60 s
		if _, err := w.Env.adminOK(ctx, c.method, c.path, c.body, 200); err != nil {
			return err
		}
		after := time.Now().Add(time.Minute)
		out, err := w.Env.adminOK(ctx, "GET", "/admin/v1/apps/"+id, nil, 200)
		if err != nil {
			return err
		}
		found := 0
		for _, e := range asList(out["history"]) {
			at, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(e["at"]))
			if e["action"] == c.action && strings.Contains(fmt.Sprint(e["detail"]), c.has) && !at.Before(before) && !at.After(after) {
				found++
			}
		}
		if found != 1 {
			return fmt.Errorf("after %s %s the app's history holds %d %q entries naming %q at the time of the call, want 1: %s",
				c.method, c.path, found, c.action, c.has, clip(fmt.Sprint(out["history"]), 400))
		}
	}
	return nil
}
