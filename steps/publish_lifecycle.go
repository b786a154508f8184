package steps

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cucumber/godog"
)

// API lifecycle steps (7.1/6, 10.3/1, 11). Lifecycle states are bank-global and the
// scenarios run concurrently, so the harness serializes them: a scenario that changes
// an interface's state holds the lifecycle exclusively and reinstates the interface
// afterwards (sandbox test control); a scenario that needs every interface in its
// published state holds it shared.

type changelogDoc struct {
	Version string `json:"version"`
	Changes []struct {
		Version   string    `json:"version"`
		Date      time.Time `json:"date"`
		APIID     string    `json:"api_id"`
		UAPIID    string    `json:"u_api_id"`
		Change    string    `json:"change"`
		Effective time.Time `json:"effective_date"`
		Notice    string    `json:"notice"`
	} `json:"changes"`
	Deprecations []struct {
		APIID     string `json:"api_id"`
		UAPIID    string `json:"u_api_id"`
		Lifecycle struct {
			State  string    `json:"state"`
			Sunset time.Time `json:"sunset"`
		} `json:"lifecycle"`
	} `json:"deprecations"`
}

// lifecycleHold is what a scenario holds of the run's lifecycle lock (Env.lifecycle).
type lifecycleHold struct {
	held, exclusive bool
	api             string
}

func holdOf(w *World) *lifecycleHold {
	return areaState(w, func() *lifecycleHold { return &lifecycleHold{} })
}

func releaseLifecycle(ctx context.Context) error {
	w := W(ctx)
	h := holdOf(w)
	if !h.held {
		return nil
	}
	h.held = false
	l := &w.Env.lifecycle
	if !h.exclusive {
		l.RUnlock()
		return nil
	}
	defer l.Unlock()
	// Leave the bank as the scenario found it, whatever happened in between.
	_, err := w.Env.adminOK(context.WithoutCancel(ctx), "POST", "/admin/v1/apis/"+h.api+"/reinstate", nil, 200)
	return err
}

func setState(ctx context.Context, api string, body map[string]any) error {
	_, err := W(ctx).Env.adminOK(ctx, "PUT", "/admin/v1/apis/"+api+"/state", body, 200)
	return err
}

func openAPIOp(ctx context.Context, api string) (map[string]any, error) {
	d, err := fetchOpenAPI(ctx)
	if err != nil {
		return nil, err
	}
	for _, op := range openAPIOps(d) {
		if op["x-api-id"] == api || op["operationId"] == api {
			return op, nil
		}
	}
	return nil, nil
}

