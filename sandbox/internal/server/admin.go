package server

import (
	"crypto/subtle"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/apis"
	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/audit"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/protocol"
)

// adminRoutes: the bank operator's API, behind the admin token generated at first start.
func (s *Server) adminRoutes() {
	g := s.app.Group("/admin/v1", s.adminAuth)
	g.Get("/apps", s.adminListApps)
	g.Post("/apps", s.adminRegister)
	g.Get("/apps/:id", s.adminGetApp)
	g.Post("/apps/:id/actions/:action", s.adminAction)
	g.Put("/apps/:id/scopes", s.adminScopes)
	g.Put("/apps/:id/limits", s.adminLimits)
	g.Post("/apps/:id/secrets", s.adminRotateSecret)
	g.Post("/apps/:id/credentials", s.adminAddCredential)
	g.Delete("/apps/:id/credentials/:serial", s.adminRevokeCredential)
	g.Post("/apps/:id/exit", s.adminExit)
	g.Get("/apis", s.adminAPIs)
	g.Put("/apis/:api/state", s.adminAPIState)
	g.Get("/alarms", s.adminAlarms)
	g.Post("/bank-keys/rotate", s.adminRotateBankKey)
	g.Get("/payments/review", s.adminPaymentsForReview)
	g.Post("/payments/:id/approve", s.adminPaymentDecision(true))
	g.Post("/payments/:id/reject", s.adminPaymentDecision(false))
	g.Get("/apps/:id/notifications", s.adminNotifications)
	g.Get("/audit", s.adminAudit)
	if s.d.Debug && s.d.ClockCtl != nil {
		// Test control (sandbox mode only): move the bank's clock so token, consent and
		// key expiry can be shown without waiting.
		g.Post("/clock/advance", s.adminAdvanceClock)
		g.Post("/apps/:id/backdate", s.adminBackdateApp)     // admin_backdate.go
		g.Post("/sessions/backdate", s.adminBackdateSession) // admin_backdate.go
	}
	s.adminMoneyRoutes(g)
	s.serviceAdminRoutes(g)
	s.observeAdminRoutes(g) // admin_observe.go (sandbox mode only)
	s.publishAdminRoutes(g)
	s.debugAdminRoutes(g)  // admin_debug.go (sandbox mode only)
	s.testControlRoutes(g) // admin_testctl.go (sandbox mode only)
	s.testUserRoutes(g)    // admin_testusers.go (sandbox mode only)
	g.All("/*", func(c *fiber.Ctx) error { return problem.RouteNotFound })
}

func (s *Server) adminAuth(c *fiber.Ctx) error {
	addr, now := strings.Clone(c.IP()), s.d.Clock.Now()
	guard := !s.d.Mutant.Is(mutant.NoAdminThrottle)
	// 10.1.2/1b: an address that sent too many wrong tokens is shut out, whatever it
	// sends now — a right guess while shut out teaches it nothing.
	if until, blocked := s.adminFails.Locked(addr, now); blocked && guard {
		return problem.AdminThrottled.WithRetryAfter(int(until.Sub(now)/time.Second)+1).
			WithDetail("%d wrong admin tokens from this address; admin calls from it are refused for %s after the last of them", AdminMaxFails, AdminPenalty)
	}
	tok, ok := strings.CutPrefix(c.Get("Authorization"), "Bearer ")
	if !ok || !s.adminTokenOK(tok) {
		if _, locked := s.adminFails.Fail(addr, now, AdminMaxFails, AdminFailWindow, AdminPenalty); guard && locked {
			s.d.Alarms.Raise("admin-token-bruteforce", "", fmt.Sprintf("%d wrong admin tokens from %s within %s; its admin calls are refused for %s",
				AdminMaxFails, addr, AdminFailWindow, AdminPenalty))
		}
		return problem.AdminUnauthorized.WithDetail("send Authorization: Bearer <admin token> (printed at first start, kept in the data folder)")
	}
	s.adminFails.Forget(addr)
	return c.Next()
}

// The admin token's brute-force guard (issue 14): AdminMaxFails wrong tokens in a row
// from one address within AdminFailWindow shut it out for AdminPenalty and raise a
// security alarm.
const (
	AdminMaxFails   = 10
	AdminFailWindow = 10 * time.Minute
	AdminPenalty    = 5 * time.Minute
	// AuditLimitMax is the most records one GET /admin/v1/audit answers.
	AuditLimitMax = 1000
)

