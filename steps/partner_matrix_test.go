package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/jr0185/harness/features"
	"github.com/jr0185/harness/steps/report"
)

// TestPartnerMatrixHasARowPerObligation: the partner report's matrix has one row per
// obligation, in the matrix's order, and each row's status follows its scenarios'.
func TestPartnerMatrixHasARowPerObligation(t *testing.T) {
	t.Parallel()
	obs, err := features.PartnerObligations()
	if err != nil {
		t.Fatal(err)
	}
	var failed, passedAll, notRun features.Obligation
	for _, o := range obs {
		switch o.ID {
		case "P-STATE-CHECK":
			failed = o
		case "P-TIME-STAMP":
			passedAll = o
		case "P-HISTORY-KEEP":
			notRun = o
		}
	}
	run := report.Run{Suite: "partner"}
	for i, s := range failed.Scenarios {
		st := report.VerdictPassed
		if i == 0 {
			st = report.VerdictFailed
		}
		run.Scenarios = append(run.Scenarios, report.Scenario{Name: s, Status: st})
	}
	for _, s := range passedAll.Scenarios {
		run.Scenarios = append(run.Scenarios, report.Scenario{Name: s, Status: report.VerdictPassed})
	}
	m, err := partnerObligationMatrix(context.Background(), nil, run)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Rows) != len(obs) {
		t.Fatalf("%d rows for %d obligations", len(m.Rows), len(obs))
	}
	want := map[string]string{failed.ID: report.VerdictFailed, passedAll.ID: report.VerdictPassed, notRun.ID: report.VerdictNotRun}
	for i, r := range m.Rows {
		if len(r.Cells) != len(m.Columns) || r.Cells[0] != obs[i].ID || r.Cells[1] != obs[i].Clause {
			t.Fatalf("row %d = %v, want obligation %s", i, r.Cells, obs[i].ID)
		}
		if w, ok := want[r.Cells[0]]; ok && r.Status != w {
			t.Errorf("%s: status %q, want %q (%s)", r.Cells[0], r.Status, w, r.Cells[len(r.Cells)-1])
		}
	}
	if rows, ok := m.Counts(); rows != len(obs) || ok != 1 {
		t.Errorf("Counts() = %d rows, %d passed; want %d, 1", rows, ok, len(obs))
	}
	if !strings.Contains(m.Rows[0].Cells[3], obs[0].Scenarios[0]) {
		t.Errorf("row 0 does not list its scenarios: %q", m.Rows[0].Cells[3])
	}
}
