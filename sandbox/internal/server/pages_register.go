package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/partners"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// registerPageRoutes: the self-service registration page (JR/T 0185-2020 9.1.2, 12.1),
// the form twin of POST /partners/v1/registrations. Server-rendered, no script, the
// pages' CSP, and a form token bound to this browser's cookie (CSRF).
func (s *Server) registerPageRoutes() {
	if s.d.Partners == nil {
		return
	}
	s.app.Get("/partners/register", s.userPage(s.partnerRegisterPage))
	s.app.Post("/partners/register", s.userPage(s.partnerRegisterSubmit))
}

// prForm is the form's fields, echoed back after a refusal (never the result's secret).
type prForm struct {
	OrgName, USCC, Qualification string
	LegalName, LegalID           string
	DevName, DevID               string
	AppName, Level               string
	RedirectURI, NotifyURL       string
	ClientCSR, SignKey, EncKey   string
	Scopes                       map[string]bool
}

type prScope struct {
	Scope   string
	Checked bool
}

type prView struct {
	pgBase
	CSRF        string
	F           prForm
	Scopes      []prScope
	Msg         *pgMsg
	AutoApprove bool
}

type prResultView struct {
	pgBase
	Res      partners.Result
	Approved bool
}

func (s *Server) partnerRegisterPage(c *fiber.Ctx) error {
	f := prForm{Level: "A2", Scopes: map[string]bool{}}
	for _, sc := range s.d.Catalogue.Scopes() {
		f.Scopes[sc] = true
	}
	return s.partnerRegisterForm(c, fiber.StatusOK, f, nil)
}

func (s *Server) partnerRegisterForm(c *fiber.Ctx, status int, f prForm, msg *pgMsg) error {
	v := prView{pgBase: s.pgBase(c, "应用方自助注册", "Partner self-service registration"), CSRF: pgCSRF(pgBrowserBinding(c)), F: f, Msg: msg,
		AutoApprove: s.d.Partners.AutoApprove}
	v.IdleMin = 0 // no login session on this page
	for _, sc := range s.d.Catalogue.Scopes() {
		v.Scopes = append(v.Scopes, prScope{Scope: sc, Checked: f.Scopes[sc]})
	}
	return s.pgRender(c, status, "user_partner_register.html", v)
}

// prField reads a form field, trimmed and bounded (the registration validates the rest).
func prField(c *fiber.Ctx, key string, max int) string {
	v := strings.TrimSpace(pgForm(c, key))
	if len(v) > max {
		v = v[:max]
	}
	return v
}

func (s *Server) partnerRegisterSubmit(c *fiber.Ctx) error {
	if !pgCSRFOK(pgCookie(c, pgBrowserCookie), pgForm(c, "csrf")) {
		return s.userFormRefused(c)
	}
	f := prForm{OrgName: prField(c, "org_name", 300), USCC: prField(c, "uscc", 40), Qualification: prField(c, "qualification", 600),
		LegalName: prField(c, "legal_name", 200), LegalID: prField(c, "legal_id", 40), DevName: prField(c, "dev_name", 200), DevID: prField(c, "dev_id", 40),
		AppName: prField(c, "app_name", 200), Level: prField(c, "level", 4), RedirectURI: prField(c, "redirect_uri", 2000), NotifyURL: prField(c, "notify_url", 2000),
		ClientCSR: prField(c, "client_csr", 20<<10), SignKey: prField(c, "sm2_sign_public_key", 8<<10), EncKey: prField(c, "sm2_enc_public_key", 8<<10),
		Scopes: map[string]bool{}}
	var scopes []string
	for _, sc := range s.d.Catalogue.Scopes() {
		if pgForm(c, "scope_"+sc) == "on" {
			f.Scopes[sc] = true
			scopes = append(scopes, sc)
		}
	}
	reg := partners.Registration{
		Organization:        partners.Organization{Name: f.OrgName, UnifiedSocialCreditCode: f.USCC, OperatingQualification: f.Qualification},
		LegalRepresentative: partners.Person{Name: f.LegalName, IDNumber: f.LegalID},
		Developers:          []partners.Person{{Name: f.DevName, IDNumber: f.DevID}},
		App:                 apps.Registration{Name: f.AppName, Level: apps.Level(f.Level), Scopes: scopes, NotifyURL: f.NotifyURL},
		Keys:                partners.Keys{ClientCSR: f.ClientCSR, SM2SignPublicKey: f.SignKey, SM2EncPublicKey: f.EncKey},
	}
	if f.RedirectURI != "" {
		reg.App.RedirectURIs = []string{f.RedirectURI}
	}
	if len(scopes) == 0 {
		return s.partnerRegisterForm(c, fiber.StatusBadRequest, f, pgErrMsg(problem.ParameterInvalid.WithDetail("choose at least one scope")))
	}
	res, err := s.d.Partners.Register(c.UserContext(), reg)
	if err != nil {
		pe := problem.From(err)
		if !pgWantsHTML(c) || pe.Status >= 500 {
			return s.userError(c, pe)
		}
		return s.partnerRegisterForm(c, pe.Status, f, pgErrMsg(pe))
	}
	v := prResultView{pgBase: s.pgBase(c, "注册成功", "Registered"), Res: res, Approved: res.App.Status == apps.StatusActive}
	v.IdleMin = 0
	return s.pgRender(c, fiber.StatusCreated, "user_partner_registered.html", v)
}
