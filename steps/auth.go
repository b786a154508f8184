package steps

import (
	"context"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"

	"github.com/cucumber/godog"
)

// Steps of the auth area: partner identity, authentication, status, grants and the
// security monitoring around them (JR/T 0185-2020 7.2.1, 7.3.1, 9.2.1, 9.4, 10.1.2/1b, 1d).

func init() { registrars = append(registrars, registerAuth) }

// previousRole holds a copy of the app with the credentials it had before a rotation.
const previousRole = "the app's previous credentials"

func registerAuth(sc *godog.ScenarioContext) {
	sc.Step(`^the app (?:calls|sends) "([A-Z]+) ([^"]+)" with its previous (?:signing key|App_Secret)$`, func(ctx context.Context, method, uri string) error {
		return call(ctx, previousRole, method, uri, nil, FaultNone, "")
	})
	sc.Step(`^the app (?:calls|sends) "([A-Z]+) ([^"]+)" with its previous (?:signing key|App_Secret) with body:$`, func(ctx context.Context, method, uri string, body *godog.DocString) error {
		return call(ctx, previousRole, method, uri, []byte(body.Content), FaultNone, "")
	})
	sc.Step(`^the app sends (\d+) calls "([A-Z]+) ([^"]+)" `+faultPattern()+` with body:$`, func(ctx context.Context, n int, method, uri, fault string, body *godog.DocString) error {
		w := W(ctx)
		for i := 0; i < n; i++ {
			if err := call(ctx, "the app", method, uri, []byte(body.Content), Fault(fault), ""); err != nil {
				return err
			}
			if w.Last.Status < 400 {
				return fmt.Errorf("call %d %s was admitted: %s", i+1, fault, w.Last.Evidence())
			}
		}
		return nil
	})
	sc.Step(`^the app calls "([A-Z]+) ([^"]+)" signed with ECDSA P-256 and SHA-256 instead of SM2 with body:$`, func(ctx context.Context, method, uri string, body *godog.DocString) error {
		return callSignedWith(ctx, method, uri, []byte(body.Content), func(a *App, sts string) (string, string, string, error) {
			key, ok := a.TLSCert.PrivateKey.(*ecdsa.PrivateKey)
			if !ok {
				return "", "", "", fmt.Errorf("the app's TLS key is a %T", a.TLSCert.PrivateKey)
			}
			d := sha256.Sum256([]byte(sts))
			sig, err := ecdsa.SignASN1(rand.Reader, key, d[:])
			return "JR0185-SM2-SM3", a.SignSerial, base64.StdEncoding.EncodeToString(sig), err
		})
	})
	sc.Step(`^the app calls "([A-Z]+) ([^"]+)" with an HMAC-SHA256 MAC instead of HMAC-SM3$`, func(ctx context.Context, method, uri string) error {
		return callSignedWith(ctx, method, uri, nil, func(a *App, sts string) (string, string, string, error) {
			m := hmac.New(sha256.New, a.MACKey)
			m.Write([]byte(sts))
			return "JR0185-HMAC-SM3", a.SecretSerial, base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
		})
	})
	sc.Step(`^the app calls "([A-Z]+) ([^"]+)" under an RSA-SHA256 authorization scheme$`, func(ctx context.Context, method, uri string) error {
		return callSignedWith(ctx, method, uri, nil, func(a *App, sts string) (string, string, string, error) {
			return "JR0185-RSA-SHA256", a.SecretSerial, mac(a.MACKey, sts), nil
		})
	})

	// The operator (admin API) acting on the app's status and credentials.
	sc.Step(`^the operator makes the app exit$`, func(ctx context.Context) error {
		w := W(ctx)
		a, err := w.App("the app")
		if err != nil {
			return err
		}
		_, err = w.Env.adminOK(ctx, "POST", "/admin/v1/apps/"+a.ID+"/exit", map[string]any{"reason": "conformance suite: partner exit"}, 200)
		return err
	})
	sc.Step(`^the operator revokes the app's (signing key|App_Secret|previous signing key)$`, func(ctx context.Context, which string) error {
		w := W(ctx)
		a, err := w.App("the app")
		if err != nil {
			return err
		}
		serial := map[string]string{"signing key": a.SignSerial, "App_Secret": a.SecretSerial}[which]
		if which == "previous signing key" {
			p, err := w.App(previousRole)
			if err != nil {
				return err
			}
			serial = p.SignSerial
		}
		if serial == "" {
			return fmt.Errorf("the app has no %s", which)
		}
		_, err = w.Env.adminOK(ctx, "DELETE", "/admin/v1/apps/"+a.ID+"/credentials/"+serial, nil, 200)
		return err
	})
	sc.Step(`^the operator rotates the app's App_Secret without overlap$`, func(ctx context.Context) error {
		w := W(ctx)
		a, err := w.App("the app")
		if err != nil {
			return err
		}
		prev, err := rotateSecret(ctx, w.Env, a, 0)
		if err != nil {
			return err
		}
		w.Apps[previousRole] = prev
		return nil
	})

	// What the bank recorded.
	sc.Step(`^the bank's record of the app shows (?:it as "(\w+)" with )?its credentials as "(active|archived)"$`, func(ctx context.Context, status, credStatus string) error {
		return checkAppRecord(ctx, status, credStatus)
	})
	sc.Step(`^the audit log still holds the app's earlier calls$`, checkAuditHoldsCalls)
	sc.Step(`^"(\w+)" sees the app's consent as "(\w+)" in the bank's portal$`, portalShowsConsent)
	sc.Step(`^the bank has raised an? "([a-z-]+)" alarm for the app$`, func(ctx context.Context, kind string) error {
		w := W(ctx)
		a, err := w.App("the app")
		if err != nil {
			return err
		}
		return authExpectAlarm(ctx, kind, a.ID)
	})
	sc.Step(`^the bank has raised an? "([a-z-]+)" alarm for the App_ID the app claimed$`, func(ctx context.Context, kind string) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		m := regexp.MustCompile(`app_id="([^"]+)"`).FindStringSubmatch(x.ReqHeader.Get("Authorization"))
		if m == nil {
			return fmt.Errorf("the last request named no App_ID")
		}
		return authExpectAlarm(ctx, kind, m[1])
	})
	sc.Step(`^the bank's metrics count "([a-z-]+)" alarms$`, func(ctx context.Context, kind string) error {
		return eventually(ctx, asyncWithin, func() error {
			text, err := metrics(ctx)
			if err != nil {
				return err
			}
			n := sum(text, "jr0185_alarms_total", map[string]string{"kind": kind})
			if n < 1 {
				return fmt.Errorf("jr0185_alarms_total{kind=%q} is %g on /metrics (no sample counts as 0)", kind, n)
			}
			W(ctx).Note("metric jr0185_alarms_total{kind=%q} = %g", kind, n)
			return nil
		})
	})
}

