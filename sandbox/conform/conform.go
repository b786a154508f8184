// Package conform runs the conformance suites: against the embedded sandbox (started
// here, in-process on 127.0.0.1 with fresh data, optionally as a mutant bank) or
// against any bank described by a target file. It writes JUnit, cucumber JSON and the
// signed requirement report. The harness itself (package steps) never sees the bank's
// internals; this package only hands it a Target.
package conform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jr0185/harness/features"
	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/refpartner"
	"github.com/jr0185/harness/steps"
	"github.com/jr0185/harness/steps/driver"
	"github.com/jr0185/harness/steps/report"
)

// Options configure a run.
type Options struct {
	Suite      string // "bank" or "partner" (default: "partner" when Partner is set, else "bank")
	TargetFile string // empty: the embedded sandbox
	// Partner is the partner integration under test (partner suite): a driver address
	// (http://..., exec:<command>) or "reference" / "reference:<mutant>" for the
	// reference partner built on sandbox/sdk, started in-process.
	Partner     string
	Mutant      string // embedded sandbox only: start this mutant bank
	Tags        string
	Paths       []string // feature paths (file or file:line) inside the embedded features
	Concurrency int
	Randomize   int64  // 0 in order, -1 random seed
	Format      string // terminal format: pretty, progress, ... ("" pretty)
	Output      io.Writer
	NoColors    bool
	OutDir      string // JUnit, cucumber JSON and the report; empty: no files
	ReportKey   string // SM2 key that signs the report (created if missing)
	BankConfig  func(*bank.Config)
	// StopOnFailure ends the run at the first failing scenario (the mutation runner's
	// oracle: one failure kills a mutant).
	StopOnFailure bool
	// BankLog receives the embedded bank's log at debug level (nil: discarded): the
	// privacy check greps it (issue 14).
	BankLog io.Writer
}

// Outcome is a finished run.
type Outcome struct {
	Result  steps.Result   // every scenario of every suite that ran
	Results []steps.Result // per suite, in the order they ran
	Report  *report.Report
	Target  string
	Elapsed time.Duration
	// Credentials are every credential the run saw the bank issue or the harness
	// present (steps.Env.Credentials), for the privacy check.
	Credentials []string
}

// Run runs the suite.
func Run(ctx context.Context, o Options) (Outcome, error) {
	start := time.Now()
	if o.Suite == "" {
		o.Suite = "bank"
		if o.Partner != "" {
			o.Suite = "partner"
		}
	}
	if o.Output == nil {
		o.Output = io.Discard
	}
	var target steps.Target
	if o.TargetFile != "" {
		if o.Mutant != "" {
			return Outcome{}, errors.New("--mutant starts an embedded mutant bank; it cannot be combined with --target")
		}
		t, err := steps.LoadTarget(o.TargetFile)
		if err != nil {
			return Outcome{}, err
		}
		target = t
	} else {
		b, stop, err := startEmbedded(ctx, o.Mutant, o.BankConfig, o.BankLog)
		if err != nil {
			return Outcome{}, err
		}
		defer stop()
		target = EmbeddedTarget(b, o.Mutant)
	}
	env, err := steps.NewEnv(target)
	if err != nil {
		return Outcome{}, err
	}
	suites := []string{o.Suite}
	if o.Suite == "both" {
		suites = []string{"bank", "partner"}
	}
	for _, suite := range suites {
		if suite != "bank" && suite != "partner" {
			return Outcome{}, fmt.Errorf("suite %q: use bank, partner or both", o.Suite)
		}
	}
	if suites[len(suites)-1] == "partner" {
		d, stop, err := OpenPartner(ctx, o.Partner)
		if err != nil {
			return Outcome{}, err
		}
		defer stop()
		env.Partner = d
	}
	if o.OutDir != "" {
		if err := prepareOutDir(o.OutDir); err != nil {
			return Outcome{}, err
		}
	}
	out := Outcome{Target: target.Name}
	var runs []report.Run
	var runErr error
	for _, suite := range suites {
		paths := o.Paths
		if o.Suite == "both" && len(paths) > 0 {
			paths = nil
			for _, p := range o.Paths {
				if strings.HasPrefix(p, suite+"/") {
					paths = append(paths, p)
				}
			}
			if len(paths) == 0 {
				continue // the selection names only the other suite's features
			}
		}
		res, err := steps.Run(ctx, env, steps.Options{Suite: suite, FS: features.FS, Paths: paths, Tags: o.Tags,
			Concurrency: o.Concurrency, Randomize: o.Randomize, Format: o.format(suite), Output: o.Output, NoColors: o.NoColors,
			StopOnFailure: o.StopOnFailure})
		runs = append(runs, res.Run)
		out.Results = append(out.Results, res)
		runErr = errors.Join(runErr, err)
	}
	out.Result = combine(o.Suite, out.Results)
	out.Credentials = env.Credentials()
	out.Elapsed = time.Since(start)
	cat, err := features.Load()
	if err != nil {
		return out, err
	}
	out.Report = report.Build(cat, report.Selection{Suite: o.Suite, Tags: o.Tags, Paths: o.Paths}, runs...)
	if o.OutDir != "" {
		if err := writeReport(o, out); err != nil {
			return out, err
		}
	}
	return out, runErr
}

