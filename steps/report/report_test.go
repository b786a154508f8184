package report

import (
	"slices"
	"testing"
	"time"

	"github.com/jr0185/harness/features"
)

// testCatalogue is a small catalogue with one requirement per mode.
func testCatalogue() *features.Catalogue {
	req := func(id string, mode features.Mode, party features.Party) features.Requirement {
		r := features.Requirement{
			ID: id, Clause: features.ClauseOf(id), Title: "标题 " + id, Text: "商业银行应 " + id,
			Summary: "The bank shall " + id, Strength: features.Shall, Party: party,
			Level: features.LevelAll, Mode: mode,
		}
		if mode == features.Automated {
			r.Checks = "checks " + id
		} else {
			r.Reason = "reason " + id
		}
		return r
	}
	return &features.Catalogue{
		Standard: features.Standard{Code: "JR/T 0185-2020", Title: "商业银行应用程序接口安全管理规范", Year: 2020},
		Requirements: []features.Requirement{
			req("6.2/A2", features.Automated, features.Bank),
			req("7.1/1", features.Automated, features.Bank),
			req("7.1/2", features.Automated, features.Partner),
			req("8.1/1", features.Manual, features.Both),
			req("8.1/2", features.NotApplicable, features.Partner),
		},
	}
}

func scenario(name, status string, tags ...string) Scenario {
	return Scenario{
		Suite: "bank", Feature: "f", Name: name, URI: "bank/x.feature:" + name, Tags: tags, Status: status,
		Evidence: []string{"GET /x → 200 (" + name + ")"}, Duration: time.Millisecond,
	}
}

func run(scenarios ...Scenario) Run {
	return Run{Suite: "bank", Target: "embedded sandbox", Scenarios: scenarios}
}

func verdictOf(t *testing.T, r *Report, id string) Verdict {
	t.Helper()
	for _, v := range r.Requirements {
		if v.ID == id {
			return v
		}
	}
	t.Fatalf("no verdict for %s", id)
	return Verdict{}
}

func TestBuildVerdicts(t *testing.T) {
	t.Parallel()
	const tag = "@JR0185-7.1/1"
	tests := []struct {
		name        string
		id          string
		scenarios   []Scenario
		want        string
		wantRefs    int
		wantReason  string
		wantPassed  bool
		wantUnknown int
	}{
		{name: "passed when every tagged scenario passed", id: "7.1/1",
			scenarios: []Scenario{scenario("a", "passed", tag), scenario("b", "passed", "@A2", tag)},
			want:      VerdictPassed, wantRefs: 2, wantPassed: true},
		{name: "failed when one of two scenarios failed", id: "7.1/1",
			scenarios: []Scenario{
				scenario("a", "passed", tag),
				func() Scenario { s := scenario("b", "failed", tag); s.Error = "expected 401, got 200"; return s }(),
			},
			want: VerdictFailed, wantRefs: 2, wantReason: "b (bank/x.feature:b): expected 401, got 200"},
		{name: "failed when a step is undefined", id: "7.1/1",
			scenarios: []Scenario{scenario("a", "undefined", tag)},
			want:      VerdictFailed, wantRefs: 1, wantReason: "a (bank/x.feature:a): a step is undefined"},
		{name: "failed when a step is pending", id: "7.1/1",
			scenarios: []Scenario{scenario("a", "Pending", tag)},
			want:      VerdictFailed, wantRefs: 1, wantReason: "a (bank/x.feature:a): a step is pending"},
		{name: "not-run when no scenario names it", id: "7.1/2",
			scenarios: []Scenario{scenario("a", "passed", tag)},
			want:      VerdictNotRun, wantPassed: true},
		{name: "not-run when its only scenario was skipped", id: "7.1/1",
			scenarios: []Scenario{scenario("a", "skipped", tag)},
			want:      VerdictNotRun, wantRefs: 1, wantPassed: true},
		{name: "passed when a skipped scenario sits next to a passing one", id: "7.1/1",
			scenarios: []Scenario{scenario("a", "skipped", tag), scenario("b", "passed", tag)},
			want:      VerdictPassed, wantRefs: 2, wantPassed: true},
		{name: "manual whatever its scenarios did", id: "8.1/1",
			scenarios: []Scenario{scenario("a", "passed", "@JR0185-8.1/1")},
			want:      VerdictManual, wantRefs: 1, wantReason: "reason 8.1/1", wantPassed: true},
		{name: "not-applicable with the catalogue's reason", id: "8.1/2",
			want: VerdictNotApplicable, wantReason: "reason 8.1/2", wantPassed: true},
		{name: "non-requirement tag is ignored", id: "6.2/A2",
			scenarios: []Scenario{scenario("a", "passed", "@A2", "@wip", "@JR0185-", "@JR0185-not an id")},
			want:      VerdictNotRun, wantPassed: true},
		{name: "unknown requirement tag is listed, not judged", id: "7.1/1",
			scenarios: []Scenario{scenario("a", "passed", tag, "@JR0185-9.9/9")},
			want:      VerdictPassed, wantRefs: 1, wantPassed: true, wantUnknown: 1},
		{name: "repeated tag counts the scenario once", id: "7.1/1",
			scenarios: []Scenario{scenario("a", "passed", tag, tag)},
			want:      VerdictPassed, wantRefs: 1, wantPassed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Build(testCatalogue(), Selection{}, run(tt.scenarios...))
			v := verdictOf(t, r, tt.id)
			if v.Verdict != tt.want {
				t.Errorf("verdict = %q, want %q", v.Verdict, tt.want)
			}
			if len(v.Scenarios) != tt.wantRefs {
				t.Errorf("scenarios = %v, want %d", v.Scenarios, tt.wantRefs)
			}
			if v.Reason != tt.wantReason {
				t.Errorf("reason = %q, want %q", v.Reason, tt.wantReason)
			}
			if r.Passed() != tt.wantPassed {
				t.Errorf("Passed() = %v, want %v", r.Passed(), tt.wantPassed)
			}
			if len(r.UnknownTags) != tt.wantUnknown {
				t.Errorf("unknown tags = %v, want %d", r.UnknownTags, tt.wantUnknown)
			}
		})
	}
}

