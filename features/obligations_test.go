package features

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var scenarioLine = regexp.MustCompile(`(?m)^\s*Scenario(?: Outline)?:\s*(.+?)\s*$`)

// partnerScenarioNames reads every scenario name of the embedded partner features.
func partnerScenarioNames(t *testing.T) []string {
	t.Helper()
	paths, err := fs.Glob(FS, "partner/*.feature")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		raw, err := fs.ReadFile(FS, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range scenarioLine.FindAllStringSubmatch(string(raw), -1) {
			names = append(names, m[1])
		}
	}
	if len(names) < 20 {
		t.Fatalf("only %d partner scenarios read: the feature files did not parse as expected", len(names))
	}
	return names
}

func partnerSuite(t *testing.T) ([]Obligation, Suite) {
	t.Helper()
	obs, err := PartnerObligations()
	if err != nil {
		t.Fatal(err)
	}
	muts, err := PartnerMutants()
	if err != nil {
		t.Fatal(err)
	}
	return obs, Suite{Catalogue: mustLoad(t), Scenarios: partnerScenarioNames(t), Mutants: muts, DriverMD: PartnerDriverMD}
}

// TestPartnerObligations: the obligation matrix is complete and every row is proven —
// every automated partner-side requirement is an obligation's clause, every obligation
// names existing scenarios and mutants, each of its mutants fails one of its scenarios
// (per mutants.yaml, which the mutant proof makes exact), every mutant breaks an
// obligation, and DRIVER.md states every obligation by ID and labels every MUST.
func TestPartnerObligations(t *testing.T) {
	t.Parallel()
	obs, s := partnerSuite(t)
	if err := CheckObligations(obs, s); err != nil {
		t.Fatal(err)
	}
	scen, muts := map[string]bool{}, map[string]bool{}
	for _, o := range obs {
		for _, x := range o.Scenarios {
			scen[x] = true
		}
		for _, m := range o.Mutants {
			muts[m] = true
		}
	}
	t.Logf("partner obligations: %d, judged by %d of the %d partner scenarios, proven by %d mutant partners",
		len(obs), len(scen), len(s.Scenarios), len(muts))
}

// TestCheckObligationsRejects shows that CheckObligations catches each kind of hole.
func TestCheckObligationsRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(obs []Obligation, s *Suite) []Obligation
		want   string
	}{
		{"a partner requirement without obligation", func(obs []Obligation, _ *Suite) []Obligation {
			return slices.DeleteFunc(obs, func(o Obligation) bool { return o.Clause == "12.3/6" })
		}, "requirement 12.3/6 (partner, automated) is the partner's and no obligation"},
		{"an unknown requirement", func(obs []Obligation, _ *Suite) []Obligation { obs[0].Clause = "9.9/9"; return obs },
			"clause 9.9/9 is not a requirement"},
		{"a bank requirement", func(obs []Obligation, _ *Suite) []Obligation { obs[0].Clause = "7.1/7"; return obs },
			"is the bank's, not the partner's"},
		{"an unknown scenario", func(obs []Obligation, _ *Suite) []Obligation {
			obs[0].Scenarios = append(obs[0].Scenarios, "No such scenario")
			return obs
		}, `"No such scenario" is not a partner scenario`},
		{"an unknown mutant", func(obs []Obligation, _ *Suite) []Obligation {
			obs[0].Mutants = append(obs[0].Mutants, "no-such-mutant")
			return obs
		}, "no-such-mutant is not a mutant"},
		{"a mutant that fails none of the scenarios", func(obs []Obligation, _ *Suite) []Obligation {
			o := findObligation(t, obs, "P-STATE-FRESH")
			o.Mutants = append(o.Mutants, "no-history")
			return obs
		}, "mutant no-history fails none of its scenarios"},
		{"a mutant under no obligation", func(obs []Obligation, _ *Suite) []Obligation {
			o := findObligation(t, obs, "P-HISTORY-KEEP")
			o.Mutants = []string{"no-access-log"}
			return obs
		}, "mutant no-history (keeps no record of its user's operations) is listed under no obligation"},
		{"a MUST without ID", func(obs []Obligation, s *Suite) []Obligation {
			s.DriverMD = append(append([]byte{}, s.DriverMD...), "\nYou MUST do something unchecked.\n"...)
			return obs
		}, "a MUST without an obligation ID"},
		{"an ID without row", func(obs []Obligation, s *Suite) []Obligation {
			s.DriverMD = append(append([]byte{}, s.DriverMD...), "\nYou MUST juggle [P-JUGGLE-BALLS].\n"...)
			return obs
		}, "DRIVER.md names [P-JUGGLE-BALLS], which has no row"},
		{"a row not in DRIVER.md", func(obs []Obligation, s *Suite) []Obligation {
			s.DriverMD = []byte(strings.ReplaceAll(string(s.DriverMD), "[P-HISTORY-KEEP]", "[history]"))
			return obs
		}, "obligation P-HISTORY-KEEP is not stated in DRIVER.md"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			obs, s := partnerSuite(t)
			obs = tt.mutate(obs, &s)
			err := CheckObligations(obs, s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("CheckObligations = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func findObligation(t *testing.T, obs []Obligation, id string) *Obligation {
	t.Helper()
	for i := range obs {
		if obs[i].ID == id {
			return &obs[i]
		}
	}
	t.Fatalf("%s is not an obligation", id)
	return nil
}

func TestParseObligationsRejects(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, yaml, want string }{
		{"lower-case id", "obligations:\n  - {id: p-state, clause: \"9.3.1/1\", text: t, scenarios: [s], mutants: [m]}\n", "not P-<AREA>-<WHAT>"},
		{"duplicate id", "obligations:\n  - {id: P-A-B, clause: \"9.3.1/1\", text: t, scenarios: [s], mutants: [m]}\n  - {id: P-A-B, clause: \"9.3.1/1\", text: t, scenarios: [s], mutants: [m]}\n", "appears twice"},
		{"bad clause", "obligations:\n  - {id: P-A-B, clause: README, text: t, scenarios: [s], mutants: [m]}\n", "neither a requirement ID nor DRIVER.md"},
		{"no text", "obligations:\n  - {id: P-A-B, clause: DRIVER.md, text: \" \", scenarios: [s], mutants: [m]}\n", "has no text"},
		{"no scenario", "obligations:\n  - {id: P-A-B, clause: DRIVER.md, text: t, scenarios: [], mutants: [m]}\n", "lists no scenario"},
		{"no mutant", "obligations:\n  - {id: P-A-B, clause: DRIVER.md, text: t, scenarios: [s]}\n", "lists no mutant"},
		{"unknown field", "obligations:\n  - {id: P-A-B, clause: DRIVER.md, text: t, scenarios: [s], mutants: [m], note: x}\n", "note"},
		{"empty", "obligations: []\n", "no obligations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseObligations([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseObligations = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
