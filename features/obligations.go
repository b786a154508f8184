package features

import (
	"bytes"
	_ "embed" // the obligation matrix and the driver contract
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// PartnerObligationsYAML is the partner suite's obligation matrix: every obligation a
// partner is judged on — each partner-side automated requirement of the catalogue and
// each MUST of the driver contract — with the scenarios that fail a partner breaking it
// and the mutant partners that break it.
//
//go:embed partner/obligations.yaml
var PartnerObligationsYAML []byte

// PartnerDriverMD is the driver contract a partner implements (partner/DRIVER.md); it
// names every obligation by its ID ("[P-STATE-CHECK]") next to the sentence stating it.
//
//go:embed partner/DRIVER.md
var PartnerDriverMD []byte

// DriverClause is the clause of an obligation the driver contract states rather than a
// requirement of the standard.
const DriverClause = "DRIVER.md"

// Obligation is one row of the obligation matrix.
type Obligation struct {
	ID        string   `yaml:"id"`        // P-<AREA>-<WHAT>, upper case
	Clause    string   `yaml:"clause"`    // a requirement ID, or DriverClause
	Text      string   `yaml:"text"`      // what the partner must do, in one sentence
	Scenarios []string `yaml:"scenarios"` // the partner scenarios that fail a partner breaking it
	Mutants   []string `yaml:"mutants"`   // reference-partner mutants that break it
}

var (
	obligationID = regexp.MustCompile(`^P(?:-[A-Z0-9]+){2,}$`)
	// driverID is an obligation ID as DRIVER.md writes it, next to its sentence.
	driverID = regexp.MustCompile(`\[(P(?:-[A-Z0-9]+){2,})\]`)
	// mustWord is a MUST or MUST NOT of DRIVER.md (upper case: lower-case "must" is prose).
	mustWord = regexp.MustCompile(`\bMUST\b`)
)

// PartnerObligations parses the embedded obligation matrix (unknown fields are errors)
// and checks each row's form: ID, clause, text, scenarios and mutants present, IDs
// unique. CheckObligations checks them against the suite.
func PartnerObligations() ([]Obligation, error) { return parseObligations(PartnerObligationsYAML) }

func parseObligations(raw []byte) ([]Obligation, error) {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var doc struct {
		Obligations []Obligation `yaml:"obligations"`
	}
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("obligation matrix: %w", err)
	}
	var errs []error
	seen := map[string]bool{}
	for _, o := range doc.Obligations {
		switch {
		case !obligationID.MatchString(o.ID):
			errs = append(errs, fmt.Errorf("obligation %q: the ID is not P-<AREA>-<WHAT> in upper case", o.ID))
		case seen[o.ID]:
			errs = append(errs, fmt.Errorf("obligation %s appears twice", o.ID))
		}
		seen[o.ID] = true
		if o.Clause != DriverClause && !ValidID(o.Clause) {
			errs = append(errs, fmt.Errorf("obligation %s: clause %q is neither a requirement ID nor %s", o.ID, o.Clause, DriverClause))
		}
		if strings.TrimSpace(o.Text) == "" {
			errs = append(errs, fmt.Errorf("obligation %s has no text", o.ID))
		}
		if len(o.Scenarios) == 0 {
			errs = append(errs, fmt.Errorf("obligation %s lists no scenario: nothing fails a partner breaking it", o.ID))
		}
		if len(o.Mutants) == 0 {
			errs = append(errs, fmt.Errorf("obligation %s lists no mutant: nothing shows its scenarios catch a partner breaking it", o.ID))
		}
	}
	if len(doc.Obligations) == 0 {
		errs = append(errs, errors.New("obligation matrix: no obligations"))
	}
	return doc.Obligations, errors.Join(errs...)
}

