package mutation

import (
	"strings"
	"testing"
)

const control = `package p

import "errors"

var ErrLimit = errors.New("over the limit")

type mutantSet struct{}

func (mutantSet) Is(string) bool { return false }

type Opts struct{ Mutant mutantSet }

func check(n, limit int, ok bool, o Opts, err error) error {
	if err != nil {
		return err
	}
	if n > limit && !ok {
		return ErrLimit
	}
	if o.Mutant.Is("skip") {
		return nil
	}
	if n == 0 && !o.Mutant.Is("zero") {
		return nil
	}
	if ok {
		record(n)
	}
	return nil
}

func record(int) {}

func (o Opts) String() string {
	if o.Mutant.Is("x") == false {
		return "a"
	}
	return "b"
}
`

// Each operator turns the control into exactly the expected source.
func TestEachOperatorProducesTheExpectedSource(t *testing.T) {
	ms, err := Find("p", "p/control.go", []byte(control), DefaultScope())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // change → the mutated line
		"n > limit → n >= limit":                 "if n >= limit && !ok {",
		"n > limit && !ok → n > limit || !ok":    "if n > limit || !ok {",
		"n > limit && !ok → !(n > limit && !ok)": "if !(n > limit && !ok) {",
		"!ok → ok":              "if n > limit && ok {",
		"ErrLimit → nil":        "return nil",
		"ok → !(ok)":            "if !(ok) {",
		"record(n) → (removed)": "",
	}
	got := map[string]string{}
	for _, m := range ms {
		out, err := m.Apply([]byte(control))
		if err != nil {
			t.Fatalf("%s: %v", m.ID, err)
		}
		if m.Func != "check" {
			t.Errorf("%s mutates %s: only check is in scope (String methods are not)", m.ID, m.Func)
		}
		// The mutated file keeps every line where it was.
		if a, b := strings.Count(control, "\n"), strings.Count(string(out), "\n"); a != b {
			t.Errorf("%s: %d lines, want %d", m.ID, b, a)
		}
		got[m.Change] = strings.TrimSpace(strings.Split(string(out), "\n")[m.Line-1])
	}
	for change, line := range want {
		if g, ok := got[change]; !ok {
			t.Errorf("no mutant %q; have %v", change, keys(got))
		} else if g != line {
			t.Errorf("%q: line reads %q, want %q", change, g, line)
		}
	}
	if len(got) != len(want) {
		t.Errorf("mutants %v, want exactly %v (err checks and mutant switches are not mutated)", keys(got), keys(want))
	}
}

func TestErrChecksAreMutatedOnlyWhenAsked(t *testing.T) {
	s := DefaultScope()
	s.ErrChecks = true
	ms, err := Find("p", "p/control.go", []byte(control), s)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range ms {
		found = found || m.Change == "err != nil → err == nil"
	}
	if !found {
		t.Error("with ErrChecks, err != nil is not mutated")
	}
}

func TestEqualityAndBoundarySwapBothWays(t *testing.T) {
	src := "package p\n\nfunc f(a, b int) bool { return a < b || a <= b || a >= b || a == b || a != b }\n"
	ms, err := Find("p", "p/f.go", []byte(src), DefaultScope())
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, m := range ms {
		if m.Operator == Boundary || m.Operator == Equality {
			changes = append(changes, m.Change)
		}
	}
	want := []string{"a < b → a <= b", "a <= b → a < b", "a >= b → a > b", "a == b → a != b", "a != b → a == b"}
	for _, w := range want {
		if !contains(changes, w) {
			t.Errorf("missing %q in %v", w, changes)
		}
	}
}

func TestErrorToNilLeavesPropagatedErrorsAndMultiValueCallsAlone(t *testing.T) {
	src := `package p

import "fmt"

func g() (int, error) { return 0, nil }

func f(x int) (int, error) {
	if x > 1 {
		return 0, fmt.Errorf("too big: %d", x)
	}
	n, err := g()
	if err != nil {
		return 0, fmt.Errorf("g: %w", err)
	}
	if n < 0 {
		return g()
	}
	return n, nil
}
`
	ms, err := Find("p", "p/f.go", []byte(src), DefaultScope())
	if err != nil {
		t.Fatal(err)
	}
	var nils []string
	for _, m := range ms {
		if m.Operator == ErrorToNil {
			nils = append(nils, m.Change)
		}
	}
	if len(nils) != 1 || nils[0] != `fmt.Errorf("too big: %d", x) → nil` {
		t.Errorf("error-to-nil mutants %q, want only the made error", nils)
	}
}

func TestAMutantThatDoesNotParseIsRefused(t *testing.T) {
	m := Mutant{ID: "x", File: "p/f.go", Edits: []Edit{{Off: 0, End: 7, Text: "pack"}}}
	if _, err := m.Apply([]byte("package p\n")); err == nil {
		t.Error("an edit that breaks the syntax applied without error")
	}
	m.Edits = []Edit{{Off: 5, End: 50}}
	if _, err := m.Apply([]byte("package p\n")); err == nil {
		t.Error("an edit past the end applied without error")
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
