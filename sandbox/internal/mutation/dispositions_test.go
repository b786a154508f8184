package mutation

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The committed dispositions are held to what issue 13 item 4 asks of them: every
// survivor is either killed by a scenario that exists or explained as equivalent, and
// each entry still names a mutant of the tree (an entry whose code moved or went is
// stale: the survivor it judged is gone, and a new one would show as NEW).

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

func committedDispositions(t *testing.T) (string, []Disposition) {
	t.Helper()
	root := repoRoot(t)
	ds, err := LoadDispositions(filepath.Join(root, "features", "bank", "mutation-dispositions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) == 0 {
		t.Fatal("no dispositions loaded")
	}
	return root, ds
}

// scenarioNames lists the scenario names of the bank features.
func scenarioNames(t *testing.T, root string) map[string]bool {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s*Scenario(?: Outline)?:\s*(.+?)\s*$`)
	files, err := filepath.Glob(filepath.Join(root, "features", "bank", "*.feature"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bank features: %v", err)
	}
	out := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			out[m[1]] = true
		}
	}
	return out
}

func TestNoDispositionIsAHole(t *testing.T) {
	_, ds := committedDispositions(t)
	for _, d := range ds {
		if d.Hole != "" {
			t.Errorf("%s %s %s %q: still a hole — kill it with a scenario (killed-by) or explain why it is equivalent", d.File, d.Func, d.Operator, d.Change)
		}
	}
}

func TestEveryKillNamesABankScenario(t *testing.T) {
	root, ds := committedDispositions(t)
	names := scenarioNames(t, root)
	for _, d := range ds {
		if d.KilledBy == "" {
			continue
		}
		for _, n := range strings.Split(d.KilledBy, ";") {
			if n = strings.TrimSpace(n); !names[n] {
				t.Errorf("%s %s %q: killed-by names no bank scenario: %q", d.File, d.Func, d.Change, n)
			}
		}
	}
}

func TestEveryDispositionNamesAMutantOfTheTree(t *testing.T) {
	root, ds := committedDispositions(t)
	ms, err := Collect(Config{Root: root, Packages: DefaultPackages, SkipFiles: DefaultSkipFiles, Scope: DefaultScope()})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if len(WithDisposition(ms, []Disposition{d}, d.Kind())) == 0 {
			t.Errorf("%s %s %s %q: no mutant of the tree has this file, function, line and change (stale: remove it)", d.File, d.Func, d.Operator, d.Change)
		}
	}
}