// callSignedWith sends the app's call with an Authorization header made by sign (a
// non-conforming algorithm), over the app's mutual-TLS client.
func callSignedWith(ctx context.Context, method, uri string, body []byte, sign func(a *App, sts string) (scheme, serial, sig string, err error)) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	c := Call{App: a, Method: method, URI: uri, Body: body, Sign: sign}
	if strings.HasPrefix(uri, "/a2/v1/oauth/") {
		c.ContentType = "application/x-www-form-urlencoded"
	}
	x, err := w.Env.Do(ctx, c, nil)
	if err != nil {
		return err
	}
	w.record(x)
	return nil
}

// checkAppRecord reads the operator's view of the app: its status and, for every
// credential the harness registered or was issued, that the bank holds it (by serial
// and kind) in the wanted state — and no credential in another state.
func checkAppRecord(ctx context.Context, status, credStatus string) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	out, err := w.Env.adminOK(ctx, "GET", "/admin/v1/apps/"+a.ID, nil, 200)
	if err != nil {
		return err
	}
	if got, _ := dig(out, "app", "app_id").(string); got != a.ID {
		return fmt.Errorf("the bank's record names App_ID %q, want %s", got, a.ID)
	}
	if got, _ := dig(out, "app", "status").(string); status != "" && got != status {
		return fmt.Errorf("the bank's record shows the app as %q, want %q", got, status)
	}
	list, _ := out["credentials"].([]any)
	held := map[string]string{} // serial → kind
	for _, it := range list {
		c, _ := it.(map[string]any)
		serial, _ := c["serial"].(string)
		kind, _ := c["kind"].(string)
		st, _ := c["status"].(string)
		if st != credStatus {
			return fmt.Errorf("credential %s (%s) is %q, want %q", serial, kind, st, credStatus)
		}
		held[serial] = kind
	}
	want := map[string]string{a.SecretSerial: "secret"}
	if a.Level == "A2" {
		want[a.CertSerial], want[a.SignSerial], want[a.EncSerial] = "client_cert", "sm2_sign", "sm2_enc"
	}
	for serial, kind := range want {
		if serial == "" {
			return fmt.Errorf("the harness holds no %s serial for the app", kind)
		}
		if held[serial] != kind {
			return fmt.Errorf("the bank's record has no %s credential with serial %s (it lists %v)", kind, serial, held)
		}
	}
	w.Note("admin record of %s: %d credentials, all %s", a.ID, len(list), credStatus)
	return nil
}

