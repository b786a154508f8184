package server

import (
	"fmt"
	"sort"
	"strings"

	"github.com/jr0185/harness/sandbox/internal/apis"
)

// openAPI generates the OpenAPI 3.1 document from the routes the server actually serves
// (the fiber route table), each matched to its catalogue entry: U_API_ID, API_ID,
// level, version, scope, parameters and lifecycle (JR/T 0185-2020 12.1/3: 发布其商业银行
// 应用程序接口内容，并及时更新; 7.1/6; 11/1). A served route with no catalogue entry is
// listed without a U_API_ID, so the gap shows instead of hiding; an API taken offline is
// not served and not listed.
func (s *Server) openAPI() map[string]any {
	paths := map[string]map[string]any{}
	seen := map[string]bool{}
	for _, r := range s.app.GetRoutes(true) {
		if r.Method == "HEAD" || strings.Contains(r.Path, "*") ||
			!(strings.HasPrefix(r.Path, "/a1/") || strings.HasPrefix(r.Path, "/a2/")) {
			continue
		}
		key := r.Method + " " + r.Path
		if seen[key] {
			continue
		}
		seen[key] = true
		var api *apis.API
		for i := range s.d.Catalogue.APIs {
			if a := &s.d.Catalogue.APIs[i]; a.Method == r.Method && a.Path == r.Path {
				api = a
			}
		}
		if api != nil && !s.d.Lifecycle.Served(api.ID) {
			continue
		}
		p := openAPIPath(r.Path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(r.Method)] = s.operation(r.Method, r.Path, api)
	}
	s.docRouteOps(paths) // openapi_routes.go: every other route
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":                        "JR/T 0185-2020 sandbox bank APIs",
			"version":                      s.d.Lifecycle.CurrentVersion(),
			"description":                  "Generated from the routes the bank serves. Each operation carries its U_API_ID (annex B) in x-u-api-id; the change log is at /docs/changelog, the developer manual at /docs/manual.",
			"x-financial-institution-code": s.d.FinancialInstitutionCode,
			"x-changelog":                  "/docs/changelog.json",
			"contact":                      map[string]any{"name": "Open banking developer support (see /docs/manual)"},
			"license":                      map[string]any{"name": "Proprietary: sandbox test use", "identifier": "LicenseRef-sandbox"},
		},
		"tags":    openAPITags(paths),
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"A1MAC": map[string]any{"type": "apiKey", "in": "header", "name": "Authorization",
					"description": `JR0185-HMAC-SM3 app_id="…",serial="…",timestamp="…",nonce="…",signature="…" — see /docs/manual#signing`},
				"A2Signature": map[string]any{"type": "apiKey", "in": "header", "name": "Authorization",
					"description": `JR0185-SM2-SM3 app_id="…",serial="…",timestamp="…",nonce="…",signature="…" — see /docs/manual#signing`},
				"A2MutualTLS": map[string]any{"type": "mutualTLS", "description": "client certificate registered for the App_ID"},
				"AdminToken":  map[string]any{"type": "http", "scheme": "bearer", "description": "the operator's admin token (printed at first start, kept in the data folder)"},
				"UserSession": map[string]any{"type": "apiKey", "in": "cookie", "name": pgSessionCookie,
					"description": "the user's session at the bank, started by password + one-time code at /login (9.3.1)"},
				"DashboardSession": map[string]any{"type": "apiKey", "in": "cookie", "name": dashCookie,
					"description": "the trainer dashboard's session, started with the admin token at /dashboard/login (sandbox mode)"},
			},
			"schemas": map[string]any{"Problem": map[string]any{"type": "object",
				"required":   []string{"code", "status", "request_id"},
				"properties": map[string]any{"type": str(), "title": str(), "status": map[string]any{"type": "integer"}, "code": str(), "detail": str(), "request_id": str(), "clause": str()}}},
			"responses": map[string]any{"Problem": map[string]any{"description": "A catalogued error (see /docs/errors)",
				"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}},
		},
	}
}

func str() map[string]any { return map[string]any{"type": "string"} }

