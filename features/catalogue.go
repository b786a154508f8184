// Package features holds the conformance suites' requirement catalogue: every
// requirement statement of JR/T 0185-2020 clauses 6 to 12 and annex B, with the
// party that bears it, the security level it applies to and whether the harness
// checks it over the wire (automated), by attestation (manual) or not at all
// (not-applicable). The catalogue drives the conformance report: scenarios name
// requirements by tag (see Tag), an automated requirement without a scenario is
// a failure, and so is a tag that names no requirement.
package features

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// RequirementsYAML is the catalogue source, requirements.yaml.
//
//go:embed requirements.yaml
var RequirementsYAML []byte

// Strength is the force of a requirement: 应/需 → shall, 不应/不得/禁止 →
// shall-not, 宜 → should.
type Strength string

// Strengths.
const (
	Shall    Strength = "shall"
	ShallNot Strength = "shall-not"
	Should   Strength = "should"
)

// Party is who bears a requirement: the bank (商业银行), the partner (应用方) or
// both.
type Party string

// Parties.
const (
	Bank    Party = "bank"
	Partner Party = "partner"
	Both    Party = "both"
)

// Level is the interface security level (6.2) a requirement applies to.
type Level string

// Levels.
const (
	LevelA1  Level = "A1"
	LevelA2  Level = "A2"
	LevelAll Level = "all"
)

// Mode is how conformance to a requirement is established.
type Mode string

// Modes.
const (
	// Automated: observable behaviour over the wire or in published artefacts
	// shows it; a scenario must exist.
	Automated Mode = "automated"
	// Manual: shown by attestation (documents, contracts, audits); it appears
	// in the report as a checklist item.
	Manual Mode = "manual"
	// NotApplicable: the requirement's object does not exist in this setting
	// (e.g. mobile-SDK hardening in a server-to-server integration).
	NotApplicable Mode = "not-applicable"
)

// Standard identifies the catalogued standard.
type Standard struct {
	Code  string `yaml:"code"`
	Title string `yaml:"title"`
	Year  int    `yaml:"year"`
}

// Requirement is one requirement statement of the standard.
type Requirement struct {
	// ID is "<clause>/<item>", "6.2/A1", "6.2/A2", "6.2/A2<x>" or "B/<n>";
	// see README.md.
	ID string `yaml:"id"`
	// Clause is the clause number; for annex B, the subclause (B.1 … B.3.7).
	Clause string `yaml:"clause"`
	// Title is the clause heading.
	Title string `yaml:"title"`
	// LeadIn is the sentence introducing the list the item belongs to (for a
	// sub-bullet, its parent bullet), when there is one. It often carries the
	// modal verb and the party.
	LeadIn string `yaml:"lead_in,omitempty"`
	// Text is the standard's wording, whitespace-normalized.
	Text string `yaml:"text"`
	// Summary is an English rendering.
	Summary  string   `yaml:"summary"`
	Strength Strength `yaml:"strength"`
	Party    Party    `yaml:"party"`
	Level    Level    `yaml:"level"`
	Mode     Mode     `yaml:"mode"`
	// Reason says why a manual or not-applicable requirement cannot be shown
	// over the wire or from published artefacts.
	Reason string `yaml:"reason,omitempty"`
	// Checks says what observable behaviour shows an automated requirement.
	Checks string `yaml:"checks,omitempty"`
	// Note records what an automated check leaves to attestation, or other
	// remarks.
	Note string `yaml:"note,omitempty"`
}

// Catalogue is the parsed requirement catalogue.
type Catalogue struct {
	Standard     Standard      `yaml:"standard"`
	Requirements []Requirement `yaml:"requirements"`

	index map[string]int
}

// Counts summarises a catalogue.
type Counts struct {
	Total, Automated, Manual, NotApplicable int
	// ByParty counts requirements per party ("bank", "partner", "both").
	ByParty map[string]int
}

// Load parses and validates the embedded catalogue.
func Load() (*Catalogue, error) { return Parse(RequirementsYAML) }

// Parse parses and validates a catalogue. Unknown fields are errors.
func Parse(data []byte) (*Catalogue, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c Catalogue
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("requirement catalogue: %w", err)
	}
	c.reindex()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Catalogue) reindex() {
	c.index = make(map[string]int, len(c.Requirements))
	for i, r := range c.Requirements {
		if _, dup := c.index[r.ID]; !dup {
			c.index[r.ID] = i
		}
	}
}

