package server

import "github.com/gofiber/fiber/v2"

// LimitSection is one part of the published limits document: a capability's windows,
// limits and counters by name (seconds for durations, whole numbers for counts).
type LimitSection map[string]any

// limitsDoc is /docs/limits.json: every window, limit and counter of the bank's controls
// that a partner needs in order to stay inside them — and that a conformance suite
// probes just inside and just outside (JR/T 0185-2020 12.1/5: the developer manual states
// the secure integration requirements; 7.2.2/2 the timestamp window and nonce memory;
// 10.1.2/1a flow control; 9.2.1/b3 token lifetimes). Each section is filled by
// bank.Start from the configuration the bank runs with, never typed twice.
func (s *Server) limitsDoc(c *fiber.Ctx) error {
	doc := fiber.Map{"version": 1}
	for name, sec := range s.d.Limits {
		doc[name] = sec
	}
	return writeJSON(c, 200, doc)
}
