package conform_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/jr0185/harness/sandbox/conform"
)

// TestBankSuitePassesAgainstTheSandbox runs every bank scenario against a fresh embedded
// sandbox, concurrently and in random order, and insists each passed.
func TestBankSuitePassesAgainstTheSandbox(t *testing.T) {
	var out bytes.Buffer
	o, err := conform.Run(context.Background(), conform.Options{Concurrency: 2, Randomize: -1, Format: "progress",
		Output: &out, NoColors: true, OutDir: t.TempDir(), ReportKey: t.TempDir() + "/key.pem"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, s := range o.Result.Run.Scenarios {
		if s.Status != "passed" {
			t.Errorf("%s (%s): %s: %s", s.Name, s.URI, s.Status, s.Error)
		}
	}
	if !o.Result.Passed() {
		t.Fatalf("suite failed:\n%s", out.String())
	}
	// The whole bank suite judges every bank-side automated requirement: a complete run.
	if o.Report.Outcome != "passed" || !o.Report.Scope.Complete || len(o.Report.Scope.NotRun) > 0 {
		t.Errorf("outcome %q, scope %+v: want a complete, passed run", o.Report.Outcome, o.Report.Scope)
	}
	// Issue 13: every control of features/bank/controls.yaml judged on every surface of
	// the bank's published catalogue it guards — no pair unchecked, none failed.
	matrices := 0
	for _, m := range o.Result.Run.Matrices {
		if m.ID != "bank-controls" {
			continue
		}
		matrices++
		rows, ok := m.Counts()
		for _, r := range m.Rows {
			if r.Status != "passed" {
				t.Errorf("controls × surfaces: %v is %s", r.Cells[:3], r.Status)
			}
		}
		t.Logf("controls × surfaces: %d pairs, %d passed", rows, ok)
		if rows == 0 {
			t.Error("the controls × surfaces matrix is empty")
		}
	}
	if matrices != 1 {
		t.Errorf("the bank run carries %d controls × surfaces matrices, want 1", matrices)
	}
	t.Logf("%d scenarios passed in %s; %s", len(o.Result.Run.Scenarios), o.Elapsed.Round(1e6), o.Report.Counts.Summary())
}