// ByID returns the requirement with the given ID.
func (c *Catalogue) ByID(id string) (Requirement, bool) {
	if i, ok := c.index[id]; ok && i < len(c.Requirements) && c.Requirements[i].ID == id {
		return c.Requirements[i], true
	}
	// Not indexed, or Requirements was changed after parsing: scan.
	for _, r := range c.Requirements {
		if r.ID == id {
			return r, true
		}
	}
	return Requirement{}, false
}

// IDs returns the requirement IDs in catalogue (standard) order.
func (c *Catalogue) IDs() []string {
	ids := make([]string, len(c.Requirements))
	for i, r := range c.Requirements {
		ids[i] = r.ID
	}
	return ids
}

// Counts counts requirements by mode and party.
func (c *Catalogue) Counts() Counts {
	n := Counts{Total: len(c.Requirements), ByParty: map[string]int{}}
	for _, r := range c.Requirements {
		switch r.Mode {
		case Automated:
			n.Automated++
		case Manual:
			n.Manual++
		case NotApplicable:
			n.NotApplicable++
		}
		n.ByParty[string(r.Party)]++
	}
	return n
}

// idPattern accepts the ID forms of README.md:
//
//	<clause>/<n>[<a-z>]   bullet or paragraph n of a clause, sub-bullet letter
//	<clause>/<a-z><n>     lettered and numbered items, e.g. 7.2.1/a2
//	6.2/A1, 6.2/A2[<a-z>] the two security levels and A2's sub-bullets
//	B/<n>                 annex B rules
//
// Clauses are 6 to 12 with up to two further levels; numbers have no leading
// zero.
var idPattern = regexp.MustCompile(`^(?:` +
	`(?P<clause>(?:[6-9]|1[0-2])(?:\.[1-9][0-9]*){0,2})/(?:[1-9][0-9]*[a-z]?|[a-z][1-9][0-9]*)` +
	`|6\.2/A(?:1|2[a-z]?)` +
	`|B/[1-9][0-9]*` +
	`)$`)

// ValidID reports whether id is a well-formed requirement ID.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// ClauseOf returns the clause part of a requirement ID (text before the "/").
func ClauseOf(id string) string {
	clause, _, _ := strings.Cut(id, "/")
	return clause
}

// Modal markers. A requirement's text, or its lead-in, must contain one, once
// words that merely contain 应 or 需 are removed (应用 application, 相应
// corresponding, 应急 emergency, 需要/需求 need, 如需/确需 "if needed", ...).
var (
	nonModal = strings.NewReplacer(
		"应用", "", "相应", "", "对应", "", "响应", "", "反应", "", "适应", "", "供应", "", "应急", "", "应答", "",
		"需要", "", "需求", "", "如需", "", "确需", "", "所需", "", "必需", "",
	)
	modalMarkers    = []string{"应", "宜", "不得", "禁止", "需", "必须"}
	prohibitMarkers = []string{"不应", "不得", "禁止"}
)

