package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/apis"
	"github.com/jr0185/harness/sandbox/internal/audit"
	"github.com/jr0185/harness/sandbox/internal/faults"
	"github.com/jr0185/harness/sandbox/internal/gateway"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/payments"
	"github.com/jr0185/harness/sandbox/internal/pii"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/protocol"
)

// Input is what an API handler sees: copies of the parsed request, never fiber values
// (which fiber reuses after the handler returns).
type Input struct {
	Admission  *gateway.Admission
	Query      map[string]string
	PathParams map[string]string
	Body       []byte
	Header     func(name string) string
}

// Reply lets a handler take part in signing: Raw is written verbatim (a stored answer
// replayed byte for byte, its original signature included; or, when Fresh, the answer
// to this very request, signed and stored by the handler); After receives the signed
// response so it can be stored.
type Reply struct {
	Status int
	Body   any
	Raw    *payments.StoredResponse
	Fresh  bool
	After  func(status int, headers map[string]string, body []byte)
}

// signedHeaders are stored with an idempotent response so a replay is identical.
var signedHeaders = []string{"Content-Type", protocol.HeaderTimestamp, protocol.HeaderNonce, protocol.HeaderSignature, protocol.HeaderSerial}

// Handler serves one API: it calls one service and returns what to render.
type Handler func(ctx context.Context, in Input) (status int, body any, err error)

func (s *Server) handlers() map[string]Handler {
	h := map[string]Handler{
		"a1.products.list": s.listProducts,
		"a1.products.get":  s.getProduct,
		"a1.rates.deposit": s.depositRates,
	}
	for id, f := range s.a2Handlers() {
		h[id] = f
	}
	return h
}

// apiHandler runs the gateway, the handler, then signs, audits and measures.
func (s *Server) apiHandler(api *apis.API, h Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		s.d.Metrics.InFlight(1)
		defer s.d.Metrics.InFlight(-1)

		req := adapt(c, api)
		var ob *observed
		if s.d.Observe != nil { // sandbox mode: keep what the app sent (observe.go)
			ob = &observed{}
		}
		adm, appID, perr := s.d.Gateway.AdmitTraced(c.UserContext(), api, req, ob.traceOf())
		if adm != nil {
			defer adm.Release()
		}
		var reply *Reply
		var eff faults.Effect
		if perr == nil {
			eff, perr = s.serviceControls(c, api, adm)
			ob.service(eff, perr)
		}
		if perr == nil {
			reply, perr = s.callHandler(c, h, Input{Admission: adm, Query: queryMap(req.Query), PathParams: req.PathParams, Body: req.Body, Header: req.Header})
			ob.business(perr)
		}
		if perr != nil {
			reply = nil
			_ = s.renderProblem(c, perr)
		}
		s.lifecycleHeaders(c, api)
		switch {
		case reply != nil && reply.Raw != nil && reply.Fresh: // signed already
			s.macResponse(c, adm)
		case reply != nil && reply.Raw != nil:
			c.Set("Idempotent-Replayed", "true") // not covered by the signature
		default:
			s.signResponse(c, adm)
		}
		if reply != nil && reply.After != nil {
			headers := map[string]string{}
			for _, k := range signedHeaders {
				headers[k] = string(c.Response().Header.Peek(k))
			}
			reply.After(c.Response().StatusCode(), headers, append([]byte(nil), c.Response().Body()...))
		}
		// Sandbox faults of the partner-side suite act on the signed (and stored) answer.
		if eff.LoseResponse {
			perr = problem.Unavailable.WithRetryAfter(1).WithDetail("%s is temporarily unavailable; retry later", api.UAPIID)
			s.replaceAnswer(c, perr, adm)
		}
		s.mangle(c, eff.Mangle)
		s.finish(c, api.ID, api.UAPIID, appID, req, perr, start, ob)
		if eff.Problem != "" || faults.Spoils(eff.Mangle) {
			// A forged or spoiled answer is the sandbox's doing (a test control): the partner
			// never saw the bank's real answer, so the abnormal-pattern rule ignores it.
			perr = nil
		}
		s.watch(api, adm, appID, c.Response().StatusCode(), perr)
		return nil
	}
}

func (s *Server) callHandler(c *fiber.Ctx, h Handler, in Input) (*Reply, *problem.Error) {
	status, body, err := h(audit.WithRequestID(c.UserContext(), requestID(c)), in)
	if err != nil {
		return nil, problem.From(err)
	}
	r, ok := body.(*Reply)
	if !ok {
		r = &Reply{Status: status, Body: body}
	}
	if r.Raw != nil {
		c.Status(r.Raw.Status)
		for k, v := range r.Raw.Headers {
			c.Set(k, v)
		}
		return r, problem.From(c.Send(r.Raw.Body))
	}
	if err := writeJSON(c, r.Status, r.Body); err != nil {
		return nil, problem.From(err)
	}
	return r, nil
}