func TestBuildCountsAndOrder(t *testing.T) {
	t.Parallel()
	cat := testCatalogue()
	r := Build(cat, Selection{},
		run(scenario("a", "passed", "@JR0185-7.1/1"), scenario("b", "failed", "@JR0185-6.2/A2"), scenario("c", "skipped")),
		Run{Suite: "partner", Scenarios: []Scenario{{Name: "d", Status: "passed", Tags: []string{"@JR0185-8.1/1"}}}},
	)
	if got, want := ids(r), cat.IDs(); !slices.Equal(got, want) {
		t.Errorf("requirements in order %v, want catalogue order %v", got, want)
	}
	want := Counts{
		Requirements: 5, Passed: 1, Failed: 1, NotRun: 1, Manual: 1, NotApplicable: 1,
		Automated: 3, AutomatedCovered: 2,
		Scenarios: 4, ScenariosPassed: 2, ScenariosFailed: 1, ScenariosSkipped: 1,
	}
	if r.Counts != want {
		t.Errorf("counts = %+v, want %+v", r.Counts, want)
	}
	if r.Passed() || r.Verdict != VerdictFailed || r.Outcome != OutcomePartial {
		t.Errorf("Passed() = %v, Outcome = %q; want false, failed", r.Passed(), r.Outcome)
	}
	if s := r.Runs[1].Scenarios[0]; s.Suite != "partner" {
		t.Errorf("scenario suite = %q, want it filled from the run", s.Suite)
	}
}

func TestBuildFailsOnFailedUntaggedScenario(t *testing.T) {
	t.Parallel()
	r := Build(testCatalogue(), Selection{}, run(scenario("a", "passed", "@JR0185-7.1/1"), scenario("b", "failed")))
	if r.Passed() {
		t.Error("Passed() = true with a failed scenario")
	}
	if r.Counts.Failed != 0 {
		t.Errorf("failed requirements = %d, want 0", r.Counts.Failed)
	}
}

func TestBuildCapsEvidenceFailuresFirst(t *testing.T) {
	t.Parallel()
	pass := scenario("a", "passed", "@JR0185-7.1/1")
	pass.Evidence = make([]string, MaxEvidence)
	for i := range pass.Evidence {
		pass.Evidence[i] = "pass"
	}
	fail := scenario("b", "failed", "@JR0185-7.1/1")
	fail.Evidence = []string{"fail 1", "fail 2"}
	v := verdictOf(t, Build(testCatalogue(), Selection{}, run(pass, fail)), "7.1/1")
	if len(v.Evidence) != MaxEvidence || v.EvidenceOmitted != 2 {
		t.Fatalf("evidence = %d lines, %d omitted; want %d, 2", len(v.Evidence), v.EvidenceOmitted, MaxEvidence)
	}
	if v.Evidence[0] != "fail 1" || v.Evidence[1] != "fail 2" {
		t.Errorf("evidence starts %q, want the failing scenario's lines first", v.Evidence[:2])
	}
}

func TestBuildDoesNotModifyRuns(t *testing.T) {
	t.Parallel()
	in := run(scenario("a", "PASSED", "@JR0185-7.1/1"))
	Build(testCatalogue(), Selection{}, in)
	if in.Scenarios[0].Status != "PASSED" {
		t.Error("Build modified the caller's scenarios")
	}
}

func TestJSONIsStable(t *testing.T) {
	t.Parallel()
	runs := []Run{run(scenario("a", "passed", "@JR0185-7.1/1"), scenario("b", "failed", "@JR0185-6.2/A2"))}
	render := func() string {
		r := Build(testCatalogue(), Selection{}, runs...)
		r.GeneratedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		b, err := r.JSON()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if a, b := render(), render(); a != b {
		t.Errorf("two identical runs gave different JSON:\n%s\n%s", a, b)
	}
}

func ids(r *Report) []string {
	out := make([]string, len(r.Requirements))
	for i, v := range r.Requirements {
		out[i] = v.ID
	}
	return out
}