// writeReport signs the report folder once everything in it is written: the suites'
// JUnit files (godog wrote them during the run; the report's outcome, selection and
// suite version are added to their properties) and cucumber JSON, then the report.
func writeReport(o Options, out Outcome) error {
	keyPath := o.ReportKey
	if keyPath == "" {
		keyPath = DefaultReportKey()
	}
	key, err := report.LoadOrCreateKey(keyPath)
	if err != nil {
		return fmt.Errorf("report key: %w", err)
	}
	var also []string
	for _, r := range out.Results {
		junit, cucumber := MachineReports(o.OutDir, r.Run.Suite)
		for _, f := range []string{junit, cucumber} {
			if _, err := os.Stat(f); err == nil {
				also = append(also, filepath.Base(f))
			}
		}
		doc, err := os.ReadFile(junit)
		if errors.Is(err, fs.ErrNotExist) {
			continue // godog wrote nothing (the run stopped before its end)
		}
		if err != nil {
			return err
		}
		if doc, err = report.AnnotateJUnit(doc, out.Report.JUnitProperties()); err != nil {
			return fmt.Errorf("%s: %w", junit, err)
		}
		if err := os.WriteFile(junit, doc, 0o644); err != nil { // #nosec G306 G703 -- a published report, not a secret, written back to the path the operator named with --out
			return err
		}
	}
	return out.Report.Write(o.OutDir, key, also...)
}

// reportFileRE matches the files a run writes into its output folder.
var reportFileRE = regexp.MustCompile(`^(report\.(json|md|html|sig)|junit(-partner)?\.xml|cucumber(-partner)?\.json)$`)

