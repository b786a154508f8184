package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/cucumber/godog"
)

// Calls to every published interface, and what the answers and the OpenAPI document
// must show (12.1/2, 12.1/3, 6.2/A1, B.3.4).

// fallbackPathValues are well-formed values for path parameters that no earlier answer
// supplied (ids of resources the scenario does not own: the bank answers, and the
// answer still names the interface).
var fallbackPathValues = map[string]string{
	"account_id": "ac_" + strings.Repeat("0", 24),
	"payment_id": "PAY" + strings.Repeat("A", 20),
}

// fillPath replaces :name segments with a value found in earlier answers (a field of
// that name matching the published pattern) or a well-formed fallback.
func fillPath(a pubAPI, earlier []*Exchange) (string, error) {
	parts := strings.Split(a.Path, "/")
	for i, seg := range parts {
		if !strings.HasPrefix(seg, ":") {
			continue
		}
		name := seg[1:]
		pattern := ""
		for _, p := range a.Parameters {
			if p.Name == name && p.In == "path" {
				pattern = p.Pattern
			}
		}
		var re *regexp.Regexp
		if pattern != "" {
			var err error
			if re, err = regexp.Compile(pattern); err != nil {
				return "", fmt.Errorf("%s: published pattern %q of %s does not compile: %v", a.APIID, pattern, name, err)
			}
		}
		v := ""
		for _, x := range earlier {
			if v = findField(x.Body, name, re); v != "" {
				break
			}
		}
		if v == "" {
			v = fallbackPathValues[name]
		}
		if v == "" || (re != nil && !re.MatchString(v)) {
			return "", fmt.Errorf("%s: no value for path parameter %s (pattern %q)", a.APIID, name, pattern)
		}
		parts[i] = v
	}
	return strings.Join(parts, "/"), nil
}

// findField finds a string field named name anywhere in a JSON document.
func findField(body []byte, name string, re *regexp.Regexp) string {
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	var walk func(v any) string
	walk = func(v any) string {
		switch t := v.(type) {
		case map[string]any:
			if s, ok := t[name].(string); ok && (re == nil || re.MatchString(s)) {
				return s
			}
			for _, c := range t {
				if s := walk(c); s != "" {
					return s
				}
			}
		case []any:
			for _, c := range t {
				if s := walk(c); s != "" {
					return s
				}
			}
		}
		return ""
	}
	return walk(doc)
}

// typeOf is the interface type code of a published U_API_ID ("" when it has none).
func typeOf(a pubAPI) string {
	if len(a.UAPIID) < 10 {
		return ""
	}
	return a.UAPIID[8:10]
}

// callInterface calls one interface as the app in role, with a minimal request.
func callInterface(ctx context.Context, role string, a pubAPI, method string, earlier []*Exchange) (*Exchange, error) {
	w := W(ctx)
	app, err := w.App(role)
	if err != nil {
		return nil, err
	}
	uri, err := fillPath(a, earlier)
	if err != nil {
		return nil, err
	}
	c := Call{App: app, Method: method, URI: uri, Header: map[string][]string{}}
	if method == "POST" {
		c.Body = []byte("{}")
		if strings.HasPrefix(a.Path, "/a2/v1/oauth/") {
			c.Body, c.ContentType = []byte("grant_type=authorization_code"), "application/x-www-form-urlencoded"
		}
		c.Header.Set("Idempotency-Key", "conformance-"+randomNonce()[:12])
	}
	x, err := w.Env.Do(ctx, c, nil)
	if err != nil {
		return nil, err
	}
	w.Note("%s %s: %s", a.APIID, a.UAPIID, x.Evidence())
	return x, nil
}

