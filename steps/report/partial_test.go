package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

func TestOutcomeFollowsTheScope(t *testing.T) {
	t.Parallel()
	bankPass := []Scenario{scenario("a", "passed", "@JR0185-6.2/A2"), scenario("b", "passed", "@JR0185-7.1/1")}
	partnerPass := Run{Suite: "partner", Scenarios: []Scenario{{Name: "p", URI: "partner/p.feature:1", Status: "passed", Tags: []string{"@JR0185-7.1/2"}}}}
	tests := []struct {
		name        string
		sel         Selection
		runs        []Run
		wantOutcome string
		wantVerdict string
		wantNotRun  []string
		wantReasons []string
		wantScope   [2]int // judged, automated
	}{
		{name: "passed/every bank requirement judged; a partner requirement is out of the bank suite's scope",
			sel: Selection{Suite: "bank"}, runs: []Run{run(bankPass...)},
			wantOutcome: OutcomePassed, wantVerdict: VerdictPassed, wantScope: [2]int{2, 2}},
		{name: "failed/every bank requirement judged, one failed",
			sel: Selection{Suite: "bank"}, runs: []Run{run(scenario("a", "failed", "@JR0185-6.2/A2"), bankPass[1])},
			wantOutcome: OutcomeFailed, wantVerdict: VerdictFailed, wantScope: [2]int{2, 2}},
		{name: "partial/narrowed by tags although every requirement ran",
			sel: Selection{Suite: "bank", Tags: "@A2"}, runs: []Run{run(bankPass...)},
			wantOutcome: OutcomePartial, wantVerdict: VerdictPassed, wantScope: [2]int{2, 2},
			wantReasons: []string{"narrowed by --tags '@A2'"}},
		{name: "partial/narrowed by paths, one bank requirement not run",
			sel: Selection{Suite: "bank", Paths: []string{"bank/replay.feature"}}, runs: []Run{run(bankPass[0])},
			wantOutcome: OutcomePartial, wantVerdict: VerdictPassed, wantScope: [2]int{1, 2}, wantNotRun: []string{"7.1/1"},
			wantReasons: []string{"narrowed by --paths bank/replay.feature", "1 automated requirement in scope not run"}},
		{name: "partial/a bank requirement not run although nothing narrowed the run",
			sel: Selection{Suite: "bank"}, runs: []Run{run(bankPass[1], scenario("c", "skipped", "@JR0185-6.2/A2"))},
			wantOutcome: OutcomePartial, wantVerdict: VerdictPassed, wantScope: [2]int{1, 2}, wantNotRun: []string{"6.2/A2"},
			wantReasons: []string{"1 automated requirement in scope not run"}},
		{name: "partial/a partial run that failed keeps its failed verdict",
			sel: Selection{Suite: "bank", Tags: "@A2"}, runs: []Run{run(scenario("a", "failed", "@JR0185-6.2/A2"))},
			wantOutcome: OutcomePartial, wantVerdict: VerdictFailed, wantScope: [2]int{1, 2}, wantNotRun: []string{"7.1/1"},
			wantReasons: []string{"narrowed by --tags '@A2'", "1 automated requirement in scope not run"}},
		{name: "partial/both suites selected, the partner suite did not run",
			sel: Selection{Suite: "both"}, runs: []Run{run(bankPass...)},
			wantOutcome: OutcomePartial, wantVerdict: VerdictPassed, wantScope: [2]int{2, 3}, wantNotRun: []string{"7.1/2"},
			wantReasons: []string{"1 automated requirement in scope not run"}},
		{name: "passed/both suites, every requirement judged",
			sel: Selection{Suite: "both"}, runs: []Run{run(bankPass...), partnerPass},
			wantOutcome: OutcomePassed, wantVerdict: VerdictPassed, wantScope: [2]int{3, 3}},
		{name: "passed/partner suite needs only partner requirements",
			sel: Selection{Suite: "partner"}, runs: []Run{partnerPass},
			wantOutcome: OutcomePassed, wantVerdict: VerdictPassed, wantScope: [2]int{1, 1}},
		{name: "partial/the suite is taken from the runs when the selection names none",
			sel: Selection{}, runs: []Run{run(bankPass...), {Suite: "partner"}},
			wantOutcome: OutcomePartial, wantVerdict: VerdictPassed, wantScope: [2]int{2, 3}, wantNotRun: []string{"7.1/2"},
			wantReasons: []string{"1 automated requirement in scope not run"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Build(testCatalogue(), tt.sel, tt.runs...)
			if r.Outcome != tt.wantOutcome || r.Verdict != tt.wantVerdict {
				t.Errorf("outcome %q, verdict %q; want %q, %q", r.Outcome, r.Verdict, tt.wantOutcome, tt.wantVerdict)
			}
			if got := [2]int{r.Scope.Judged, r.Scope.Automated}; got != tt.wantScope {
				t.Errorf("scope judged/automated = %v, want %v", got, tt.wantScope)
			}
			if !slices.Equal(r.Scope.NotRun, tt.wantNotRun) && len(r.Scope.NotRun)+len(tt.wantNotRun) > 0 {
				t.Errorf("not run = %v, want %v", r.Scope.NotRun, tt.wantNotRun)
			}
			if !slices.Equal(r.Scope.Reasons, tt.wantReasons) && len(r.Scope.Reasons)+len(tt.wantReasons) > 0 {
				t.Errorf("reasons = %q, want %q", r.Scope.Reasons, tt.wantReasons)
			}
			if r.Scope.Complete != (tt.wantOutcome != OutcomePartial) {
				t.Errorf("complete = %v with outcome %q", r.Scope.Complete, r.Outcome)
			}
			if !strings.HasPrefix(r.Headline, strings.ToUpper(tt.wantOutcome)) {
				t.Errorf("headline %q does not lead with %s", r.Headline, strings.ToUpper(tt.wantOutcome))
			}
			if err := r.consistent(); err != nil {
				t.Errorf("a built report is not consistent: %v", err)
			}
		})
	}
}

