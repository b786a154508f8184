package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/apis"
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
	s.app.Post("/partners/v1/registrations", s.partnerRegister)
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

// manualExample is the developer manual's worked examples, computed by the bank's own
// protocol code when the server starts, so the published values always verify.
type manualExample struct {
	Institution                   string
	MACAppID, MACSecret, MACKey   string
	MACStringToSign, MAC          string
	SM2PublicKey, SM2StringToSign string
	SM2Signature, UID             string
	Users                         []string
}

func (s *Server) manualExamples() manualExample {
	const appID, secret = "APPDEMO000001", "demo-secret"
	sts := protocol.StringToSign("GET", "/a1/v1/products?page=1", "1700000000", "n0nce-0001", nil)
	key := protocol.DeriveMACKey(secret, appID)
	macd := sts
	if s.d.Mutant.Is(mutant.ManualExampleWrong) {
		macd = sts[:len(sts)-1]
	}
	ex := manualExample{Institution: s.d.FinancialInstitutionCode, MACAppID: appID, MACSecret: secret,
		MACKey: hex.EncodeToString(key), MACStringToSign: jsonString(string(sts)), MAC: protocol.MACBase64(key, macd),
		UID: protocol.DefaultUID, Users: []string{"zhangsan", "lisi", "wangwu"}}
	// The SM2 example uses a key made for the manual only (never the bank's).
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return ex
	}
	der, err := smx509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return ex
	}
	body := []byte(`{"amount":"10.00","currency":"CNY"}`)
	sts2 := protocol.StringToSign("POST", "/a2/v1/payments", "1700000000", "n0nce-0002", body)
	sig, err := protocol.SignSM2(priv, sts2)
	if err != nil {
		return ex
	}
	ex.SM2PublicKey = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	ex.SM2StringToSign, ex.SM2Signature = jsonString(string(sts2)), sig
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
	if err := decode(c, &r); err != nil {
		return err
	}
	a, issued, err := s.d.Partners.Register(c.UserContext(), r)
	if err != nil {
		return err
	}
	return writeJSON(c, 201, fiber.Map{"app": a, "credentials": issued, "review": "pending",
		"notice": "the App_ID can call no API until the bank has reviewed the materials and approved it; app_secret is shown once"})
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
