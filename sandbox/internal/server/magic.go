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
func (s *Server) magicAnswer(ctx context.Context, amountFen int64, answered func() bool) error {
	unavailable, delay := s.d.Payments.MagicResponse(amountFen)
	if (unavailable || delay > 0) && answered() {
		return nil // a replay: the key's stored answer, at once
	}
	if unavailable {
		return problem.Unavailable.WithRetryAfter(magic.UnavailableRetryS).
			WithDetail("magic amount 5.03: the sandbox answers 503; nothing was created and the consent was not used")
	}
	if delay > 0 {
		return sleepCtx(ctx, delay)
	}
	return nil
}

// sleepCtx waits d, or until ctx ends (then it returns ctx.Err()).
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// magicValuesRoutes serves the magic-values table, generated from package magic.
func (s *Server) magicValuesRoutes() {
	s.app.Get("/docs/magic-values.json", func(c *fiber.Ctx) error {
		return writeJSON(c, 200, fiber.Map{"magic_values": magic.Table, "password": magic.Password})
	})
	s.app.Get("/docs/magic-values", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.SendString(magic.HTML())
	})
}
