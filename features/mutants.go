package features

import (
	_ "embed" // the expected-failures table
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"
)

// BankMutantsYAML is the expected-failures table of the bank suite: for each mutant
// bank (the sandbox with one control broken, `sandbox serve --mutant NAME`), the bank
// scenarios that must fail against it.
//
//go:embed bank/mutants.yaml
var BankMutantsYAML []byte

// Mutant is one row of an expected-failures table.
type Mutant struct {
	Name     string   `yaml:"name"`
	Breaks   string   `yaml:"breaks"`    // what the mutant breaks, in words
	MustFail []string `yaml:"must_fail"` // scenario names
}

// PartnerMutantsYAML is the expected-failures table of the partner suite: for each
// mutant partner (the reference partner with one behaviour broken, `sandbox conform
// --partner reference:NAME`), the partner scenarios that must fail against it.
//
//go:embed partner/mutants.yaml
var PartnerMutantsYAML []byte

// PartnerMutants parses the partner suite's expected-failures table.
func PartnerMutants() ([]Mutant, error) { return parseMutants(PartnerMutantsYAML) }

// BankMutants parses the bank suite's expected-failures table.
func BankMutants() ([]Mutant, error) { return parseMutants(BankMutantsYAML) }

func parseMutants(raw []byte) ([]Mutant, error) {
	var doc struct {
		Mutants []Mutant `yaml:"mutants"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("expected-failures table: %w", err)
	}
	seen := map[string]bool{}
	for _, m := range doc.Mutants {
		if m.Name == "" || len(m.MustFail) == 0 {
			return nil, fmt.Errorf("expected-failures table: mutant %q lists no scenario", m.Name)
		}
		if seen[m.Name] {
			return nil, fmt.Errorf("expected-failures table: mutant %q appears twice", m.Name)
		}
		seen[m.Name] = true
	}
	sort.Slice(doc.Mutants, func(i, j int) bool { return doc.Mutants[i].Name < doc.Mutants[j].Name })
	return doc.Mutants, nil
}
