// Package report builds the conformance report of a harness run: one verdict
// per requirement of the JR/T 0185-2020 catalogue (features.Catalogue), the
// scenarios behind it and their evidence, for automated, manual and
// not-applicable requirements alike, with what the run was asked to execute
// (Selection), the harness build that ran it (Version) and whether it judged
// every automated requirement in its scope (Scope): a run that did not is
// partial, and says so in every format. Report.Write renders it as JSON (for
// machines), Markdown and HTML (for people) and signs those files and the
// suites' JUnit and cucumber JSON files with SM2-with-SM3 (report.sig), so
// the report folder can be handed to a bank as evidence; Verify checks such a
// signed folder.
//
// The package depends only on the requirement catalogue, never on the
// sandbox: the harness judges a bank or a partner independently of the
// sandbox implementation.
package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/jr0185/harness/features"
)

// Scenario statuses, as godog reports them.
const (
	StatusPassed    = "passed"
	StatusFailed    = "failed"
	StatusUndefined = "undefined"
	StatusPending   = "pending"
	StatusSkipped   = "skipped"
)

// Verdicts.
const (
	VerdictPassed        = "passed"
	VerdictFailed        = "failed"
	VerdictNotRun        = "not-run"
	VerdictManual        = "manual"
	VerdictNotApplicable = "not-applicable"
)

// MaxEvidence caps the evidence lines kept per requirement; the rest are
// counted in Verdict.EvidenceOmitted (every line stays in the scenario list
// of Report.Runs).
const MaxEvidence = 20

// Scenario is one executed scenario, as the runner saw it.
type Scenario struct {
	Suite    string        `json:"suite"`           // "bank" or "partner"
	Feature  string        `json:"feature"`         // feature name
	Name     string        `json:"name"`            // scenario name
	URI      string        `json:"uri"`             // e.g. "bank/a1_authentication.feature:12"
	Tags     []string      `json:"tags"`            // all tags, with "@"
	Status   string        `json:"status"`          // "passed", "failed", "undefined", "pending", "skipped"
	Error    string        `json:"error,omitempty"` // failure message, if any
	Evidence []string      `json:"evidence"`        // e.g. "POST /a2/v1/payments → 401 SIGNATURE_INVALID (request …)"
	Duration time.Duration `json:"duration_ns"`     // wall time of the scenario
}

