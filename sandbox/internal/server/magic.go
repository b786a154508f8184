package server

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/magic"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// magicAnswer acts on the amounts that change how the create call answers (package
// magic): 503 before anything is created, or a slow answer.
func (s *Server) magicAnswer(ctx context.Context, amountFen int64) error {
	unavailable, delay := s.d.Payments.MagicResponse(amountFen)
	if unavailable {
		return problem.Unavailable.WithRetryAfter(magic.UnavailableRetryS).
			WithDetail("magic amount 5.03: the sandbox answers 503; nothing was created and the consent was not used")
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// magicValuesRoutes serves the magic-values table, generated from package magic.
func (s *Server) magicValuesRoutes() {
	s.app.Get("/docs/magic-values.json", func(c *fiber.Ctx) error {
		return writeJSON(c, 200, fiber.Map{"magic_values": magic.Table, "password": "Sandbox#2020"})
	})
	s.app.Get("/docs/magic-values", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.SendString(magic.HTML())
	})
}
