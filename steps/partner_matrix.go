package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/jr0185/harness/features"
	"github.com/jr0185/harness/steps/report"
)

func init() { matrixBuilders["partner"] = append(matrixBuilders["partner"], partnerObligationMatrix) }

// partnerObligationMatrix is the partner report's obligation matrix: one row per
// obligation of features/partner/obligations.yaml — its clause, what the partner must
// do, the scenarios that fail a partner breaking it, the mutant partners that prove they
// do — and, for this run, how its scenarios went: "passed" when every one ran and
// passed, "failed" when one failed, "not-run" when none was selected, "partly-run" when
// the selection left some out and the rest passed.
func partnerObligationMatrix(_ context.Context, _ *Env, run report.Run) (report.Matrix, error) {
	obs, err := features.PartnerObligations()
	if err != nil {
		return report.Matrix{}, err
	}
	status := map[string]string{}
	for _, s := range run.Scenarios {
		status[s.Name] = s.Status
	}
	m := report.Matrix{ID: "partner-obligations", Title: "Partner obligations",
		Note: "Every obligation a partner is judged on (features/partner/obligations.yaml, stated in features/partner/DRIVER.md): " +
			"each partner-side automated requirement of JR/T 0185-2020 and each MUST of the driver contract, the scenarios that fail " +
			"a partner breaking it, and the mutant partners (the reference partner with that behaviour broken) that the mutant proof " +
			"shows those scenarios catch. Status is this run's verdict on the row's scenarios.",
		Columns: []string{"Obligation", "Clause", "The partner must", "Scenarios", "Mutants caught", "This run"}}
	for _, o := range obs {
		ran, passed := 0, 0
		for _, sc := range o.Scenarios {
			switch status[sc] {
			case "":
			case report.VerdictPassed:
				ran++
				passed++
			default:
				ran++
			}
		}
		row := report.MatrixRow{Status: report.VerdictPassed}
		switch {
		case ran == 0:
			row.Status = report.VerdictNotRun
		case passed < ran:
			row.Status = report.VerdictFailed
		case ran < len(o.Scenarios):
			row.Status = "partly-run"
		}
		row.Cells = []string{o.ID, o.Clause, o.Text, strings.Join(o.Scenarios, "; "), strings.Join(o.Mutants, ", "),
			fmt.Sprintf("%d of %d scenarios ran, %d passed", ran, len(o.Scenarios), passed)}
		m.Rows = append(m.Rows, row)
	}
	return m, nil
}