// openAPIPath turns a fiber template (/a/:id) into an OpenAPI path (/a/{id}).
func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

func (s *Server) operation(method, path string, api *apis.API) map[string]any {
	params := []any{}
	for _, name := range routeParams(path) {
		params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": str()})
	}
	if api == nil {
		return map[string]any{"summary": "served route without a catalogue entry", "parameters": params,
			"responses": map[string]any{"default": map[string]any{"$ref": "#/components/responses/Problem"}}}
	}
	params = params[:0]
	for _, p := range api.Params {
		schema := map[string]any{"type": "string"}
		switch {
		case p.Int:
			schema = map[string]any{"type": "integer", "minimum": p.Min, "maximum": p.Max}
		case len(p.Enum) > 0:
			schema["enum"] = p.Enum
		case p.Pattern != "":
			schema["pattern"] = p.Pattern
		}
		params = append(params, map[string]any{"name": p.Name, "in": p.In, "required": p.Required || p.In == "path",
			"description": p.Doc, "schema": schema})
	}
	if api.UserToken {
		params = append(params, map[string]any{"name": "X-JR-Access-Token", "in": "header", "required": true,
			"description": "the user's access token from a consent given at the bank", "schema": str()})
	}
	if api.Idempotent {
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": true, "schema": str()})
	}
	security := []any{map[string]any{"A1MAC": []string{}}}
	if api.Level == apis.A2 {
		security = []any{map[string]any{"A2Signature": []string{}, "A2MutualTLS": []string{}}}
	}
	st := s.d.Lifecycle.Get(api.ID)
	life := map[string]any{"state": st.State}
	if !st.Sunset.IsZero() {
		life["sunset"] = st.Sunset.UTC()
	}
	if st.Notice != "" {
		life["notice"] = st.Notice
	}
	op := map[string]any{
		"operationId":       api.ID,
		"summary":           api.Summary,
		"description":       fmt.Sprintf("%s. U_API_ID %s, level %s, scope %s.", api.Summary, api.UAPIID, api.Level, api.Scope),
		"tags":              []string{api.ServiceType.Name},
		"x-u-api-id":        api.UAPIID,
		"x-api-id":          api.ID,
		"x-api-level":       api.Level,
		"x-api-version":     api.Version,
		"x-scope":           api.Scope,
		"x-service-type":    api.ServiceType,
		"x-service-subtype": api.ServiceSubtype,
		"x-lifecycle":       life,
		"deprecated":        st.State == apis.Deprecated || st.State == apis.Terminated,
		"security":          security,
		"parameters":        params,
		"responses": map[string]any{
			"200": map[string]any{"description": "OK, signed by the bank (X-JR-Signature) and carrying X-JR-U-API-ID",
				"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}},
			"default": map[string]any{"$ref": "#/components/responses/Problem"},
		},
	}
	if method == "POST" {
		ct := "application/json"
		if strings.HasPrefix(path, "/a2/v1/oauth/") {
			ct = "application/x-www-form-urlencoded"
		}
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{ct: map[string]any{"schema": map[string]any{"type": "object"}}}}
	}
	return op
}

func routeParams(path string) []string {
	var out []string
	for _, s := range strings.Split(path, "/") {
		if strings.HasPrefix(s, ":") {
			out = append(out, s[1:])
		}
	}
	sort.Strings(out)
	return out
}

// openAPITags lists every tag the operations use, each with a description.
func openAPITags(paths map[string]map[string]any) []any {
	seen := map[string]bool{}
	var names []string
	for _, item := range paths {
		for _, op := range item {
			o, _ := op.(map[string]any)
			tags, _ := o["tags"].([]string)
			for _, t := range tags {
				if !seen[t] {
					seen[t] = true
					names = append(names, t)
				}
			}
		}
	}
	sort.Strings(names)
	out := make([]any, 0, len(names))
	for _, n := range names {
		d := tagDescriptions[n]
		if d == "" {
			d = "Catalogued APIs of service type " + n
		}
		out = append(out, map[string]any{"name": n, "description": d})
	}
	return out
}
