package conform_test

import (
	"bytes"
	"context"
	"github.com/jr0185/harness/sandbox/bank"
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
	passed := passedAll(t, o, len(all), &out)
	t.Logf("reference partner: %d/%d partner scenarios passed in %s", passed, len(all), o.Elapsed.Round(1e7))
}

// TestMutantPartnersAreCaught is the proof that every partner scenario can fail and
// that the partner verdicts do not depend on order (brief section 5; issue 12 items 1
// and 7): each mutant partner — the reference partner with exactly one behaviour broken
// — runs the whole partner suite against a fresh sandbox in three random orders, and
// must fail exactly the scenarios its row of features/partner/mutants.yaml lists, in
// every order; the reference partner must pass them all in the same orders. It also
// fails when a mutant has no row, a row names an unknown mutant or scenario, or a
// partner scenario is listed under no mutant. The partner suite cannot run its scenarios
// concurrently against one partner — one partner under test, one user at a time, and
// each scenario starts from a known state of that partner at the bank (steps: isolate) —
// so the proof gets its speed from running several partners at once instead: twelve
// runs, each a fresh sandbox and its own partner, go at once; a partner run mostly
// waits (Retry-After, breakers, a late answer), so the two cores are not the limit.
func TestMutantPartnersAreCaught(t *testing.T) {
	table, err := features.PartnerMutants()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]string{}
	for _, m := range refpartner.Mutants() {
		known[m.Name] = m.Description
	}
	mutantProof{suite: "partner", tableAt: "features/partner/mutants.yaml", table: table, known: known,
		orders: 3, parallel: 12,
		options: func(name string) conform.Options {
			spec := "reference"
			if name != "" {
				spec += ":" + name
			}
			// Ten customers (the three test users among them) instead of fifty: the
			// partner suite plays the test users only, and hashing the passwords of
			// fifty customers was a seventh of each run's CPU.
			return conform.Options{Partner: spec, BankConfig: func(c *bank.Config) { c.Customers = 10 }}
		}}.run(t)
}
