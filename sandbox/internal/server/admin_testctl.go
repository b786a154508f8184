package server

import (
	"github.com/gofiber/fiber/v2"
)

// testControlRoutes: sandbox-only test controls of issue 6 (fire a notification).
func (s *Server) testControlRoutes(g fiber.Router) {
	if !s.d.Debug {
		return
	}
	g.Post("/payments/:id/notify", s.adminRenotify)
	if s.d.Reset != nil {
		g.Post("/reset", s.adminReset)   // admin_reset.go
		g.Post("/reseed", s.adminReseed) // admin_reset.go
	}
}

// adminRenotify: POST /admin/v1/payments/{id}/notify re-sends the payment's
// notification now (a new outbox row, due at once; the notifier delivers it within a
// second). 202 {"notification": {...}}; 404 unknown payment; 409 not yet final.
func (s *Server) adminRenotify(c *fiber.Ctx) error {
	n, err := s.d.Payments.Renotify(c.UserContext(), param(c, "id"))
	if err != nil {
		return err
	}
	return writeJSON(c, 202, fiber.Map{"notification": n})
}
