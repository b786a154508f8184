package server

import (
	"strings"
)

// routeDoc is one documented non-catalogue route (see routeDocs).
type routeDoc struct {
	Method, Path string // OpenAPI path: {param}
	Tag          string
	Summary      string
	Auth         routeAuth
	Out          routeOut
	In           routeIn
	SandboxOnly  bool // registered only in sandbox mode (a test control)
}

type (
	routeAuth int
	routeOut  int
	routeIn   int
)

const (
	authNone      routeAuth = iota
	authAdmin               // Authorization: Bearer <admin token>
	authUser                // the user's session cookie at the bank (after password + one-time code)
	authDashboard           // the trainer dashboard's session cookie (after the admin token at /dashboard/login)
)

const (
	outJSON     routeOut = iota
	outHTML              // a page
	outPEM               // certificates
	outText              // Prometheus text
	outRedirect          // 303 See Other
	outEvents            // server-sent events
	outAsset             // a static file (JavaScript, CSS)
)

// successStatus is the success status of the routes that do not answer 200.
var successStatus = map[string]string{
	"POST /partners/v1/registrations":      "201",
	"POST /partners/register":              "201",
	"POST /admin/v1/apps":                  "201",
	"POST /admin/v1/apps/{id}/secrets":     "201",
	"POST /admin/v1/apps/{id}/credentials": "201",
	"POST /admin/v1/pki/test-server-certs": "201",
	"POST /admin/v1/faults":                "201",
	"POST /admin/v1/payments/{id}/notify":  "202",
}

const (
	inNone routeIn = iota
	inJSON
	inForm
)

const (
	tagDocs     = "Documentation"
	tagPKI      = "Public certificates"
	tagPartners = "Partner registration"
	tagHealth   = "Health and monitoring"
	tagUser     = "User pages"
	tagAdmin    = "Operator API"
	tagTest     = "Test controls (sandbox mode)"
)

var tagDescriptions = map[string]string{
	tagDocs:     "What the bank publishes (JR/T 0185-2020 12.1/3, 12.1/5)",
	tagPKI:      "The bank's certificates, to verify answers and encrypt fields",
	tagPartners: "Self-service registration (9.1.2)",
	tagHealth:   "Liveness, readiness and metrics (10.1.1)",
	tagUser:     "The pages where the user logs in with two factors and consents, at the bank (9.3.1)",
	tagAdmin:    "The bank operator's API: apps, lifecycle, risk review, audit",
	tagTest:     "Registered in sandbox mode only: clock, faults, session controls",
}

// docRouteOps adds the documented non-catalogue routes to paths. Sandbox-only routes
// are listed only in sandbox mode, where they are registered.
func (s *Server) docRouteOps(paths map[string]map[string]any) {
	for _, r := range routeDocs {
		if r.SandboxOnly && !s.d.Debug {
			continue
		}
		if paths[r.Path] == nil {
			paths[r.Path] = map[string]any{}
		}
		paths[r.Path][strings.ToLower(r.Method)] = r.operation()
	}
}

func (r routeDoc) operation() map[string]any {
	params := []any{}
	for _, name := range routeParams(fiberPath(r.Path)) {
		params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": str()})
	}
	ok := map[string]any{}
	switch r.Out {
	case outJSON:
		ok = map[string]any{"description": "OK", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
	case outHTML:
		ok = map[string]any{"description": "An HTML page", "content": map[string]any{"text/html": map[string]any{"schema": str()}}}
	case outPEM:
		ok = map[string]any{"description": "PEM certificates", "content": map[string]any{"application/x-pem-file": map[string]any{"schema": str()}}}
	case outText:
		ok = map[string]any{"description": "Prometheus text exposition format", "content": map[string]any{"text/plain": map[string]any{"schema": str()}}}
	case outEvents:
		ok = map[string]any{"description": "A stream of server-sent events", "content": map[string]any{"text/event-stream": map[string]any{"schema": str()}}}
	case outAsset:
		ok = map[string]any{"description": "A static file", "content": map[string]any{"text/javascript": map[string]any{"schema": str()}, "text/css": map[string]any{"schema": str()}}}
	}
	responses := map[string]any{"default": map[string]any{"$ref": "#/components/responses/Problem"}}
	if r.Out == outRedirect {
		responses["303"] = map[string]any{"description": "See Other: the next step",
			"headers": map[string]any{"Location": map[string]any{"description": "the next page", "schema": str()}}}
	} else {
		code := "200"
		if c, ok := successStatus[r.Method+" "+r.Path]; ok {
			code = c
		}
		responses[code] = ok
	}
	op := map[string]any{
		"operationId": operationID(r.Method, r.Path),
		"summary":     r.Summary,
		"description": r.Summary + ".",
		"tags":        []string{r.Tag},
		"parameters":  params,
		"responses":   responses,
	}
	switch r.Auth {
	case authNone:
		op["security"] = []any{}
	case authAdmin:
		op["security"] = []any{map[string]any{"AdminToken": []string{}}}
	case authUser:
		op["security"] = []any{map[string]any{"UserSession": []string{}}}
	case authDashboard:
		op["security"] = []any{map[string]any{"DashboardSession": []string{}}}
	}
	switch r.In {
	case inJSON:
		op["requestBody"] = map[string]any{"required": false, "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
	case inForm:
		op["requestBody"] = map[string]any{"required": true, "description": "an HTML form with its CSRF token (field csrf)",
			"content": map[string]any{"application/x-www-form-urlencoded": map[string]any{"schema": map[string]any{"type": "object"}}}}
	}
	return op
}

// operationID is a unique camel-case id from method and path, e.g. getAdminV1AppsId.
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	up := true
	for _, c := range path {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			if up && c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			b.WriteRune(c)
			up = false
		default:
			up = true
		}
	}
	if path == "/" {
		b.WriteString("Root")
	}
	return b.String()
}

// fiberPath turns an OpenAPI path (/a/{id}) into a fiber template (/a/:id).
func fiberPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			parts[i] = ":" + s[1:len(s)-1]
		}
	}
	return strings.Join(parts, "/")
}
