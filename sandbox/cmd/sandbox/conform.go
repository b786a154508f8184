package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/jr0185/harness/sandbox/conform"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/steps/report"
)

func conformCmd() *cobra.Command {
	var o conform.Options
	var listMutants, random bool
	var seed int64
	cmd := &cobra.Command{
		Use:   "conform",
		Short: "Run the JR/T 0185-2020 conformance suites (bank side, partner side) and write the signed report",
		Long: `Run the conformance suites: Gherkin scenarios (embedded in this binary).

The bank suite plays the partner over the wire and judges the bank against every
automated requirement of JR/T 0185-2020. By default a fresh embedded sandbox is started on
127.0.0.1; with --target the suite runs against any bank implementing the same API (see
the README).

The partner suite (--partner) plays the bank — the embedded sandbox, observing every call
and injecting faults — and judges a partner's integration by what it does, driven through
the driver contract (features/partner/DRIVER.md): --partner http://127.0.0.1:9000/driver,
--partner exec:./partner.sh, or --partner reference for the reference partner built on the
Go SDK (reference:<mutant> for a mutant partner). --suite both runs the bank suite and
then the partner suite into one signed report.

Strict: an undefined or pending step fails, and so does a selection with no scenario.
A run narrowed by --tags or --paths, or one that leaves an automated requirement of its
suite's party unjudged, is PARTIAL: its report's outcome says "partial", never "passed".
Writes junit.xml, cucumber.json and the report (report.json, report.md, report.html)
into --out, an empty folder or one only a report was written into, then signs every
file of it in report.sig; check the folder with 'sandbox verify-report'.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if listMutants {
				for _, n := range mutant.Names() {
					fmt.Fprintf(cmd.OutOrStdout(), "%-24s %s\n", n, mutant.Describe(n))
				}
				return nil
			}
			if random {
				o.Randomize = -1
			}
			if seed != 0 {
				o.Randomize = seed
			}
			o.Output = cmd.OutOrStdout()
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			out, err := conform.Run(ctx, o)
			w := cmd.OutOrStdout()
			if out.Report != nil {
				fmt.Fprintf(w, "\nTarget: %s\n", out.Target)
				fmt.Fprintf(w, "Selection: %s\n", out.Report.Selection)
				fmt.Fprintf(w, "Suite version: %s\n", out.Report.SuiteVersion)
				fmt.Fprintf(w, "Requirements: %s\n", out.Report.Counts.Summary())
				if o.OutDir != "" {
					var junit, cucumber []string
					for _, r := range out.Results {
						j, c := conform.MachineReports(o.OutDir, r.Run.Suite)
						junit, cucumber = append(junit, j), append(cucumber, c)
					}
					fmt.Fprintf(w, "Report: %s/report.{md,html,json}; JUnit %s; cucumber JSON %s; all signed in report.sig\n",
						o.OutDir, strings.Join(junit, ", "), strings.Join(cucumber, ", "))
				}
				fmt.Fprintf(w, "Wall time: %s\n", out.Elapsed.Round(10*time.Millisecond))
				// The last line, where a terminal's reader looks: a partial run says so.
				fmt.Fprintf(w, "Outcome: %s\n", out.Report.Headline)
			}
			if err != nil {
				return err
			}
			if !out.Result.Passed() {
				var failed []string
				for _, s := range out.Result.Run.Scenarios {
					if s.Status != "passed" {
						failed = append(failed, fmt.Sprintf("  %s (%s): %s", s.Name, s.URI, s.Status))
					}
				}
				fmt.Fprintf(w, "FAILED:\n%s\n", strings.Join(failed, "\n"))
				return errSilent
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.TargetFile, "target", "", "target file (YAML) describing another bank; empty: start the embedded sandbox")
	f.StringVar(&o.Mutant, "mutant", "", "run against an embedded mutant bank with this control broken (see --list-mutants)")
	f.BoolVar(&listMutants, "list-mutants", false, "list the mutant banks and exit")
	f.StringVar(&o.Partner, "partner", "", "partner under test (partner suite): http://host:port/path, exec:<command>, reference or reference:<mutant>")
	f.StringVar(&o.Suite, "suite", "", "bank, partner or both (default: partner with --partner, else bank)")
	f.StringVar(&o.Tags, "tags", "", "godog tag expression, e.g. '@A2' or '@JR0185-9.2.2/3,@JR0185-B/7' or '~@A1' (not: ~)")
	f.StringSliceVar(&o.Paths, "paths", nil, "feature paths inside the embedded suite (bank/x.feature or bank/x.feature:LINE)")
	f.IntVar(&o.Concurrency, "concurrency", 2, "scenarios run at once")
	f.BoolVar(&random, "random", false, "run scenarios in random order (the seed is printed)")
	f.Int64Var(&seed, "seed", 0, "run scenarios in the random order of this seed")
	f.StringVar(&o.Format, "format", "pretty", "terminal output format: pretty, progress, junit, cucumber, events")
	f.StringVar(&o.OutDir, "out", "conform-report", "folder for junit.xml, cucumber.json and the signed report ('' for none)")
	f.StringVar(&o.ReportKey, "report-key", conform.DefaultReportKey(), "SM2 private key (PEM) that signs the report; created if missing")
	f.BoolVar(&o.NoColors, "no-colors", false, "plain terminal output")
	// Hidden: the mutation runner (sandbox/cmd/mutation) only needs the first failure.
	f.BoolVar(&o.StopOnFailure, "stop-on-failure", false, "stop at the first failing scenario")
	_ = f.MarkHidden("stop-on-failure")
	return cmd
}

func verifyReportCmd() *cobra.Command {
	var fingerprint string
	cmd := &cobra.Command{
		Use:   "verify-report [folder]",
		Short: "Check a conformance report folder's SM2 signature and file digests",
		Long: `Check that the files of the report folder — report.json, report.md, report.html and the
suites' junit*.xml and cucumber*.json — are exactly the files signed in report.sig (SM3
digests under an SM2-with-SM3 signature, format jr0185-report-signature/2): an edited,
removed or unlisted file fails, named. Prints the report's outcome (a partial run says
PARTIAL), the signer's key fingerprint and a one-line summary; with --fingerprint, also
insists on that signer. Reports signed in the older /1 layout are refused.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "conform-report"
			if len(args) == 1 {
				dir = args[0]
			}
			res, err := report.Verify(dir)
			if err != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "report NOT verified: %v\n", err)
				return errSilent
			}
			if fingerprint != "" && !strings.EqualFold(fingerprint, res.Fingerprint) {
				fmt.Fprintf(cmd.OutOrStdout(), "report NOT verified: signed by key %s, want %s\n", res.Fingerprint, fingerprint)
				return errSilent
			}
			fmt.Fprintf(cmd.OutOrStdout(), "report verified: %s (outcome %s: the signature covers all %d files)\nsigner key (SM3 of its public key): %s\n%s\n",
				dir, strings.ToUpper(res.Outcome), len(res.Files), res.Fingerprint, res.Summary)
			return nil
		},
	}
	cmd.Flags().StringVar(&fingerprint, "fingerprint", "", "expected signer key fingerprint (hex)")
	return cmd
}
