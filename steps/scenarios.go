package steps

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v26"
	messages "github.com/cucumber/messages/go/v21"
)

// ScenarioInfo is a scenario as written in a feature file.
type ScenarioInfo struct {
	Feature string
	File    string // path inside the features FS
	Line    int
	Name    string
	Tags    []string // the scenario's own tags plus its feature's and rule's, with "@"
	Steps   []string // the text of its steps (its feature's and rule's background first)
}

// uses reports whether one of the scenario's steps matches re.
func (s ScenarioInfo) uses(re *regexp.Regexp) bool {
	for _, st := range s.Steps {
		if re.MatchString(st) {
			return true
		}
	}
	return false
}

// Path is file:line, as godog's Paths option takes it.
func (s ScenarioInfo) Path() string { return fmt.Sprintf("%s:%d", s.File, s.Line) }

// Scenarios lists every scenario of the .feature files under dir in fsys, in file order.
func Scenarios(fsys fs.FS, dir string) ([]ScenarioInfo, error) {
	var out []ScenarioInfo
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".feature") {
			return err
		}
		raw, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(raw), (&messages.Incrementing{}).NewId)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if doc.Feature == nil {
			return nil
		}
		ft := tagNames(doc.Feature.Tags)
		add := func(sc *messages.Scenario, extra, background []string) {
			tags := append(append(append([]string{}, ft...), extra...), tagNames(sc.Tags)...)
			steps := append(append([]string{}, background...), stepTexts(sc.Steps)...)
			out = append(out, ScenarioInfo{Feature: doc.Feature.Name, File: p, Line: int(sc.Location.Line), Name: sc.Name, Tags: tags, Steps: steps})
		}
		var bg []string
		for _, c := range doc.Feature.Children {
			if c.Background != nil {
				bg = append(bg, stepTexts(c.Background.Steps)...)
			}
			if c.Scenario != nil {
				add(c.Scenario, nil, bg)
			}
			if c.Rule != nil {
				rt, rbg := tagNames(c.Rule.Tags), append([]string{}, bg...)
				for _, rc := range c.Rule.Children {
					if rc.Background != nil {
						rbg = append(rbg, stepTexts(rc.Background.Steps)...)
					}
					if rc.Scenario != nil {
						add(rc.Scenario, rt, rbg)
					}
				}
			}
		}
		return nil
	})
	return out, err
}

func stepTexts(ss []*messages.Step) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, s.Text)
	}
	return out
}

func tagNames(ts []*messages.Tag) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

// FeatureNames maps each feature file under fsys to its feature's name.
func FeatureNames(fsys fs.FS) (map[string]string, error) {
	all, err := Scenarios(fsys, ".")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, s := range all {
		out[path.Clean(s.File)] = s.Feature
	}
	return out, nil
}

// ByName indexes scenarios by "file: name" and by bare name (names are unique within a
// suite; the coverage test checks it).
func ByName(all []ScenarioInfo) map[string]ScenarioInfo {
	out := map[string]ScenarioInfo{}
	for _, s := range all {
		out[s.Name] = s
	}
	return out
}

// SortedNames lists scenario names, sorted.
func SortedNames(all []ScenarioInfo) []string {
	out := make([]string, 0, len(all))
	for _, s := range all {
		out = append(out, s.Name)
	}
	sort.Strings(out)
	return out
}
