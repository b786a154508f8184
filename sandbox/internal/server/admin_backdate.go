package server

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Sandbox-only test controls that let time pass for ONE app or ONE login session
// (JR/T 0185-2020 9.2.1 b) 3) token lifetime, 9.3.1/3 idle sessions, 9.3.2/1c consent
// validity). Advancing the bank's clock (/admin/v1/clock/advance) would expire every
// other partner's tokens, codes and request timestamps at once; these move only the
// stored times of the named subject into the past, and the bank's own expiry checks
// then decide against the unchanged clock.

const maxBackdate = 400 * 86400 // seconds, like clock/advance

func backdateSeconds(n int64) (time.Duration, error) {
	if n <= 0 || n > maxBackdate {
		return 0, problem.ParameterInvalid.WithDetail("seconds must be from 1 to %d (400 days)", maxBackdate)
	}
	return time.Duration(n) * time.Second, nil
}

// decodeBackdate reads a backdate control's body {"seconds": N}.
func (s *Server) decodeBackdate(c *fiber.Ctx) (time.Duration, int64, error) {
	var body struct {
		Seconds int64 `json:"seconds"`
	}
	if err := s.decode(c, &body); err != nil {
		return 0, 0, err
	}
	d, err := backdateSeconds(body.Seconds)
	return d, body.Seconds, err
}

// adminBackdateApp: POST /admin/v1/apps/:id/backdate {"seconds": N} — N seconds pass
// for the app's authorization requests, codes, consents and tokens.
func (s *Server) adminBackdateApp(c *fiber.Ctx) error {
	d, secs, err := s.decodeBackdate(c)
	if err != nil {
		return err
	}
	id := param(c, "id")
	if _, err := s.d.Apps.Get(c.UserContext(), id); err != nil {
		return err
	}
	n, err := s.d.Consent.Backdate(c.UserContext(), id, d)
	if err != nil {
		return err
	}
	s.d.Log.Warn("sandbox: app's authorizations backdated", "app_id", id, "seconds", secs, "rows", n)
	return writeJSON(c, 200, fiber.Map{"app_id": id, "seconds": secs, "rows": n})
}

// adminBackdateSession: POST /admin/v1/sessions/backdate {"session": token, "seconds": N}
// — the login session has been idle N seconds longer.
func (s *Server) adminBackdateSession(c *fiber.Ctx) error {
	var body struct {
		Session string `json:"session"`
		Seconds int64  `json:"seconds"`
	}
	if err := s.decode(c, &body); err != nil {
		return err
	}
	d, err := backdateSeconds(body.Seconds)
	if err != nil {
		return err
	}
	if err := s.d.Sessions.Backdate(c.UserContext(), strings.TrimSpace(body.Session), d); err != nil {
		if errors.Is(err, problem.SessionInvalid) {
			return problem.AdminNotFound.WithDetail("no such login session")
		}
		return err
	}
	s.d.Log.Warn("sandbox: login session backdated", "seconds", body.Seconds)
	return writeJSON(c, 200, fiber.Map{"seconds": body.Seconds})
}