// renderings are every place a reader looks first, per format: the JSON's outcome
// field (its first), the Markdown's first lines, the HTML's title and heading, the
// JUnit properties, and the verify-report summary.
type renderings struct {
	jsonOutcome, jsonFirstKey string
	mdTitle, mdHeadline       string
	htmlTitle, htmlH1         string
	junitOutcome              string
	verifyOutcome, verifyLine string
}

func render(t *testing.T, r *Report) renderings {
	t.Helper()
	var out renderings
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	out.jsonOutcome, _ = m["outcome"].(string)
	out.jsonFirstKey = strings.Trim(strings.SplitN(strings.TrimSpace(strings.SplitN(string(js), "\n", 3)[1]), ":", 2)[0], `"`)

	md := strings.Split(string(r.Markdown()), "\n")
	out.mdTitle, out.mdHeadline = md[0], md[2]

	html, err := r.HTML()
	if err != nil {
		t.Fatal(err)
	}
	between := func(s, from, to string) string {
		_, after, _ := strings.Cut(s, from)
		before, _, _ := strings.Cut(after, to)
		return before
	}
	out.htmlTitle, out.htmlH1 = between(string(html), "<title>", "</title>"), between(string(html), "<h1>", "</h1>")

	doc, err := AnnotateJUnit([]byte(machineFiles["junit.xml"]), r.JUnitProperties())
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Props []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(doc, &suites); err != nil || len(suites.Suites) != 1 {
		t.Fatalf("annotated JUnit does not parse: %v\n%s", err, doc)
	}
	for _, p := range suites.Suites[0].Props {
		if p.Name == "jr0185.outcome" {
			out.junitOutcome = p.Value
		}
	}

	dir := filepath.Join(t.TempDir(), "r")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "junit.xml"), doc, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(dir, newKey(t), "junit.xml"); err != nil {
		t.Fatal(err)
	}
	res, err := Verify(dir)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	out.verifyOutcome, out.verifyLine = res.Outcome, res.Summary
	return out
}

