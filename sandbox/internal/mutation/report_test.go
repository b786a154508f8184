package mutation

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func result(pkg, id string, line int, status Status, detail string) Result {
	return Result{Mutant: Mutant{ID: id, Package: pkg, File: pkg + "/f.go", Func: "check", Line: line,
		Operator: Boundary, Change: "a > b → a >= b", LineText: "if a > b {"}, Status: status, Detail: detail}
}

func TestTheReportScoresEachPackageAndMarksUnjudgedSurvivorsNew(t *testing.T) {
	run := Run{Total: 6, Results: []Result{
		result("p/a", "1", 1, Killed, "A scenario (bank/x.feature): failed"),
		result("p/a", "2", 2, Killed, suiteDidNotRun+"demo partner"),
		result("p/a", "3", 3, Survived, ""),
		result("p/b", "4", 4, NotViable, "declared and not used"),
		result("p/b", "5", 5, TimedOut, ""),
		result("p/b", "6", 6, Survived, ""),
	}}
	run.Results[5].LineText = "if a > c {" // matched by line text: no disposition
	ds := []Disposition{{File: "p/a/f.go", Func: "check", Operator: Boundary, Line: "if a > b {", Change: "a > b → a >= b",
		Equivalent: "a == b cannot happen"}}
	rep := BuildReport(run, ds, 185)
	if len(rep.Packages) != 2 {
		t.Fatalf("packages %+v", rep.Packages)
	}
	a, b := rep.Packages[0], rep.Packages[1]
	if a.Killed != 2 || a.Survived != 1 || a.Score < 0.66 || a.Score > 0.67 {
		t.Errorf("p/a: %+v, want 2 killed, 1 survived, score 2/3", a)
	}
	if b.NotViable != 1 || b.TimedOut != 1 || b.Survived != 1 || b.Score != 0 {
		t.Errorf("p/b: %+v, want not viable and timed out outside the score", b)
	}
	if rep.Total.Mutants != 6 || rep.Total.Killed != 2 || rep.Total.Survived != 2 || rep.Total.Score != 0.5 {
		t.Errorf("total %+v", rep.Total)
	}
	if rep.New() != 1 || rep.Survivors[0].Disposition != "equivalent: a == b cannot happen" {
		t.Errorf("survivors %+v, want one judged, one new", rep.Survivors)
	}
	md := rep.Markdown()
	for _, want := range []string{"| p/a | 3 | 2 | 1 | 0 | 0 | 66.7% |", "**NEW**", "1 of the killed mutants failed no scenario",
		"Timed out"} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	dir := t.TempDir()
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"report.md", "report.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestADispositionNeedsExactlyOneVerdict(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"none": "- {file: f.go, func: f, operator: boundary, line: 'if a > b {', change: x}\n",
		"two":  "- {file: f.go, func: f, operator: boundary, line: 'if a > b {', change: x, equivalent: y, hole: z}\n",
	} {
		p := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadDispositions(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if ds, err := LoadDispositions(filepath.Join(dir, "missing.yaml")); err != nil || ds != nil {
		t.Errorf("a missing file: %v, %v; want none", ds, err)
	}
}

// The committed dispositions load.
func TestTheCommittedDispositionsLoad(t *testing.T) {
	if _, err := LoadDispositions("../../../features/bank/mutation-dispositions.yaml"); err != nil {
		t.Fatal(err)
	}
}
