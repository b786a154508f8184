package features

import (
	_ "embed" // the controls table
	"fmt"
	"regexp"
	"slices"

	"gopkg.in/yaml.v3"
)

// ControlsYAML is the bank suite's controls × surfaces table, bank/controls.yaml: every
// security control the bank-side suite judges, the requirements it serves, and which of
// the bank's published interfaces it guards — a selector over the catalogue the bank
// publishes at /docs/apis.json, never a hand-typed list of interfaces, so an interface
// the bank adds is judged without a new scenario.
//
//go:embed bank/controls.yaml
var ControlsYAML []byte

// Control is one security control of the bank.
type Control struct {
	ID      string   `yaml:"id"`      // e.g. AUTH-REQUIRED
	Clauses []string `yaml:"clauses"` // requirement IDs of the catalogue it serves
	Text    string   `yaml:"text"`    // what holds on every surface, in one sentence
	// Surfaces selects the interfaces (and bank pages) it guards.
	Surfaces Selector `yaml:"surfaces"`
}

// Selector picks surfaces out of the published catalogue. An interface is selected when
// it matches every field that is set; Pages adds bank pages (not in the catalogue).
type Selector struct {
	Level     []string `yaml:"level"`      // A1, A2
	Method    []string `yaml:"method"`     // GET, POST
	Scope     []string `yaml:"scope"`      // the interface's published scope
	UserToken *bool    `yaml:"user_token"` // acts for a user with their access token
	// Pages are bank pages the control also guards (login, consent, portal): they are not
	// interfaces of the catalogue.
	Pages []string `yaml:"pages"`
	// None: the control guards no interface, only Pages.
	None bool `yaml:"no_interfaces"`
}

// Interface is what a Selector sees of one published interface.
type Interface struct {
	Level, Method, Scope string
	UserToken            bool
}

// Selects reports whether the selector picks the interface.
func (s Selector) Selects(i Interface) bool {
	if s.None {
		return false
	}
	if len(s.Level) > 0 && !slices.Contains(s.Level, i.Level) {
		return false
	}
	if len(s.Method) > 0 && !slices.Contains(s.Method, i.Method) {
		return false
	}
	if len(s.Scope) > 0 && !slices.Contains(s.Scope, i.Scope) {
		return false
	}
	if s.UserToken != nil && *s.UserToken != i.UserToken {
		return false
	}
	return true
}

var controlIDRE = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$`)

// Controls parses and checks bank/controls.yaml against the requirement catalogue: IDs
// well-formed and unique, every clause a catalogued bank-side automated requirement,
// a text, and a selector that picks something.
func Controls(cat *Catalogue) ([]Control, error) {
	var doc struct {
		Controls []Control `yaml:"controls"`
	}
	if err := yaml.Unmarshal(ControlsYAML, &doc); err != nil {
		return nil, fmt.Errorf("controls.yaml: %w", err)
	}
	seen := map[string]bool{}
	for _, c := range doc.Controls {
		switch {
		case !controlIDRE.MatchString(c.ID):
			return nil, fmt.Errorf("controls.yaml: control ID %q is not UPPER-KEBAB", c.ID)
		case seen[c.ID]:
			return nil, fmt.Errorf("controls.yaml: control %s appears twice", c.ID)
		case c.Text == "":
			return nil, fmt.Errorf("controls.yaml: control %s has no text", c.ID)
		case len(c.Clauses) == 0:
			return nil, fmt.Errorf("controls.yaml: control %s names no requirement", c.ID)
		case c.Surfaces.None && len(c.Surfaces.Pages) == 0:
			return nil, fmt.Errorf("controls.yaml: control %s guards no interface and no page", c.ID)
		}
		seen[c.ID] = true
		for _, id := range c.Clauses {
			r, ok := cat.ByID(id)
			if !ok {
				return nil, fmt.Errorf("controls.yaml: control %s names %s, which is not in requirements.yaml", c.ID, id)
			}
			if r.Mode != Automated || (r.Party != Bank && r.Party != Both) {
				return nil, fmt.Errorf("controls.yaml: control %s names %s, which is not an automated bank-side requirement", c.ID, id)
			}
		}
	}
	return doc.Controls, nil
}
