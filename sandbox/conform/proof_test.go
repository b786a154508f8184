package conform_test

import (
	"bytes"
	"context"
	"sort"
	"sync"
	"testing"

	"github.com/jr0185/harness/features"
	"github.com/jr0185/harness/sandbox/conform"
	"github.com/jr0185/harness/steps"
)

// mutantProof is one suite's proof that every scenario can fail (brief section 5).
type mutantProof struct {
	suite   string            // "bank" or "partner"
	tableAt string            // where the expected-failures table lives, for messages
	table   []features.Mutant // the expected-failures table
	known   map[string]string // every mutant: name → what it breaks
	// options runs a mutant against the paths of its listed scenarios.
	options func(name string, paths []string) conform.Options
}

// run checks the table both ways before anything runs — every row names a known mutant
// and known scenarios, every mutant has a row, every scenario is listed under a mutant —
// then runs each mutant against its listed scenarios, every one of which must fail, and
// logs how many mutants were caught and how many scenarios showed teeth.
func (p mutantProof) run(t *testing.T) {
	t.Helper()
	all, err := steps.Scenarios(features.FS, p.suite)
	if err != nil {
		t.Fatal(err)
	}
	byName := steps.ByName(all)
	listed, rows := map[string]bool{}, map[string]bool{}
	for _, m := range p.table {
		rows[m.Name] = true
		if _, ok := p.known[m.Name]; !ok {
			t.Errorf("expected-failures table: %s is not a mutant of the %s suite", m.Name, p.suite)
		}
		for _, s := range m.MustFail {
			if _, ok := byName[s]; !ok {
				t.Errorf("mutant %s lists %q, which is not a %s scenario", m.Name, s, p.suite)
			}
			listed[s] = true
		}
	}
	for n, d := range p.known {
		if !rows[n] {
			t.Errorf("mutant %s (%s) has no row in %s: nothing shows the suite catches it", n, d, p.tableAt)
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
		t.Errorf("%s scenario %q is listed under no mutant: nothing shows it can fail", p.suite, s)
	}
	if t.Failed() {
		t.FailNow()
	}

	var mu sync.Mutex
	caught, teeth := 0, map[string]bool{}
	t.Run("mutants", func(t *testing.T) {
		for _, m := range p.table {
			t.Run(m.Name, func(t *testing.T) {
				t.Parallel()
				var paths []string
				for _, s := range m.MustFail {
					paths = append(paths, byName[s].Path())
				}
				o := p.options(m.Name, paths)
				var out bytes.Buffer
				o.Format, o.Output, o.NoColors = "progress", &out, true
				res, err := conform.Run(context.Background(), o)
				if err != nil && len(res.Result.Run.Scenarios) == 0 {
					// E.g. a partner whose public material the bank refuses at onboarding:
					// every listed scenario is then reported below as not run.
					t.Logf("mutant %s: %v", m.Name, err)
				}
				got := map[string]string{}
				for _, s := range res.Result.Run.Scenarios {
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
	t.Logf("mutant %ss caught: %d/%d; %s scenarios with teeth: %d/%d", p.suite, caught, len(p.table), p.suite, len(teeth), len(all))
	if caught != len(p.table) || len(teeth) != len(all) {
		t.Errorf("not every mutant was caught or not every %s scenario showed it can fail", p.suite)
	}
}

// passedAll insists that every scenario of a run passed and that there were want of
// them, and returns how many passed.
func passedAll(t *testing.T, o conform.Outcome, want int, out *bytes.Buffer) int {
	t.Helper()
	passed := 0
	for _, s := range o.Result.Run.Scenarios {
		if s.Status == "passed" {
			passed++
		} else {
			t.Errorf("%s (%s): %s %s", s.Name, s.URI, s.Status, s.Error)
		}
	}
	if passed != want {
		t.Fatalf("%d of %d scenarios passed\n%s", passed, want, out.String())
	}
	return passed
}
