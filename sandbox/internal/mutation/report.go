package mutation

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Disposition is the verdict on a survivor, kept in features/bank/mutation-dispositions.yaml
// so a rerun shows which survivors are new. A survivor matches by file, function,
// operator, line text and change (not by line number: edits above move it).
type Disposition struct {
	File     string   `yaml:"file" json:"file"`
	Func     string   `yaml:"func" json:"func"`
	Operator Operator `yaml:"operator" json:"operator"`
	Line     string   `yaml:"line" json:"line"`
	Change   string   `yaml:"change" json:"change"`
	// Exactly one of:
	Equivalent string `yaml:"equivalent,omitempty" json:"equivalent,omitempty"` // why no bank behaviour changes
	Hole       string `yaml:"hole,omitempty" json:"hole,omitempty"`             // a real gap in the suite: what a bank would do wrong
	KilledBy   string `yaml:"killed-by,omitempty" json:"killedBy,omitempty"`    // the scenario added to catch it
}

func (d Disposition) key() string {
	return strings.Join([]string{d.File, d.Func, string(d.Operator), d.Line, d.Change}, "\x00")
}

func (d Disposition) text() string {
	switch {
	case d.Equivalent != "":
		return "equivalent: " + d.Equivalent
	case d.Hole != "":
		return "hole: " + d.Hole
	case d.KilledBy != "":
		return "killed-by: " + d.KilledBy
	}
	return ""
}

// LoadDispositions reads the dispositions file (missing: none).
func LoadDispositions(path string) ([]Disposition, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ds []Disposition
	if err := yaml.Unmarshal(b, &ds); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i, d := range ds {
		n := 0
		for _, s := range []string{d.Equivalent, d.Hole, d.KilledBy} {
			if s != "" {
				n++
			}
		}
		if n != 1 || d.File == "" || d.Operator == "" || d.Line == "" {
			return nil, fmt.Errorf("%s: entry %d (%s %s): needs file, operator, line and exactly one of equivalent, hole, killed-by",
				path, i+1, d.File, d.Func)
		}
	}
	return ds, nil
}

// Kind is which of the three a disposition says: "equivalent", "hole" or "killed-by".
func (d Disposition) Kind() string {
	switch {
	case d.Equivalent != "":
		return "equivalent"
	case d.Hole != "":
		return "hole"
	case d.KilledBy != "":
		return "killed-by"
	}
	return ""
}

// WithDisposition keeps the mutants whose disposition is of one of kinds ("hole",
// "killed-by", "equivalent"): `make mutation DISPOSITION=hole` reruns the known holes,
// DISPOSITION=killed-by checks that every claimed kill still kills.
func WithDisposition(ms []Mutant, ds []Disposition, kinds ...string) []Mutant {
	want := map[string]bool{}
	for _, d := range ds {
		if contains(kinds, d.Kind()) {
			want[d.key()] = true
		}
	}
	var out []Mutant
	for _, m := range ms {
		if want[Disposition{File: m.File, Func: m.Func, Operator: m.Operator, Line: m.LineText, Change: m.Change}.key()] {
			out = append(out, m)
		}
	}
	return out
}

// Tally counts one package's (or the total's) verdicts.
type Tally struct {
	Package   string  `json:"package"`
	Mutants   int     `json:"mutants"`
	Killed    int     `json:"killed"`
	Survived  int     `json:"survived"`
	NotViable int     `json:"notViable"`
	TimedOut  int     `json:"timedOut"`
	Score     float64 `json:"score"` // killed / (killed + survived)
}

func (t *Tally) add(s Status) {
	t.Mutants++
	switch s {
	case Killed:
		t.Killed++
	case Survived:
		t.Survived++
	case NotViable:
		t.NotViable++
	case TimedOut:
		t.TimedOut++
	}
	if t.Killed+t.Survived > 0 {
		t.Score = float64(t.Killed) / float64(t.Killed+t.Survived)
	}
}

// Survivor is a surviving mutant with its disposition ("" : new, not yet judged).
type Survivor struct {
	Result
	Disposition string `json:"disposition"`
}

// Report is what `make mutation` writes.
type Report struct {
	Generated       time.Time  `json:"generated"`
	Tree            string     `json:"tree"`
	Suite           string     `json:"suite"`
	Found           int        `json:"found"` // mutants in scope
	Ran             int        `json:"ran"`   // mutants run (a sample when fewer than found)
	SampleSeed      uint64     `json:"sampleSeed,omitempty"`
	BaselineSeconds float64    `json:"baselineSeconds"`
	RunTimeout      string     `json:"runTimeout"`
	Packages        []Tally    `json:"packages"`
	Total           Tally      `json:"total"`
	Survivors       []Survivor `json:"survivors"`
	StaleKills      []Survivor `json:"staleKills,omitempty"` // killed-by claimed, but it survived
	Results         []Result   `json:"results"`
}

