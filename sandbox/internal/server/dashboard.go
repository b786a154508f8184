package server

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/jr0185/harness/sandbox/internal/dashboard"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// The request inspector and trainer dashboard (sandbox mode only): every call the bank
// observes, live over server-sent events, with each verification step passed or failed;
// a metrics panel; guided flows run with the bank's trainer partner.
//
// Access: the page shows every partner's calls, so it is behind the admin token. The
// operator presents the token once to the login form (POST body, never a URL); the bank
// answers with a session cookie (__Host-, Secure, HttpOnly, SameSite=Strict; 8 hours;
// only its digest is kept, in memory). POSTs also carry a form token bound to the
// session. Scripts are served as files: the CSP allows no inline script.

//go:embed dashboard/*
var dashFS embed.FS

var dashPages = template.Must(template.ParseFS(dashFS, "dashboard/*.html"))

const (
	dashCookie = "__Host-jr_dashboard"
	// dashCSP: scripts and styles from this origin only, no inline script, EventSource
	// and fetch to this origin, no framing.
	dashCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	// dashStreamFor bounds one event stream below the server's write timeout; the
	// browser's EventSource reconnects with Last-Event-ID and the feed's backlog fills
	// the gap.
	dashStreamFor    = 10 * time.Second
	dashSummaryEvery = 2 * time.Second
	dashSummaryQuick = 250 * time.Millisecond
)

func (s *Server) dashboardRoutes() {
	if !s.d.Debug || s.d.Observe == nil || s.d.Dashboard == nil {
		return // production-like mode: no inspector (/dashboard is 404)
	}
	s.app.Get("/dashboard/static/:file", s.dashStatic)
	s.app.Get("/dashboard/login", s.dashPage(s.dashLoginPage))
	s.app.Post("/dashboard/login", s.dashPage(s.dashLogin))
	s.app.Post("/dashboard/logout", s.dashPage(s.dashAuth(s.dashLogout)))
	s.app.Get("/dashboard", s.dashPage(s.dashAuth(s.dashHome)))
	s.app.Get("/dashboard/events", s.dashAuth(s.dashEvents))
	s.app.Get("/dashboard/callback", s.dashPage(s.dashAuth(s.dashCallback)))
	s.app.Post("/dashboard/flows/:flow", s.dashAuth(s.dashFlow))
}

// dashPage sets the page headers.
func (s *Server) dashPage(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set("Content-Security-Policy", dashCSP)
		c.Set("X-Frame-Options", "DENY")
		c.Set("Cache-Control", "no-store")
		return h(c)
	}
}

type dashSessionKey struct{}

// dashAuth lets a request with an open session through; a page request without one is
// sent to the login form, anything else gets the catalogued 401.
func (s *Server) dashAuth(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sid := pgCookie(c, dashCookie)
		if !s.d.Dashboard.Sessions.Valid(sid) {
			if c.Method() == fiber.MethodGet && pgWantsHTML(c) && c.Path() == "/dashboard" {
				return pgSeeOther(c, "/dashboard/login")
			}
			return problem.AdminUnauthorized.WithDetail("log in to the dashboard at /dashboard/login with the admin token")
		}
		c.Locals(dashSessionKey{}, sid)
		return h(c)
	}
}

func dashSession(c *fiber.Ctx) string { v, _ := c.Locals(dashSessionKey{}).(string); return v }

