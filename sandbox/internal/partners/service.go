package partners

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Person is a natural person named in the materials: the legal representative or a
// main developer (9.1.2/1: 法人信息材料、主要应用开发人员的个人信息身份材料).
type Person struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
}

// Organization is the partner's legal entity and its operating qualification
// (9.1.2/1: 运营资质).
type Organization struct {
	Name                    string `json:"name"`
	UnifiedSocialCreditCode string `json:"unified_social_credit_code"`
	OperatingQualification  string `json:"operating_qualification"`
}

// Registration is a partner's self-service registration: identity materials and the app.
type Registration struct {
	Organization        Organization      `json:"organization"`
	LegalRepresentative Person            `json:"legal_representative"`
	Developers          []Person          `json:"developers"`
	App                 apps.Registration `json:"app"`
	Keys                                  // optional: CSR and SM2 public keys (keys.go)
}

// Profile is what the bank keeps for review, with ID numbers masked when shown.
type Profile struct {
	AppID               string       `json:"app_id"`
	Organization        Organization `json:"organization"`
	LegalRepresentative Person       `json:"legal_representative"`
	Developers          []Person     `json:"developers"`
	CreatedAt           time.Time    `json:"created_at"`
}

// Service registers partners.
type Service struct {
	Apps   *apps.Service
	DB     *sql.DB
	Clock  clock.Clock
	Mutant mutant.Set
	PKI    Issuer // certifies the keys submitted with a registration
	// AutoApprove (sandbox mode, partner_auto_approve) approves a registration at once,
	// so a newcomer can call right away; otherwise the App_ID waits for the review.
	AutoApprove bool
}

// Result is a registration's outcome: the App_ID (pending, or active when approved at
// once), its App_Secret (shown once) and the certificates issued for submitted keys.
type Result struct {
	App          apps.App      `json:"app"`
	Credentials  apps.Issued   `json:"credentials"`
	Certificates []Certificate `json:"certificates"`
}

func invalid(format string, args ...any) error {
	return problem.ParameterInvalid.WithDetail(format, args...)
}

// Validate checks the materials for completeness and validity (JR/T 0185-2020 9.1.2/2:
// 对应用方提交资料的有效性、完整性……进行审核). Their authenticity is the reviewer's
// part, before approval.
func (s *Service) Validate(r *Registration) error {
	o := &r.Organization
	o.Name, o.OperatingQualification = strings.TrimSpace(o.Name), strings.TrimSpace(o.OperatingQualification)
	o.UnifiedSocialCreditCode = strings.TrimSpace(o.UnifiedSocialCreditCode)
	if !s.Mutant.Is(mutant.MaterialsUnchecked) {
		switch {
		case o.Name == "" || len(o.Name) > 200:
			return invalid("organization.name is required (at most 200 bytes)")
		case o.OperatingQualification == "" || len(o.OperatingQualification) > 500:
			return invalid("organization.operating_qualification (运营资质) is required (at most 500 bytes)")
		case len(r.Developers) == 0 || len(r.Developers) > 20:
			return invalid("developers: one to twenty main developers with name and id_number are required")
		}
		if !s.Mutant.Is(mutant.UnboundedFields) { // issue 14: no NUL or other control in what a reviewer reads
			if err := apps.CheckText("organization.name", o.Name, 200); err != nil {
				return err
			}
			if err := apps.CheckText("organization.operating_qualification", o.OperatingQualification, 500); err != nil {
				return err
			}
		}
		if err := checkPerson("legal_representative", r.LegalRepresentative); err != nil {
			return err
		}
		for i, d := range r.Developers {
			if err := checkPerson("developers["+strconv.Itoa(i)+"]", d); err != nil {
				return err
			}
		}
	}
	if err := CheckUSCC(o.UnifiedSocialCreditCode, s.Mutant.Is(mutant.USCCUnchecked)); err != nil {
		return invalid("organization.unified_social_credit_code is not a valid GB 32100-2015 code: %s", err.Error())
	}
	return nil
}

