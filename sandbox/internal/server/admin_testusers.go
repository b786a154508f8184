package server

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/seed"
)

// Sandbox-only test controls on one test user: the seeded data a conformance suite
// judges masked answers against (JR/T 0185-2020 7.2.2/3b), and time passing for the
// user's one-time codes alone (7.2.1 b) 2): a code just inside and just outside its
// lifetime, without moving the bank's clock under every other scenario).
func (s *Server) testUserRoutes(g fiber.Router) {
	if !s.d.Debug || s.d.TestUsers == nil {
		return
	}
	g.Get("/test-users/:username", s.adminTestUser)
	g.Post("/test-users/:username/codes/backdate", s.adminBackdateCodes)
}

// adminTestUser: GET /admin/v1/test-users/{username} — the customer's name, resident ID,
// mobile and accounts (opaque id and full number). 404 for an unknown username.
func (s *Server) adminTestUser(c *fiber.Ctx) error {
	u, err := s.d.TestUsers(c.UserContext(), param(c, "username"))
	if errors.Is(err, seed.ErrNoTestUser) {
		return problem.AdminNotFound.WithDetail("no test user is called %q", problem.Clip(param(c, "username")))
	}
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	return writeJSON(c, 200, fiber.Map{"user": u})
}

// adminBackdateCodes: POST /admin/v1/test-users/{username}/codes/backdate {"seconds": N}
// — N seconds pass for the user's one-time codes (sent and expiring earlier).
func (s *Server) adminBackdateCodes(c *fiber.Ctx) error {
	d, secs, err := s.decodeBackdate(c)
	if err != nil {
		return err
	}
	user := param(c, "username")
	id, found, err := s.d.Sessions.CustomerID(c.UserContext(), user)
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	if !found {
		return problem.AdminNotFound.WithDetail("no test user is called %q", problem.Clip(user))
	}
	n, err := s.d.OTP.Backdate(c.UserContext(), id, d)
	if err != nil {
		return err
	}
	s.d.Log.Warn("sandbox: a test user's one-time codes backdated", "customer_id", id, "seconds", secs, "codes", n)
	return writeJSON(c, 200, fiber.Map{"username": user, "seconds": secs, "codes": n})
}