func (s *Server) dashRender(c *fiber.Ctx, status int, name string, data any) error {
	var b bytes.Buffer
	if err := dashPages.ExecuteTemplate(&b, name, data); err != nil {
		return problem.Internal.Wrap(err)
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(b.Bytes())
}

func (s *Server) dashStatic(c *fiber.Ctx) error {
	types := map[string]string{"dashboard.js": "text/javascript; charset=utf-8", "dashboard.css": "text/css; charset=utf-8"}
	name := param(c, "file")
	ct, ok := types[name]
	if !ok {
		return problem.RouteNotFound
	}
	b, err := dashFS.ReadFile("dashboard/" + name)
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	c.Set(fiber.HeaderContentType, ct)
	return c.Send(b)
}

type dashLoginView struct {
	Error     string
	RequestID string
}

func (s *Server) dashLoginPage(c *fiber.Ctx) error {
	return s.dashRender(c, 200, "login.html", dashLoginView{RequestID: requestID(c)})
}

// dashLogin: POST /dashboard/login token=<admin token>.
func (s *Server) dashLogin(c *fiber.Ctx) error {
	tok := pgForm(c, "token")
	if tok == "" || !s.adminTokenOK(tok) {
		s.d.Log.Warn("dashboard: login refused", "remote", c.Context().RemoteAddr().String())
		if !pgWantsHTML(c) {
			return problem.AdminUnauthorized.WithDetail("the dashboard needs the admin token")
		}
		return s.dashRender(c, 401, "login.html", dashLoginView{Error: "That is not the admin token (printed at first start, kept in the data folder).", RequestID: requestID(c)})
	}
	sid := s.d.Dashboard.Sessions.Start()
	c.Cookie(&fiber.Cookie{Name: dashCookie, Value: sid, Path: "/", Secure: true, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode, MaxAge: int(dashboard.SessionTTL / time.Second)})
	s.d.Log.Info("dashboard: session started", "remote", c.Context().RemoteAddr().String())
	return pgSeeOther(c, "/dashboard")
}

func (s *Server) dashLogout(c *fiber.Ctx) error {
	sid := dashSession(c)
	if !s.d.Dashboard.Sessions.FormTokenOK(sid, pgForm(c, "form_token")) {
		return problem.FormTokenInvalid
	}
	s.d.Dashboard.Sessions.End(sid)
	c.Cookie(&fiber.Cookie{Name: dashCookie, Value: "", Path: "/", Secure: true, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode, Expires: fasthttp.CookieExpireDelete})
	return pgSeeOther(c, "/dashboard/login")
}

type dashFlowView struct {
	Name, Title, What string
}

type dashHomeView struct {
	FormToken  string
	TrainerApp string
	Flows      []dashFlowView
	Last       dashboard.Result
	RequestID  string
}

var dashFlows = []dashFlowView{
	{dashboard.FlowConsent, "Consent and two-factor login", "Opens the bank's consent page: log in with password and one-time code, consent; the code is exchanged and the accounts are read."},
	{dashboard.FlowPayment, "Payment", "Opens a payment consent confirmed with a one-time code; then the payment is made."},
	{dashboard.FlowRevoke, "Revocation", "The partner revokes the token from the consent flow; the next call with it is refused."},
	{dashboard.FlowTamper, "Tampered response", "One answer is changed after the bank signed it; the partner SDK refuses it."},
	{dashboard.FlowRateLimit, "Rate limiting", "A burst of calls beyond the trainer app's rate limit; the excess gets 429."},
}

func (s *Server) dashHome(c *fiber.Ctx) error {
	return s.dashRender(c, 200, "index.html", dashHomeView{FormToken: s.d.Dashboard.Sessions.FormToken(dashSession(c)),
		TrainerApp: s.d.Dashboard.Trainer.AppID(), Flows: dashFlows, Last: s.d.Dashboard.Trainer.Last(), RequestID: requestID(c)})
}

// dashFlow: POST /dashboard/flows/:flow with X-Dashboard-Token.
func (s *Server) dashFlow(c *fiber.Ctx) error {
	if !s.d.Dashboard.Sessions.FormTokenOK(dashSession(c), c.Get("X-Dashboard-Token")) {
		return problem.FormTokenInvalid
	}
	flow := param(c, "flow")
	known := false
	for _, f := range dashFlows {
		known = known || f.Name == flow
	}
	if !known {
		return problem.RouteNotFound
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 30*time.Second)
	defer cancel()
	r, err := s.d.Dashboard.Trainer.Run(ctx, flow)
	if errors.Is(err, dashboard.ErrNotReady) {
		return problem.Unavailable.WithDetail("the trainer partner is not set up yet")
	}
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	s.d.Log.Info("dashboard: flow run", "flow", flow, "ok", r.OK)
	return writeJSON(c, 200, r)
}

// dashCallback: the trainer partner's redirect URI. It finishes the consent or payment
// flow and goes back to the dashboard, which shows the outcome.
func (s *Server) dashCallback(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 30*time.Second)
	defer cancel()
	_, err := s.d.Dashboard.Trainer.Callback(ctx, pgQuery(c, "state"), pgQuery(c, "code"), pgQuery(c, "error"), pgQuery(c, "error_description"))
	if errors.Is(err, dashboard.ErrUnknownState) {
		return problem.AuthRequestInvalid.WithDetail("no dashboard flow is waiting for this state (already used or too old)")
	}
	if err != nil {
		return problem.Unavailable.Wrap(err).WithDetail("the trainer partner is not set up yet")
	}
	return pgSeeOther(c, "/dashboard#last")
}

