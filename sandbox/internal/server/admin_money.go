package server

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/audit"
	"github.com/jr0185/harness/sandbox/internal/money"
	"github.com/jr0185/harness/sandbox/internal/payments"
	"github.com/jr0185/harness/sandbox/internal/pki"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// adminMoneyRoutes: each App_ID's payment limits and velocity threshold
// (JR/T 0185-2020 10.2.1/3, 10.2.3/1) and, in sandbox mode, certificates for partners'
// local notification receivers.
func (s *Server) adminMoneyRoutes(g fiber.Router) {
	g.Get("/apps/:id/payment-limits", s.adminGetPaymentLimits)
	g.Put("/apps/:id/payment-limits", s.adminPutPaymentLimits)
	if s.d.Debug && s.d.IssueTestServerCert != nil {
		g.Post("/pki/test-server-certs", s.adminTestServerCert)
	}
}

// paymentLimitsView is the wire form of payments.AppLimits (amounts in yuan; "0.00" and
// 0 mean the bank's default, which the answer shows filled in).
type paymentLimitsView struct {
	AppID          string `json:"app_id,omitempty"`
	PerTransaction string `json:"per_transaction"`
	Daily          string `json:"daily"`
	VelocityMax    int    `json:"velocity_max_payments"`
	VelocityWindow int64  `json:"velocity_window_seconds"`
}

func limitsView(l payments.AppLimits) paymentLimitsView {
	return paymentLimitsView{AppID: l.AppID, PerTransaction: money.Format(max(l.PerTxnFen, 0)), Daily: money.Format(max(l.DailyFen, 0)),
		VelocityMax: max(l.VelocityMax, 0), VelocityWindow: int64(l.VelocityWindow / time.Second)}
}

func (s *Server) adminGetPaymentLimits(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := s.d.Apps.Get(c.UserContext(), id); err != nil {
		return err
	}
	l, err := s.d.Payments.AppLimits(c.UserContext(), id)
	if err != nil {
		return err
	}
	return writeJSON(c, 200, fiber.Map{"payment_limits": limitsView(l)})
}

func (s *Server) adminPutPaymentLimits(c *fiber.Ctx) error {
	id := param(c, "id")
	var body paymentLimitsView
	if err := s.decode(c, &body); err != nil {
		return err
	}
	if body.AppID != "" && body.AppID != id {
		return problem.ParameterInvalid.WithDetail("app_id in the body differs from the path")
	}
	if _, err := s.d.Apps.Get(c.UserContext(), id); err != nil {
		return err
	}
	l := payments.AppLimits{AppID: id, VelocityMax: body.VelocityMax, VelocityWindow: time.Duration(body.VelocityWindow) * time.Second}
	for _, f := range []struct {
		name, value string
		fen         *int64
	}{{"per_transaction", body.PerTransaction, &l.PerTxnFen}, {"daily", body.Daily, &l.DailyFen}} {
		if f.value == "" || f.value == "0" || f.value == "0.00" {
			continue
		}
		fen, err := money.Parse(f.value)
		if err != nil {
			return problem.ParameterInvalid.WithDetail("%s: %s", f.name, err.Error())
		}
		*f.fen = fen
	}
	// Only what a duration can hold is parsed here; the bounds are the payments
	// service's rule (SetAppLimits), kept in one place.
	if body.VelocityWindow < 0 || body.VelocityWindow > math.MaxInt64/int64(time.Second) {
		return problem.ParameterInvalid.WithDetail("velocity_window_seconds must be from 0 (the bank's default) to 86400")
	}
	l, err := s.d.Payments.SetAppLimits(c.UserContext(), l)
	if err != nil {
		return err
	}
	return writeJSON(c, 200, fiber.Map{"payment_limits": limitsView(l)})
}

// adminTestServerCert issues a TLS server certificate for a partner's local test server
// (loopback names only) from the sandbox TLS CA, which the bank's notifier trusts.
func (s *Server) adminTestServerCert(c *fiber.Ctx) error {
	var body struct {
		CSR   string   `json:"csr"`
		Hosts []string `json:"hosts"` // DNS names under .test instead of the loopback names
	}
	if err := s.decode(c, &body); err != nil {
		return err
	}
	certPEM, err := s.d.IssueTestServerCert([]byte(body.CSR), body.Hosts)
	if errors.Is(err, pki.ErrBadTestServerHosts) {
		return problem.ParameterInvalid.WithDetail("hosts must be 1 to %d DNS names under .test (RFC 6761), no IP addresses", pki.MaxTestServerHosts)
	}
	if err != nil {
		return problem.BodyInvalid.WithDetail("csr must be one PEM CERTIFICATE REQUEST for an ECDSA P-256 key")
	}
	names := "127.0.0.1, ::1 and localhost only"
	if len(body.Hosts) > 0 {
		names = "the hosts asked for only (not the loopback addresses)"
	}
	return writeJSON(c, 201, fiber.Map{"certificate": string(certPEM),
		"notice": "valid for a day for " + names + "; issued by the sandbox TLS CA, which also issued the bank's server certificate"})
}

// auditDecision records an operator's risk decision in the audit log under the payment's
// App_ID (JR/T 0185-2020 10.2.3/4: 对监控到的风险交易应进行及时分析与处置).
func (s *Server) auditDecision(c *fiber.Ctx, approve bool, p payments.Payment, reviewer string) {
	verb := "reject"
	if approve {
		verb = "approve"
	}
	ex, _ := json.Marshal(map[string]string{"payment_id": p.ID, "status": string(p.Status), "reviewer": clipN(reviewer, 100)})
	s.d.Audit.Append(audit.Record{Time: s.d.Clock.Now(), RequestID: requestID(c), AppID: p.AppID, APIID: "admin.payments." + verb,
		Method: strings.Clone(c.Method()), Path: "/admin/v1/payments/" + p.ID + "/" + verb, Status: 200, Result: audit.ResultSuccess,
		Excerpt: string(ex)})
}
