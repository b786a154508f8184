// Package server is the bank's HTTP layer: it wires routes and middleware on fiber,
// adapts requests for the gateway, calls one service per handler and renders. Rules
// live in the capability packages; this package only parses and renders.
package server

import (
	"github.com/jr0185/harness/sandbox/internal/mutant"

	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/jr0185/harness/sandbox/internal/accounts"
	"github.com/jr0185/harness/sandbox/internal/apis"
	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/audit"
	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/consent"
	"github.com/jr0185/harness/sandbox/internal/dashboard"
	"github.com/jr0185/harness/sandbox/internal/gateway"
	"github.com/jr0185/harness/sandbox/internal/monitor"
	"github.com/jr0185/harness/sandbox/internal/otp"
	"github.com/jr0185/harness/sandbox/internal/partners"
	"github.com/jr0185/harness/sandbox/internal/payments"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/products"
	"github.com/jr0185/harness/sandbox/internal/risk"
	"github.com/jr0185/harness/sandbox/internal/seed"
	"github.com/jr0185/harness/sandbox/internal/sessions"
	"github.com/jr0185/harness/sandbox/internal/signing"
)

// AuditLog receives one record per API call (JR/T 0185-2020 7.3.3, 12.3).
type AuditLog interface {
	Append(r audit.Record)
	Query(ctx context.Context, f audit.Filter) ([]audit.Record, error)
	Head() audit.Head
}

// Deps are the services the server renders.
type Deps struct {
	Clock      clock.Clock
	ClockCtl   *clock.Sandbox // advanceable in sandbox mode (test controls)
	Log        *slog.Logger
	Catalogue  *apis.Catalogue
	Lifecycle  *apis.Lifecycle
	Gateway    *gateway.Gateway
	Apps       *apps.Service
	Products   *products.Service
	Audit      AuditLog
	Metrics    *monitor.Metrics
	Alarms     *monitor.Alarms
	OTP        *otp.Service
	Sessions   *sessions.Service
	Consent    *consent.Service
	Accounts   *accounts.Service
	Payments   *payments.Service
	EncKey     *sm2.PrivateKey // the bank's encryption key (separate from Signer's, 7.3.4/1)
	AccountIDs accounts.IDs
	Signer     *signing.Current // the bank's response-signing key (rotatable)
	Rotate     func() error     // rotate the bank signing key (admin)
	BankCerts  func() [][]byte  // bank signing certificates (current first), published so partners can verify
	EncCertPEM []byte           // bank encryption certificate, published for field encryption
	AdminToken string           // SM3 hex of the admin token
	Debug      bool             // sandbox mode: signature debugger details in errors
	BodyLimit  int
	// Limits are the sections of /docs/limits.json (limits.go), by name.
	Limits map[string]LimitSection
	Mutant mutant.Set // a mutant bank breaks one control on purpose (sandbox mode only)
	// IssueTestServerCert signs a loopback TLS server certificate for a partner's local
	// notification receiver (sandbox test control; nil: not offered).
	IssueTestServerCert func(csrPEM []byte, hosts []string) ([]byte, error)
	// Publication (area publish): the JR/T 0124 financial institution code the bank
	// declares, and partner self-service registration.
	FinancialInstitutionCode string
	Partners                 *partners.Service
	Ready                    func() error
	Dashboard                *dashboard.Console // request inspector and trainer flows (sandbox mode; dashboard.go)
	// Reset reloads the seeded business data (nil: the data set in force) — the
	// sandbox's reset and reseed test controls (admin_reset.go).
	Reset func(ctx context.Context, to *seed.Spec) (seed.Result, error)
	// TestUsers looks a test user up with their real numbers, the ground truth of a
	// conformance suite's masking checks (sandbox mode; nil: not offered;
	// admin_testusers.go).
	TestUsers func(ctx context.Context, username string) (seed.TestUser, error)
	ServiceDeps
}

// Server is the bank's HTTP server.
type Server struct {
	d     Deps
	app   *fiber.App
	http  *fasthttp.Server
	ready atomic.Bool
	// adminFails counts wrong admin tokens per client address (admin.go).
	adminFails *risk.Tracker
}