// prepareOutDir makes the output folder ready for a run: it exists, and holds none of
// a previous run's files (a stale junit-partner.xml must not be signed as part of a
// bank-only run). Anything else in it is refused before the suite runs: the signature
// covers every file of the folder (report.Verify rejects an unlisted one).
func prepareOutDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var foreign []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !reportFileRE.MatchString(e.Name()) {
			foreign = append(foreign, e.Name())
		}
	}
	if len(foreign) > 0 {
		return fmt.Errorf("--out %s holds %s, which is not part of a report: choose an empty folder (or one only a report was written into)",
			dir, strings.Join(foreign, ", "))
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// format is the terminal format plus, with an output folder, JUnit and cucumber JSON
// files (junit.xml and cucumber.json for the bank suite, junit-partner.xml and
// cucumber-partner.json for the partner suite).
func (o Options) format(suite string) string {
	f := o.Format
	if f == "" {
		f = "pretty"
	}
	if o.OutDir == "" {
		return f
	}
	junit, cucumber := MachineReports(o.OutDir, suite)
	return f + ",junit:" + junit + ",cucumber:" + cucumber
}

// MachineReports are the JUnit and cucumber JSON files a suite writes into dir.
func MachineReports(dir, suite string) (junit, cucumber string) {
	suffix := ""
	if suite != "bank" {
		suffix = "-" + suite
	}
	return filepath.Join(dir, "junit"+suffix+".xml"), filepath.Join(dir, "cucumber"+suffix+".json")
}

// combine merges per-suite results into one.
func combine(suite string, rs []steps.Result) steps.Result {
	var c steps.Result
	c.Run.Suite = suite
	for i, r := range rs {
		if i == 0 {
			c.Run.Target, c.Run.Tags, c.Run.StartedAt = r.Run.Target, r.Run.Tags, r.Run.StartedAt
		}
		c.Run.FinishedAt = r.Run.FinishedAt
		c.Run.Scenarios = append(c.Run.Scenarios, r.Run.Scenarios...)
		c.Run.Matrices = append(c.Run.Matrices, r.Run.Matrices...)
		c.Status = max(c.Status, r.Status)
	}
	return c
}

// OpenPartner opens the partner under test's driver.
func OpenPartner(ctx context.Context, spec string) (driver.Driver, func(), error) {
	if spec == "" {
		return nil, nil, errors.New("the partner suite needs --partner: a driver address (http://..., exec:<command>) or \"reference\"")
	}
	if name, ok := strings.CutPrefix(spec, "reference"); ok && (name == "" || strings.HasPrefix(name, ":")) {
		// The reference partner (sandbox/refpartner, on the Go SDK), in-process behind its
		// HTTP driver on 127.0.0.1 — the harness reaches it over real HTTP like any other.
		url, stop, err := refpartner.Serve(ctx, refpartner.Options{Mutant: strings.TrimPrefix(name, ":")}, "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		d := driver.NewHTTP(url, nil)
		return d, func() { _ = d.Close(); stop() }, nil
	}
	d, err := driver.Open(spec)
	if err != nil {
		return nil, nil, err
	}
	return d, func() { _ = d.Close() }, nil
}

// DefaultReportKey is where the report-signing key lives unless --report-key says
// otherwise: the user's configuration folder, never the repository.
func DefaultReportKey() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "jr0185-harness", "report-sign.key")
}

// StartEmbedded starts a fresh sandbox bank on 127.0.0.1 (a new data folder, removed by
// stop), optionally as a mutant.
func StartEmbedded(ctx context.Context, mutantName string, adjust func(*bank.Config)) (*bank.Bank, func(), error) {
	return startEmbedded(ctx, mutantName, adjust, nil)
}

func startEmbedded(ctx context.Context, mutantName string, adjust func(*bank.Config), logTo io.Writer) (*bank.Bank, func(), error) {
	dir, err := os.MkdirTemp("", "jr0185-conform-")
	if err != nil {
		return nil, nil, err
	}
	cfg := bank.DefaultConfig()
	cfg.DataDir, cfg.Addr, cfg.Mutant = dir, "127.0.0.1:0", mutantName
	cfg.LogLevel = "error"
	if adjust != nil {
		adjust(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if logTo != nil {
		log = slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	b, err := bank.Start(ctx, cfg, log)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, err
	}
	stop := func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.Close(c)
		_ = os.RemoveAll(dir)
	}
	return b, stop, nil
}

// EmbeddedTarget describes a running embedded bank to the harness.
func EmbeddedTarget(b *bank.Bank, mutantName string) steps.Target {
	name := "embedded sandbox " + b.URL
	if mutantName != "" {
		name += " (mutant " + mutantName + ")"
	}
	return steps.Target{Name: name, BaseURL: strings.TrimRight(b.URL, "/"), CACert: b.TLSCAFile, AdminToken: b.AdminToken,
		Sandbox: true}
}