// apiFallback answers anything under /a1 or /a2 that matched no API: an unsupported
// version, a known path with the wrong method, or an unknown route — signed like every
// API response (JR/T 0185-2020 7.2.2/1).
func (s *Server) apiFallback(c *fiber.Ctx) error {
	start := time.Now()
	path := c.Path()
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	family := "/" + parts[0]
	var perr *problem.Error
	switch {
	case len(parts) < 2 || parts[1] == "":
		perr = problem.RouteNotFound.WithDetail("see /docs/apis for the API catalogue")
	case !contains(apis.SupportedVersions[family], parts[1]):
		perr = problem.APIVersionUnsupported.WithDetail("version %q is not offered under %s; supported: %s",
			problem.Clip(parts[1]), family, strings.Join(apis.SupportedVersions[family], ", "))
	default:
		perr = problem.RouteNotFound.WithDetail("no API at %s; see /docs/apis", problem.Clip(path))
		for _, a := range s.d.Catalogue.APIs {
			if matchPath(a.Path, path) && a.Method != c.Method() {
				perr = problem.MethodNotAllowed.WithDetail("%s accepts %s", a.ID, a.Method)
				c.Set("Allow", a.Method)
			}
		}
	}
	_ = s.renderProblem(c, perr)
	s.signResponse(c, nil)
	s.finish(c, "", "", "", adapt(c, nil), perr, start, nil)
	return nil
}

// finish writes the audit record and the metrics for one API call.
func (s *Server) finish(c *fiber.Ctx, apiID, uapiID, appID string, req gateway.Request, perr *problem.Error, start time.Time, ob *observed) {
	d := time.Since(start)
	status := c.Response().StatusCode()
	code, result := "", "success"
	if perr != nil {
		code, result = perr.Code, "failure"
	}
	if uapiID != "" && !s.d.Mutant.Is(mutant.UAPIIDHeaderMissing) {
		c.Set(protocol.HeaderUAPIID, uapiID)
	}
	// JR/T 0185-2020 10.1.1/1, 10.1.1/2b: every call counted, per API and per App_ID.
	if !s.d.Mutant.Is(mutant.NoMetrics) {
		s.d.Metrics.Observe(orUnknown(apiID), uapiID, status, code, d)
		s.d.Metrics.ObserveApp(metricsAppID(appID, perr), uapiID, status, code)
	}
	if s.d.Observe != nil {
		s.observeCall(c, apiID, uapiID, req, code, start, d, ob)
	}
	// JR/T 0185-2020 7.3.3/1, 12.3/1: every call, accepted or refused, is logged.
	if perr != nil && s.d.Mutant.Is(mutant.NoAuditRecord) {
		return
	}
	rid := requestID(c)
	if s.d.Mutant.Is(mutant.AuditWithoutRequest) {
		rid = ""
	}
	at, micros := s.d.Clock.Now(), d.Microseconds()
	switch {
	case s.d.Mutant.Is(mutant.AuditZeroDuration):
		micros = 0
	case s.d.Mutant.Is(mutant.AuditLocalTimeAsUTC):
		l := at.In(pgChinaTime) // Beijing wall-clock digits, marked UTC
		at = time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
	}
	s.d.Audit.Append(audit.Record{
		Time: at, RequestID: rid, AppID: appID, APIID: apiID, UAPIID: uapiID,
		Method: req.Method, Path: pii.Redact(clipN(s.auditURI(req.URI), 512)), Status: status, Result: result, Code: code,
		DurationMicros: micros, Excerpt: excerpt(req, s.d.Mutant.Is(mutant.AuditUnmaskedExcerpt), s.d.Mutant.Is(mutant.AuditKeepsCredentials)),
	})
}

// auditURI is the request-target as the log keeps it: credentials in its query as
// fingerprints (12.3/2).
func (s *Server) auditURI(uri string) string {
	if s.d.Mutant.Is(mutant.AuditKeepsCredentials) {
		return uri
	}
	return audit.ScrubURI(uri)
}

