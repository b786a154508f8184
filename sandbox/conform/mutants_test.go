package conform_test

import (
	"strings"
	"testing"

	"github.com/jr0185/harness/features"
	"github.com/jr0185/harness/sandbox/conform"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/steps"
)

// TestMutantBanksAreCaught is the proof that every bank scenario can fail (brief section
// 5), quick enough for make test: each mutant bank — the sandbox with exactly one control
// broken — runs the scenarios its row of features/bank/mutants.yaml lists (random order,
// concurrency 2), and every one of them must fail; the correct sandbox passes the whole
// suite in TestBankSuitePassesAgainstTheSandbox. It also fails when a registered mutant
// has no row, a row names an unknown mutant or scenario, or a bank scenario is listed
// under no mutant. TestMutantBanksFailExactly is the exact proof (make proof-exact).
func TestMutantBanksAreCaught(t *testing.T) {
	bankProof(t, true)
}

// TestMutantBanksFailExactly is the exact bank proof (make proof-exact, about 20 minutes
// of CPU: outside make test): each mutant bank runs the whole bank suite (random order,
// concurrency 2) and must fail exactly the scenarios its row lists — one it is not caught
// by, and one it fails without being listed, both fail the proof; the correct sandbox
// must pass them all in the same order. One order by default; JR0185_PROOF_ORDERS=3 for
// more.
func TestMutantBanksFailExactly(t *testing.T) {
	bankProof(t, false)
}

func bankProof(t *testing.T, listedOnly bool) {
	table, err := features.BankMutants()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]string{}
	for _, n := range mutant.Names() {
		known[n] = mutant.Describe(n)
	}
	// The quick proof's runs are short and mostly wait (a caught mutant often fails by
	// a deadline: an audit record or a notification that never comes), so eight go at
	// once; the exact proof's whole-suite runs are CPU-bound, two at once.
	parallel := 2
	if listedOnly {
		parallel = 8
	}
	mutantProof{suite: "bank", tableAt: "features/bank/mutants.yaml", table: table, known: known,
		orders: 1, parallel: parallel, listedOnly: listedOnly,
		options: func(name string) conform.Options {
			return conform.Options{Mutant: name, Concurrency: 2}
		}}.run(t)
}

// TestEveryRequirementHasAScenario is the coverage check of the catalogue against both
// suites: every automated requirement whose party is the bank (or both) is named by at
// least one bank scenario, every automated requirement whose party is the partner (or
// both) by at least one partner scenario; every requirement tag names a catalogued
// requirement, every scenario names at least one requirement and a level, and scenario
// names are unique within a suite (the expected-failures tables refer to them).
func TestEveryRequirementHasAScenario(t *testing.T) {
	cat, err := features.Load()
	if err != nil {
		t.Fatal(err)
	}
	c := cat.Counts()
	t.Logf("catalogue: %d requirements — %d automated, %d manual, %d not applicable", c.Total, c.Automated, c.Manual, c.NotApplicable)
	for _, side := range []struct {
		suite string
		party features.Party
	}{{"bank", features.Bank}, {"partner", features.Partner}} {
		all, err := steps.Scenarios(features.FS, side.suite)
		if err != nil {
			t.Fatal(err)
		}
		covered := map[string]int{}
		names := map[string]string{}
		for _, s := range all {
			if prev, dup := names[s.Name]; dup {
				t.Errorf("scenario name %q is used twice (%s and %s)", s.Name, prev, s.Path())
			}
			names[s.Name] = s.Path()
			reqs, level := 0, false
			for _, tag := range s.Tags {
				if tag == "@A1" || tag == "@A2" {
					level = true
				}
				if !strings.HasPrefix(tag, "@JR0185-") {
					continue
				}
				id, ok := features.ParseTag(tag)
				r, known := cat.ByID(id)
				if !ok || !known {
					t.Errorf("%s (%s): tag %s names no catalogued requirement", s.Name, s.Path(), tag)
					continue
				}
				if r.Party != side.party && r.Party != features.Both {
					t.Errorf("%s (%s): tag %s names a requirement of the %s, not of the %s", s.Name, s.Path(), tag, r.Party, side.party)
				}
				reqs++
				covered[id]++
			}
			if reqs == 0 {
				t.Errorf("%s (%s) names no requirement", s.Name, s.Path())
			}
			if !level {
				t.Errorf("%s (%s) has no @A1 or @A2 tag", s.Name, s.Path())
			}
		}
		auto, cov := 0, 0
		for _, r := range cat.Requirements {
			if r.Mode != features.Automated || (r.Party != side.party && r.Party != features.Both) {
				continue
			}
			auto++
			if covered[r.ID] > 0 {
				cov++
			} else {
				t.Errorf("automated %s-side requirement %s (%s) has no %s scenario", side.suite, r.ID, r.Summary, side.suite)
			}
		}
		t.Logf("%s side: %d automated requirements, %d covered by %d scenarios", side.suite, auto, cov, len(all))
	}
}
