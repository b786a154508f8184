package steps

import (
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/jr0185/harness/features"
)

// TestControlsHaveProbesAndScenarios: every control of features/bank/controls.yaml has a
// probe and is judged by a bank scenario that carries the tags of the requirements it
// serves; every probe judges a control of the table (issue 13: a control without a
// check is a hole the report would not show).
func TestControlsHaveProbesAndScenarios(t *testing.T) {
	controls, err := bankControls()
	if err != nil {
		t.Fatal(err)
	}
	scenarios, err := Scenarios(features.FS, "bank")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, c := range controls {
		known[c.ID] = true
		if _, ok := controlProbes[c.ID]; !ok {
			t.Errorf("control %s has no probe (controlProbes)", c.ID)
		}
		step := regexp.MustCompile(`the bank enforces "` + regexp.QuoteMeta(c.ID) + `" on every surface it guards`)
		judged := false
		for _, s := range scenarios {
			if !s.uses(step) {
				continue
			}
			judged = true
			for _, id := range c.Clauses {
				if !slices.Contains(s.Tags, features.Tag(id)) {
					t.Errorf("scenario %q judges %s but lacks the tag %s of a requirement it serves", s.Name, c.ID, features.Tag(id))
				}
			}
		}
		if !judged {
			t.Errorf("control %s is judged by no bank scenario", c.ID)
		}
	}
	for id := range controlProbes {
		if !known[id] {
			t.Errorf("probe %s judges no control of features/bank/controls.yaml", id)
		}
	}
	fmt.Printf("%d controls, each with a probe and a scenario\n", len(controls))
}

// TestSelectorsFollowTheCatalogue: a control's surfaces are what its selector picks from
// the published catalogue, so an interface added to the catalogue is judged at once.
func TestSelectorsFollowTheCatalogue(t *testing.T) {
	yes := true
	cat := &pubCatalogue{APIs: []pubAPI{
		{APIID: "a1.x", Level: "A1", Method: "GET", Scope: "products:read"},
		{APIID: "a2.y", Level: "A2", Method: "POST", Scope: "payments:write", UserToken: true},
		{APIID: "a2.new", Level: "A2", Method: "GET", Scope: "accounts:read", UserToken: true},
		{APIID: "a2.gone", Level: "A2", Method: "GET", Scope: "accounts:read", UserToken: true},
	}}
	cat.APIs[3].Lifecycle.State = "offline"
	for _, tc := range []struct {
		name string
		sel  features.Selector
		want []string
	}{
		{"every level selects every served interface", features.Selector{Level: []string{"A1", "A2"}}, []string{"a1.x", "a2.y", "a2.new"}},
		{"user-token interfaces include the new one", features.Selector{UserToken: &yes}, []string{"a2.y", "a2.new"}},
		{"scope and method narrow", features.Selector{Scope: []string{"payments:write"}, Method: []string{"POST"}}, []string{"a2.y"}},
		{"pages are added", features.Selector{None: true, Pages: []string{"login"}}, []string{"page:login"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, s := range surfacesOf(features.Control{Surfaces: tc.sel}, cat) {
				got = append(got, s.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("surfaces %v, want %v", got, tc.want)
			}
		})
	}
}
