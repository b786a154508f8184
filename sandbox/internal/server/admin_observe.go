package server

import (
	"context"
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/notify"
	"github.com/jr0185/harness/sandbox/internal/observe"
	"github.com/jr0185/harness/sandbox/internal/payments"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// observeAdminRoutes: sandbox-only test controls for the partner-side conformance suite
// — what each App_ID sent (observations), refused TLS handshakes, and actions on an
// app's session state (expire or revoke its tokens, end its consents, probe its
// notification endpoint).
func (s *Server) observeAdminRoutes(g fiber.Router) {
	if !s.d.Debug || s.d.Observe == nil {
		return
	}
	g.Get("/apps/:id/observations", s.adminObservations)
	g.Get("/observations/handshakes", s.adminHandshakes)
	g.Get("/apps/:id/secret-fingerprints", s.adminSecretFingerprints)
	g.Post("/apps/:id/tokens/expire", s.adminAppSession("expired", s.d.Consent.ExpireAccessTokens))
	// JR/T 0185-2020 9.2.1 b) 4): the bank invalidates an app's tokens.
	g.Post("/apps/:id/tokens/revoke", s.adminAppSession("revoked", s.d.Consent.RevokeAllForApp))
	// 9.3.2/2: as if every customer revoked the app in the portal.
	g.Post("/apps/:id/consents/revoke", s.adminAppSession("revoked", s.d.Consent.WithdrawAllForApp))
	if s.d.ProbeNotification != nil {
		g.Post("/apps/:id/probe-notification", s.adminProbeNotification)
	}
}

// pageQuery reads ?after=SEQ&limit=N (after >= 0, default 0; limit 1..5000, default 500).
func pageQuery(c *fiber.Ctx) (after int64, limit int, err error) {
	if v := c.Query("after"); v != "" {
		after, err = strconv.ParseInt(v, 10, 64)
		if err != nil || after < 0 {
			return 0, 0, problem.ParameterInvalid.WithDetail("after must be a sequence number >= 0")
		}
	}
	limit = observe.DefaultLimit
	if v := c.Query("limit"); v != "" {
		limit, err = strconv.Atoi(v)
		if err != nil || limit < 1 || limit > observe.MaxLimit {
			return 0, 0, problem.ParameterInvalid.WithDetail("limit must be from 1 to %d", observe.MaxLimit)
		}
	}
	return after, limit, nil
}

// adminObservations: GET /admin/v1/apps/:id/observations?after=&limit=.
func (s *Server) adminObservations(c *fiber.Ctx) error {
	after, limit, err := pageQuery(c)
	if err != nil {
		return err
	}
	id := param(c, "id")
	if _, err := s.d.Apps.Get(c.UserContext(), id); err != nil {
		return err
	}
	list, last := s.d.Observe.List(id, after, limit)
	return writeJSON(c, 200, fiber.Map{"observations": list, "last": last})
}

// adminSecretFingerprints: GET /admin/v1/apps/:id/secret-fingerprints — the SM3
// fingerprints (and lengths) of every token, code and PKCE verifier the bank issued to
// the app or saw it present, never the credentials themselves.
func (s *Server) adminSecretFingerprints(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := s.d.Apps.Get(c.UserContext(), id); err != nil {
		return err
	}
	return writeJSON(c, 200, fiber.Map{"algorithm": "SM3", "fingerprints": s.d.Observe.Secrets(id)})
}

// adminHandshakes: GET /admin/v1/observations/handshakes?after=&limit=.
func (s *Server) adminHandshakes(c *fiber.Ctx) error {
	after, limit, err := pageQuery(c)
	if err != nil {
		return err
	}
	list, last := s.d.Observe.Handshakes(after, limit)
	return writeJSON(c, 200, fiber.Map{"handshakes": list, "last": last})
}

// adminAppSession runs one action on a registered app's tokens or consents and answers
// {field: n}.
func (s *Server) adminAppSession(field string, act func(ctx context.Context, appID string) (int64, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Body()) > 0 { // no parameters: an empty object at most
			var none struct{}
			if err := s.decode(c, &none); err != nil {
				return err
			}
		}
		id := param(c, "id")
		if _, err := s.d.Apps.Get(c.UserContext(), id); err != nil {
			return err
		}
		n, err := act(c.UserContext(), id)
		if err != nil {
			return err
		}
		s.d.Log.Warn("sandbox: app session state changed", "app_id", id, "path", c.Path(), field, n)
		return writeJSON(c, 200, fiber.Map{field: n})
	}
}

// adminProbeNotification: POST /admin/v1/apps/:id/probe-notification
// {"kind": "bad-signature"|"unsigned"|"valid", "payment_id"?, "status"?}.
func (s *Server) adminProbeNotification(c *fiber.Ctx) error {
	var body struct {
		Kind      string `json:"kind"`
		PaymentID string `json:"payment_id"`
		Status    string `json:"status"`
	}
	if err := s.decode(c, &body); err != nil {
		return err
	}
	switch body.Kind {
	case notify.ProbeBadSignature, notify.ProbeUnsigned, notify.ProbeValid:
	default:
		return problem.ParameterInvalid.WithDetail("kind must be bad-signature, unsigned or valid")
	}
	if body.PaymentID != "" && !validPaymentID(body.PaymentID) {
		return problem.ParameterInvalid.WithDetail("payment_id must be 1 to 64 of A-Z a-z 0-9 _ -")
	}
	if !probeStatuses[payments.Status(body.Status)] {
		return problem.ParameterInvalid.WithDetail("status must be a payment status: succeeded, failed, rejected, cancelled, processing, risk_review or pending_confirmation")
	}
	id := param(c, "id")
	if _, err := s.d.Apps.Get(c.UserContext(), id); err != nil {
		return err
	}
	a, err := s.d.ProbeNotification(c.UserContext(), id, body.Kind, body.PaymentID, payments.Status(body.Status))
	if errors.Is(err, notify.ErrNoNotifyURL) {
		return problem.StateConflict.WithDetail("App_ID %s has no notification URL", id)
	}
	if err != nil {
		return err
	}
	return writeJSON(c, 200, fiber.Map{"url": a.URL, "answer_status": a.AnswerStatus, "delivered": a.Error == "" && a.AnswerStatus != 0,
		"error": a.Error, "payment_id": a.PaymentID, "notification_id": a.NotificationID})
}

var probeStatuses = map[payments.Status]bool{"": true, payments.StatusSucceeded: true, payments.StatusFailed: true,
	payments.StatusRejected: true, payments.StatusCancelled: true, payments.StatusProcessing: true,
	payments.StatusRiskReview: true, payments.StatusPendingConfirmation: true}

func validPaymentID(id string) bool {
	if len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
