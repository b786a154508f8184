package mutation

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A tiny module whose "suite" is its own main: it fails (as `sandbox conform` does,
// FAILED: and the scenario) when the control misjudges the boundary or the state.
var module = map[string]string{
	"go.mod": "module example.test/bank\n\ngo 1.22\n",
	"ctl/ctl.go": `package ctl

import "errors"

var ErrLimit = errors.New("over the limit")

// Allow admits amounts up to the limit.
func Allow(amount, limit int) error {
	if amount > limit {
		return ErrLimit
	}
	return nil
}

// Label is not checked by the suite.
func Label(open bool) string {
	if open {
		return "open"
	}
	return "closed"
}

type counter struct{ n int }

func (c *counter) step() { c.n++ }

// Spin never ends without its step.
func Spin() int {
	c := &counter{}
	for c.n < 3 {
		c.step()
	}
	return c.n
}
`,
	"cmd/bank/main.go": `package main

import (
	"fmt"
	"os"

	"example.test/bank/ctl"
)

func main() {
	_ = ctl.Label(true)
	ctl.Spin()
	if ctl.Allow(10, 10) != nil || ctl.Allow(11, 10) == nil {
		fmt.Println("FAILED:\n  The limit is enforced at its boundary (bank/limits.feature): failed")
		os.Exit(1)
	}
}
`,
}

func writeModule(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for name, src := range module {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// Each mutant is built with an overlay (the tree is untouched), judged by the suite, and
// leaves nothing behind; a second run takes every verdict from the cache.
func TestMutantsAreJudgedByTheSuiteAndLeaveNothingBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module per mutant")
	}
	root := writeModule(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the mutants' folders go here: it must end empty
	before, err := os.ReadFile(filepath.Join(root, "ctl/ctl.go"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Root: root, Packages: []string{"ctl"}, Scope: DefaultScope(), Main: "./cmd/bank", Suite: []string{},
		Workers: 2, RunTimeout: 5 * time.Second, CacheFile: filepath.Join(root, "out", "cache.json")}
	run, err := Execute(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Status{
		"amount > limit → amount >= limit":   Killed,
		"amount > limit → !(amount > limit)": Killed,
		"ErrLimit → nil":                     Killed,
		"open → !(open)":                     Survived,
		"c.n < 3 → c.n <= 3":                 Survived,
		"c.step() → (removed)":               TimedOut, // an endless loop: reported apart
	}
	got := map[string]Result{}
	for _, r := range run.Results {
		got[r.Change] = r
	}
	for change, status := range want {
		r, ok := got[change]
		if !ok {
			t.Errorf("no mutant %q", change)
			continue
		}
		if r.Status != status {
			t.Errorf("%q: %s (%s), want %s", change, r.Status, r.Detail, status)
		}
		if status == Killed && !strings.Contains(r.Detail, "The limit is enforced at its boundary") {
			t.Errorf("%q killed with detail %q, want the failing scenario", change, r.Detail)
		}
	}
	after, _ := os.ReadFile(filepath.Join(root, "ctl/ctl.go"))
	if string(after) != string(before) {
		t.Error("the tree was modified")
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the mutants left %d entries in TMPDIR (first %s)", len(left), left[0].Name())
	}

	cfg.Only = regexp.MustCompile(`ctl/ctl.go:\d+:\d+:(boundary|error-to-nil)`)
	again, err := Execute(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again.Results {
		if !r.Cached || r.Status != got[r.Change].Status {
			t.Errorf("rerun of %s: cached %v, %s; want the cached %s", r.ID, r.Cached, r.Status, got[r.Change].Status)
		}
	}
}

func TestOverlayReplacesTheFileByItsAbsolutePath(t *testing.T) {
	root, dir := t.TempDir(), t.TempDir()
	ov, err := Overlay(dir, root, "ctl/ctl.go", []byte("package ctl\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(ov)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Replace":{"` + filepath.Join(root, "ctl/ctl.go") + `":"` + filepath.Join(dir, "ctl.go") + `"}}`
	if string(b) != want {
		t.Errorf("overlay %s, want %s", b, want)
	}
}
