package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/cucumber/godog"
)

// Steps of the publish area: the U_API_ID catalogue (annex B, 12.1/2, 12.1/3), the
// OpenAPI document, A1 interfaces (6.2), and (in publish_*.go) the API lifecycle, the
// developer manual and partner registration.

func init() { registrars = append(registrars, registerPublish) }

// pubAPI is one interface as the bank's catalogue (/docs/apis.json) publishes it.
type pubAPI struct {
	APIID       string `json:"api_id"`
	UAPIID      string `json:"u_api_id"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	Version     string `json:"version"`
	Level       string `json:"level"`
	Scope       string `json:"scope"`
	UserToken   bool   `json:"user_token"`
	ServiceType struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"service_type"`
	ServiceSubtype struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"service_subtype"`
	Parameters []struct {
		Name    string   `json:"name"`
		In      string   `json:"in"`
		Pattern string   `json:"pattern"`
		Enum    []string `json:"enum"`
	} `json:"parameters"`
	Lifecycle struct {
		State  string    `json:"state"`
		Sunset time.Time `json:"sunset"`
		Notice string    `json:"notice"`
	} `json:"lifecycle"`
}

type pubCatalogue struct {
	FinancialInstitutionCode string   `json:"financial_institution_code"`
	Institution              string   `json:"institution_code"`
	Version                  string   `json:"version"`
	APIs                     []pubAPI `json:"apis"`
}

// served lists the interfaces the catalogue says are served (all but those taken offline).
func (c *pubCatalogue) served() []pubAPI {
	var out []pubAPI
	for _, a := range c.APIs {
		if a.Lifecycle.State != "offline" {
			out = append(out, a)
		}
	}
	return out
}

func (c *pubCatalogue) byID(id string) (pubAPI, error) {
	for _, a := range c.APIs {
		if a.APIID == id {
			return a, nil
		}
	}
	return pubAPI{}, fmt.Errorf("the published catalogue has no interface %q", id)
}

// pubState is the publish steps' part of a scenario's world.
type pubState struct {
	cat     *pubCatalogue
	openapi map[string]any
	calls   map[string][2]*Exchange // api_id -> answers to the app and to the other app
	noted   map[string]string
	sunset  time.Time
	regName string
}

func pub(ctx context.Context) *pubState {
	return areaState(W(ctx), func() *pubState {
		return &pubState{calls: map[string][2]*Exchange{}, noted: map[string]string{}}
	})
}

// fetchJSON GETs a public document with no credentials at all (no Authorization, no
// client certificate) and decodes it.
func fetchJSON(ctx context.Context, path string, v any) error {
	w := W(ctx)
	x, err := w.Env.get(ctx, path)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	w.Note("GET %s without credentials: HTTP %d, %d bytes", path, x.Status, len(x.Body))
	if x.Status != 200 {
		return fmt.Errorf("GET %s without credentials: HTTP %d %s", path, x.Status, clip(string(x.Body), 200))
	}
	if ct := x.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("GET %s: Content-Type %q, want application/json", path, ct)
	}
	if err := json.Unmarshal(x.Body, v); err != nil {
		return fmt.Errorf("GET %s: not JSON: %v", path, err)
	}
	return nil
}

func fetchCatalogue(ctx context.Context) (*pubCatalogue, error) {
	var c pubCatalogue
	if err := fetchJSON(ctx, "/docs/apis.json", &c); err != nil {
		return nil, err
	}
	if len(c.APIs) == 0 {
		return nil, fmt.Errorf("the published catalogue lists no interface")
	}
	pub(ctx).cat = &c
	return &c, nil
}

func fetchOpenAPI(ctx context.Context) (map[string]any, error) {
	var d map[string]any
	if err := fetchJSON(ctx, "/docs/openapi.json", &d); err != nil {
		return nil, err
	}
	pub(ctx).openapi = d
	return d, nil
}

func catalogue(ctx context.Context) (*pubCatalogue, error) {
	if c := pub(ctx).cat; c != nil {
		return c, nil
	}
	return fetchCatalogue(ctx)
}

// forEachUAPIID runs check on every published U_API_ID and reports every failure.
func forEachUAPIID(ctx context.Context, check func(a pubAPI, u uapiid, c *pubCatalogue) error) error {
	c, err := catalogue(ctx)
	if err != nil {
		return err
	}
	var errs []string
	for _, a := range c.APIs {
		u, err := splitUAPIID(a.UAPIID)
		if err == nil {
			err = check(a, u, c)
		}
		if err != nil {
			errs = append(errs, a.APIID+": "+err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d published U_API_IDs break annex B:\n  %s", len(errs), len(c.APIs), strings.Join(errs, "\n  "))
	}
	W(ctx).Note("%d published U_API_IDs checked", len(c.APIs))
	return nil
}

func registerPublish(sc *godog.ScenarioContext) {
	sc.Step(`^the published U_API_ID catalogue is fetched without credentials$`, func(ctx context.Context) error {
		_, err := fetchCatalogue(ctx)
		return err
	})
	sc.Step(`^the OpenAPI document is fetched without credentials$`, func(ctx context.Context) error {
		_, err := fetchOpenAPI(ctx)
		return err
	})

	// Annex B, rule by rule.
	sc.Step(`^every published U_API_ID is 24 printable ASCII characters$`, func(ctx context.Context) error {
		return forEachUAPIID(ctx, func(pubAPI, uapiid, *pubCatalogue) error { return nil })
	})
	sc.Step(`^every published U_API_ID splits into the six fields of table B\.1, each valid by its own rule$`, func(ctx context.Context) error {
		return forEachUAPIID(ctx, func(a pubAPI, u uapiid, c *pubCatalogue) error {
			return checkUAPIID(u.Raw, c.FinancialInstitutionCode)
		})
	})
	sc.Step(`^every published U_API_ID begins with "OP"$`, func(ctx context.Context) error {
		return forEachUAPIID(ctx, func(_ pubAPI, u uapiid, _ *pubCatalogue) error { return ruleFixed(u) })
	})
	sc.Step(`^every published U_API_ID ends with the reserved "00"$`, func(ctx context.Context) error {
		return forEachUAPIID(ctx, func(_ pubAPI, u uapiid, _ *pubCatalogue) error { return ruleReserved(u) })
	})
	sc.Step(`^the catalogue declares a 14-character JR/T 0124 financial institution code$`, func(ctx context.Context) error {
		c, err := catalogue(ctx)
		if err != nil {
			return err
		}
		f := c.FinancialInstitutionCode
		if !regexp.MustCompile(`^[0-9A-Z]{14}$`).MatchString(f) {
			return fmt.Errorf("financial_institution_code %q is not 14 capital letters and digits (JR/T 0124-2014)", f)
		}
		if c.Institution != "" && c.Institution != f[:6] {
			return fmt.Errorf("institution_code %q is not the first six characters of financial_institution_code %q", c.Institution, f)
		}
		W(ctx).Note("declared financial institution code %s", f)
		return nil
	})
	sc.Step(`^every published U_API_ID carries the first six characters of the declared code$`, func(ctx context.Context) error {
		return forEachUAPIID(ctx, func(_ pubAPI, u uapiid, c *pubCatalogue) error { return ruleInstitution(u, c.FinancialInstitutionCode) })
	})
	sc.Step(`^every published interface type is a two-digit code other than the reserved "00"$`, func(ctx context.Context) error {
		return forEachUAPIID(ctx, func(_ pubAPI, u uapiid, _ *pubCatalogue) error { return ruleType(u) })
	})
	sc.Step(`^every published interface type matches the interface's published level$`, func(ctx context.Context) error {
		return forEachUAPIID(ctx, func(a pubAPI, u uapiid, _ *pubCatalogue) error {
			want := map[string]string{"A1": "01", "A2": "02"}[a.Level]
			if u.Type != want {
				return fmt.Errorf("B.3.4: level %s but interface type %q in %s", a.Level, u.Type, u.Raw)
			}
			return nil
		})
	})
	sc.Step(`^every published service category is six digits$`, func(ctx context.Context) error {
		return forEachUAPIID(ctx, func(_ pubAPI, u uapiid, _ *pubCatalogue) error {
			if !digits(u.Category) {
				return fmt.Errorf("B.3.5: service category %q of %s is not six digits", u.Category, u.Raw)
			}
			return nil
		})
	})
	sc.Step(`^every published service category splits into the declared service type and sub-type$`, func(ctx context.Context) error {
		return forEachUAPIID(ctx, func(a pubAPI, u uapiid, _ *pubCatalogue) error {
			if u.Category[:2] != a.ServiceType.Code || u.Category[2:] != a.ServiceSubtype.Code {
				return fmt.Errorf("table B.2: %s has category %s|%s but declares service type %q and sub-type %q",
					u.Raw, u.Category[:2], u.Category[2:], a.ServiceType.Code, a.ServiceSubtype.Code)
			}
			if a.ServiceSubtype.Name == "" {
				return fmt.Errorf("table B.2: sub-type %s of %s has no name", a.ServiceSubtype.Code, u.Raw)
			}
			return nil
		})
	})
	sc.Step(`^every first-level identifier is a category of B\.3\.5 and names the declared service type$`, func(ctx context.Context) error {
		return forEachUAPIID(ctx, func(a pubAPI, u uapiid, _ *pubCatalogue) error {
			if err := ruleCategory(u); err != nil {
				return err
			}
			name, ok := firstLevelNames[u.Category[:2]]
			if !ok {
				return fmt.Errorf("B.3.5: first-level identifier %s of %s is not one of 01-08", u.Category[:2], u.Raw)
			}
			if !strings.Contains(a.ServiceType.Name, name) {
				return fmt.Errorf("B.3.5: first-level identifier %s means %s, but the interface declares service type %q",
					u.Category[:2], name, a.ServiceType.Name)
			}
			return nil
		})
	})
	sc.Step(`^within each first level the second-level identifiers in use run from 0001 without gaps$`, func(ctx context.Context) error {
		if err := forEachUAPIID(ctx, func(_ pubAPI, u uapiid, _ *pubCatalogue) error { return ruleCategory(u) }); err != nil {
			return err
		}
		c, _ := catalogue(ctx)
		used := map[string]map[string]bool{}
		for _, a := range c.APIs {
			u, _ := splitUAPIID(a.UAPIID)
			if used[u.Category[:2]] == nil {
				used[u.Category[:2]] = map[string]bool{}
			}
			used[u.Category[:2]][u.Category[2:]] = true
		}
		return consecutive(used, 4, "B.3.5: second-level identifiers under first level")
	})
	sc.Step(`^within each institution, type and category the sequence codes run from 000001 without gaps or repeats$`, func(ctx context.Context) error {
		if err := forEachUAPIID(ctx, func(_ pubAPI, u uapiid, _ *pubCatalogue) error { return ruleSequence(u) }); err != nil {
			return err
		}
		c, _ := catalogue(ctx)
		used := map[string]map[string]bool{}
		for _, a := range c.APIs {
			u, _ := splitUAPIID(a.UAPIID)
			g := u.Institution + "/" + u.Type + "/" + u.Category
			if used[g] == nil {
				used[g] = map[string]bool{}
			}
			if used[g][u.Sequence] {
				return fmt.Errorf("B.3.6: sequence %s is used twice in group %s", u.Sequence, g)
			}
			used[g][u.Sequence] = true
		}
		return consecutive(used, 6, "B.3.6: sequence codes of group")
	})
	sc.Step(`^no two published interfaces share a U_API_ID$`, func(ctx context.Context) error {
		c, err := catalogue(ctx)
		if err != nil {
			return err
		}
		seen := map[string]string{}
		for _, a := range c.APIs {
			if other, dup := seen[a.UAPIID]; dup {
				return fmt.Errorf("%s and %s share U_API_ID %s", other, a.APIID, a.UAPIID)
			}
			seen[a.UAPIID] = a.APIID
		}
		return nil
	})

	registerPublishCalls(sc)
	registerPublishLifecycle(sc)
	registerPublishDocs(sc)
	registerPublishPartners(sc)
}

// consecutive checks that each group's codes are exactly 1..n, zero-padded to width.
func consecutive(groups map[string]map[string]bool, width int, what string) error {
	var errs []string
	for g, codes := range groups {
		for i := 1; i <= len(codes); i++ {
			if c := fmt.Sprintf("%0*d", width, i); !codes[c] {
				var have []string
				for k := range codes {
					have = append(have, k)
				}
				sort.Strings(have)
				errs = append(errs, fmt.Sprintf("%s %s are %s, not consecutive from %0*d", what, g, strings.Join(have, ", "), width, 1))
				break
			}
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}