// BuildReport tallies a run and matches its survivors against the dispositions.
func BuildReport(run Run, ds []Disposition, seed uint64) Report {
	args := make([]string, len(DefaultSuite))
	for i, a := range DefaultSuite {
		args[i] = a
		if a == "" {
			args[i] = "''"
		}
	}
	rep := Report{Generated: time.Now().UTC(), Tree: run.Tree, Suite: "sandbox " + strings.Join(args, " "),
		Found: run.Total, BaselineSeconds: run.BaselineSeconds, RunTimeout: run.RunTimeout.String()}
	byKey := map[string]Disposition{}
	for _, d := range ds {
		byKey[d.key()] = d
	}
	tallies := map[string]*Tally{}
	rep.Total.Package = "total"
	for _, r := range run.Results {
		if r.Status == "" {
			continue // not reached (interrupted)
		}
		rep.Ran++
		rep.Results = append(rep.Results, r)
		t := tallies[r.Package]
		if t == nil {
			t = &Tally{Package: r.Package}
			tallies[r.Package] = t
		}
		t.add(r.Status)
		rep.Total.add(r.Status)
		if r.Status != Survived {
			continue
		}
		d, ok := byKey[Disposition{File: r.File, Func: r.Func, Operator: r.Operator, Line: r.LineText, Change: r.Change}.key()]
		s := Survivor{Result: r, Disposition: d.text()}
		if ok && d.KilledBy != "" {
			rep.StaleKills = append(rep.StaleKills, s)
		}
		rep.Survivors = append(rep.Survivors, s)
	}
	if rep.Ran < rep.Found {
		rep.SampleSeed = seed
	}
	sort.Slice(rep.Results, func(i, j int) bool { return rep.Results[i].ID < rep.Results[j].ID })
	sort.SliceStable(rep.Survivors, func(i, j int) bool { return rep.Survivors[i].ID < rep.Survivors[j].ID })
	for _, t := range tallies {
		rep.Packages = append(rep.Packages, *t)
	}
	sort.Slice(rep.Packages, func(i, j int) bool { return rep.Packages[i].Package < rep.Packages[j].Package })
	return rep
}

// New counts the survivors nobody has judged yet.
func (r Report) New() int {
	n := 0
	for _, s := range r.Survivors {
		if s.Disposition == "" {
			n++
		}
	}
	return n
}

// Write writes report.json and report.md into dir.
func (r Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), js, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(r.Markdown()), 0o600)
}

// Markdown is the human report (zh-CN and English headings, as the conformance report).
func (r Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# 变异测试报告 / Mutation test report\n\n")
	fmt.Fprintf(&b, "Oracle / 判定: the bank-side suite over the wire (`%s`), each mutant built with `go build -overlay`.\n\n", r.Suite)
	fmt.Fprintf(&b, "- Tree / 源码摘要: `%s`; generated %s\n", r.Tree, r.Generated.Format(time.RFC3339))
	fmt.Fprintf(&b, "- Mutants in scope / 范围内变异体: %d; run / 已运行: %d", r.Found, r.Ran)
	if r.Ran < r.Found {
		fmt.Fprintf(&b, " (a random sample, seed %d / 随机抽样)", r.SampleSeed)
	}
	fmt.Fprintf(&b, "\n- Unmutated suite run / 基线: %.1f s; run timeout / 超时: %s\n\n", r.BaselineSeconds, r.RunTimeout)
	fmt.Fprintf(&b, "## 各包得分 / Score per package\n\nScore = killed / (killed + survived).")
	if n := r.killedWithoutScenario(); n > 0 {
		fmt.Fprintf(&b, " %d of the killed mutants failed no scenario: the bank did not start or crashed (a bank that cannot serve is caught).", n)
	}
	fmt.Fprintf(&b, "\n\n")
	fmt.Fprintf(&b, "| package | mutants | killed | survived | not viable | timed out | score |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, t := range append(append([]Tally(nil), r.Packages...), r.Total) {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %.1f%% |\n", t.Package, t.Mutants, t.Killed, t.Survived, t.NotViable,
			t.TimedOut, 100*t.Score)
	}
	fmt.Fprintf(&b, "\n## 存活的变异体 / Survivors (%d, %d not yet judged)\n\n", len(r.Survivors), r.New())
	fmt.Fprintf(&b, "Dispositions live in `features/bank/mutation-dispositions.yaml`; **NEW** marks a survivor without one.\n\n")
	fmt.Fprintf(&b, "| file:line | function | operator | change | disposition |\n|---|---|---|---|---|\n")
	for _, s := range r.Survivors {
		d := s.Disposition
		if d == "" {
			d = "**NEW**"
		}
		fmt.Fprintf(&b, "| %s:%d | `%s` | %s | `%s` | %s |\n", s.File, s.Line, s.Func, s.Operator, mdCode(s.Change), mdCell(d))
	}
	if len(r.StaleKills) > 0 {
		fmt.Fprintf(&b, "\n## killed-by claimed, but survived / 声称已检出但仍存活\n\n")
		for _, s := range r.StaleKills {
			fmt.Fprintf(&b, "- %s:%d `%s` %s — %s\n", s.File, s.Line, s.Func, s.Operator, mdCell(s.Disposition))
		}
	}
	var timedOut []Result
	for _, x := range r.Results {
		if x.Status == TimedOut {
			timedOut = append(timedOut, x)
		}
	}
	if len(timedOut) > 0 {
		fmt.Fprintf(&b, "\n## 超时 / Timed out (reported apart, not in the score)\n\n")
		for _, x := range timedOut {
			fmt.Fprintf(&b, "- %s:%d `%s` %s `%s`\n", x.File, x.Line, x.Func, x.Operator, mdCode(x.Change))
		}
	}
	return b.String()
}

func (r Report) killedWithoutScenario() int {
	n := 0
	for _, x := range r.Results {
		if x.Status == Killed && (strings.HasPrefix(x.Detail, suiteDidNotRun) || strings.HasPrefix(x.Detail, sandboxCrashed)) {
			n++
		}
	}
	return n
}

func mdCell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
func mdCode(s string) string { return strings.ReplaceAll(mdCell(s), "`", "'") }
