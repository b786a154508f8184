package conform_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jr0185/harness/features"
	"github.com/jr0185/harness/sandbox/conform"
	"github.com/jr0185/harness/steps"
)

// mutantProof is one suite's proof that every scenario can fail and that every mutant is
// caught by exactly the scenarios its row lists (brief section 5; issue 12 item 1).
type mutantProof struct {
	suite   string            // "bank" or "partner"
	tableAt string            // where the expected-failures table lives, for messages
	table   []features.Mutant // the expected-failures table
	known   map[string]string // every mutant: name → what it breaks
	// options runs a mutant ("" for the correct implementation) against the whole suite.
	options func(name string) conform.Options
	// orders is how many random orders every mutant runs in; parallel how many runs
	// go at once (the partner suite mostly waits: Retry-After, breakers).
	orders, parallel int
	// listedOnly runs each mutant on the scenarios its row lists and nothing else (the
	// quick proof of make test: each listed scenario fails against its mutant); the
	// correct implementation is then judged by the suite's own pass test, not here.
	listedOnly bool
}

// proofRun is one run of the proof: one mutant in one order.
type proofRun struct {
	mutant string // "" for the correct implementation
	seed   int64
	failed map[string]string // scenario name → its error
	ran    int
	err    error
	took   time.Duration
}

// run checks the table both ways before anything runs — every row names a known mutant
// and known scenarios, every mutant has a row, every scenario is listed under a mutant —
// then runs every mutant, and the correct implementation, against the whole suite in
// p.orders random orders. A mutant must fail exactly the scenarios its row lists, in
// every order: one it is not caught by, and one it fails without being listed (a verdict
// that depends on order or on collateral damage), both fail the proof. The correct
// implementation must pass every scenario in every order.
//
// JR0185_PROOF_SEED pins the first order's seed (the others follow from it), to replay
// a failing order; JR0185_PROOF_ORDERS overrides the number of orders.
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
		twice := map[string]bool{}
		for _, s := range m.MustFail {
			if twice[s] {
				t.Errorf("mutant %s lists %q twice", m.Name, s)
			}
			twice[s] = true
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

	seeds := proofSeeds(t, p.orders)
	if p.listedOnly {
		t.Logf("%s proof: %d mutants, each on the scenarios its row lists, in random order (seed %v), %d runs at once",
			p.suite, len(p.table), seeds, p.parallel)
	} else {
		t.Logf("%s proof: %d mutants and the correct %s, whole suite (%d scenarios) each, in %d random orders (seeds %v), %d runs at once",
			p.suite, len(p.table), p.suite, len(all), len(seeds), seeds, p.parallel)
	}
	runs := p.runAll(seeds, byName)

	want := map[string]map[string]bool{"": {}}
	breaks := map[string]string{"": "nothing (the correct " + p.suite + ")"}
	for _, m := range p.table {
		want[m.Name] = map[string]bool{}
		for _, s := range m.MustFail {
			want[m.Name][s] = true
		}
		breaks[m.Name] = m.Breaks
	}
	observed := map[string]map[string]bool{} // mutant → every scenario it failed in any order
	bad := map[string]bool{}
	for _, r := range runs {
		label := orCorrect(r.mutant, p.suite)
		if observed[r.mutant] == nil {
			observed[r.mutant] = map[string]bool{}
		}
		if r.err != nil && r.ran == 0 {
			// E.g. a partner whose public material the bank refuses at onboarding:
			// every scenario is then reported below as not caught, or as failing.
			t.Logf("%s (seed %d): %v", label, r.seed, r.err)
		}
		if wantRan := p.ran(r.mutant, len(all)); r.ran != wantRan {
			bad[r.mutant] = true
			t.Errorf("%s (seed %d): %d of %d scenarios ran", label, r.seed, r.ran, wantRan)
		}
		for s := range want[r.mutant] {
			if _, failed := r.failed[s]; !failed {
				bad[r.mutant] = true
				t.Errorf("%s (%s), seed %d: %q passed, want failed: the mutant is not caught by it", label, breaks[r.mutant], r.seed, s)
			}
		}
		for s, why := range r.failed {
			observed[r.mutant][s] = true
			if !want[r.mutant][s] {
				bad[r.mutant] = true
				t.Errorf("%s (%s), seed %d: %q failed but is not listed under it: %s", label, breaks[r.mutant], r.seed, s, clipErr(why))
			}
		}
	}
	caught, teeth := 0, map[string]bool{}
	for _, m := range p.table {
		if !bad[m.Name] {
			caught++
		}
		for s := range observed[m.Name] {
			if want[m.Name][s] {
				teeth[s] = true
			}
		}
	}
	if p.listedOnly {
		t.Logf("%s proof: %d/%d mutants failed every scenario their row lists; %d/%d scenarios showed they can fail",
			p.suite, caught, len(p.table), len(teeth), len(all))
	} else {
		t.Logf("%s proof: %d/%d mutants failed exactly their listed scenarios in all %d orders; %d/%d scenarios showed they can fail; the correct %s passed every scenario in every order: %v",
			p.suite, caught, len(p.table), len(seeds), len(teeth), len(all), p.suite, !bad[""])
	}
	if len(bad) > 0 {
		var b strings.Builder
		for _, m := range p.table {
			if !bad[m.Name] {
				continue
			}
			fmt.Fprintf(&b, "  - name: %s\n    must_fail: # as observed in the %d orders above\n", m.Name, len(seeds))
			var names []string
			for s := range observed[m.Name] {
				names = append(names, s)
			}
			sort.Strings(names)
			for _, s := range names {
				fmt.Fprintf(&b, "      - %s\n", s)
			}
		}
		t.Errorf("the verdicts differ from %s; what the mutants that differ failed (review before copying):\n%s", p.tableAt, b.String())
	}
}