// New builds the fiber app and routes.
func New(d Deps) *Server {
	s := &Server{d: d, adminFails: &risk.Tracker{}}
	s.app = fiber.New(fiber.Config{
		ServerHeader:          "", // JR/T 0185-2020 7.1/7: no server software in headers
		DisableStartupMessage: true,
		BodyLimit:             d.BodyLimit,
		ReadBufferSize:        8192, // request line + headers; larger gets 431
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          15 * time.Second,
		IdleTimeout:           90 * time.Second,
		ErrorHandler:          s.errorHandler,
		// Routing is exact: /a1/v1/products/ is not /a1/v1/products.
		StrictRouting: true,
		CaseSensitive: true,
	})
	s.routes()
	// fasthttp is run here rather than by fiber so that every byte on the wire is ours:
	// framing errors and unknown methods get catalogued problems, never the framework's
	// own text (JR/T 0185-2020 7.1/7).
	s.http = &fasthttp.Server{
		Handler:                       s.guard(s.app.Handler()),
		ErrorHandler:                  s.framingError,
		MaxRequestBodySize:            d.BodyLimit,
		ReadBufferSize:                8192,
		ReadTimeout:                   15 * time.Second,
		WriteTimeout:                  15 * time.Second,
		IdleTimeout:                   90 * time.Second,
		NoDefaultServerHeader:         true,
		NoDefaultDate:                 false,
		DisableHeaderNamesNormalizing: false,
		CloseOnShutdown:               true,
		// No interface takes multipart: a multipart body must reach the media-type
		// check (415), not a form parser of its own (issue 14).
		DisablePreParseMultipartForm: true,
		Logger:                       quietLogger{},
	}
	return s
}

// knownMethods are the methods fiber routes; anything else is refused before routing.
var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true,
	"PATCH": true, "OPTIONS": true, "CONNECT": true, "TRACE": true}

func (s *Server) guard(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if !knownMethods[string(ctx.Method())] {
			s.renderRaw(ctx, problem.MethodNotAllowed.WithDetail("unknown HTTP method"))
			return
		}
		if !s.d.Mutant.Is(mutant.LenientHTTP) {
			if err := wellFormed(&ctx.Request.Header); err != nil {
				s.renderRaw(ctx, err)
				return
			}
		}
		next(ctx)
	}
}

// framingError answers requests that could not be read as HTTP.
func (s *Server) framingError(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.As(err, &small):
		s.renderRaw(ctx, problem.HeaderTooLarge)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		s.renderRaw(ctx, problem.BodyTooLarge.WithDetail("the limit is %d bytes", s.d.BodyLimit))
	case s.d.Mutant.Is(mutant.LenientHTTP):
		s.renderRaw(ctx, problem.BodyInvalid.WithDetail("the request could not be read as HTTP/1.1"))
	default:
		s.renderRaw(ctx, problem.RequestMalformed.WithDetail("the request could not be read as HTTP/1.1 (request line, headers or chunked framing)"))
	}
}

// wellFormed refuses what a lenient parser serves but a proxy in front of the bank may
// read differently — the seed of request smuggling (JR/T 0185-2020 7.2.2/1): a request
// line naming any version but HTTP/1.1 or HTTP/1.0, an obs-folded header line (RFC
// 9112 5.2), a header name that is not an RFC 9110 token (a space, a control).
func wellFormed(h *fasthttp.RequestHeader) *problem.Error {
	if p := string(h.Protocol()); p != "HTTP/1.1" && p != "HTTP/1.0" {
		return problem.RequestMalformed.WithDetail("the request line must end in HTTP/1.1 (got %s)", problem.Clip(p))
	}
	for line := range strings.SplitSeq(string(h.RawHeaders()), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			return problem.RequestMalformed.WithDetail("folded header lines (obs-fold) are not accepted")
		}
		name, _, found := strings.Cut(line, ":")
		if !found || !isToken(name) {
			return problem.RequestMalformed.WithDetail("a header name must be a token (letters, digits and !#$%%&'*+-.^_`|~), with the colon right after it")
		}
	}
	return nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// renderRaw writes a problem outside fiber (framing errors, unknown methods).