// HasModal reports whether s states an obligation: it contains 应 (in its modal
// sense), 宜, 不得, 禁止, 需 or 必须.
func HasModal(s string) bool {
	s = nonModal.Replace(s)
	for _, m := range modalMarkers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// DefinitionalRule reports whether a requirement is normative by definition
// rather than by a modal verb: the security-level definitions 6.2/A1 and
// 6.2/A2, and the rules of annex B, which is a normative annex whose coding
// rules are stated as definitions ("固定位值固定为字母OP").
func DefinitionalRule(id string) bool {
	return id == "6.2/A1" || id == "6.2/A2" || strings.HasPrefix(id, "B/")
}

// Validate checks the catalogue: the standard block is present; IDs are unique
// and well-formed; each clause field matches its ID (for annex B, a subclause
// of B); clauses appear in the standard's order; enumerations are valid; text,
// title and summary are present; the text (or lead-in) states an obligation
// unless the rule is definitional; the strength agrees with the wording;
// manual and not-applicable requirements give a reason and automated ones say
// what they check. It reports every problem found.
func (c *Catalogue) Validate() error {
	var errs []error
	bad := func(id, format string, args ...any) {
		errs = append(errs, fmt.Errorf("requirement %q: %s", id, fmt.Sprintf(format, args...)))
	}
	if c.Standard.Code == "" || c.Standard.Title == "" || c.Standard.Year == 0 {
		errs = append(errs, errors.New("standard: code, title and year are required"))
	}
	if len(c.Requirements) == 0 {
		errs = append(errs, errors.New("no requirements"))
	}
	seen := map[string]bool{}
	var prev []int
	for _, r := range c.Requirements {
		id := r.ID
		switch {
		case seen[id]:
			bad(id, "duplicate id")
		case !ValidID(id):
			bad(id, "malformed id")
		}
		seen[id] = true

		prefix := ClauseOf(id)
		if prefix == "B" {
			if r.Clause != "B" && !strings.HasPrefix(r.Clause, "B.") {
				bad(id, "clause %q is not in annex B", r.Clause)
			}
		} else if r.Clause != prefix {
			bad(id, "clause %q does not match id prefix %q", r.Clause, prefix)
		}
		if key, ok := clauseKey(r.Clause); !ok {
			bad(id, "malformed clause %q", r.Clause)
		} else {
			if prev != nil && lessKey(key, prev) {
				bad(id, "clause %s listed after clause %s: keep the standard's order", r.Clause, keyString(prev))
			}
			prev = key
		}

		switch r.Strength {
		case Shall, ShallNot, Should:
		default:
			bad(id, "strength %q is not shall, shall-not or should", r.Strength)
		}
		switch r.Party {
		case Bank, Partner, Both:
		default:
			bad(id, "party %q is not bank, partner or both", r.Party)
		}
		switch r.Level {
		case LevelA1, LevelA2, LevelAll:
		default:
			bad(id, "level %q is not A1, A2 or all", r.Level)
		}

		if strings.TrimSpace(r.Title) == "" {
			bad(id, "title is empty")
		}
		if strings.TrimSpace(r.Summary) == "" {
			bad(id, "summary is empty")
		}
		text := strings.TrimSpace(r.Text)
		switch {
		case text == "":
			bad(id, "text is empty")
		case text != r.Text || strings.ContainsAny(r.Text, "\n\t"):
			bad(id, "text is not whitespace-normalized")
		case !HasModal(text) && !HasModal(r.LeadIn) && !DefinitionalRule(id):
			bad(id, "neither text nor lead-in states an obligation (应/宜/不得/禁止/需)")
		}
		switch r.Strength {
		case Should:
			if !strings.Contains(text, "宜") {
				bad(id, "strength should but the text has no 宜")
			}
		case ShallNot:
			if !containsAny(text, prohibitMarkers) {
				bad(id, "strength shall-not but the text has no 不应/不得/禁止")
			}
		}

		reason, checks := strings.TrimSpace(r.Reason), strings.TrimSpace(r.Checks)
		switch r.Mode {
		case Automated:
			if checks == "" {
				bad(id, "automated requirement needs checks")
			}
			if reason != "" {
				bad(id, "automated requirement has a reason; use note for what is left to attestation")
			}
		case Manual, NotApplicable:
			if reason == "" {
				bad(id, "%s requirement needs a reason", r.Mode)
			}
			if checks != "" {
				bad(id, "%s requirement has checks", r.Mode)
			}
		default:
			bad(id, "mode %q is not automated, manual or not-applicable", r.Mode)
		}
	}
	return errors.Join(errs...)
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// clauseKey turns "10.2.3" into [10 2 3] and "B.3.4" (or "B") into
// [100 3 4], so annex B sorts after the numbered clauses.
func clauseKey(clause string) ([]int, bool) {
	parts := strings.Split(clause, ".")
	key := make([]int, 0, len(parts))
	for i, p := range parts {
		if i == 0 && p == "B" {
			key = append(key, 100)
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || p != strconv.Itoa(n) {
			return nil, false
		}
		key = append(key, n)
	}
	return key, true
}

func lessKey(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

func keyString(k []int) string {
	s := make([]string, len(k))
	for i, n := range k {
		if i == 0 && n == 100 {
			s[i] = "B"
			continue
		}
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ".")
}

// TagPrefix begins every requirement tag.
const TagPrefix = "@JR0185-"

// Tag returns the godog (Gherkin) tag naming requirement id, e.g.
// Tag("9.2.2/3") == "@JR0185-9.2.2/3". The ID is used verbatim: Gherkin tags
// may hold any characters but whitespace and "@" (a tag line is split on "@",
// and " #" starts a comment), and godog's tag filter splits only on "&&" and
// ",", drops "@" and treats a leading "~" as negation — none of which occur in
// an ID. Tag does not check that id is well-formed; ParseTag does.
func Tag(id string) string { return TagPrefix + id }

// ParseTag returns the requirement ID named by tag, the inverse of Tag. The
// leading "@" is optional, since godog filter expressions and some reports
// drop it. ok is false if tag is not a requirement tag or names a malformed ID
// (it does not say whether the catalogue holds the ID; use ByID).
func ParseTag(tag string) (id string, ok bool) {
	rest := strings.TrimPrefix(tag, "@")
	id, ok = strings.CutPrefix(rest, TagPrefix[1:])
	if !ok || !ValidID(id) {
		return "", false
	}
	return id, true
}