func checkPerson(field string, p Person) error {
	if n := strings.TrimSpace(p.Name); n == "" || len(n) > 100 {
		return invalid("%s.name is required (at most 100 bytes)", field)
	}
	if err := apps.CheckText(field+".name", strings.TrimSpace(p.Name), 100); err != nil {
		return err
	}
	if err := CheckIDNumber(p.IDNumber); err != nil {
		return invalid("%s.id_number is not a valid GB 11643 ID number: %s", field, err.Error())
	}
	return nil
}

// Register validates the materials and the submitted keys, registers the app (pending:
// it can call nothing until the bank approves it, unless AutoApprove), keeps the
// materials for review and certifies the keys, bound to the new App_ID.
func (s *Service) Register(ctx context.Context, r Registration) (Result, error) {
	if err := s.Validate(&r); err != nil {
		return Result{}, err
	}
	keys, err := checkKeys(r.Keys, s.Mutant)
	if err != nil {
		return Result{}, err
	}
	r.App.AppID = "" // the bank assigns the App_ID
	a, issued, err := s.Apps.Register(ctx, r.App)
	if err != nil {
		return Result{}, err
	}
	raw, err := json.Marshal(struct {
		LegalRepresentative Person   `json:"legal_representative"`
		Developers          []Person `json:"developers"`
		Qualification       string   `json:"operating_qualification"`
	}{r.LegalRepresentative, r.Developers, r.Organization.OperatingQualification})
	if err != nil {
		return Result{}, problem.Internal.Wrap(err)
	}
	if _, err := s.DB.ExecContext(ctx, `INSERT INTO partner_profiles (app_id, org_name, uscc, materials, created_at) VALUES ($1, $2, $3, $4, $5)`,
		a.ID, r.Organization.Name, r.Organization.UnifiedSocialCreditCode, string(raw), s.Clock.Now().UnixNano()); err != nil {
		return Result{}, problem.Internal.Wrap(err)
	}
	res := Result{App: a, Credentials: issued, Certificates: []Certificate{}}
	if keys.submitted {
		certs, err := s.issue(ctx, a.ID, keys)
		if err != nil {
			// Nothing half-registered stays usable: the App_ID exits with its credentials.
			_, _ = s.Apps.Exit(ctx, a.ID, "self-service registration failed while certifying its keys")
			return Result{}, err
		}
		res.Certificates = certs
	}
	if s.AutoApprove {
		if res.App, err = s.Apps.Apply(ctx, a.ID, apps.Approve, "sandbox: self-service registration approved at once (partner_auto_approve)"); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// Profile returns an app's registration materials with ID numbers masked.
func (s *Service) Profile(ctx context.Context, appID string) (Profile, error) {
	var p Profile
	var raw string
	var created int64
	err := s.DB.QueryRowContext(ctx, `SELECT app_id, org_name, uscc, materials, created_at FROM partner_profiles WHERE app_id = $1`, appID).
		Scan(&p.AppID, &p.Organization.Name, &p.Organization.UnifiedSocialCreditCode, &raw, &created)
	if err == sql.ErrNoRows {
		return p, problem.AdminNotFound.WithDetail("no partner registration for App_ID %s", appID)
	}
	if err != nil {
		return p, problem.Internal.Wrap(err)
	}
	var m struct {
		LegalRepresentative Person   `json:"legal_representative"`
		Developers          []Person `json:"developers"`
		Qualification       string   `json:"operating_qualification"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return p, problem.Internal.Wrap(err)
	}
	p.Organization.OperatingQualification = m.Qualification
	p.LegalRepresentative = Person{Name: m.LegalRepresentative.Name, IDNumber: MaskID(m.LegalRepresentative.IDNumber)}
	for _, d := range m.Developers {
		p.Developers = append(p.Developers, Person{Name: d.Name, IDNumber: MaskID(d.IDNumber)})
	}
	p.CreatedAt = time.Unix(0, created).UTC()
	return p, nil
}
