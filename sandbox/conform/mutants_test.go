package conform_test

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/jr0185/harness/features"
	"github.com/jr0185/harness/sandbox/conform"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/steps"
)

// TestMutantBanksAreCaught is the proof that every bank scenario can fail (brief section
// 5): each mutant bank — the sandbox with exactly one control broken — runs the
// scenarios its row of features/bank/mutants.yaml lists, and every one of them must
// fail. It also fails when a registered mutant has no row, a row names an unknown
// mutant or scenario, or a bank scenario is listed under no mutant.
func TestMutantBanksAreCaught(t *testing.T) {
	table, err := features.BankMutants()
	if err != nil {
		t.Fatal(err)
	}
	all, err := steps.Scenarios(features.FS, "bank")
	if err != nil {
		t.Fatal(err)
	}
	byName := steps.ByName(all)

	// The table is checked both ways before anything runs.
	listed := map[string]bool{}
	rows := map[string]bool{}
	for _, m := range table {
		rows[m.Name] = true
		if _, err := mutant.Parse(m.Name); err != nil {
			t.Errorf("expected-failures table: %v", err)
		}
		for _, s := range m.MustFail {
			if _, ok := byName[s]; !ok {
				t.Errorf("mutant %s lists %q, which is not a bank scenario", m.Name, s)
			}
			listed[s] = true
		}
	}
	for _, n := range mutant.Names() {
		if !rows[n] {
			t.Errorf("mutant %s (%s) has no row in features/bank/mutants.yaml: nothing shows the suite catches it", n, mutant.Describe(n))
		}
	}
	var toothless []string
	for _, s := range all {
		if !listed[s.Name] {
			toothless = append(toothless, s.Name+" ("+s.Path()+")")
		}
	}
	sort.Strings(toothless)
	for _, s := range toothless {
		t.Errorf("bank scenario %q is listed under no mutant: nothing shows it can fail", s)
	}
	if t.Failed() {
		t.FailNow()
	}

	var mu sync.Mutex
	caught, teeth := 0, map[string]bool{}
	t.Run("mutants", func(t *testing.T) {
		for _, m := range table {
			t.Run(m.Name, func(t *testing.T) {
				t.Parallel()
				var paths []string
				for _, s := range m.MustFail {
					paths = append(paths, byName[s].Path())
				}
				var out bytes.Buffer
				o, err := conform.Run(context.Background(), conform.Options{Mutant: m.Name, Paths: paths, Concurrency: 2,
					Format: "progress", Output: &out, NoColors: true})
				if err != nil && len(o.Result.Run.Scenarios) == 0 {
					t.Fatalf("mutant %s: %v", m.Name, err)
				}
				got := map[string]string{}
				for _, s := range o.Result.Run.Scenarios {
					got[s.Name] = s.Status
				}
				ok := true
				for _, s := range m.MustFail {
					switch st := got[s]; st {
					case "failed":
						mu.Lock()
						teeth[s] = true
						mu.Unlock()
					case "":
						ok = false
						t.Errorf("mutant %s: scenario %q did not run", m.Name, s)
					default:
						ok = false
						t.Errorf("mutant %s (%s): scenario %q %s, want failed", m.Name, m.Breaks, s, st)
					}
				}
				if ok {
					mu.Lock()
					caught++
					mu.Unlock()
				}
			})
		}
	})
	t.Logf("mutant banks caught: %d/%d; bank scenarios with teeth: %d/%d", caught, len(table), len(teeth), len(all))
	if caught != len(table) || len(teeth) != len(all) {
		t.Errorf("not every mutant was caught or not every scenario showed it can fail")
	}
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