// portalShowsConsent logs the user in at the bank's portal (if the browser's session
// has ended) and reads the status the portal shows for the app's consents.
func portalShowsConsent(ctx context.Context, user, want string) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	b, err := browserOf(ctx, user)
	if err != nil {
		return err
	}
	x, err := b.Do(ctx, "GET", "/portal", nil)
	if err != nil {
		return err
	}
	if x.Status != 200 {
		if err := b.Login(ctx, "/portal"); err != nil {
			return err
		}
		if x, err = b.Do(ctx, "GET", "/portal", nil); err != nil {
			return err
		}
	}
	if x.Status != 200 {
		return fmt.Errorf("GET /portal: HTTP %d", x.Status)
	}
	re := regexp.MustCompile(`(?s)<span class="en mono">` + regexp.QuoteMeta(a.ID) + `</span>.*?data-status="([a-z_]+)"`)
	m := re.FindAllSubmatch(x.Body, -1)
	if m == nil {
		return fmt.Errorf("%s's portal lists no consent for %s", user, a.ID)
	}
	for _, s := range m {
		if string(s[1]) != want {
			return fmt.Errorf("%s's portal shows a consent for %s as %q, want %q", user, a.ID, s[1], want)
		}
	}
	w.Note("%s's portal shows %d consent(s) for %s as %s", user, len(m), a.ID, want)
	return nil
}

// checkAuditHoldsCalls insists that every answered call of the scenario made by the app
// is in the bank's audit log under its request id. Audit logs are written behind the
// answer, so the log gets a few seconds to catch up (eventually).
func checkAuditHoldsCalls(ctx context.Context) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	return eventually(ctx, asyncWithin, func() error {
		missing, n, err := auditMissing(ctx, w, a)
		if err != nil {
			return err
		}
		if missing != nil {
			return fmt.Errorf("the audit log for %s has no record of %s", a.ID, missing.Evidence())
		}
		w.Note("audit log holds all %d calls of %s", n, a.ID)
		return nil
	})
}

// auditMissing returns the first of the scenario's answered calls that the audit log
// does not hold, and how many calls there are.
func auditMissing(ctx context.Context, w *World, a *App) (*Exchange, int, error) {
	out, err := w.Env.adminOK(ctx, "GET", "/admin/v1/audit?app_id="+a.ID+"&limit=1000", nil, 200)
	if err != nil {
		return nil, 0, err
	}
	recs, _ := out["records"].([]any)
	have := map[string]bool{}
	for _, r := range recs {
		m, _ := r.(map[string]any)
		if id, _ := m["request_id"].(string); id != "" {
			have[id] = true
		}
	}
	n := 0
	for _, x := range w.History {
		if x.Err != nil || x.RequestID() == "" {
			continue
		}
		n++
		if !have[x.RequestID()] {
			return x, n, nil
		}
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("the scenario made no call to look for")
	}
	return nil, n, nil
}

// authExpectAlarm looks for an alarm of kind for appID in the bank's alarm feed.
func authExpectAlarm(ctx context.Context, kind, appID string) error {
	w := W(ctx)
	return eventually(ctx, asyncWithin, func() error {
		list, err := appAlarms(ctx, appID)
		if err != nil {
			return err
		}
		var kinds []string
		for _, m := range list {
			k, _ := m["kind"].(string)
			if k == kind {
				w.Note("alarm %s for %s: %v", kind, appID, m["detail"])
				return nil
			}
			kinds = append(kinds, k)
		}
		return fmt.Errorf("no %q alarm for App_ID %s (alarms for it: %v)", kind, appID, kinds)
	})
}
