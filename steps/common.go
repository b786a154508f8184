package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/cucumber/godog"
)

// registrars add step definitions; each area's file appends its own in init, so areas
// stay in their own files.
var registrars []func(*godog.ScenarioContext)

// Register installs the world hook and every step definition on a scenario context.
func Register(sc *godog.ScenarioContext, e *Env) {
	sc.Before(func(ctx context.Context, s *godog.Scenario) (context.Context, error) {
		w := NewWorld(e)
		w.Scenario = s.Name
		return WithWorld(ctx, w), nil
	})
	for _, r := range registrars {
		r(sc)
	}
}

// Default grants of the apps a scenario registers.
var (
	A1Scopes = []string{"products:read", "rates:read"}
	A2Scopes = []string{"oauth:token", "accounts:read", "balances:read", "transactions:read", "limits:read",
		"holdings:read", "payments:write", "payments:read"}
)

func init() { registrars = append(registrars, registerCommon) }

// faultPattern matches any fault name, for step patterns.
func faultPattern() string {
	names := make([]string, len(Faults))
	for i, f := range Faults {
		names[i] = regexp.QuoteMeta(string(f))
	}
	return "(" + strings.Join(names, "|") + ")"
}

func registerCommon(sc *godog.ScenarioContext) {
	// Apps.
	sc.Step(`^an? (A1|A2) app$`, func(ctx context.Context, level string) error {
		return registerRole(ctx, "the app", level, nil)
	})
	sc.Step(`^an? (A1|A2) app granted only "([^"]*)"$`, func(ctx context.Context, level, scopes string) error {
		return registerRole(ctx, "the app", level, strings.Fields(scopes))
	})
	sc.Step(`^another (A1|A2) app$`, func(ctx context.Context, level string) error {
		return registerRole(ctx, "the other app", level, nil)
	})

	// Calls.
	sc.Step(`^the app (?:calls|sends) "([A-Z]+) ([^"]+)"$`, func(ctx context.Context, method, uri string) error {
		return call(ctx, "the app", method, uri, nil, FaultNone, "")
	})
	sc.Step(`^the app (?:calls|sends) "([A-Z]+) ([^"]+)" `+faultPattern()+`$`, func(ctx context.Context, method, uri, fault string) error {
		return call(ctx, "the app", method, uri, nil, Fault(fault), "")
	})
	sc.Step(`^the app (?:calls|sends) "([A-Z]+) ([^"]+)" with body:$`, func(ctx context.Context, method, uri string, body *godog.DocString) error {
		return call(ctx, "the app", method, uri, []byte(body.Content), FaultNone, "")
	})
	sc.Step(`^the app (?:calls|sends) "([A-Z]+) ([^"]+)" `+faultPattern()+` with body:$`, func(ctx context.Context, method, uri, fault string, body *godog.DocString) error {
		return call(ctx, "the app", method, uri, []byte(body.Content), Fault(fault), "")
	})
	sc.Step(`^the other app (?:calls|sends) "([A-Z]+) ([^"]+)"$`, func(ctx context.Context, method, uri string) error {
		return call(ctx, "the other app", method, uri, nil, FaultNone, "")
	})
	sc.Step(`^the app sends the same request again$`, func(ctx context.Context) error {
		w := W(ctx)
		prev, a, err := w.lastOfApp()
		if err != nil {
			return err
		}
		w.record(w.Env.Replay(ctx, a, prev))
		return nil
	})

	// Assertions on the last answer.
	sc.Step(`^the bank answers (\d{3})$`, func(ctx context.Context, status int) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		return expectStatus(x, status, "")
	})
	sc.Step(`^the bank answers (\d{3}) "([A-Z0-9_]+)"$`, func(ctx context.Context, status int, code string) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		return expectStatus(x, status, code)
	})
	sc.Step(`^the bank refuses the connection$`, func(ctx context.Context) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		if x.Err == nil {
			return fmt.Errorf("the bank accepted the connection and answered HTTP %d", x.Status)
		}
		return nil
	})
	sc.Step(`^the answer is signed by the bank$`, func(ctx context.Context) error {
		w := W(ctx)
		x, err := w.last()
		if err != nil {
			return err
		}
		return w.Env.VerifyAnswer(ctx, nil, x)
	})
	sc.Step(`^the answer carries the app's MAC$`, func(ctx context.Context) error {
		w := W(ctx)
		x, a, err := w.lastOfApp()
		if err != nil {
			return err
		}
		return w.Env.VerifyAnswer(ctx, a, x)
	})
	sc.Step(`^the answer is a catalogued problem$`, func(ctx context.Context) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		return catalogued(x)
	})
	sc.Step(`^the answer field "([^"]+)" is "([^"]*)"$`, func(ctx context.Context, path, want string) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		got, ok := jsonPath(x, path)
		if !ok {
			return fmt.Errorf("the answer has no field %q: %s", path, clip(string(x.Body), 300))
		}
		if got != want {
			return fmt.Errorf("field %q is %q, want %q", path, got, want)
		}
		return nil
	})
	sc.Step(`^the answer field "([^"]+)" matches "([^"]*)"$`, func(ctx context.Context, path, pattern string) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		got, ok := jsonPath(x, path)
		if !ok {
			return fmt.Errorf("the answer has no field %q: %s", path, clip(string(x.Body), 300))
		}
		if !regexp.MustCompile(pattern).MatchString(got) {
			return fmt.Errorf("field %q is %q, which does not match %s", path, got, pattern)
		}
		return nil
	})
	sc.Step(`^the answer header "([^"]+)" is "([^"]*)"$`, func(ctx context.Context, name, want string) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		if got := x.Header.Get(name); got != want {
			return fmt.Errorf("header %s is %q, want %q", name, got, want)
		}
		return nil
	})
	sc.Step(`^the answer header "([^"]+)" matches "([^"]*)"$`, func(ctx context.Context, name, pattern string) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		if got := x.Header.Get(name); !regexp.MustCompile(pattern).MatchString(got) {
			return fmt.Errorf("header %s is %q, which does not match %s", name, got, pattern)
		}
		return nil
	})
	sc.Step(`^the answer does not contain "([^"]*)"$`, func(ctx context.Context, s string) error {
		w := W(ctx)
		x, err := w.last()
		if err != nil {
			return err
		}
		s, err = w.Expand(s)
		if err != nil {
			return err
		}
		if strings.Contains(string(x.Body), s) {
			return fmt.Errorf("the answer contains %q", s)
		}
		return nil
	})

	// The operator (test-control API).
	sc.Step(`^the operator (suspends|reactivates|blacklists|unblacklists) the app$`, func(ctx context.Context, action string) error {
		w := W(ctx)
		a, err := w.App("the app")
		if err != nil {
			return err
		}
		verb := map[string]string{"suspends": "suspend", "reactivates": "reactivate", "blacklists": "blacklist", "unblacklists": "unblacklist"}[action]
		_, err = w.Env.adminOK(ctx, "POST", "/admin/v1/apps/"+a.ID+"/actions/"+verb, map[string]any{"reason": "conformance suite"}, 200)
		return err
	})
	sc.Step(`^the operator grants the app only "([^"]*)"$`, func(ctx context.Context, scopes string) error {
		w := W(ctx)
		a, err := w.App("the app")
		if err != nil {
			return err
		}
		_, err = w.Env.adminOK(ctx, "PUT", "/admin/v1/apps/"+a.ID+"/scopes", map[string]any{"scopes": strings.Fields(scopes)}, 200)
		return err
	})
}