func (s *Server) renderRaw(ctx *fasthttp.RequestCtx, e *problem.Error) {
	rid := newRequestID(s.d.Clock.Now())
	body, leaky := s.problemBody(e, rid)
	ctx.Response.Reset()
	if leaky {
		ctx.Response.Header.Set("Server", "fasthttp")
	}
	ctx.SetStatusCode(e.Status)
	ctx.Response.Header.Set("X-Request-Id", rid)
	ctx.Response.Header.Set("X-Content-Type-Options", "nosniff")
	ctx.Response.Header.Set("Cache-Control", "no-store")
	if !s.d.Mutant.Is(mutant.NoHSTS) {
		ctx.Response.Header.Set("Strict-Transport-Security", hsts)
	}
	ctx.Response.Header.SetContentType(problem.ContentType)
	ctx.SetBody(body)
	ctx.SetConnectionClose()
}

// quietLogger drops fasthttp's own log lines, which can carry client addresses and
// parser details; our own logging records what matters.
type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// App exposes the fiber app (for in-process tests and the route inventory).
func (s *Server) App() *fiber.App { return s.app }

// Serve runs on ln until it is closed.
func (s *Server) Serve(ln net.Listener) error {
	s.ready.Store(true)
	return s.http.Serve(ln)
}

// Shutdown stops accepting and waits for in-flight requests.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	return s.http.ShutdownWithContext(ctx)
}

// hsts tells browsers to reach the bank over TLS only, for a year (RFC 6797; JR/T
// 0185-2020 9.2.2/3 宜使用TLS 1.2及以上版本).
const hsts = "max-age=31536000; includeSubDomains"

// TLSConfig is the bank's TLS policy: TLS 1.2 or later only (JR/T 0185-2020 9.2.2/3),
// AEAD suites with forward secrecy, and client certificates requested but verified by
// the gateway, so a wrong certificate gets a catalogued error instead of a bare alert
// and browser pages never need one.
func TLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequestClientCert,
		// Go issues TLS 1.3 tickets for 7 days (a fixed lifetime) and cannot shorten
		// them: a stolen ticket key would open a week of sessions. No tickets, so no
		// resumption beyond the connection itself (issue 14; keep-alive does the job).
		SessionTicketsDisabled: true,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,
		},
	}
}

func (s *Server) routes() {
	s.app.Use(s.base)
	for i := range s.d.Catalogue.APIs {
		api := &s.d.Catalogue.APIs[i]
		h, ok := s.handlers()[api.ID]
		if !ok {
			panic("server: no handler for catalogued API " + api.ID)
		}
		s.app.Add(api.Method, api.Path, s.apiHandler(api, h))
	}
	// Anything else under an API family: version, method or route problems, signed like
	// every API response.
	s.app.All("/a1/*", s.apiFallback)
	s.app.All("/a2/*", s.apiFallback)
	s.adminRoutes()
	s.userRoutes()
	s.magicValuesRoutes() // magic.go
	s.dashboardRoutes()   // dashboard.go (sandbox mode only)
	s.publicRoutes()
}

// base sets the request id (交易流水号) and safe headers on every response and turns a
// panic anywhere below into a catalogued 500 (JR/T 0185-2020 7.1/7).
func (s *Server) base(c *fiber.Ctx) (err error) {
	rid := newRequestID(s.d.Clock.Now())
	c.Locals(ridKey{}, rid)
	c.Set("X-Request-Id", rid)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("Cache-Control", "no-store")
	if !s.d.Mutant.Is(mutant.NoHSTS) {
		c.Set("Strict-Transport-Security", hsts) // 9.2.2/3: browsers never fall back to plain HTTP
	}
	defer func() {
		if p := recover(); p != nil {
			s.d.Log.Error("panic recovered", "request_id", rid, "panic", p)
			err = s.renderProblem(c, problem.Internal)
		}
	}()
	return c.Next()
}

type ridKey struct{}

func requestID(c *fiber.Ctx) string {
	if v, ok := c.Locals(ridKey{}).(string); ok {
		return v
	}
	return ""
}

// newRequestID is a sortable, unique 交易流水号: UTC time to the second, then 12 random hex digits.
func newRequestID(now time.Time) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102150405") + strings.ToUpper(hex.EncodeToString(b[:]))
}