// excerpt is the minimal, masked part of the partner's message that is kept
// (JR/T 0185-2020 12.3/2: 遵循最少够用原则适当保留应用方上送报文): body size, its SM3
// digest, at most 256 bytes with card, ID and phone numbers masked, and the request's
// signature with what it covers besides the body (key serial, timestamp, nonce), so a
// disputed message can be re-verified against the partner's copy.
func excerpt(req gateway.Request, unmasked, keepCredentials bool) string {
	type sig struct {
		Scheme    string `json:"scheme"`
		Serial    string `json:"serial"`
		Timestamp string `json:"timestamp"`
		Nonce     string `json:"nonce"`
		Signature string `json:"signature"`
	}
	e := struct {
		Len  int    `json:"len"`
		SM3  string `json:"sm3,omitempty"`
		Head string `json:"head,omitempty"`
		Sig  *sig   `json:"sig,omitempty"`
	}{Len: len(req.Body)}
	if len(req.Body) > 0 {
		e.SM3 = protocol.SM3Hex(req.Body)
		// 12.3/2, 7.3.3: no credential in the log — codes, verifiers, tokens and secrets
		// are kept as SM3 fingerprints; a body that is neither JSON nor a form keeps no head.
		head, ok := audit.ScrubBody(req.Body)
		if keepCredentials {
			head, ok = string(req.Body), true
		}
		if ok {
			e.Head = strings.ToValidUTF8(clipN(head, 256), "?")
		}
		if !unmasked {
			e.Head = pii.Redact(e.Head)
		}
	}
	if cred, err := protocol.ParseAuthorization(req.Header("Authorization")); err == nil {
		e.Sig = &sig{cred.Scheme, clipN(cred.Serial, 64), clipN(cred.Timestamp, 20), clipN(cred.Nonce, 64), clipN(cred.Signature, 200)}
	}
	if e.Len == 0 && e.Sig == nil {
		return ""
	}
	b, _ := json.Marshal(e)
	return string(b)
}

// lifecycleHeaders announce deprecation on every response of a deprecated API
// (JR/T 0185-2020 7.1/6, 10.3/1: 就接口废止、变更等情况与应用方保持信息同步).
func (s *Server) lifecycleHeaders(c *fiber.Ctx, api *apis.API) {
	st := s.d.Lifecycle.Get(api.ID)
	if st.State != apis.Deprecated || s.d.Mutant.Is(mutant.NoSunsetHeader) {
		return
	}
	c.Set("Deprecation", "true")
	if !st.Sunset.IsZero() {
		c.Set("Sunset", st.Sunset.UTC().Format(http.TimeFormat))
	}
	c.Set("X-JR-API-Notice", headerText(st.Notice))
}

// adapt copies what the gateway needs out of the fiber context.
func adapt(c *fiber.Ctx, api *apis.API) gateway.Request {
	r := gateway.Request{
		Method: strings.Clone(c.Method()), // fiber strings view buffers it reuses
		// The request-target exactly as sent: Request().RequestURI() would rebuild it
		// from the normalized URI ("/a/..%2fb" -> "/b") and the MAC would not match.
		URI:        string(c.Request().Header.RequestURI()),
		Body:       append([]byte(nil), c.Body()...),
		TLS:        c.Context().TLSConnectionState(),
		PathParams: map[string]string{},
	}
	hdr := map[string]string{}
	for k, v := range c.Request().Header.All() {
		key := strings.ToLower(string(k))
		if _, dup := hdr[key]; dup {
			hdr[key] = "\x00duplicate" // a repeated header is never trusted
			continue
		}
		hdr[key] = string(v)
	}
	r.Header = func(name string) string {
		v := hdr[strings.ToLower(name)]
		if v == "\x00duplicate" {
			return "duplicate header"
		}
		return v
	}
	for k, v := range c.Context().QueryArgs().All() {
		r.Query = append(r.Query, [2]string{string(k), string(v)})
	}
	if api != nil {
		for _, p := range api.Params {
			if p.In == "path" {
				r.PathParams[p.Name] = strings.Clone(c.Params(p.Name))
			}
		}
	}
	return r
}

func queryMap(q [][2]string) map[string]string {
	m := make(map[string]string, len(q))
	for _, kv := range q {
		m[kv[0]] = kv[1]
	}
	return m
}

// matchPath matches a fiber route template (":name" segments) against a path.
func matchPath(tpl, path string) bool {
	ts, ps := strings.Split(tpl, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if !strings.HasPrefix(ts[i], ":") && ts[i] != ps[i] {
			return false
		}
	}
	return true
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func clipN(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "unmatched"
	}
	return s
}

// headerText makes text safe for a header value: printable ASCII passes unchanged;
// other bytes (a Chinese notice's UTF-8), '%' and controls are percent-encoded.
func headerText(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '%' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