// appAlarms reads the alarms the bank raised for an App_ID (test-control API).
func appAlarms(ctx context.Context, appID string) ([]map[string]any, error) {
	out, err := W(ctx).Env.adminOK(ctx, "GET", "/admin/v1/alarms?app_id="+url.QueryEscape(appID), nil, 200)
	if err != nil {
		return nil, err
	}
	list, _ := out["alarms"].([]any)
	alarms := make([]map[string]any, 0, len(list))
	for _, it := range list {
		if m, ok := it.(map[string]any); ok {
			alarms = append(alarms, m)
		}
	}
	return alarms, nil
}

func registerRole(ctx context.Context, role, level string, scopes []string) error {
	w := W(ctx)
	if scopes == nil {
		scopes = A1Scopes
		if level == "A2" {
			scopes = A2Scopes
		}
	}
	a, err := w.Env.RegisterApp(ctx, "Conformance "+level+" "+randomNonce()[:6], AppSpec{Level: level, Scopes: scopes})
	if err != nil {
		return err
	}
	w.Apps[role] = a
	w.Vars[strings.TrimPrefix(role, "the ")+".id"] = a.ID
	return nil
}

// call signs and sends a call as the app in role, with the user's token when user is set.
func call(ctx context.Context, role, method, uri string, body []byte, f Fault, user string) error {
	w := W(ctx)
	a, err := w.App(role)
	if err != nil {
		return err
	}
	if uri, err = w.Expand(uri); err != nil {
		return err
	}
	if body != nil {
		s, err := w.Expand(string(body))
		if err != nil {
			return err
		}
		body = []byte(s)
	}
	c := Call{App: a, Method: method, URI: uri, Body: body, Fault: f, Header: map[string][]string{}}
	if user != "" {
		tok, ok := w.Tokens[user]
		if !ok {
			return fmt.Errorf("%s has no token in this scenario", user)
		}
		c.Header.Set("X-JR-Access-Token", tok.Access)
	}
	if strings.HasPrefix(uri, "/a2/v1/oauth/") {
		c.ContentType = "application/x-www-form-urlencoded"
	}
	x, err := w.Env.Do(ctx, c, w.Apps["the other app"])
	if err != nil {
		return err
	}
	w.record(x)
	return nil
}