// runAll runs every mutant and the correct implementation in every order, p.parallel at
// a time, and returns the runs in table order.
func (p mutantProof) runAll(seeds []int64, byName map[string]steps.ScenarioInfo) []proofRun {
	names := []string{""}
	if p.listedOnly {
		names = nil
	}
	paths := map[string][]string{}
	for _, m := range p.table {
		names = append(names, m.Name)
		for _, s := range m.MustFail {
			paths[m.Name] = append(paths[m.Name], byName[s].Path())
		}
	}
	runs := make([]proofRun, 0, len(names)*len(seeds))
	for _, n := range names {
		for _, s := range seeds {
			runs = append(runs, proofRun{mutant: n, seed: s})
		}
	}
	sem := make(chan struct{}, max(1, p.parallel))
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func(r *proofRun) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			o := p.options(r.mutant)
			if p.listedOnly {
				o.Paths = paths[r.mutant]
			}
			var out bytes.Buffer
			o.Format, o.Output, o.NoColors, o.Randomize = "progress", &out, true, r.seed
			res, err := conform.Run(context.Background(), o)
			r.err, r.took, r.failed = err, time.Since(start), map[string]string{}
			for _, s := range res.Result.Run.Scenarios {
				r.ran++
				if s.Status != "passed" {
					r.failed[s.Name] = s.Status + ": " + s.Error
				}
			}
		}(&runs[i])
	}
	wg.Wait()
	return runs
}

// ran is how many scenarios a run of mutant must run: its listed ones (listedOnly), else
// the whole suite.
func (p mutantProof) ran(mutant string, all int) int {
	if !p.listedOnly {
		return all
	}
	for _, m := range p.table {
		if m.Name == mutant {
			return len(m.MustFail)
		}
	}
	return all
}

// proofSeeds are the random orders: n seeds, the first from JR0185_PROOF_SEED when set.
func proofSeeds(t *testing.T, n int) []int64 {
	if v := os.Getenv("JR0185_PROOF_ORDERS"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 {
			t.Fatalf("JR0185_PROOF_ORDERS=%q: want a positive number", v)
		}
		n = k
	}
	base := time.Now().UnixNano() % 1_000_000_007
	if v := os.Getenv("JR0185_PROOF_SEED"); v != "" {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil || s == 0 {
			t.Fatalf("JR0185_PROOF_SEED=%q: want a non-zero number", v)
		}
		base = s
	}
	seeds := make([]int64, n)
	for i := range seeds {
		seeds[i] = base + int64(i)*7919
	}
	return seeds
}

func orCorrect(mutant, suite string) string {
	if mutant == "" {
		return "the correct " + suite
	}
	return "mutant " + mutant
}

func clipErr(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
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