// Run describes one suite run.
type Run struct {
	Suite  string `json:"suite"`  // "bank" or "partner"
	Target string `json:"target"` // e.g. "embedded sandbox https://127.0.0.1:40123" or a URL
	Tags   string `json:"tags"`   // tag expression used, "" for none
	// Paths are the feature paths the run was limited to, empty for the whole suite.
	Paths      []string   `json:"paths,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt time.Time  `json:"finished_at"`
	Scenarios  []Scenario `json:"scenarios"`
	// Matrices are the suite's coverage tables (see Matrix), e.g. the partner
	// obligations or the bank's controls × surfaces.
	Matrices []Matrix `json:"matrices,omitempty"`
}

// Standard identifies the standard the report judges against.
type Standard struct {
	Code  string `json:"code"`
	Title string `json:"title"`
	Year  int    `json:"year"`
}

// ScenarioRef names a scenario behind a verdict.
type ScenarioRef struct {
	Suite  string `json:"suite"`
	Name   string `json:"name"`
	URI    string `json:"uri"`
	Status string `json:"status"`
}

// Verdict is the outcome for one requirement.
type Verdict struct {
	ID      string `json:"id"`
	Clause  string `json:"clause"`
	Title   string `json:"title"`
	Text    string `json:"text"`
	Summary string `json:"summary"`
	Party   string `json:"party"`
	Level   string `json:"level"`
	Mode    string `json:"mode"`
	// Verdict is "passed", "failed", "not-run", "manual" or "not-applicable".
	Verdict string `json:"verdict"`
	// Scenarios are the scenarios tagged with the requirement, in run order.
	Scenarios []ScenarioRef `json:"scenarios"`
	// Evidence holds the evidence lines of those scenarios, failing
	// scenarios first, at most MaxEvidence of them.
	Evidence []string `json:"evidence"`
	// EvidenceOmitted counts the evidence lines left out of Evidence.
	EvidenceOmitted int `json:"evidence_omitted,omitempty"`
	// Reason is, for a manual or not-applicable requirement, the catalogue's
	// reason; for a failed one, the first failure.
	Reason string `json:"reason,omitempty"`
	// Checks says what observable behaviour shows an automated requirement.
	Checks string `json:"checks,omitempty"`
	// Note is the catalogue's note (what an automated check leaves to
	// attestation, or other remarks).
	Note string `json:"note,omitempty"`
}

// Counts summarises a report.
type Counts struct {
	// Requirements is the number of catalogued requirements.
	Requirements  int `json:"requirements"`
	Passed        int `json:"passed"`
	Failed        int `json:"failed"`
	NotRun        int `json:"not_run"`
	Manual        int `json:"manual"`
	NotApplicable int `json:"not_applicable"`
	// Automated is the number of automated requirements; AutomatedCovered
	// those of them that at least one executed scenario exercised (verdict
	// passed or failed).
	Automated        int `json:"automated"`
	AutomatedCovered int `json:"automated_covered"`
	// Scenario counts over all runs.
	Scenarios        int `json:"scenarios"`
	ScenariosPassed  int `json:"scenarios_passed"`
	ScenariosFailed  int `json:"scenarios_failed"` // failed, undefined, pending or any unknown status
	ScenariosSkipped int `json:"scenarios_skipped"`
	// UnknownTags counts requirement tags naming no catalogued requirement.
	UnknownTags int `json:"unknown_tags"`
}

// UnknownTag is a well-formed requirement tag whose ID is not in the
// catalogue.
type UnknownTag struct {
	Tag      string `json:"tag"`
	Scenario string `json:"scenario"`
	URI      string `json:"uri"`
}

// Outcomes of a whole report (Report.Outcome).
const (
	// OutcomePassed: a complete run (Scope.Complete) in which nothing failed.
	OutcomePassed = "passed"
	// OutcomeFailed: a complete run in which a requirement or a scenario failed.
	OutcomeFailed = "failed"
	// OutcomePartial: the run did not judge every automated requirement in its
	// scope, whatever the scenarios that ran did (Report.Verdict says that). A
	// partial run is never a conformance result.
	OutcomePartial = "partial"
)

// Report is the conformance report. It is JSON-serialisable; requirements
// are in catalogue order and scenarios in run order, so two identical runs
// produce reports that differ only in timestamps, durations and whatever
// the evidence lines carry (request IDs).
//
// Outcome, Verdict and Headline come first in the JSON: they are what a
// reader looks at, and a partial run says so there.
type Report struct {
	// Outcome is "passed" or "failed" for a complete run, "partial" for any
	// run that did not judge every automated requirement in its scope (see
	// Scope) — never "passed" then, whatever the scenarios that ran did.
	Outcome string `json:"outcome"`
	// Verdict is "passed" or "failed": whether every requirement and scenario
	// that ran passed (Passed), complete run or not.
	Verdict string `json:"verdict"`
	// Headline is Outcome and Verdict in one sentence, e.g. "PARTIAL RUN, NOT
	// A CONFORMANCE RESULT: 2 of 82 …". Every rendering leads with it.
	Headline    string    `json:"headline"`
	Standard    Standard  `json:"standard"`
	GeneratedAt time.Time `json:"generated_at"`
	// Selection is what the run was asked to execute.
	Selection Selection `json:"selection"`
	// SuiteVersion is the harness build that ran the suites.
	SuiteVersion Version `json:"suite_version"`
	// Scope says which automated requirements the run had to judge and which
	// it did not.
	Scope        Scope        `json:"scope"`
	Counts       Counts       `json:"counts"`
	Runs         []Run        `json:"runs"`
	Requirements []Verdict    `json:"requirements"`
	UnknownTags  []UnknownTag `json:"unknown_tags"`
}

// Selection is what a run was asked to execute: a suite, optionally narrowed by
// a tag expression or feature paths.
type Selection struct {
	// Suite is "bank", "partner" or "both".
	Suite string `json:"suite"`
	// Tags is the godog tag expression, "" when no tag narrowed the run.
	Tags string `json:"tags"`
	// Paths are the feature paths (file or file:line) the run was limited to,
	// empty for every feature of the suite.
	Paths []string `json:"paths"`
}

// Narrowed reports whether tags or paths narrowed the suite.
func (s Selection) Narrowed() bool { return s.Tags != "" || len(s.Paths) > 0 }

// suites names the selected suites, e.g. "bank suite".
func (s Selection) suites() string {
	switch s.Suite {
	case "both":
		return "bank and partner suites"
	case "":
		return "no suite"
	}
	return s.Suite + " suite"
}

// String renders the selection on one line, e.g. "bank suite, every scenario" or
// "bank suite, --paths bank/replay.feature".
func (s Selection) String() string {
	out := s.suites()
	if !s.Narrowed() {
		return out + ", every scenario"
	}
	if s.Tags != "" {
		out += ", --tags '" + s.Tags + "'"
	}
	if len(s.Paths) > 0 {
		out += ", --paths " + strings.Join(s.Paths, ",")
	}
	return out
}

// parties are the parties whose requirements a suite judges: the bank suite the
// bank's (and those both bear), the partner suite the partner's (and both), both
// suites all.
func (s Selection) parties() []features.Party {
	switch s.Suite {
	case "bank":
		return []features.Party{features.Bank, features.Both}
	case "partner":
		return []features.Party{features.Partner, features.Both}
	}
	return []features.Party{features.Bank, features.Partner, features.Both}
}

// Scope is the set of automated requirements a run had to judge, and how much
// of it the run judged.
type Scope struct {
	// Parties are the parties whose automated requirements are in scope.
	Parties []string `json:"parties"`
	// Automated counts the automated requirements in scope; Judged those of
	// them that an executed scenario judged (verdict passed or failed).
	Automated int `json:"automated"`
	Judged    int `json:"judged"`
	// NotRun lists the automated requirements in scope no executed scenario
	// judged.
	NotRun []string `json:"not_run"`
	// Complete is true when the selection was not narrowed and every
	// automated requirement in scope was judged.
	Complete bool `json:"complete"`
	// Reasons say why the run is partial (empty when Complete).
	Reasons []string `json:"reasons"`
}

// scope works out the run's scope from the selection and the verdicts.
func (r *Report) scope() Scope {
	sc := Scope{Parties: []string{}, NotRun: []string{}, Reasons: []string{}}
	in := map[string]bool{}
	for _, p := range r.Selection.parties() {
		sc.Parties = append(sc.Parties, string(p))
		in[string(p)] = true
	}
	for _, v := range r.Requirements {
		if v.Mode != string(features.Automated) || !in[v.Party] {
			continue
		}
		sc.Automated++
		if v.Verdict == VerdictPassed || v.Verdict == VerdictFailed {
			sc.Judged++
		} else {
			sc.NotRun = append(sc.NotRun, v.ID)
		}
	}
	if r.Selection.Tags != "" {
		sc.Reasons = append(sc.Reasons, "narrowed by --tags '"+r.Selection.Tags+"'")
	}
	if len(r.Selection.Paths) > 0 {
		sc.Reasons = append(sc.Reasons, "narrowed by --paths "+strings.Join(r.Selection.Paths, ","))
	}
	if n := len(sc.NotRun); n > 0 {
		sc.Reasons = append(sc.Reasons, fmt.Sprintf("%d automated requirement%s in scope not run", n, plural(n)))
	}
	sc.Complete = len(sc.Reasons) == 0
	return sc
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// headline says Outcome and Verdict in one sentence.
func (r *Report) headline() string {
	sc, c := r.Scope, r.Counts
	ran := "the scenarios that ran passed"
	if r.Verdict != VerdictPassed {
		ran = fmt.Sprintf("FAILED: %d requirement%s and %d scenario%s failed", c.Failed, plural(c.Failed), c.ScenariosFailed, plural(c.ScenariosFailed))
	}
	switch r.Outcome {
	case OutcomePartial:
		return fmt.Sprintf("PARTIAL RUN, NOT A CONFORMANCE RESULT: only %d of the %d automated requirements in scope (%s) were judged (%s); %s",
			sc.Judged, sc.Automated, r.Selection.suites(), strings.Join(sc.Reasons, "; "), ran)
	case OutcomePassed:
		return fmt.Sprintf("PASSED: all %d automated requirements in scope (%s) were judged and every scenario passed",
			sc.Automated, r.Selection.suites())
	}
	return fmt.Sprintf("FAILED: all %d automated requirements in scope (%s) were judged; %d requirement%s and %d scenario%s failed",
		sc.Automated, r.Selection.suites(), c.Failed, plural(c.Failed), c.ScenariosFailed, plural(c.ScenariosFailed))
}

// Build joins the catalogue with the runs of a selection. An empty sel.Suite
// is taken from the runs ("bank", "partner", or "both" when both ran).
//
// A requirement is "passed" when it is automated, at least one executed
// scenario carries its tag and all of them passed; "failed" when any of them
// failed, is undefined or pending (or has any other status that is not
// passed or skipped); "not-run" when it is automated and no executed
// scenario names it. Skipped scenarios are not executed: they are listed but
// do not count. Manual requirements get "manual" and not-applicable ones
// "not-applicable", whatever their scenarios did (a failing scenario still
// fails the report, see Report.Passed). Tags that are not requirement tags
// ("@A2", "@wip") are ignored; requirement tags naming no catalogued
// requirement are listed in UnknownTags.
//
// The run is partial (Outcome "partial") when the selection was narrowed or an
// automated requirement in its scope was not judged; see Scope.
func Build(cat *features.Catalogue, sel Selection, runs ...Run) *Report {
	if sel.Suite == "" {
		sel.Suite = suiteOf(runs)
	}
	if sel.Paths == nil {
		sel.Paths = []string{}
	}
	r := &Report{
		GeneratedAt:  time.Now().UTC(),
		Selection:    sel,
		SuiteVersion: HarnessVersion(),
		Runs:         make([]Run, 0, len(runs)),
		Requirements: []Verdict{},
		UnknownTags:  []UnknownTag{},
	}
	for _, run := range runs {
		run.Scenarios = append([]Scenario(nil), run.Scenarios...)
		for i := range run.Scenarios {
			s := &run.Scenarios[i]
			s.Status = normStatus(s.Status)
			if s.Suite == "" {
				s.Suite = run.Suite
			}
			if s.Tags == nil {
				s.Tags = []string{}
			}
			if s.Evidence == nil {
				s.Evidence = []string{}
			}
		}
		if run.Scenarios == nil {
			run.Scenarios = []Scenario{}
		}
		r.Runs = append(r.Runs, run)
	}

	// Scenarios per requirement ID, in run order; each scenario once per ID
	// even if it repeats the tag.
	tagged := map[string][]*Scenario{}
	for ri := range r.Runs {
		for si := range r.Runs[ri].Scenarios {
			s := &r.Runs[ri].Scenarios[si]
			seen := map[string]bool{}
			for _, tag := range s.Tags {
				id, ok := features.ParseTag(tag)
				if !ok || seen[id] {
					continue
				}
				seen[id] = true
				tagged[id] = append(tagged[id], s)
			}
		}
	}

	if cat != nil {
		r.Standard = Standard{Code: cat.Standard.Code, Title: cat.Standard.Title, Year: cat.Standard.Year}
		known := make(map[string]bool, len(cat.Requirements))
		for _, req := range cat.Requirements {
			known[req.ID] = true
			r.Requirements = append(r.Requirements, judge(req, tagged[req.ID]))
		}
		for ri := range r.Runs {
			for _, s := range r.Runs[ri].Scenarios {
				for _, tag := range s.Tags {
					if id, ok := features.ParseTag(tag); ok && !known[id] {
						r.UnknownTags = append(r.UnknownTags, UnknownTag{Tag: tag, Scenario: s.Name, URI: s.URI})
					}
				}
			}
		}
	}
	r.Counts = r.count()
	r.Scope = r.scope()
	r.Verdict = VerdictFailed
	if r.Passed() {
		r.Verdict = VerdictPassed
	}
	switch {
	case !r.Scope.Complete:
		r.Outcome = OutcomePartial
	case r.Verdict == VerdictPassed:
		r.Outcome = OutcomePassed
	default:
		r.Outcome = OutcomeFailed
	}
	r.Headline = r.headline()
	return r
}

// suiteOf names the suites that ran: "bank", "partner", or "both".
func suiteOf(runs []Run) string {
	seen := map[string]bool{}
	for _, run := range runs {
		seen[run.Suite] = true
	}
	switch {
	case seen["bank"] && seen["partner"]:
		return "both"
	case seen["partner"]:
		return "partner"
	}
	return "bank"
}

// judge gives the verdict for one requirement from the scenarios tagged
// with it.
func judge(req features.Requirement, scenarios []*Scenario) Verdict {
	v := Verdict{
		ID:        req.ID,
		Clause:    req.Clause,
		Title:     req.Title,
		Text:      req.Text,
		Summary:   req.Summary,
		Party:     string(req.Party),
		Level:     string(req.Level),
		Mode:      string(req.Mode),
		Checks:    req.Checks,
		Note:      req.Note,
		Scenarios: make([]ScenarioRef, 0, len(scenarios)),
		Evidence:  []string{},
	}
	executed, failed := 0, []*Scenario(nil)
	for _, s := range scenarios {
		v.Scenarios = append(v.Scenarios, ScenarioRef{Suite: s.Suite, Name: s.Name, URI: s.URI, Status: s.Status})
		switch {
		case s.Status == StatusSkipped:
		case s.Status == StatusPassed:
			executed++
		default:
			executed++
			failed = append(failed, s)
		}
	}

	// Evidence: failing scenarios first, then the others, capped.
	var lines []string
	for _, s := range failed {
		lines = append(lines, s.Evidence...)
	}
	for _, s := range scenarios {
		if !failing(s.Status) {
			lines = append(lines, s.Evidence...)
		}
	}
	if len(lines) > MaxEvidence {
		v.EvidenceOmitted = len(lines) - MaxEvidence
		lines = lines[:MaxEvidence]
	}
	v.Evidence = append(v.Evidence, lines...)

	switch req.Mode {
	case features.Manual:
		v.Verdict, v.Reason = VerdictManual, req.Reason
	case features.NotApplicable:
		v.Verdict, v.Reason = VerdictNotApplicable, req.Reason
	default:
		switch {
		case len(failed) > 0:
			v.Verdict, v.Reason = VerdictFailed, failureMessage(failed[0])
		case executed > 0:
			v.Verdict = VerdictPassed
		default:
			v.Verdict = VerdictNotRun
		}
	}
	return v
}

// failing reports whether a (normalised) scenario status is a failure.
func failing(status string) bool {
	return status != StatusPassed && status != StatusSkipped
}

func normStatus(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "unknown"
	}
	return s
}

func failureMessage(s *Scenario) string {
	if msg := strings.TrimSpace(s.Error); msg != "" {
		return fmt.Sprintf("%s (%s): %s", s.Name, s.URI, msg)
	}
	switch s.Status {
	case StatusUndefined:
		return fmt.Sprintf("%s (%s): a step is undefined", s.Name, s.URI)
	case StatusPending:
		return fmt.Sprintf("%s (%s): a step is pending", s.Name, s.URI)
	}
	return fmt.Sprintf("%s (%s): status %s", s.Name, s.URI, s.Status)
}

func (r *Report) count() Counts {
	n := Counts{Requirements: len(r.Requirements), UnknownTags: len(r.UnknownTags)}
	for _, v := range r.Requirements {
		switch v.Verdict {
		case VerdictPassed:
			n.Passed++
		case VerdictFailed:
			n.Failed++
		case VerdictNotRun:
			n.NotRun++
		case VerdictManual:
			n.Manual++
		case VerdictNotApplicable:
			n.NotApplicable++
		}
		if v.Mode == string(features.Automated) {
			n.Automated++
			if v.Verdict == VerdictPassed || v.Verdict == VerdictFailed {
				n.AutomatedCovered++
			}
		}
	}
	for _, run := range r.Runs {
		for _, s := range run.Scenarios {
			n.Scenarios++
			switch {
			case s.Status == StatusPassed:
				n.ScenariosPassed++
			case s.Status == StatusSkipped:
				n.ScenariosSkipped++
			default:
				n.ScenariosFailed++
			}
		}
	}
	return n
}

// Passed reports whether no requirement failed and no scenario failed (was
// failed, undefined or pending, or had an unknown status). Requirements that
// were not run, and unknown requirement tags, do not make the report fail;
// see Counts.NotRun and Counts.UnknownTags — and Scope, which makes such a run
// partial: Passed is the verdict on what ran (Report.Verdict), not the
// report's outcome.
func (r *Report) Passed() bool {
	n := r.count()
	return n.Failed == 0 && n.ScenariosFailed == 0
}

// Summary is a one-line summary of the counts.
func (c Counts) Summary() string {
	return fmt.Sprintf("%d requirements: %d passed, %d failed, %d not run, %d manual, %d not applicable; "+
		"%d/%d automated requirements covered; %d scenarios: %d passed, %d failed, %d skipped",
		c.Requirements, c.Passed, c.Failed, c.NotRun, c.Manual, c.NotApplicable,
		c.AutomatedCovered, c.Automated, c.Scenarios, c.ScenariosPassed, c.ScenariosFailed, c.ScenariosSkipped)
}
