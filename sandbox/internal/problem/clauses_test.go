package problem

import (
	"strings"
	"testing"

	"github.com/jr0185/harness/features"
)

// TestClausesAreCatalogued keeps the error catalogue honest: every clause an error
// claims to enforce is a requirement in the catalogue, so a partner reading "clause"
// in a problem can look it up.
func TestClausesAreCatalogued(t *testing.T) {
	t.Parallel()
	cat, err := features.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range All() {
		if e.Clause == "" {
			continue
		}
		r, ok := cat.ByID(e.Clause)
		if !ok {
			t.Errorf("%s cites %s, which is not in features/requirements.yaml", e.Code, e.Clause)
			continue
		}
		if r.Party == "partner" {
			t.Errorf("%s cites %s, a partner-side requirement; the bank enforces bank-side ones", e.Code, e.Clause)
		}
		if strings.TrimSpace(r.Text) == "" {
			t.Errorf("%s: requirement %s has no text", e.Code, e.Clause)
		}
	}
}