func TestEveryFormatSaysPartial(t *testing.T) {
	t.Parallel()
	cat := loadCatalogue(t)
	r := Build(cat, Selection{Suite: "bank", Paths: []string{"bank/replay.feature"}},
		run(scenario("a", "passed", "@JR0185-9.2.1/b3"), scenario("b", "passed", "@JR0185-9.2.1/b4")))
	got := render(t, r)
	const partial = "PARTIAL RUN"
	for what, v := range map[string]string{
		"Markdown title": got.mdTitle, "Markdown headline": got.mdHeadline, "HTML title": got.htmlTitle,
		"HTML heading": got.htmlH1, "verify-report summary": got.verifyLine,
	} {
		if !strings.Contains(v, partial) {
			t.Errorf("%s %q does not say %s", what, v, partial)
		}
		if strings.Contains(v, "PASSED") {
			t.Errorf("%s %q says PASSED for a partial run", what, v)
		}
	}
	if !strings.HasPrefix(got.verifyLine, "PARTIAL RUN, NOT A CONFORMANCE RESULT: only 2 of the 82 automated requirements in scope (bank suite)") ||
		!strings.Contains(got.verifyLine, "selection: bank suite, --paths bank/replay.feature") {
		t.Errorf("verify-report summary = %q", got.verifyLine)
	}
	if got.jsonFirstKey != "outcome" || got.jsonOutcome != OutcomePartial || got.junitOutcome != OutcomePartial || got.verifyOutcome != OutcomePartial {
		t.Errorf("JSON first key %q, outcome %q; JUnit %q; verify %q — want outcome first, partial everywhere",
			got.jsonFirstKey, got.jsonOutcome, got.junitOutcome, got.verifyOutcome)
	}
}

func TestEveryFormatSaysPassedForACompleteRun(t *testing.T) {
	t.Parallel()
	cat := loadCatalogue(t)
	var scenarios []Scenario
	for _, req := range cat.Requirements {
		if req.Mode == "automated" && req.Party != "partner" {
			scenarios = append(scenarios, scenario(req.ID, "passed", "@JR0185-"+req.ID))
		}
	}
	r := Build(cat, Selection{Suite: "bank"}, run(scenarios...))
	got := render(t, r)
	if got.jsonFirstKey != "outcome" || got.jsonOutcome != OutcomePassed || got.junitOutcome != OutcomePassed || got.verifyOutcome != OutcomePassed {
		t.Errorf("JSON first key %q, outcome %q; JUnit %q; verify %q — want passed everywhere",
			got.jsonFirstKey, got.jsonOutcome, got.junitOutcome, got.verifyOutcome)
	}
	if got.mdTitle != "# JR/T 0185-2020 conformance report" || got.htmlH1 != "JR/T 0185-2020 conformance report" {
		t.Errorf("titles %q, %q: a complete run keeps the plain title", got.mdTitle, got.htmlH1)
	}
	want := "PASSED: all 82 automated requirements in scope (bank suite) were judged and every scenario passed"
	if !strings.Contains(got.mdHeadline, want) || !strings.HasPrefix(got.verifyLine, want) {
		t.Errorf("headline %q, verify summary %q; want %q", got.mdHeadline, got.verifyLine, want)
	}
}

func TestMarkdownListsWhyARunIsPartial(t *testing.T) {
	t.Parallel()
	narrowed := run(scenario("a", "passed", "@JR0185-6.2/A2"))
	narrowed.Tags = "@A2"
	r := Build(testCatalogue(), Selection{Suite: "bank", Tags: "@A2"}, narrowed)
	md := string(r.Markdown())
	for _, want := range []string{
		"## Why this run is partial", "- narrowed by --tags '@A2'", "- 1 automated requirement in scope not run",
		"no executed scenario judged: `7.1/1`", "- **Selection:** bank suite, --tags '@A2'",
		"- **Outcome:** ⚠ partial — not a conformance result (the scenarios that ran: ✅ passed)",
		"| bank | embedded sandbox | `tags @A2` |",
		"> **部分运行，不构成符合性结论：范围内 2 项自动化要求仅判定了 1 项。**",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "| bank | embedded sandbox | all |") {
		t.Error(`the runs table still says "all" for a narrowed run`)
	}
}

