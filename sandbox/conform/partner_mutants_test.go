package conform_test

import (
	"bytes"
	"context"
	"sort"
	"sync"
	"testing"

	"github.com/jr0185/harness/features"
	"github.com/jr0185/harness/sandbox/conform"
	"github.com/jr0185/harness/sandbox/refpartner"
	"github.com/jr0185/harness/steps"
)

// TestPartnerSuitePassesAgainstTheReferencePartner: the reference partner, built on the
// Go SDK, passes every partner scenario.
func TestPartnerSuitePassesAgainstTheReferencePartner(t *testing.T) {
	all, err := steps.Scenarios(features.FS, "partner")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	o, err := conform.Run(context.Background(), conform.Options{Partner: "reference", Format: "progress", Output: &out, NoColors: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	passed := 0
	for _, s := range o.Result.Run.Scenarios {
		if s.Status == "passed" {
			passed++
		} else {
			t.Errorf("%s (%s): %s %s", s.Name, s.URI, s.Status, s.Error)
		}
	}
	t.Logf("reference partner: %d/%d partner scenarios passed in %s", passed, len(all), o.Elapsed.Round(1e7))
	if passed != len(all) {
		t.Fatalf("%d of %d partner scenarios passed\n%s", passed, len(all), out.String())
	}
}

// TestMutantPartnersAreCaught is the proof that every partner scenario can fail (brief
// section 5): each mutant partner — the reference partner with exactly one behaviour
// broken — runs the scenarios its row of features/partner/mutants.yaml lists against a
// fresh sandbox, and every one of them must fail. It also fails when a mutant has no
// row, a row names an unknown mutant or scenario, or a partner scenario is listed under
// no mutant.
func TestMutantPartnersAreCaught(t *testing.T) {
	table, err := features.PartnerMutants()
	if err != nil {
		t.Fatal(err)
	}
	all, err := steps.Scenarios(features.FS, "partner")
	if err != nil {
		t.Fatal(err)
	}
	byName := steps.ByName(all)
	known := map[string]string{}
	for _, m := range refpartner.Mutants() {
		known[m.Name] = m.Description
	}
	listed, rows := map[string]bool{}, map[string]bool{}
	for _, m := range table {
		rows[m.Name] = true
		if _, ok := known[m.Name]; !ok {
			t.Errorf("expected-failures table: %s is not a mutant partner", m.Name)
		}
		for _, s := range m.MustFail {
			if _, ok := byName[s]; !ok {
				t.Errorf("mutant %s lists %q, which is not a partner scenario", m.Name, s)
			}
			listed[s] = true
		}
	}
	for n, d := range known {
		if !rows[n] {
			t.Errorf("mutant partner %s (%s) has no row in features/partner/mutants.yaml: nothing shows the suite catches it", n, d)
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
		t.Errorf("partner scenario %q is listed under no mutant: nothing shows it can fail", s)
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
				o, err := conform.Run(context.Background(), conform.Options{Partner: "reference:" + m.Name, Paths: paths,
					Format: "progress", Output: &out, NoColors: true})
				if err != nil && len(o.Result.Run.Scenarios) == 0 {
					// A partner whose public material the bank refuses at onboarding
					// (same-key-sign-enc) fails every scenario before it starts.
					t.Logf("mutant %s: %v", m.Name, err)
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
	t.Logf("mutant partners caught: %d/%d; partner scenarios with teeth: %d/%d", caught, len(table), len(teeth), len(all))
	if caught != len(table) || len(teeth) != len(all) {
		t.Errorf("not every mutant partner was caught or not every partner scenario showed it can fail")
	}
}