// callAll calls every served interface selected by pick, GETs without path parameters
// first so their answers can supply path parameters for the others.
func callAll(ctx context.Context, pick func(pubAPI) (roles []string, method string)) error {
	c, err := fetchCatalogue(ctx)
	if err != nil {
		return err
	}
	apis := c.served()
	sort.SliceStable(apis, func(i, j int) bool {
		return !strings.Contains(apis[i].Path, ":") && strings.Contains(apis[j].Path, ":")
	})
	st := pub(ctx)
	var earlier []*Exchange
	for _, got := range st.calls { // answers of earlier steps can supply path parameters too
		for _, x := range got {
			if x != nil && x.Status == 200 {
				earlier = append(earlier, x)
			}
		}
	}
	st.calls = map[string][2]*Exchange{}
	n := 0
	for _, a := range apis {
		roles, method := pick(a)
		var got [2]*Exchange
		for i, role := range roles {
			x, err := callInterface(ctx, role, a, method, earlier)
			if err != nil {
				return err
			}
			got[i] = x
			if x.Status == 200 {
				earlier = append(earlier, x)
			}
		}
		if len(roles) > 0 {
			st.calls[a.APIID] = got
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("no published interface was selected")
	}
	return nil
}

// eachCall checks every recorded answer.
func eachCall(ctx context.Context, check func(a pubAPI, x [2]*Exchange) error) error {
	st := pub(ctx)
	if st.cat == nil || len(st.calls) == 0 {
		return fmt.Errorf("no interface was called yet")
	}
	var errs []string
	for _, a := range st.cat.APIs {
		x, ok := st.calls[a.APIID]
		if !ok {
			continue
		}
		if err := check(a, x); err != nil {
			errs = append(errs, a.APIID+": "+err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n  "))
	}
	return nil
}

func registerPublishCalls(sc *godog.ScenarioContext) {
	sc.Step(`^an A2 app for the A2 interfaces$`, func(ctx context.Context) error {
		return registerRole(ctx, "the A2 app", "A2", nil)
	})
	sc.Step(`^the apps call every published interface$`, func(ctx context.Context) error {
		return callAll(ctx, func(a pubAPI) ([]string, string) {
			if a.Level == "A2" {
				return []string{"the A2 app"}, a.Method
			}
			return []string{"the app"}, a.Method
		})
	})
	sc.Step(`^the A1 app calls every published interface with its MAC$`, func(ctx context.Context) error {
		return callAll(ctx, func(a pubAPI) ([]string, string) { return []string{"the app"}, a.Method })
	})
	sc.Step(`^both A1 apps call every published interface of type "01"$`, func(ctx context.Context) error {
		return callAll(ctx, func(a pubAPI) ([]string, string) {
			if typeOf(a) != "01" {
				return nil, ""
			}
			return []string{"the app", "the other app"}, a.Method
		})
	})
	sc.Step(`^the A1 app sends "POST" to every published interface of type "01"$`, func(ctx context.Context) error {
		return callAll(ctx, func(a pubAPI) ([]string, string) {
			if typeOf(a) != "01" || a.Method == "POST" {
				return nil, ""
			}
			return []string{"the app"}, "POST"
		})
	})

	sc.Step(`^every answer names its interface's published U_API_ID in "X-JR-U-API-ID"$`, func(ctx context.Context) error {
		return eachCall(ctx, func(a pubAPI, x [2]*Exchange) error {
			if got := x[0].Header.Get("X-JR-U-API-ID"); got != a.UAPIID {
				return fmt.Errorf("HTTP %d answer carries X-JR-U-API-ID %q, the catalogue publishes %q", x[0].Status, got, a.UAPIID)
			}
			return nil
		})
	})
	sc.Step(`^every echoed U_API_ID follows annex B with the declared institution code$`, func(ctx context.Context) error {
		return eachCall(ctx, func(a pubAPI, x [2]*Exchange) error {
			return checkUAPIID(x[0].Header.Get("X-JR-U-API-ID"), pub(ctx).cat.FinancialInstitutionCode)
		})
	})
	sc.Step(`^every published interface is served$`, func(ctx context.Context) error {
		return eachCall(ctx, func(a pubAPI, x [2]*Exchange) error {
			if x[0].Err != nil {
				return x[0].Err
			}
			if code := x[0].Code(); x[0].Status == 404 && code == "ROUTE_NOT_FOUND" || x[0].Status == 405 || x[0].Status >= 500 {
				return fmt.Errorf("listed but not served: HTTP %d %s", x[0].Status, code)
			}
			return nil
		})
	})
	sc.Step(`^every interface of type "01" accepted the A1 app's MAC and every interface of type "02" refused it with 401 "AUTH_SCHEME_NOT_ALLOWED"$`, func(ctx context.Context) error {
		return eachCall(ctx, func(a pubAPI, x [2]*Exchange) error {
			switch t := typeOf(a); t {
			case "01":
				if x[0].Status != 200 {
					return fmt.Errorf("type 01 (A1) but the A1 app's MAC call got HTTP %d %s", x[0].Status, x[0].Code())
				}
			case "02":
				if x[0].Status != 401 || x[0].Code() != "AUTH_SCHEME_NOT_ALLOWED" {
					return fmt.Errorf("type 02 (A2) but the A1 app's MAC call got HTTP %d %s, want 401 AUTH_SCHEME_NOT_ALLOWED", x[0].Status, x[0].Code())
				}
			default:
				return fmt.Errorf("U_API_ID %s has interface type %q: neither A1 (01) nor A2 (02)", a.UAPIID, t)
			}
			return nil
		})
	})
	sc.Step(`^every interface of type "01" is a read-only GET$`, func(ctx context.Context) error {
		c, err := catalogue(ctx)
		if err != nil {
			return err
		}
		n := 0
		for _, a := range c.APIs {
			if typeOf(a) == "01" {
				n++
				if a.Method != "GET" {
					return fmt.Errorf("%s (%s) is type 01 (A1, read-only queries) but is published as %s", a.APIID, a.UAPIID, a.Method)
				}
			}
		}
		if n == 0 {
			return fmt.Errorf("the catalogue publishes no interface of type 01")
		}
		return nil
	})
	sc.Step(`^every interface of type "01" answered both apps 200 with the same content$`, func(ctx context.Context) error {
		return eachCall(ctx, func(a pubAPI, x [2]*Exchange) error {
			if x[0].Status != 200 || x[1].Status != 200 {
				return fmt.Errorf("HTTP %d and %d, want 200 for both apps", x[0].Status, x[1].Status)
			}
			if !bytes.Equal(x[0].Body, x[1].Body) {
				return fmt.Errorf("the answers differ between two apps, so they are not general product information: %s vs %s",
					clip(string(x[0].Body), 200), clip(string(x[1].Body), 200))
			}
			return nil
		})
	})
	sc.Step(`^every one was refused with 405 "METHOD_NOT_ALLOWED" naming the allowed method$`, func(ctx context.Context) error {
		return eachCall(ctx, func(a pubAPI, x [2]*Exchange) error {
			if x[0].Status != 405 || x[0].Code() != "METHOD_NOT_ALLOWED" {
				return fmt.Errorf("POST got HTTP %d %s, want 405 METHOD_NOT_ALLOWED", x[0].Status, x[0].Code())
			}
			if allow := x[0].Header.Get("Allow"); allow != a.Method {
				return fmt.Errorf("the Allow header is %q, want %q", allow, a.Method)
			}
			return nil
		})
	})

	// The OpenAPI document against the catalogue and the served routes.
	sc.Step(`^the OpenAPI document is OpenAPI 3\.1 with a document version$`, func(ctx context.Context) error {
		d := pub(ctx).openapi
		if d == nil {
			return fmt.Errorf("the OpenAPI document was not fetched")
		}
		if v, _ := d["openapi"].(string); !strings.HasPrefix(v, "3.1") {
			return fmt.Errorf("openapi is %q, want 3.1.x", v)
		}
		if v, _ := dig(d, "info", "version").(string); v == "" {
			return fmt.Errorf("the OpenAPI document has no info.version")
		}
		return nil
	})
	sc.Step(`^the OpenAPI document and the catalogue list the same interfaces with the same U_API_ID, level and version$`, func(ctx context.Context) error {
		st := pub(ctx)
		if st.cat == nil || st.openapi == nil {
			return fmt.Errorf("fetch the catalogue and the OpenAPI document first")
		}
		ops := openAPIOps(st.openapi)
		var errs []string
		listed := map[string]bool{}
		for _, a := range st.cat.served() {
			key := a.Method + " " + a.Path
			listed[key] = true
			op, ok := ops[key]
			if !ok {
				errs = append(errs, fmt.Sprintf("%s (%s %s) is in the catalogue but not in the OpenAPI document", a.APIID, a.Method, a.Path))
				continue
			}
			for _, f := range [][3]string{{"x-u-api-id", a.UAPIID, "U_API_ID"}, {"x-api-level", a.Level, "level"}, {"x-api-version", a.Version, "version"}} {
				if got, _ := op[f[0]].(string); got != f[1] {
					errs = append(errs, fmt.Sprintf("%s: OpenAPI %s %q, catalogue %q", a.APIID, f[2], got, f[1]))
				}
			}
		}
		for key, op := range ops {
			// The document also lists pages, the operator API and test controls; the
			// interfaces are the operations under /a1/ and /a2/.
			if !strings.Contains(key, " /a1/") && !strings.Contains(key, " /a2/") {
				continue
			}
			if !listed[key] {
				errs = append(errs, fmt.Sprintf("%s is served (in the OpenAPI document, U_API_ID %v) but not in the catalogue", key, op["x-u-api-id"]))
			}
		}
		if len(errs) > 0 {
			sort.Strings(errs)
			return fmt.Errorf("%s", strings.Join(errs, "\n  "))
		}
		W(ctx).Note("OpenAPI document and catalogue agree on %d interfaces", len(listed))
		return nil
	})
	sc.Step(`^every interface's version is the version segment of its path$`, func(ctx context.Context) error {
		c, err := catalogue(ctx)
		if err != nil {
			return err
		}
		for _, a := range c.APIs {
			parts := strings.Split(a.Path, "/")
			if len(parts) < 3 || a.Version == "" || parts[2] != a.Version {
				return fmt.Errorf("%s: version %q but path %s", a.APIID, a.Version, a.Path)
			}
		}
		return nil
	})
	sc.Step(`^the catalogue, the OpenAPI document and the change log carry the same document version$`, func(ctx context.Context) error {
		st := pub(ctx)
		var cl changelogDoc
		if err := fetchJSON(ctx, "/docs/changelog.json", &cl); err != nil {
			return err
		}
		ov, _ := dig(st.openapi, "info", "version").(string)
		if st.cat.Version == "" || st.cat.Version != ov || cl.Version != ov {
			return fmt.Errorf("versions differ: catalogue %q, OpenAPI %q, change log %q", st.cat.Version, ov, cl.Version)
		}
		if len(cl.Changes) == 0 || cl.Changes[0].Version != ov {
			return fmt.Errorf("the change log's latest entry is not version %q: %+v", ov, cl.Changes)
		}
		return nil
	})
}

// openAPIOps indexes the document's operations by "METHOD /fiber/:path".
func openAPIOps(d map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	paths, _ := d["paths"].(map[string]any)
	re := regexp.MustCompile(`\{([^}]+)\}`)
	for p, v := range paths {
		item, _ := v.(map[string]any)
		for m, o := range item {
			op, ok := o.(map[string]any)
			if !ok {
				continue
			}
			out[strings.ToUpper(m)+" "+re.ReplaceAllString(p, ":$1")] = op
		}
	}
	return out
}