// expectStatus checks the status and, for errors, the catalogued code.
func expectStatus(x *Exchange, status int, code string) error {
	if x.Err != nil {
		return fmt.Errorf("no answer (want HTTP %d %s): %v", status, code, x.Err)
	}
	if x.Status != status || (code != "" && x.Code() != code) {
		return fmt.Errorf("want HTTP %d %s, got %d %s: %s", status, code, x.Status, x.Code(), clip(string(x.Body), 400))
	}
	if code != "" {
		return catalogued(x)
	}
	return nil
}

// catalogued checks the published error format: problem+json with code, status,
// request_id (matching X-Request-Id) and the clause it enforces.
func catalogued(x *Exchange) error {
	if ct := x.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		return fmt.Errorf("error answer has Content-Type %q, want application/problem+json", ct)
	}
	j := x.JSON()
	if j == nil {
		return fmt.Errorf("error answer is not a JSON object: %s", clip(string(x.Body), 200))
	}
	if c, _ := j["code"].(string); c == "" {
		return fmt.Errorf("error answer has no code: %s", clip(string(x.Body), 200))
	}
	if st, _ := j["status"].(float64); int(st) != x.Status {
		return fmt.Errorf("error answer's status %v differs from HTTP %d", j["status"], x.Status)
	}
	if id, _ := j["request_id"].(string); id == "" || id != x.RequestID() {
		return fmt.Errorf("error answer's request_id %q differs from X-Request-Id %q", id, x.RequestID())
	}
	return nil
}

// jsonPath reads a dotted path (a.b.0.c) from the answer, rendered as a string.
func jsonPath(x *Exchange, path string) (string, bool) {
	var cur any
	if err := json.Unmarshal(x.Body, &cur); err != nil {
		return "", false
	}
	for _, p := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			var ok bool
			if cur, ok = v[p]; !ok {
				return "", false
			}
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(v) {
				return "", false
			}
			cur = v[i]
		default:
			return "", false
		}
	}
	switch v := cur.(type) {
	case string:
		return v, true
	case nil:
		return "null", true
	default:
		b, _ := json.Marshal(v)
		return string(b), true
	}
}
