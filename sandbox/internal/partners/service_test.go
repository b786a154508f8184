package partners

import (
	"strings"
	"testing"

	"github.com/jr0185/harness/sandbox/internal/mutant"
)

func complete() Registration {
	return Registration{
		Organization:        Organization{Name: "示例科技有限公司", UnifiedSocialCreditCode: "91100000100003962T", OperatingQualification: "ICP 京B2-20200218"},
		LegalRepresentative: Person{Name: "赵六", IDNumber: "11010519491231002X"},
		Developers:          []Person{{Name: "钱七", IDNumber: "110101199003070011"}},
	}
}

func TestValidateMaterials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*Registration)
		m      mutant.Name
		field  string // "" when accepted
	}{
		{"accepted/complete", func(*Registration) {}, "", ""},
		{"400/wrong USCC check character", func(r *Registration) { r.Organization.UnifiedSocialCreditCode = "91100000100003962U" }, "", "unified_social_credit_code"},
		{"400/no legal representative ID", func(r *Registration) { r.LegalRepresentative.IDNumber = "" }, "", "legal_representative.id_number"},
		{"400/no developers", func(r *Registration) { r.Developers = nil }, "", "developers"},
		{"400/no operating qualification", func(r *Registration) { r.Organization.OperatingQualification = " " }, "", "operating_qualification"},
		{"mutant uscc-unchecked/accepts wrong check character", func(r *Registration) { r.Organization.UnifiedSocialCreditCode = "91100000100003962U" }, mutant.USCCUnchecked, ""},
		{"mutant materials-unchecked/accepts no developers", func(r *Registration) { r.Developers = nil }, mutant.MaterialsUnchecked, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			set, _ := mutant.Parse(string(tc.m))
			r := complete()
			tc.mutate(&r)
			err := (&Service{Mutant: set}).Validate(&r)
			if tc.field == "" && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tc.field != "" && (err == nil || !strings.Contains(err.Error(), tc.field)) {
				t.Fatalf("got %v, want a refusal naming %s", err, tc.field)
			}
		})
	}
}