// DriverIDs reads the driver contract: the obligation IDs it names, in order of first
// appearance, and the MUST sentences that name none (their lines, for messages). A
// sentence is a line of the contract; an ID anywhere in it labels it.
func DriverIDs(md []byte) (ids []string, unlabelled []string) {
	seen := map[string]bool{}
	for i, line := range strings.Split(string(md), "\n") {
		found := driverID.FindAllStringSubmatch(line, -1)
		for _, m := range found {
			if !seen[m[1]] {
				seen[m[1]] = true
				ids = append(ids, m[1])
			}
		}
		if len(found) == 0 && mustWord.MatchString(line) {
			unlabelled = append(unlabelled, fmt.Sprintf("line %d: %s", i+1, strings.TrimSpace(line)))
		}
	}
	return ids, unlabelled
}

// Suite is what the obligations are checked against.
type Suite struct {
	Catalogue *Catalogue
	Scenarios []string // every partner scenario's name
	Mutants   []Mutant // the partner suite's expected-failures table (mutants.yaml)
	DriverMD  []byte   // the driver contract
}

// CheckObligations checks the obligation matrix against the suite and reports every
// problem: every partner-side (partner or both) automated requirement is the clause of
// an obligation; every clause, scenario and mutant an obligation names exists; every
// mutant an obligation lists fails (per the expected-failures table, which the mutant
// proof makes exact) at least one of the obligation's scenarios; every mutant breaks
// some obligation; every MUST of the driver contract names an obligation ID, every ID
// it names is an obligation, and it names every obligation.
func CheckObligations(obs []Obligation, s Suite) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	scenarios := map[string]bool{}
	for _, n := range s.Scenarios {
		scenarios[n] = true
	}
	fails := map[string]map[string]bool{}
	for _, m := range s.Mutants {
		fails[m.Name] = map[string]bool{}
		for _, sc := range m.MustFail {
			fails[m.Name][sc] = true
		}
	}
	clauses, listed, ids := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, o := range obs {
		ids[o.ID] = true
		clauses[o.Clause] = true
		if o.Clause != DriverClause {
			r, ok := s.Catalogue.ByID(o.Clause)
			switch {
			case !ok:
				bad("obligation %s: clause %s is not a requirement of the catalogue", o.ID, o.Clause)
			case r.Party == Bank:
				bad("obligation %s: requirement %s is the bank's, not the partner's", o.ID, o.Clause)
			}
		}
		for _, sc := range o.Scenarios {
			if !scenarios[sc] {
				bad("obligation %s: %q is not a partner scenario", o.ID, sc)
			}
		}
		for _, m := range o.Mutants {
			listed[m] = true
			f, ok := fails[m]
			if !ok {
				bad("obligation %s: %s is not a mutant of the partner suite (features/partner/mutants.yaml)", o.ID, m)
				continue
			}
			caught := false
			for _, sc := range o.Scenarios {
				caught = caught || f[sc]
			}
			if !caught {
				bad("obligation %s: mutant %s fails none of its scenarios (per mutants.yaml): it does not show they catch a partner breaking it", o.ID, m)
			}
		}
	}
	for _, r := range s.Catalogue.Requirements {
		if r.Party != Bank && r.Mode == Automated && !clauses[r.ID] {
			bad("requirement %s (%s, automated) is the partner's and no obligation has it as its clause", r.ID, r.Party)
		}
	}
	for _, m := range s.Mutants {
		if !listed[m.Name] {
			bad("mutant %s (%s) is listed under no obligation: which obligation does it break?", m.Name, m.Breaks)
		}
	}
	named, unlabelled := DriverIDs(s.DriverMD)
	for _, l := range unlabelled {
		bad("DRIVER.md %s: a MUST without an obligation ID ([P-…])", l)
	}
	inDriver := map[string]bool{}
	for _, id := range named {
		inDriver[id] = true
		if !ids[id] {
			bad("DRIVER.md names [%s], which has no row in obligations.yaml", id)
		}
	}
	var missing []string
	for id := range ids {
		if !inDriver[id] {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)
	for _, id := range missing {
		bad("obligation %s is not stated in DRIVER.md (write [%s] next to its sentence)", id, id)
	}
	return errors.Join(errs...)
}