// adminTokenOK reports whether tok is the admin token: its SM3 digest (all the bank
// keeps) compared in constant time.
func (s *Server) adminTokenOK(tok string) bool {
	got := protocol.SM3Hex([]byte(tok))
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.d.AdminToken)) == 1
}

// decode reads a JSON body through the bank's one strict path (strictbody: media type,
// UTF-8, one object, exact and unrepeated field names; JR/T 0185-2020 7.2.2/1).
func (s *Server) decode(c *fiber.Ctx, v any) error {
	return s.decodeJSON(c.Get(fiber.HeaderContentType), c.Body(), v)
}

// queryInt reads an integer query parameter within [lo, hi]; absent is def, anything
// else is refused, never silently replaced (issue 14: audit?limit=-1).
func (s *Server) queryInt(c *fiber.Ctx, name string, def, lo, hi int) (int, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if s.d.Mutant.Is(mutant.UnboundedFields) {
		if err != nil || n < lo || n > hi {
			return def, nil
		}
		return n, nil
	}
	if err != nil || n < lo || n > hi {
		return 0, problem.ParameterInvalid.WithDetail("%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

func param(c *fiber.Ctx, name string) string { return strings.Clone(c.Params(name)) }

func (s *Server) adminListApps(c *fiber.Ctx) error {
	list, err := s.d.Apps.List(c.UserContext())
	if err != nil {
		return err
	}
	if list == nil {
		list = []apps.App{}
	}
	return writeJSON(c, 200, fiber.Map{"apps": list})
}

func (s *Server) adminRegister(c *fiber.Ctx) error {
	var r apps.Registration
	if err := s.decode(c, &r); err != nil {
		return err
	}
	a, issued, err := s.d.Apps.Register(c.UserContext(), r)
	if err != nil {
		return err
	}
	return writeJSON(c, 201, fiber.Map{"app": a, "credentials": issued,
		"notice": "app_secret is shown once and is not stored by the bank; keep it in a secret store"})
}

func (s *Server) adminGetApp(c *fiber.Ctx) error {
	id := param(c, "id")
	a, err := s.d.Apps.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	creds, err := s.d.Apps.Credentials(c.UserContext(), id)
	if err != nil {
		return err
	}
	hist, err := s.d.Apps.History(c.UserContext(), id)
	if err != nil {
		return err
	}
	return writeJSON(c, 200, fiber.Map{"app": a, "credentials": creds, "history": hist})
}

func (s *Server) adminAction(c *fiber.Ctx) error {
	var body struct {
		Reason string `json:"reason"`
	}
	if len(c.Body()) > 0 {
		if err := s.decode(c, &body); err != nil {
			return err
		}
	}
	a, err := s.d.Apps.Apply(c.UserContext(), param(c, "id"), apps.Transition(param(c, "action")), body.Reason)
	if err != nil {
		return err
	}
	return writeJSON(c, 200, fiber.Map{"app": a})
}

func (s *Server) adminScopes(c *fiber.Ctx) error {
	var body struct {
		Scopes []string `json:"scopes"`
	}
	if err := s.decode(c, &body); err != nil {
		return err
	}
	a, err := s.d.Apps.SetScopes(c.UserContext(), param(c, "id"), body.Scopes)
	if err != nil {
		return err
	}
	return writeJSON(c, 200, fiber.Map{"app": a})
}

func (s *Server) adminLimits(c *fiber.Ctx) error {
	var l apps.Limits
	if err := s.decode(c, &l); err != nil {
		return err
	}
	a, err := s.d.Apps.SetLimits(c.UserContext(), param(c, "id"), l)
	if err != nil {
		return err
	}
	return writeJSON(c, 200, fiber.Map{"app": a})
}

func (s *Server) adminRotateSecret(c *fiber.Ctx) error {
	var body struct {
		OverlapSeconds int `json:"overlap_seconds"`
	}
	if len(c.Body()) > 0 {
		if err := s.decode(c, &body); err != nil {
			return err
		}
	}
	if body.OverlapSeconds < 0 || body.OverlapSeconds > 30*86400 {
		return problem.ParameterInvalid.WithDetail("overlap_seconds must be from 0 to 2592000 (30 days)")
	}
	issued, err := s.d.Apps.RotateSecret(c.UserContext(), param(c, "id"), time.Duration(body.OverlapSeconds)*time.Second)
	if err != nil {
		return err
	}
	return writeJSON(c, 201, fiber.Map{"credentials": issued,
		"notice": "app_secret is shown once; the previous secret stays valid for overlap_seconds"})
}

// adminAddCredential registers a partner's certificate or public key
// (JR/T 0185-2020 9.2.1 a) 1): 对应用方上传的公钥进行登记).
func (s *Server) adminAddCredential(c *fiber.Ctx) error {
	var body struct {
		Kind      string `json:"kind"`
		PEM       string `json:"pem"`
		ValidDays int    `json:"valid_days"` // for bare public keys
	}
	if err := s.decode(c, &body); err != nil {
		return err
	}
	cred, err := credentialFromPEM(param(c, "id"), apps.CredentialKind(body.Kind), body.PEM, body.ValidDays, s.d.Clock.Now())
	if err != nil {
		return err
	}
	if err := s.d.Apps.AddCredential(c.UserContext(), cred); err != nil {
		return err
	}
	return writeJSON(c, 201, fiber.Map{"credential": cred})
}

func credentialFromPEM(appID string, kind apps.CredentialKind, pemText string, validDays int, now time.Time) (apps.Credential, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return apps.Credential{}, problem.BodyInvalid.WithDetail("pem must hold one PEM block (CERTIFICATE or PUBLIC KEY)")
	}
	c := apps.Credential{AppID: appID, Kind: kind, Material: pemText}
	switch block.Type {
	case "CERTIFICATE":
		if kind == apps.KindClientCert {
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return c, problem.BodyInvalid.WithDetail("not a parseable X.509 certificate")
			}
			c.Serial, c.NotBefore, c.NotAfter = protocol.SerialHex(cert.SerialNumber), cert.NotBefore, cert.NotAfter
			c.Fingerprint = protocol.SM3Hex(cert.Raw)
			return c, nil
		}
		cert, err := smx509.ParseCertificate(block.Bytes)
		if err != nil {
			return c, problem.BodyInvalid.WithDetail("not a parseable SM2 certificate")
		}
		c.Serial, c.NotBefore, c.NotAfter = protocol.SerialHex(cert.SerialNumber), cert.NotBefore, cert.NotAfter
	case "PUBLIC KEY":
		pub, err := smx509.ParsePKIXPublicKey(block.Bytes)
		if err != nil || pub == nil {
			return c, problem.BodyInvalid.WithDetail("not a parseable public key")
		}
		if validDays <= 0 || validDays > 3*365 {
			return c, problem.ParameterInvalid.WithDetail("valid_days must be from 1 to 1095 for a bare public key")
		}
		c.Serial = protocol.SM3Hex(block.Bytes)[:16]
		c.NotBefore, c.NotAfter = now, now.Add(time.Duration(validDays)*24*time.Hour)
	default:
		return c, problem.BodyInvalid.WithDetail("unsupported PEM block type")
	}
	return c, nil
}

func (s *Server) adminRevokeCredential(c *fiber.Ctx) error {
	if err := s.d.Apps.RevokeCredential(c.UserContext(), param(c, "id"), param(c, "serial")); err != nil {
		return err
	}
	return writeJSON(c, 200, fiber.Map{"revoked": param(c, "serial")})
}

func (s *Server) adminExit(c *fiber.Ctx) error {
	var body struct {
		Reason string `json:"reason"`
	}
	if len(c.Body()) > 0 {
		if err := s.decode(c, &body); err != nil {
			return err
		}
	}
	a, err := s.d.Apps.Exit(c.UserContext(), param(c, "id"), body.Reason)
	if err != nil {
		return err
	}
	return writeJSON(c, 200, fiber.Map{"app": a})
}

type apiView struct {
	apis.API
	Lifecycle apis.Status `json:"lifecycle"`
}

func (s *Server) apiViews() []apiView {
	out := make([]apiView, 0, len(s.d.Catalogue.APIs))
	for _, a := range s.d.Catalogue.APIs {
		out = append(out, apiView{API: a, Lifecycle: s.d.Lifecycle.Get(a.ID)})
	}
	return out
}

func (s *Server) adminAPIs(c *fiber.Ctx) error {
	return writeJSON(c, 200, fiber.Map{"apis": s.apiViews()})
}

func (s *Server) adminAPIState(c *fiber.Ctx) error {
	var body struct {
		State  string    `json:"state"`
		Sunset time.Time `json:"sunset"`
		Notice string    `json:"notice"`
	}
	if err := s.decode(c, &body); err != nil {
		return err
	}
	st, err := s.d.Lifecycle.Set(c.UserContext(), param(c, "api"), apis.State(body.State), body.Sunset, body.Notice)
	if err != nil {
		return err
	}
	return writeJSON(c, 200, fiber.Map{"api_id": param(c, "api"), "lifecycle": st})
}

func (s *Server) adminAlarms(c *fiber.Ctx) error {
	after, err := s.queryInt(c, "after", 0, 0, math.MaxInt64)
	if err != nil {
		return err
	}
	return writeJSON(c, 200, fiber.Map{"alarms": s.d.Alarms.Recent(int64(after), strings.Clone(c.Query("app_id")))})
}

func (s *Server) adminAudit(c *fiber.Ctx) error {
	limit, err := s.queryInt(c, "limit", 100, 1, AuditLimitMax)
	if err != nil {
		return err
	}
	f := audit.Filter{AppID: strings.Clone(c.Query("app_id")), RequestID: strings.Clone(c.Query("request_id")), Limit: limit}
	if s.d.Mutant.Is(mutant.ShortLogRetention) {
		f.Since = s.d.Clock.Now().Add(-180 * 24 * time.Hour) // keeps less than 10.1.1/2c's one year
	}
	recs, err := s.d.Audit.Query(c.UserContext(), f)
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	if recs == nil {
		recs = []audit.Record{}
	}
	if s.d.Mutant.Is(mutant.OfflineHidesRecords) {
		recs = s.withoutOffline(recs)
	}
	// The head and its signed checkpoint are an anchor to keep outside the bank: with it,
	// even a wholesale rollback of the log file can be detected.
	return writeJSON(c, 200, fiber.Map{"records": recs, "head": s.d.Audit.Head()})
}

func (s *Server) adminAdvanceClock(c *fiber.Ctx) error {
	var body struct {
		Seconds int64 `json:"seconds"`
	}
	if err := s.decode(c, &body); err != nil {
		return err
	}
	if body.Seconds <= 0 || body.Seconds > 400*86400 {
		return problem.ParameterInvalid.WithDetail("seconds must be from 1 to 34560000 (400 days); the clock only moves forward")
	}
	off := s.d.ClockCtl.Advance(time.Duration(body.Seconds) * time.Second)
	s.d.Log.Warn("sandbox clock advanced", "seconds", body.Seconds, "offset", off.String())
	return writeJSON(c, 200, fiber.Map{"now": s.d.ClockCtl.Now().UTC(), "offset_seconds": int64(off.Seconds())})
}

// adminPaymentsForReview lists payments held for risk review (JR/T 0185-2020 10.2.3/3:
// 对大额、异常的资金收付应逐笔监测与核查).
func (s *Server) adminPaymentsForReview(c *fiber.Ctx) error {
	list, err := s.d.Payments.ForReview(c.UserContext())
	if err != nil {
		return err
	}
	views := make([]paymentView, 0, len(list))
	for _, p := range list {
		views = append(views, s.view(p))
	}
	return writeJSON(c, 200, fiber.Map{"payments": views})
}

// adminPaymentDecision approves (the payment executes) or rejects a held payment.
func (s *Server) adminPaymentDecision(approve bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var body struct {
			Reviewer string `json:"reviewer"`
			Note     string `json:"note"`
		}
		if err := s.decode(c, &body); err != nil {
			return err
		}
		decide := s.d.Payments.Reject
		if approve {
			decide = s.d.Payments.Approve
		}
		p, err := decide(c.UserContext(), param(c, "id"), body.Reviewer, body.Note)
		if err != nil {
			return err
		}
		s.auditDecision(c, approve, p, body.Reviewer)
		return writeJSON(c, 200, fiber.Map{"payment": s.view(p)})
	}
}

// adminNotifications shows an app's payment notifications and their delivery state.
func (s *Server) adminNotifications(c *fiber.Ctx) error {
	limit, err := s.queryInt(c, "limit", 100, 1, 500)
	if err != nil {
		return err
	}
	list, err := s.d.Payments.Notifications(c.UserContext(), param(c, "id"), limit)
	if err != nil {
		return err
	}
	return writeJSON(c, 200, fiber.Map{"notifications": list})
}

// adminRotateBankKey switches the bank to a new SM2 signing key. Certificates of earlier
// keys stay published (/pki/bank-sign-certs.pem) so what they signed still verifies.
func (s *Server) adminRotateBankKey(c *fiber.Ctx) error {
	if s.d.Rotate == nil {
		return problem.StateConflict.WithDetail("key rotation is not available")
	}
	old := s.d.Signer.Get().Serial
	if err := s.d.Rotate(); err != nil {
		return problem.Internal.Wrap(err)
	}
	return writeJSON(c, 200, fiber.Map{"previous_serial": old, "serial": s.d.Signer.Get().Serial})
}
