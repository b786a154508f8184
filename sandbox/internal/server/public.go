package server

import (
	"bytes"
	"embed"
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/jr0185/harness/sandbox/internal/health"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// publicRoutes: pages and documents that need no credentials and never a client
// certificate — the published API catalogue and error catalogue (JR/T 0185-2020 12.1/3),
// the bank's public certificates, health and metrics (10.1.1).
func (s *Server) publicRoutes() {
	s.app.Get("/", s.page("index.html", func() any { return s.catalogueData() }))
	s.app.Get("/docs/apis", s.page("apis.html", func() any { return s.catalogueData() }))
	s.app.Get("/docs/apis.json", func(c *fiber.Ctx) error {
		return writeJSON(c, 200, s.catalogueData())
	})
	s.app.Get("/docs/limits.json", s.limitsDoc)
	s.app.Get("/docs/errors", s.page("errors.html", func() any { return problem.All() }))
	s.app.Get("/docs/errors.json", func(c *fiber.Ctx) error {
		return writeJSON(c, 200, fiber.Map{"errors": problem.All()})
	})
	s.publishRoutes()
	s.app.Get("/pki/bank-sign.crt", func(c *fiber.Ctx) error { return s.pem(s.d.BankCerts()[0])(c) })
	s.app.Get("/pki/bank-sign-certs.pem", func(c *fiber.Ctx) error {
		certs := s.d.BankCerts()
		if s.d.Mutant.Is(mutant.UnpublishOldBankKeys) {
			certs = certs[:1]
		}
		return s.pem(bytes.Join(certs, nil))(c)
	})
	s.app.Get("/pki/bank-enc.crt", s.pem(s.d.EncCertPEM))
	s.app.Get("/healthz", func(c *fiber.Ctx) error { return writeJSON(c, 200, fiber.Map{"status": "ok"}) })
	s.app.Get("/readyz", func(c *fiber.Ctx) error {
		if !s.ready.Load() {
			return problem.Unavailable.WithDetail("starting or stopping")
		}
		if s.d.Ready != nil {
			if err := s.d.Ready(); err != nil {
				return problem.Unavailable.Wrap(err).WithDetail("storage not ready")
			}
		}
		// 10.1.1/2a: ready only while the storage takes writes and the audit log writes
		// (a real probe, package health); the operator's health endpoint says why.
		if s.d.Health != nil {
			if r := s.d.Health.Probe(c.UserContext()); r.Status == health.Down {
				names := []string{}
				for _, ch := range r.Checks {
					if ch.Status == health.Down {
						names = append(names, ch.Name)
					}
				}
				return problem.StorageUnavailable.WithRetryAfter(problem.StorageRetryAfter).
					WithDetail("not ready: %s down (see /admin/v1/health)", strings.Join(names, ", "))
			}
		}
		return writeJSON(c, 200, fiber.Map{"status": "ready"})
	})
	metrics := fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(s.d.Metrics.Registry, promhttp.HandlerOpts{}))
	// Metrics are for the bank's monitoring platform, not for partners: they name the
	// runtime and its version, so they sit behind the admin token (JR/T 0185-2020 7.1/7).
	s.app.Get("/metrics", s.adminAuth, func(c *fiber.Ctx) error {
		metrics(c.Context())
		return nil
	})
}

// catalogueData is the published U_API_ID catalogue (JR/T 0185-2020 12.1/2, 12.1/3): the
// JR/T 0124 financial institution code the bank declares, the six characters of it
// used in U_API_IDs (B.3.3), the catalogue's version and every API with its lifecycle.
type catalogueData struct {
	FinancialInstitutionCode string    `json:"financial_institution_code"`
	CodeStandard             string    `json:"financial_institution_code_standard"`
	Institution              string    `json:"institution_code"`
	Version                  string    `json:"version"`
	Changelog                string    `json:"changelog"`
	OpenAPI                  string    `json:"openapi"`
	APIs                     []apiView `json:"apis"`
}

func (s *Server) catalogueData() catalogueData {
	views := s.apiViews()
	if s.d.Mutant.Is(mutant.CatalogueMissingAPI) {
		views = views[:len(views)-1]
	}
	return catalogueData{FinancialInstitutionCode: s.d.FinancialInstitutionCode, CodeStandard: "JR/T 0124-2014",
		Institution: s.d.Catalogue.Institution, Version: s.d.Lifecycle.CurrentVersion(),
		Changelog: "/docs/changelog.json", OpenAPI: "/docs/openapi.json", APIs: views}
}

func (s *Server) page(name string, data func() any) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var b bytes.Buffer
		if err := pages.ExecuteTemplate(&b, name, data()); err != nil {
			return problem.Internal.Wrap(err)
		}
		c.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Send(b.Bytes())
	}
}

func (s *Server) pem(b []byte) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "application/x-pem-file")
		return c.Send(b)
	}
}
