// Command mutation runs the bank's uncorrelated mutation test (`make mutation`): one
// change to one conditional or comparison in a security-control package per mutant, the
// sandbox built with it (go build -overlay), and the bank-side suite run against it as
// `sandbox conform` runs it. It writes mutation-report/report.{md,json}. It is its own
// small program, not a `sandbox` subcommand: it drives the Go toolchain and is no part
// of the bank that ships.
//
// Why not go-gremlins/gremlins: its oracle is `go test` — of the mutated package, or of
// the whole module (--integration) — in a copy of the module per worker, and it marks
// mutants outside the package tests' coverage as not covered. The oracle here is the
// bank suite over the wire, run by the mutant's own binary; package unit tests are not
// the measure.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/jr0185/harness/sandbox/internal/mutation"
)

func main() {
	var (
		out          = flag.String("out", "mutation-report", "folder for report.md, report.json and the verdict cache")
		dispositions = flag.String("dispositions", "features/bank/mutation-dispositions.yaml", "survivors' dispositions")
		packages     = flag.String("packages", strings.Join(mutation.DefaultPackages, ","), "folders to mutate (comma-separated)")
		operators    = flag.String("operators", "", "only these operators (comma-separated; default all)")
		workers      = flag.Int("workers", 2, "mutants built and run at once")
		sample       = flag.Int("sample", 0, "run a random sample of this many mutants (0: all)")
		budget       = flag.Duration("budget", 0, "start no mutant after this long (0: no limit); the report then covers the random sample that ran")
		seed         = flag.Uint64("seed", 185, "the sample's seed")
		timeout      = flag.Duration("timeout", 0, "cap on one suite run (0: 4x the unmutated run, at least 90s)")
		only         = flag.String("only", "", "only mutants whose id matches this regular expression")
		disposition  = flag.String("disposition", "", "only mutants whose disposition is one of these kinds (comma-separated: hole, killed-by, equivalent)")
		list         = flag.Bool("list", false, "list the mutants in scope and exit")
	)
	flag.Parse()
	root, err := os.Getwd()
	if err != nil {
		fail(err)
	}
	c := mutation.Config{Root: root, Packages: split(*packages), SkipFiles: mutation.DefaultSkipFiles,
		Scope: mutation.DefaultScope(), Workers: *workers, Sample: *sample, Seed: *seed, RunTimeout: *timeout,
		CacheFile: filepath.Join(*out, "cache.json"), Log: os.Stdout}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			fail(err)
		}
		c.Only = re
	}
	for _, o := range split(*operators) {
		c.Operators = append(c.Operators, mutation.Operator(o))
	}
	ds, err := mutation.LoadDispositions(*dispositions)
	if err != nil {
		fail(err)
	}
	if *disposition != "" {
		// Narrow --only to the IDs of the mutants the dispositions of those kinds name.
		ms, err := mutation.Collect(c)
		if err != nil {
			fail(err)
		}
		ids := []string{}
		for _, m := range mutation.WithDisposition(ms, ds, split(*disposition)...) {
			ids = append(ids, regexp.QuoteMeta(m.ID))
		}
		if len(ids) == 0 {
			fail(fmt.Errorf("no mutant in scope has a disposition of kind %s", *disposition))
		}
		c.Only = regexp.MustCompile("^(" + strings.Join(ids, "|") + ")$")
	}
	if *list {
		ms, err := mutation.Collect(c)
		if err != nil {
			fail(err)
		}
		for _, m := range mutation.Order(ms, *sample, *seed) {
			fmt.Printf("%s\t%s\t%s\n", m.ID, m.Func, m.Change)
		}
		return
	}
	if *budget > 0 {
		c.Deadline = time.Now().Add(*budget)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	run, err := mutation.Execute(ctx, c)
	if run.Tree == "" {
		fail(err)
	}
	rep := mutation.BuildReport(run, ds, *seed)
	if werr := rep.Write(*out); werr != nil {
		fail(werr)
	}
	for _, t := range append(rep.Packages, rep.Total) {
		fmt.Printf("%-28s %4d mutants: %4d killed, %3d survived, %3d not viable, %2d timed out; score %5.1f%%\n",
			t.Package, t.Mutants, t.Killed, t.Survived, t.NotViable, t.TimedOut, 100*t.Score)
	}
	fmt.Printf("%d survivors (%d new, without a disposition); report: %s/report.md, %s/report.json; %s\n",
		len(rep.Survivors), rep.New(), *out, *out, time.Since(start).Round(time.Second))
	if err != nil {
		fail(err)
	}
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mutation:", err)
	os.Exit(1)
}