// dashEvents: GET /dashboard/events — server-sent events: "call" (an observation or a
// refused handshake, id = its sequence number), "alarm", and "summary" (the metrics
// panel) every two seconds. A stream lasts dashStreamFor; the browser reconnects with
// Last-Event-ID.
func (s *Server) dashEvents(c *fiber.Ctx) error {
	var after int64
	if v := c.Get("Last-Event-ID"); v != "" {
		after, _ = strconv.ParseInt(v, 10, 64)
	}
	backlog, sub, ok := s.d.Observe.Subscribe(after)
	if !ok {
		return problem.Unavailable.WithRetryAfter(5).WithDetail("too many open inspectors")
	}
	alarms, unsubscribe := s.d.Alarms.Subscribe()
	recentAlarms := s.d.Alarms.Recent(0, "")
	done := c.Context().Done()
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set("Cache-Control", "no-store")
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer sub.Cancel()
		defer unsubscribe()
		_, _ = w.WriteString("retry: 1000\n\n")
		for i := range backlog {
			dashSend(w, "call", backlog[i].Seq, backlog[i])
		}
		for _, a := range recentAlarms {
			dashSend(w, "alarm", 0, a)
		}
		s.dashSummary(w)
		if w.Flush() != nil {
			return
		}
		end := time.NewTimer(dashStreamFor)
		defer end.Stop()
		// The metrics panel follows the calls: a summary at most every dashSummaryQuick
		// after a call or an alarm, and every dashSummaryEvery regardless.
		tick := time.NewTicker(dashSummaryQuick)
		defer tick.Stop()
		stale, last := false, time.Now()
		for {
			select {
			case e, open := <-sub.C:
				if !open {
					return // dropped for falling behind: the browser reconnects and resumes
				}
				dashSend(w, "call", e.Seq, e)
				stale = true
			case a := <-alarms:
				dashSend(w, "alarm", 0, a)
				stale = true
			case now := <-tick.C:
				if !stale && now.Sub(last) < dashSummaryEvery {
					continue
				}
				s.dashSummary(w)
				stale, last = false, now
			case <-end.C:
				_ = w.Flush()
				return
			case <-done:
				return
			}
			if w.Flush() != nil {
				return // the browser went away
			}
		}
	})
	return nil
}

type dashSummaryView struct {
	dashboard.Summary
	Alarms int `json:"alarms"`
}

func (s *Server) dashSummary(w *bufio.Writer) {
	dashSend(w, "summary", 0, dashSummaryView{Summary: dashboard.Summarize(s.d.Observe.Recent(0)),
		Alarms: len(s.d.Alarms.Recent(0, ""))})
}

// dashSend writes one event. JSON has no raw newlines, so data is one line.
func dashSend(w *bufio.Writer, event string, id int64, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	_, _ = w.WriteString("event: " + event + "\n")
	if id > 0 {
		_, _ = w.WriteString("id: " + strconv.FormatInt(id, 10) + "\n")
	}
	_, _ = w.WriteString("data: " + strings.ReplaceAll(string(b), "\n", "") + "\n\n")
}
