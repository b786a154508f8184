package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/sigdebug"
)

// debugAdminRoutes: the signature debugger on demand (sandbox mode only; in production
// mode a refused signature says only the catalogued error, JR/T 0185-2020 7.1).
func (s *Server) debugAdminRoutes(g fiber.Router) {
	if !s.d.Debug {
		return
	}
	g.Post("/debug/signature", s.adminDebugSignature)
}

// adminDebugSignature: POST /admin/v1/debug/signature with either {"request": "<raw
// HTTP request>"} or {"method", "path", "headers": {...}, "body"}; optional "app_id"
// (default: the one the Authorization header names) and "app_secret" (lets the debugger
// recognise a MAC keyed with the App_Secret itself; never stored). Answers
// {"verdict": {...}}; changes nothing at the bank.
func (s *Server) adminDebugSignature(c *fiber.Ctx) error {
	var in struct {
		Request   string            `json:"request"`
		Method    string            `json:"method"`
		Path      string            `json:"path"`
		Headers   map[string]string `json:"headers"`
		Body      string            `json:"body"`
		AppID     string            `json:"app_id"`
		AppSecret string            `json:"app_secret"`
	}
	if err := s.decode(c, &in); err != nil {
		return err
	}
	var r sigdebug.Request
	switch {
	case in.Request != "" && in.Method == "" && in.Path == "" && in.Headers == nil && in.Body == "":
		raw, err := sigdebug.ParseRaw(in.Request)
		if err != nil {
			return problem.BodyInvalid.WithDetail("request: %s", clipN(err.Error(), 160))
		}
		r = raw.Request()
	case in.Request == "" && in.Method != "" && strings.HasPrefix(in.Path, "/"):
		r = sigdebug.Request{Method: in.Method, URI: in.Path, Body: []byte(in.Body)}
		for k, v := range in.Headers {
			switch strings.ToLower(k) {
			case "authorization":
				r.Authorization = v
			case "host":
				r.Host = v
			}
		}
		if len(r.Body) == 0 {
			r.Body = nil
		}
	default:
		return problem.BodyInvalid.WithDetail(`send either {"request": "<raw HTTP request>"} or {"method", "path" (starting with /), "headers", "body"}`)
	}
	v, err := s.d.Gateway.DebugSignature(c.UserContext(), r, strings.TrimSpace(in.AppID), in.AppSecret)
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	return writeJSON(c, 200, fiber.Map{"verdict": v})
}