func TestAnnotateJUnitKeepsTheDocument(t *testing.T) {
	t.Parallel()
	in := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="s" tests="2">
  <testsuite name="f&#39;1" tests="1"><testcase name="a &amp; b" status="passed"></testcase></testsuite>
  <testsuite name="f2" tests="1"><testcase name="c" status="failed"><failure message="x &lt; y"></failure></testcase></testsuite>
</testsuites>`)
	out, err := AnnotateJUnit(in, []Property{{"jr0185.outcome", "partial"}, {"jr0185.headline", `quote " & <tag>`}})
	if err != nil {
		t.Fatal(err)
	}
	type junit struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Props []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	var before, after junit
	if err := xml.Unmarshal(in, &before); err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(out, &after); err != nil {
		t.Fatalf("annotated JUnit does not parse: %v\n%s", err, out)
	}
	if len(after.Suites) != 2 {
		t.Fatalf("suites = %d, want 2", len(after.Suites))
	}
	for i, s := range after.Suites {
		if len(s.Props) != 2 || s.Props[1].Value != `quote " & <tag>` {
			t.Errorf("suite %d properties = %+v", i, s.Props)
		}
		if s.Name != before.Suites[i].Name || len(s.Cases) != 1 || s.Cases[0].Name != before.Suites[i].Cases[0].Name {
			t.Errorf("suite %d changed: %+v, was %+v", i, s, before.Suites[i])
		}
	}
	if f := after.Suites[1].Cases[0].Failure; f == nil || f.Message != "x < y" {
		t.Errorf("the failure was not kept: %+v", f)
	}
	if !bytes.HasPrefix(out, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Errorf("the XML declaration was not kept:\n%s", out)
	}
	if _, err := AnnotateJUnit([]byte(`<testsuites></testsuites>`), nil); err == nil {
		t.Error("a JUnit file without a testsuite was annotated")
	}
	if _, err := AnnotateJUnit([]byte(`<testsuites><testsuite>`), nil); err == nil {
		t.Error("a truncated JUnit file was annotated")
	}
}

func TestVersionIsHonestAboutWhatTheBuildRecorded(t *testing.T) {
	t.Parallel()
	main := debug.Module{Path: "github.com/jr0185/harness", Version: "(devel)"}
	stamped := &debug.BuildInfo{GoVersion: "go1.26", Main: main, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}}}
	tests := []struct {
		name      string
		bi        *debug.BuildInfo
		stampRev  string
		stampMod  string
		want      Version
		wantWords string
	}{
		{name: "go build info/VCS stamp of the toolchain", bi: stamped, stampRev: "ffff",
			want:      Version{Module: main.Path, Version: "(devel)", Revision: "0123abcd", Modified: "true", Source: "go build info", Go: "go1.26"},
			wantWords: "github.com/jr0185/harness (devel), revision 0123abcd (modified: true, from go build info), go1.26"},
		{name: "make build/no VCS stamp, the Makefile's", bi: &debug.BuildInfo{GoVersion: "go1.26", Main: main}, stampRev: "4567", stampMod: "false",
			want: Version{Module: main.Path, Version: "(devel)", Revision: "4567", Modified: "false", Source: "make build", Go: "go1.26"}},
		{name: "unknown/nothing recorded (go test)", bi: &debug.BuildInfo{GoVersion: "go1.26"},
			want:      Version{Module: Unknown, Version: Unknown, Revision: Unknown, Modified: Unknown, Source: "none", Go: "go1.26"},
			wantWords: "unknown unknown, revision unknown (modified: unknown, from none), go1.26"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := versionOf(tt.bi, tt.stampRev, tt.stampMod)
			if got != tt.want {
				t.Errorf("version = %+v, want %+v", got, tt.want)
			}
			if tt.wantWords != "" && got.String() != tt.wantWords {
				t.Errorf("String() = %q, want %q", got.String(), tt.wantWords)
			}
		})
	}
	if v := HarnessVersion(); v.Revision != Unknown || v.Source != "none" {
		t.Errorf("under go test HarnessVersion() = %+v, want an unknown revision", v)
	}
}
