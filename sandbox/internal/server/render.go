package server

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/store"
)

// renderProblem writes a catalogued error as application/problem+json.
func (s *Server) renderProblem(c *fiber.Ctx, e *problem.Error) error {
	if e.Code == problem.Internal.Code {
		// A storage failure under it (disk full, read-only, I/O) is 503 STORAGE_UNAVAILABLE
		// with Retry-After, never a bare 500 (issue 15).
		e = problem.From(store.Classify(e))
	}
	if e.Status >= 500 {
		s.d.Log.Error("request failed", "request_id", requestID(c), "code", e.Code, "cause", e.Unwrap())
	}
	body, leaky := s.problemBody(e, requestID(c))
	if leaky {
		c.Set("Server", "fasthttp")
	}
	if e.RetryAfter > 0 {
		c.Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	if e.Status == fiber.StatusUnauthorized { // RFC 9110 11.6.1: name the schemes that would work
		if e.Code == problem.AdminUnauthorized.Code {
			c.Set("WWW-Authenticate", `Bearer realm="jr0185-admin"`)
		} else {
			c.Set("WWW-Authenticate", `JR0185-HMAC-SM3 realm="jr0185", JR0185-SM2-SM3 realm="jr0185"`)
		}
	}
	c.Status(e.Status)
	c.Set(fiber.HeaderContentType, problem.ContentType)
	return c.Send(body)
}

// problemBody is the problem+json body of e for request rid; leaky reports the
// leak-stack-trace mutant's body, whose answer also names the server.
func (s *Server) problemBody(e *problem.Error, rid string) (body []byte, leaky bool) {
	body, _ = json.Marshal(e.Body(rid, s.d.Debug))
	if s.d.Mutant.Is(mutant.LeakStackTrace) {
		return leakyBody(body), true
	}
	return body, false
}

// errorHandler maps framework errors to the catalogue by status only: the framework's
// own messages (which can name the library or echo parser internals) are never shown.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	var pe *problem.Error
	if errors.As(err, &pe) {
		return s.renderProblem(c, pe)
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound:
			return s.renderProblem(c, problem.RouteNotFound)
		case fiber.StatusMethodNotAllowed:
			return s.renderProblem(c, problem.MethodNotAllowed)
		case fiber.StatusRequestEntityTooLarge:
			return s.renderProblem(c, problem.BodyTooLarge)
		case fiber.StatusRequestHeaderFieldsTooLarge:
			return s.renderProblem(c, problem.HeaderTooLarge)
		case fiber.StatusBadRequest, fiber.StatusRequestTimeout:
			return s.renderProblem(c, problem.RequestMalformed.WithDetail("the request could not be read as HTTP/1.1"))
		}
	}
	return s.renderProblem(c, problem.Internal.Wrap(err))
}

// writeJSON renders v with the given status.
func writeJSON(c *fiber.Ctx, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(b)
}
