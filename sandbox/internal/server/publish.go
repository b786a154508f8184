package server

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/apis"
	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/audit"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/partners"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/protocol"
)

// publishRoutes: what the bank publishes besides the catalogue — the OpenAPI document,
// the change log, the developer manual (JR/T 0185-2020 12.1/3, 12.1/5, 7.1/6, 10.3/1)
// — and the partners' self-service registration (9.1.2).
func (s *Server) publishRoutes() {
	s.app.Get("/docs/openapi.json", func(c *fiber.Ctx) error { return writeJSON(c, 200, s.openAPI()) })
	s.app.Get("/docs/changelog", s.page("changelog.html", func() any { return s.changelogData(nil) }))
	s.app.Get("/docs/changelog.json", func(c *fiber.Ctx) error {
		var ferr error
		d := s.changelogData(&ferr)
		if ferr != nil {
			return problem.Internal.Wrap(ferr)
		}
		return writeJSON(c, 200, d)
	})
	ex := s.manualExamples()
	s.app.Get("/docs/manual", s.page("manual.html", func() any { return ex }))
	s.app.Get("/docs/manual/vectors.json", func(c *fiber.Ctx) error { return writeJSON(c, 200, ex.Vectors) }) // manual_vectors.go
	s.app.Post("/partners/v1/registrations", s.partnerRegister)
	s.registerPageRoutes() // pages_register.go
}

// publishAdminRoutes: the operator's view of notices and registrations, audit
// verification, and the sandbox test control that reinstates a retired API.
func (s *Server) publishAdminRoutes(g fiber.Router) {
	g.Get("/apps/:id/notices", s.adminNotices)
	g.Get("/partners/:id", s.adminPartner)
	if s.d.Debug {
		// Test control (sandbox mode only): put a retired API back, so a conformance
		// run can show the whole lifecycle and leave the bank as it found it.
		g.Post("/apis/:api/reinstate", s.adminReinstate)
	}
}

type changelogView struct {
	Version      string        `json:"version"`
	Changes      []apis.Change `json:"changes"`
	Deprecations []deprecation `json:"deprecations"`
}

type deprecation struct {
	APIID  string      `json:"api_id"`
	UAPIID string      `json:"u_api_id"`
	Status apis.Status `json:"lifecycle"`
}

func (s *Server) changelogData(errOut *error) changelogView {
	v := changelogView{Version: s.d.Lifecycle.CurrentVersion(), Deprecations: []deprecation{}}
	ch, err := s.d.Lifecycle.Changes(context.Background())
	if err != nil && errOut != nil {
		*errOut = err
	}
	v.Changes = ch
	for _, a := range s.d.Catalogue.APIs {
		if st := s.d.Lifecycle.Get(a.ID); st.State != apis.Active {
			v.Deprecations = append(v.Deprecations, deprecation{APIID: a.ID, UAPIID: a.UAPIID, Status: st})
		}
	}
	return v
}

// manualExample is the developer manual's data: the worked test vectors
// (manual_vectors.go) and the values the page shows beside them.
type manualExample struct {
	Institution                   string
	MACAppID, MACSecret, MACKey   string
	MACStringToSign, MAC          string
	A1Authorization               string
	SM2PublicKey, SM2StringToSign string
	SM2Signature, UID             string
	Users                         []string
	Vectors                       []vector
	VectorsErr                    string
	// Limits are the sections of /docs/limits.json, so that the manual states the
	// users' controls with the numbers the bank runs (never typed twice).
	Limits map[string]LimitSection
}

func (s *Server) manualExamples() manualExample {
	var override func([]byte) []byte
	if s.d.Mutant.Is(mutant.ManualExampleWrong) {
		override = func(b []byte) []byte { return b[:len(b)-1] }
	}
	ex := manualExample{Institution: s.d.FinancialInstitutionCode, MACAppID: vecAppID, MACSecret: vecAppSecret,
		UID: protocol.DefaultUID, Users: []string{"zhangsan", "lisi", "wangwu"}, Limits: s.d.Limits}
	vs, err := manualVectors(override)
	if err != nil {
		ex.VectorsErr = err.Error()
		return ex
	}
	ex.Vectors = vs
	byID := map[string]vector{}
	for _, v := range vs {
		byID[v.ID] = v
	}
	ex.MACKey, ex.MAC = byID["mac-key"].Expected, byID["request-mac"].Expected
	ex.MACStringToSign = jsonString(byID["request-mac"].Files[0].Content)
	ex.A1Authorization = protocol.Credentials{Scheme: protocol.SchemeHMAC, AppID: vecAppID, Serial: "<your App_Secret serial>",
		Timestamp: vecTimestamp, Nonce: vecA1Nonce, Signature: ex.MAC}.String()
	sig := byID["request-signature"]
	ex.SM2PublicKey, ex.SM2StringToSign = sig.Files[0].Content, jsonString(sig.Files[1].Content)
	ex.SM2Signature = strings.TrimSpace(sig.Files[2].Content)
	return ex
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// partnerRegister is the partners' self-service registration (JR/T 0185-2020 9.1.2):
// identity materials plus the app; the App_ID is created pending and can call nothing
// until the bank's reviewer approves it (POST /admin/v1/apps/{id}/actions/approve).
func (s *Server) partnerRegister(c *fiber.Ctx) error {
	if s.d.Partners == nil {
		return problem.RouteNotFound
	}
	var r partners.Registration
	if err := s.decode(c, &r); err != nil {
		return err
	}
	res, err := s.d.Partners.Register(c.UserContext(), r)
	if err != nil {
		return err
	}
	return writeJSON(c, 201, registrationView(res))
}

// registrationView is the registration's answer: the App_ID, the App_Secret (once), the
// certificates issued for the submitted keys and whether the review is still pending.
func registrationView(res partners.Result) fiber.Map {
	review, notice := "pending", "the App_ID can call no API until the bank has reviewed the materials and approved it; app_secret is shown once"
	if res.App.Status == apps.StatusActive {
		review, notice = "approved", "sandbox: approved at once (partner_auto_approve); app_secret is shown once"
	}
	return fiber.Map{"app": res.App, "credentials": res.Credentials, "certificates": res.Certificates, "review": review, "notice": notice}
}

func (s *Server) adminPartner(c *fiber.Ctx) error {
	if s.d.Partners == nil {
		return problem.AdminNotFound
	}
	p, err := s.d.Partners.Profile(c.UserContext(), param(c, "id"))
	if err != nil {
		return err
	}
	return writeJSON(c, 200, fiber.Map{"partner": p})
}

// adminNotices lists the API change notices sent to an app (10.3/1, 11/1).
func (s *Server) adminNotices(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := s.d.Apps.Get(c.UserContext(), id); err != nil {
		return err
	}
	list, err := s.d.Lifecycle.Notices(c.UserContext(), id)
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	return writeJSON(c, 200, fiber.Map{"notices": list})
}

func (s *Server) adminReinstate(c *fiber.Ctx) error {
	st, err := s.d.Lifecycle.Reinstate(c.UserContext(), param(c, "api"))
	if err != nil {
		return err
	}
	return writeJSON(c, 200, fiber.Map{"api_id": param(c, "api"), "lifecycle": st})
}

// withoutOffline is the offline-hides-records mutant: records of APIs taken offline are
// dropped from the operator's audit query.
func (s *Server) withoutOffline(recs []audit.Record) []audit.Record {
	out := recs[:0]
	for _, r := range recs {
		if r.APIID == "" || s.d.Lifecycle.Served(r.APIID) {
			out = append(out, r)
		}
	}
	return out
}
