package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/jr0185/harness/steps/report"
)

// Options configure one suite run.
type Options struct {
	Suite       string   // "bank" (features/bank) or "partner"
	FS          fs.FS    // the features (features.FS)
	Paths       []string // feature paths inside FS, optionally file:line; default the suite's folder
	Tags        string   // godog tag expression ("@A2 && ~@slow")
	Concurrency int
	Randomize   int64  // 0: in order; -1: random seed; else that seed
	Format      string // godog formats, e.g. "pretty,junit:out/junit.xml,cucumber:out/cucumber.json"
	Output      io.Writer
	NoColors    bool
	// MinScenarios fails the run when fewer scenarios ran (default 1: a tag expression
	// that selects nothing is a failure, not a pass).
	MinScenarios int
	// StopOnFailure stops the run at the first failing scenario (mutation testing only
	// needs to know that one failed).
	StopOnFailure bool
}

// Result is a finished run.
type Result struct {
	Run    report.Run
	Status int // godog's exit status: 0 passed
}

// Passed reports whether every scenario passed.
func (r Result) Passed() bool {
	if r.Status != 0 {
		return false
	}
	for _, s := range r.Run.Scenarios {
		if s.Status != "passed" {
			return false
		}
	}
	return true
}

// Run runs the suite against the environment's target, strictly: an undefined or
// pending step fails, and so does a selection with no scenario.
func Run(ctx context.Context, e *Env, o Options) (Result, error) {
	if o.Suite == "" {
		o.Suite = "bank"
	}
	selected := o.Paths // what the caller narrowed the run to, for the report
	if len(o.Paths) == 0 {
		o.Paths = []string{o.Suite}
	}
	if o.Concurrency < 1 || o.Suite == "partner" {
		o.Concurrency = 1 // one partner under test: its scenarios take turns
	}
	if o.Suite == "partner" && e.Partner == nil {
		return Result{}, errors.New("the partner suite needs a partner driver (--partner)")
	}
	if o.Format == "" {
		o.Format = "pretty"
	}
	if o.MinScenarios == 0 {
		o.MinScenarios = 1
	}
	names, err := FeatureNames(o.FS)
	if err != nil {
		return Result{}, err
	}
	col := &collector{started: map[string]time.Time{}}
	run := report.Run{Suite: o.Suite, Target: e.T.Name, Tags: o.Tags, Paths: selected, StartedAt: time.Now()}
	suite := godog.TestSuite{
		Name: "JR/T 0185-2020 " + o.Suite + " conformance",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			Register(sc, e)
			sc.Before(func(ctx context.Context, s *godog.Scenario) (context.Context, error) {
				col.start(s.Id)
				return ctx, nil
			})
			sc.After(func(ctx context.Context, s *godog.Scenario, err error) (context.Context, error) {
				col.finish(o.Suite, names, s, err, W(ctx).Evidence())
				return ctx, nil
			})
		},
		Options: &godog.Options{Format: o.Format, Paths: o.Paths, FS: o.FS, Tags: o.Tags, Concurrency: o.Concurrency,
			Randomize: o.Randomize, Strict: true, StopOnFailure: o.StopOnFailure, Output: o.Output, NoColors: o.NoColors, DefaultContext: ctx},
	}
	status := suite.Run()
	run.FinishedAt = time.Now()
	run.Scenarios = col.sorted()
	res := Result{Run: run, Status: status}
	for _, build := range matrixBuilders[o.Suite] {
		m, err := build(ctx, e, run)
		if err != nil {
			return res, fmt.Errorf("the %s suite's coverage matrix: %w", o.Suite, err)
		}
		res.Run.Matrices = append(res.Run.Matrices, m)
	}
	if len(run.Scenarios) < o.MinScenarios {
		return res, fmt.Errorf("%d scenarios ran, want at least %d: the selection (paths %v, tags %q) matches too little",
			len(run.Scenarios), o.MinScenarios, o.Paths, o.Tags)
	}
	return res, nil
}

// matrixBuilders make a suite's coverage tables (report.Matrix) once it ran, from the
// run's scenarios and whatever they need to read (the bank's published catalogue, the
// obligation list); each step area registers its own in an init function.
var matrixBuilders = map[string][]func(ctx context.Context, e *Env, run report.Run) (report.Matrix, error){}

// collector gathers each scenario's outcome (hooks run concurrently).
type collector struct {
	mu      sync.Mutex
	started map[string]time.Time
	out     []report.Scenario
}

func (c *collector) start(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.started[id] = time.Now()
}

func (c *collector) finish(suite string, names map[string]string, s *godog.Scenario, err error, evidence []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sc := report.Scenario{Suite: suite, Name: s.Name, URI: s.Uri, Feature: names[strings.SplitN(s.Uri, ":", 2)[0]],
		Evidence: evidence, Duration: time.Since(c.started[s.Id]), Status: "passed"}
	for _, t := range s.Tags {
		sc.Tags = append(sc.Tags, t.Name)
	}
	switch {
	case err == nil:
	case errors.Is(err, godog.ErrUndefined):
		sc.Status, sc.Error = "undefined", err.Error()
	case errors.Is(err, godog.ErrPending):
		sc.Status, sc.Error = "pending", err.Error()
	case errors.Is(err, godog.ErrSkip):
		sc.Status, sc.Error = "skipped", err.Error()
	default:
		sc.Status, sc.Error = "failed", err.Error()
	}
	c.out = append(c.out, sc)
}

func (c *collector) sorted() []report.Scenario {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]report.Scenario(nil), c.out...)
	sort.Slice(out, func(i, j int) bool { return out[i].URI+out[i].Name < out[j].URI+out[j].Name })
	return out
}