func registerPublishLifecycle(sc *godog.ScenarioContext) {
	sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
		return ctx, releaseLifecycle(ctx)
	})
	sc.Step(`^no interface changes state during this scenario$`, func(ctx context.Context) error {
		w := W(ctx)
		w.Env.lifecycle.RLock()
		*holdOf(w) = lifecycleHold{held: true}
		return nil
	})
	sc.Step(`^this scenario alone may retire "([^"]+)", which the bank reinstates afterwards$`, func(ctx context.Context, api string) error {
		w := W(ctx)
		if !w.Env.T.Sandbox {
			return fmt.Errorf("retiring %s needs the sandbox test control that reinstates it (target is not a sandbox)", api)
		}
		w.Env.lifecycle.Lock()
		*holdOf(w) = lifecycleHold{held: true, exclusive: true, api: api}
		// Start from the published, active state.
		_, err := w.Env.adminOK(ctx, "POST", "/admin/v1/apis/"+api+"/reinstate", nil, 200)
		return err
	})

	sc.Step(`^the OpenAPI document's version is noted$`, func(ctx context.Context) error {
		d, err := fetchOpenAPI(ctx)
		if err != nil {
			return err
		}
		v, _ := dig(d, "info", "version").(string)
		if v == "" {
			return fmt.Errorf("the OpenAPI document has no info.version")
		}
		pub(ctx).noted["openapi.version"] = v
		return nil
	})
	sc.Step(`^the operator deprecates "([^"]+)" with a sunset in (\d+) days and the notice "([^"]*)"$`, func(ctx context.Context, api string, days int, notice string) error {
		sunset := time.Now().Add(time.Duration(days) * 24 * time.Hour).UTC().Truncate(time.Second)
		pub(ctx).sunset = sunset
		return setState(ctx, api, map[string]any{"state": "deprecated", "sunset": sunset, "notice": notice})
	})
	sc.Step(`^the operator (terminates|takes offline) "([^"]+)"$`, func(ctx context.Context, verb, api string) error {
		return setState(ctx, api, map[string]any{"state": map[string]string{"terminates": "terminated", "takes offline": "offline"}[verb]})
	})
	sc.Step(`^the published catalogue shows "([^"]+)" as "([^"]+)" with its sunset date$`, func(ctx context.Context, api, state string) error {
		c, err := fetchCatalogue(ctx)
		if err != nil {
			return err
		}
		a, err := c.byID(api)
		if err != nil {
			return err
		}
		if a.Lifecycle.State != state || !a.Lifecycle.Sunset.Equal(pub(ctx).sunset) {
			return fmt.Errorf("catalogue shows %s %s with sunset %s, want %s with sunset %s", api, a.Lifecycle.State,
				a.Lifecycle.Sunset, state, pub(ctx).sunset)
		}
		return nil
	})
	sc.Step(`^the OpenAPI document marks "([^"]+)" deprecated with its sunset date$`, func(ctx context.Context, api string) error {
		op, err := openAPIOp(ctx, api)
		if err != nil {
			return err
		}
		if op == nil {
			return fmt.Errorf("the OpenAPI document does not list %s", api)
		}
		sun, _ := dig(op, "x-lifecycle", "sunset").(string)
		t, _ := time.Parse(time.RFC3339, sun)
		if op["deprecated"] != true || !t.Equal(pub(ctx).sunset) {
			return fmt.Errorf("OpenAPI operation %s: deprecated %v, x-lifecycle.sunset %q, want true and %s", api, op["deprecated"], sun, pub(ctx).sunset.Format(time.RFC3339))
		}
		return nil
	})
	sc.Step(`^the OpenAPI document no longer lists "([^"]+)"$`, func(ctx context.Context, api string) error {
		op, err := openAPIOp(ctx, api)
		if err != nil {
			return err
		}
		if op != nil {
			return fmt.Errorf("the OpenAPI document still lists %s, which is offline", api)
		}
		return nil
	})
	sc.Step(`^the OpenAPI document's version has changed$`, func(ctx context.Context) error {
		d, err := fetchOpenAPI(ctx)
		if err != nil {
			return err
		}
		v, _ := dig(d, "info", "version").(string)
		if old := pub(ctx).noted["openapi.version"]; v == "" || v == old {
			return fmt.Errorf("OpenAPI info.version is %q, as before the change (%q)", v, old)
		}
		return nil
	})
	sc.Step(`^the change log's latest entry for "([^"]+)" is "([^"]+)" with the sunset as effective date and the document's new version$`, func(ctx context.Context, api, change string) error {
		var cl changelogDoc
		if err := fetchJSON(ctx, "/docs/changelog.json", &cl); err != nil {
			return err
		}
		c, err := catalogue(ctx)
		if err != nil {
			return err
		}
		a, err := c.byID(api)
		if err != nil {
			return err
		}
		ov, _ := dig(pub(ctx).openapi, "info", "version").(string)
		for _, e := range cl.Changes { // newest first
			if e.APIID != api {
				continue
			}
			if e.Change != change || e.UAPIID != a.UAPIID || !e.Effective.Equal(pub(ctx).sunset) || e.Version != ov {
				return fmt.Errorf("latest change-log entry for %s: %+v; want %q of %s effective %s in version %s", api, e, change, a.UAPIID, pub(ctx).sunset, ov)
			}
			for _, d := range cl.Deprecations {
				if d.APIID == api && d.Lifecycle.Sunset.Equal(pub(ctx).sunset) {
					return nil
				}
			}
			return fmt.Errorf("the change log's deprecations do not list %s with its sunset", api)
		}
		return fmt.Errorf("the change log has no entry for %s (%d entries)", api, len(cl.Changes))
	})
	sc.Step(`^the app was notified of the "([^"]+)" change of "([^"]+)"$`, func(ctx context.Context, change, api string) error {
		w := W(ctx)
		a, err := w.App("the app")
		if err != nil {
			return err
		}
		return eventually(ctx, asyncWithin, func() error {
			out, err := w.Env.adminOK(ctx, "GET", "/admin/v1/apps/"+a.ID+"/notices", nil, 200)
			if err != nil {
				return err
			}
			list, _ := out["notices"].([]any)
			for _, n := range list {
				m, _ := n.(map[string]any)
				if m["api_id"] == api && m["change"] == change {
					w.Note("notice to %s: %v", a.ID, m)
					return nil
				}
			}
			return fmt.Errorf("App_ID %s (granted %s) has no notice of the %s change of %s: %v", a.ID, api, change, api, list)
		})
	})
	sc.Step(`^the answer announces the deprecation with "Deprecation", the "Sunset" date and a notice$`, func(ctx context.Context) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		if x.Header.Get("Deprecation") == "" {
			return fmt.Errorf("the answer of a deprecated interface has no Deprecation header")
		}
		sun, err := http.ParseTime(x.Header.Get("Sunset"))
		if err != nil || !sun.Equal(pub(ctx).sunset) {
			return fmt.Errorf("the Sunset header is %q, want %s", x.Header.Get("Sunset"), pub(ctx).sunset.Format(http.TimeFormat))
		}
		if x.Header.Get("X-JR-API-Notice") == "" {
			return fmt.Errorf("the answer has no X-JR-API-Notice")
		}
		return nil
	})
	sc.Step(`^the answer does not announce a deprecation$`, func(ctx context.Context) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		if d, s := x.Header.Get("Deprecation"), x.Header.Get("Sunset"); d != "" || s != "" {
			return fmt.Errorf("an active interface answers with Deprecation %q, Sunset %q", d, s)
		}
		return nil
	})
	// 7.3.2 接口变更通知: a partner calling a terminated interface learns why and what next.
	sc.Step(`^the answer's detail carries the operator's notice "([^"]+)"$`, func(ctx context.Context, notice string) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		if d, _ := x.JSON()["detail"].(string); !strings.Contains(d, notice) {
			return fmt.Errorf("detail %q does not carry the operator's notice %q", d, notice)
		}
		return nil
	})
	sc.Step(`^the answer names the U_API_ID of "([^"]+)" in its detail and its "X-JR-U-API-ID" header$`, func(ctx context.Context, api string) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		c, err := catalogue(ctx)
		if err != nil {
			return err
		}
		a, err := c.byID(api)
		if err != nil {
			return err
		}
		if d, _ := x.JSON()["detail"].(string); !strings.Contains(d, a.UAPIID) {
			return fmt.Errorf("detail %q does not name %s", d, a.UAPIID)
		}
		if h := x.Header.Get("X-JR-U-API-ID"); h != a.UAPIID {
			return fmt.Errorf("X-JR-U-API-ID %q, want %s", h, a.UAPIID)
		}
		return nil
	})
	sc.Step(`^the published catalogue shows "([^"]+)" as "([^"]+)"$`, func(ctx context.Context, api, state string) error {
		c, err := fetchCatalogue(ctx)
		if err != nil {
			return err
		}
		a, err := c.byID(api)
		if err != nil {
			return err
		}
		if a.Lifecycle.State != state {
			return fmt.Errorf("catalogue shows %s as %q, want %q", api, a.Lifecycle.State, state)
		}
		return nil
	})

	// Records kept after an interface is taken offline (11/4).
	sc.Step(`^the answer's request id is noted$`, func(ctx context.Context) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		if x.RequestID() == "" {
			return fmt.Errorf("the answer has no X-Request-Id")
		}
		pub(ctx).noted["request_id"] = x.RequestID()
		return nil
	})
	sc.Step(`^the operator retrieves the noted call from the audit log with the U_API_ID of "([^"]+)"$`, func(ctx context.Context, api string) error {
		w := W(ctx)
		rid := pub(ctx).noted["request_id"]
		c, err := catalogue(ctx)
		if err != nil {
			return err
		}
		a, err := c.byID(api)
		if err != nil {
			return err
		}
		return eventually(ctx, asyncWithin, func() error { // the audit log writes in batches
			out, err := w.Env.adminOK(ctx, "GET", "/admin/v1/audit?request_id="+rid, nil, 200)
			if err != nil {
				return err
			}
			recs, _ := out["records"].([]any)
			for _, r := range recs {
				m, _ := r.(map[string]any)
				if m["request_id"] == rid && m["u_api_id"] == a.UAPIID && m["api_id"] == api {
					w.Note("audit record kept after offline: %v", m)
					return nil
				}
			}
			return fmt.Errorf("the audit log has no record of call %s to %s (%s): %v", rid, api, a.UAPIID, out)
		})
	})
}
